"""Helm's release records read from their Secrets, and signals passed to helm while chartgen
changes a cluster (never a kill that leaves a release half-done)."""

from __future__ import annotations

import base64
import gzip
import json
import os
import signal
import sys
import threading
import time
from typing import Any

import pytest

from chartgen.deploy.records import SecretRecords
from chartgen.errors import ToolError
from chartgen.tools import interrupts
from chartgen.tools.runner import run


def secret(name: str, number: int, status: str, version: str = "1.0.0") -> dict[str, Any]:
    release = {
        "name": name,
        "version": number,
        "info": {"status": status, "description": "Upgrade complete"},
        "chart": {
            "metadata": {"version": version, "annotations": {"chartgen/digest": f"d-{version}"}},
            "files": [
                {"name": "files/chartgen-data.yaml", "data": base64.b64encode(b"kind: production\n").decode()}
            ],
        },
        "config": {"replicas": 2},
        "manifest": "---\nkind: ConfigMap\n",
    }
    packed = base64.b64encode(gzip.compress(json.dumps(release).encode()))
    return {
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": f"sh.helm.release.v1.{name}.v{number}",
            "labels": {"name": name, "owner": "helm"},
        },
        "data": {"release": base64.b64encode(packed).decode()},
    }


class Secrets:
    def __init__(self, *items: dict[str, Any]) -> None:
        self.items: list[dict[str, Any]] = list(items)
        self.asked: list[tuple[str, ...]] = []

    def get_json(self, *args: str) -> Any:
        self.asked.append(args)
        return {"items": self.items}


def test_every_release_of_a_namespace_in_one_read() -> None:
    kubectl = Secrets(secret("orders", 2, "deployed", "1.1.0"), secret("orders", 1, "superseded"),
                      secret("billing", 1, "pending-install"))  # fmt: skip
    found = SecretRecords(kubectl).releases("prod", ["orders", "billing", "absent"])
    assert kubectl.asked == [("secrets", "-n", "prod", "-l", "owner=helm,name in (absent,billing,orders)")]
    assert [r.number for r in found["orders"].revisions] == [1, 2]
    running = found["orders"].running
    assert running is not None and (running.version, running.digest, running.values) == (
        "1.1.0", "d-1.1.0", {"replicas": 2},
    )  # fmt: skip
    assert running.files == {
        "files/chartgen-data.yaml": b"kind: production\n"
    }  # what the upgrade guard reads
    assert found["billing"].running is None and found["billing"].last.status == "pending-install"
    assert "absent" not in found


def test_a_record_that_is_not_helms_is_one_line() -> None:
    broken = secret("orders", 1, "deployed")
    broken["data"]["release"] = base64.b64encode(b"not base64 gzip").decode()
    with pytest.raises(ToolError, match=r"^Secret sh.helm.release.v1.orders.v1: not a Helm release record"):
        SecretRecords(Secrets(broken)).releases("prod", ["orders"])


def test_another_helm_storage_driver_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELM_DRIVER", "sql")
    with pytest.raises(
        Exception, match="HELM_DRIVER=sql: chartgen reads Helm's release records from Secrets"
    ):
        SecretRecords(Secrets())


CLEANS_UP = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, lambda *a: (print('cleaned up'), sys.exit(3)))\n"
    "print('ready', flush=True)\n"
    "time.sleep(30)\n"
)


def signal_soon(sig: int, after: float) -> None:
    threading.Timer(after, os.kill, (os.getpid(), sig)).start()


def test_a_signal_is_passed_to_the_program_and_waited_for() -> None:
    start = time.monotonic()
    with interrupts.forwarding():
        signal_soon(signal.SIGTERM, 0.5)
        done = run([sys.executable, "-c", CLEANS_UP], timeout=60, pass_signals=True)
        assert interrupts.received() == "SIGTERM"
    assert (done.returncode, done.stdout) == (3, "ready\ncleaned up\n")
    assert time.monotonic() - start < 10
    assert interrupts.received() == "" and not interrupts.active()  # the next deploy starts afresh


def test_a_second_signal_kills_the_program() -> None:
    stubborn = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(30)\n"
    start = time.monotonic()
    with interrupts.forwarding():
        signal_soon(signal.SIGINT, 0.5)
        signal_soon(signal.SIGINT, 1.0)
        done = run([sys.executable, "-c", stubborn], timeout=60, pass_signals=True)
    assert done.returncode == -signal.SIGKILL and time.monotonic() - start < 10


def test_a_read_is_never_interrupted() -> None:
    """What the cluster holds after an interrupt is read to the end, however often Ctrl-C comes."""
    reads = "import time\ntime.sleep(1.0)\nprint('read')\n"
    with interrupts.forwarding():
        signal_soon(signal.SIGINT, 0.2)
        signal_soon(signal.SIGINT, 0.4)
        done = run([sys.executable, "-c", reads], timeout=60)
    assert (done.returncode, done.stdout) == (0, "read\n")
