"""Real chart stores on 127.0.0.1 for release tests: the CNCF distribution registry (OCI) and a
classic chart repository folder served over HTTP."""

from __future__ import annotations

import contextlib
import functools
import http.server
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from chartgen.tools.processes import stop_process

CONFIG = """\
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: {root}
http:
  addr: 127.0.0.1:{port}
"""


@dataclass(frozen=True)
class Registry:
    host: str  # 127.0.0.1:PORT

    def oci(self, path: str) -> str:
        return f"oci://{self.host}/{path}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def running_registry(binary: Path, folder: Path, timeout: float = 20) -> Iterator[Registry]:
    """`registry serve` with filesystem storage in `folder`, on a free loopback port; stopped
    (and waited for) when the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    for _attempt in range(3):  # the free port may be taken between choosing and binding it
        port = free_port()
        config = folder / "config.yml"
        config.write_text(CONFIG.format(root=folder / "data", port=port), encoding="utf-8")
        log = (folder / "registry.log").open("wb")
        process = subprocess.Popen([binary, "serve", config], stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while process.poll() is None and time.monotonic() < deadline:
                if _answers(f"http://127.0.0.1:{port}/v2/"):
                    yield Registry(f"127.0.0.1:{port}")
                    return
                time.sleep(0.05)
        finally:
            stop_process(process)
            log.close()
    raise RuntimeError(f"the registry did not start: {(folder / 'registry.log').read_text()[-2000:]}")


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """`folder` served read-only over HTTP on a free loopback port: yields its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
