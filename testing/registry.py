"""Real chart stores on 127.0.0.1 for release tests: the CNCF distribution registry (OCI) and a
classic chart repository folder served over HTTP."""

from __future__ import annotations

import contextlib
import functools
import http.server
import socket
import ssl
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
TLS = """\
  tls:
    certificate: {certificate}
    key: {key}
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


def _answers(url: str, context: ssl.SSLContext | None = None) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1, context=context) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def running_registry(
    binary: Path, folder: Path, timeout: float = 20, tls: tuple[Path, Path] | None = None
) -> Iterator[Registry]:
    """`registry serve` with filesystem storage in `folder`, on a free loopback port; stopped
    (and waited for) when the block ends. `tls`: (certificate, key) to serve HTTPS with."""
    folder.mkdir(parents=True, exist_ok=True)
    context = ssl.create_default_context(cafile=tls[0]) if tls else None
    scheme = "https" if tls else "http"
    for _attempt in range(3):  # the free port may be taken between choosing and binding it
        port = free_port()
        config = folder / "config.yml"
        text = CONFIG.format(root=folder / "data", port=port)
        text += TLS.format(certificate=tls[0], key=tls[1]) if tls else ""
        config.write_text(text, encoding="utf-8")
        log = (folder / "registry.log").open("wb")
        process = subprocess.Popen([binary, "serve", config], stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while process.poll() is None and time.monotonic() < deadline:
                if _answers(f"{scheme}://127.0.0.1:{port}/v2/", context):
                    yield Registry(f"127.0.0.1:{port}")
                    return
                time.sleep(0.05)
        finally:
            stop_process(process)
            log.close()
    raise RuntimeError(f"the registry did not start: {(folder / 'registry.log').read_text()[-2000:]}")


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (openssl), valid for a day: (certificate, key)."""
    folder.mkdir(parents=True, exist_ok=True)
    certificate, key = folder / "registry.crt", folder / "registry.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificate, key


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
