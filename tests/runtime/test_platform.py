"""The platform chart's services for real: `chartgen build` builds the Jobs Service and the Data
Index from their Maven Central artifacts, and each built jar starts on PostgreSQL as the chart
runs it (its settings from the same table, the database login read as files); a job scheduled
in the Jobs Service fires, calls back, and its events reach the Data Index."""

from __future__ import annotations

import contextlib
import http.server
import json
import shutil
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, ClassVar

import pytest

from chartgen.plan.platform_services import DATA_INDEX, JOBS_SERVICE, object_name
from chartgen.runtime.platform import start_service
from chartgen.runtime.postgres import throwaway_postgres
from testing.repo import require, run_cli
from testing.variants import make_variant

pytestmark = pytest.mark.runtime

CHART = "acme-workflows-platform"


class _Callbacks(http.server.BaseHTTPRequestHandler):
    """What the Jobs Service calls when a job is due (a runtime's callback, here)."""

    received: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.received.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def test_the_platform_services_chartgen_builds_run_as_the_chart_runs_them(tmp_path: Path) -> None:
    require("java", shutil.which("java") is not None)
    require("mvn", shutil.which("mvn") is not None)
    repo = make_variant(tmp_path, "platform")
    assert run_cli("-C", str(repo), "generate").code == 0
    start = time.monotonic()
    built = run_cli("-C", str(repo), "build", "--chart", CHART)
    assert built.code == 0, built.out + built.err
    print(f"\n[runtime] chartgen build --chart {CHART}: {time.monotonic() - start:.0f}s")
    jars = {
        s: repo / "build" / object_name("acme-workflows", s) / "target/quarkus-app/quarkus-run.jar"
        for s in (JOBS_SERVICE, DATA_INDEX)
    }
    assert all(jar.is_file() for jar in jars.values()), built.out
    assert (repo / "build" / object_name("acme-workflows", JOBS_SERVICE) / "image.txt").read_text() == (
        "registry.example.com/acme/jobs-service:10.0.0\n"
    )
    callbacks = http.server.HTTPServer(("127.0.0.1", 0), _Callbacks)
    threading.Thread(target=callbacks.serve_forever, daemon=True).start()
    with contextlib.ExitStack() as stack:
        stack.callback(callbacks.server_close)
        stack.callback(callbacks.shutdown)
        db = stack.enter_context(throwaway_postgres())
        start = time.monotonic()
        index = start_service(DATA_INDEX, db, stack, app=jars[DATA_INDEX])
        jobs = start_service(JOBS_SERVICE, db, stack, data_index=index, app=jars[JOBS_SERVICE])
        print(f"[runtime] the built Data Index and Jobs Service ready in {time.monotonic() - start:.1f}s")
        due = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 2))
        callback = f"http://127.0.0.1:{callbacks.server_port}/timer"
        scheduled = _post(
            jobs + "/jobs", {"id": "nap-1", "expirationTime": due, "callbackEndpoint": callback}
        )
        assert scheduled["id"] == "nap-1"
        deadline, status = time.monotonic() + 30, None
        while time.monotonic() < deadline and status != "EXECUTED":
            time.sleep(0.5)
            listed = _post(index + "/graphql", {"query": "{ Jobs { id status } }"})["data"]["Jobs"]
            status = next((j["status"] for j in listed if j["id"] == "nap-1"), None)
        assert status == "EXECUTED", listed
        assert [p.split("?")[0] for p in _Callbacks.received] == ["/timer"]
