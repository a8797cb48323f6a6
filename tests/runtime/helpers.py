"""What the runtime tier's tests share: the example order, HTTP calls to 127.0.0.1, `chartgen run`
as a process (started, interrupted, cleaned up), waiting for a line in a process's output, and a
copy of the examples with one runtime built."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from chartgen.tools.locate import find_helm
from testing.repo import REPO, copy_examples, require, run_cli

# An order-approval input over its approval threshold: the instance waits for a decision.
ORDER = {
    "orderId": "o-1",
    "amount": 5000,
    "currency": "EUR",
    "customer": {"name": "ACME"},
    "approver": {"email": "approver@example.com"},
}
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1: never a proxy


def call(url: str, body: Any = None, timeout: float = 15) -> tuple[int, Any, dict[str, str]]:
    """(status, JSON answer, headers) of a GET, or a POST of `body` as JSON."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST" if body is not None else "GET",
    )
    try:
        with _DIRECT.open(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null"), dict(answer.headers)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, None, dict(exc.headers)


def chartgen_run(
    repo: Path, *args: str, out: Path, err: Path, session: bool = False, **env: str
) -> subprocess.Popen[bytes]:
    """`chartgen -C repo run ARGS` as its own process (as a user starts it), output to files;
    `session`: in a session (and process group) of its own, as a CI job's shell runs it."""
    environment = dict(os.environ, PYTHONPATH=str(REPO), CHARTGEN_HELM=str(find_helm()), **env)
    with out.open("wb") as stdout, err.open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "chartgen", "-C", str(repo), "run", *args],
            stdout=stdout,
            stderr=stderr,
            env=environment,
            start_new_session=session,
        )


def interrupt(process: subprocess.Popen[bytes], err: Path) -> None:
    """Ctrl-C: the command stops what it started and exits 0."""
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 0, err.read_text()


def kill_if_running(process: subprocess.Popen[bytes]) -> None:
    """After a failed test: nothing is left running."""
    if process.poll() is None:
        process.kill()
        process.wait()


def wait_for_output(
    path: Path, pattern: str, process: subprocess.Popen[bytes], timeout: float
) -> re.Match[str]:
    """The first match of `pattern` in the output `process` writes to `path`, or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, path.read_text())
        if found:
            return found
        if process.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"no {pattern!r} in the output:\n{path.read_text()}")


def examples_with_runtime(tmp_path_factory: pytest.TempPathFactory, chart: str) -> Path:
    """A copy of the examples with charts generated and `chart`'s runtime built by chartgen
    build (its app: build/<chart>/target/quarkus-app/quarkus-run.jar)."""
    require("java", shutil.which("java") is not None)
    require("mvn", shutil.which("mvn") is not None)
    repo = copy_examples(tmp_path_factory.mktemp(chart))
    assert run_cli("-C", str(repo), "generate").code == 0
    start = time.monotonic()
    result = run_cli("-C", str(repo), "build", "--chart", chart)
    print(f"\n[runtime] chartgen build --chart {chart}: {time.monotonic() - start:.0f}s")
    assert result.code == 0, result.out + result.err
    assert (repo / f"build/{chart}/target/quarkus-app/quarkus-run.jar").is_file()
    return repo
