"""Timers for real: a workflow that sleeps (tests/runtime/projects/nap), its chart generated and
its runtime built by chartgen; the timers go to the Jobs Service (built from Maven Central and run
here, as the platform runs it in the cluster).

- prod (one replica): the runtime is killed with kill -9 mid-sleep and started again (on the same
  address, as the Service keeps it): the timer still fires.
- ha (two replicas): both replicas are ready, and a timer set in one fires; and behind one
  Service address (as the Jobs Service calls a chart back), a timer set in a replica killed
  with kill -9 fires in the other, which resumes the instance from the shared database."""

from __future__ import annotations

import contextlib
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chartgen.flows.run import render_environment
from chartgen.plan.platform_services import JOBS_SERVICE
from chartgen.runtime.local import start_runtime
from chartgen.runtime.platform import start_service
from chartgen.runtime.postgres import Database, ensure_database, psql, throwaway_postgres
from chartgen.runtime.running import RunningRuntime
from testing.repo import require, run_cli
from testing.service_proxy import service_proxy
from tests.runtime.fixtures_events import wait_until
from tests.runtime.helpers import call

pytestmark = pytest.mark.runtime

PROJECT = Path(__file__).parent / "projects" / "nap"
APP = "build/nap/target/quarkus-app/quarkus-run.jar"
SLEEP = 12  # the workflow's sleep, PT12S


@pytest.fixture(scope="module")
def nap(tmp_path_factory: pytest.TempPathFactory, helm_binary: Path, postgres_programs: None) -> Path:
    require("java", shutil.which("java") is not None)
    require("mvn", shutil.which("mvn") is not None)
    repo = tmp_path_factory.mktemp("timers") / "nap"
    shutil.copytree(PROJECT, repo)
    assert run_cli("-C", str(repo), "generate").code == 0
    start = time.monotonic()
    result = run_cli("-C", str(repo), "build")
    print(f"\n[runtime] chartgen build --chart nap: {time.monotonic() - start:.0f}s")
    assert result.code == 0, result.out + result.err
    assert "kogito-addons-quarkus-jobs-management: timers (workflow 'nap'" in result.out
    return repo


def _objects(repo: Path, env: str) -> list[dict[str, Any]]:
    objects, _ = render_environment(repo / "charts/nap", env, "1.34")
    return objects


def _env(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    deployment = next(o for o in objects if o.get("kind") == "Deployment")
    env: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    return env


def _start(
    objects: list[dict[str, Any]],
    repo: Path,
    db: Database,
    jobs: str,
    what: str,
    port: int | None = None,
    service_url: str | None = None,
) -> RunningRuntime:
    start = time.monotonic()
    running = start_runtime(
        objects, repo / APP, prefer="nap", database=db, jobs_service=jobs, port=port, service_url=service_url
    )
    print(f"[runtime] nap {what} ready in {time.monotonic() - start:.1f}s")
    return running


@contextlib.contextmanager
def _platform() -> Iterator[tuple[Database, str]]:
    """A database and a Jobs Service on it (schema jobs_service), as the platform provides."""
    with throwaway_postgres() as server, contextlib.ExitStack() as stack:
        ensure_database(server, "workflows")
        db = server.with_database("workflows")
        start = time.monotonic()
        url = start_service(JOBS_SERVICE, db, stack)
        print(f"[runtime] the Jobs Service ready in {time.monotonic() - start:.1f}s")
        yield db, url


def _count(db: Database, table: str) -> int:
    done = psql(db, f"SELECT count(*) FROM {table}")
    assert done.ok, done.stderr
    return int(done.stdout.strip())


def _wait_done(running: RunningRuntime, instance: str, within: float) -> float:
    """Seconds until the instance completed (GET answers 404), or fail with the runtime's log."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        status = call(f"{running.url}/nap/{instance}")[0]
        if status == 404:
            return time.monotonic() - start
        assert status == 200, running.logs(30)
        time.sleep(0.5)
    pytest.fail(f"instance {instance} still sleeping after {within:.0f}s:\n{running.logs(30)}")


def test_a_timer_fires_after_the_runtime_is_killed_mid_sleep_and_restarted(nap: Path) -> None:
    objects = _objects(nap, "prod")
    assert any(e["name"] == "KOGITO_JOBS_SERVICE_URL" for e in _env(objects))
    with _platform() as (db, jobs):
        first = _start(objects, nap, db, jobs, "(prod)")
        port = int(first.url.rsplit(":", 1)[1])
        try:
            status, started, _ = call(f"{first.url}/nap", {})
            assert status == 201, first.logs(30)
            instance = started["id"]
            # The runtime hands the timer to the Jobs Service after answering 201.
            assert wait_until(lambda: _count(db, "jobs_service.job_details") == 1, 8), first.logs(30)
            assert call(f"{first.url}/nap/{instance}")[0] == 200  # asleep
        finally:
            assert first.stop(kill=True) == -signal.SIGKILL
        killed_at = time.monotonic()
        second = _start(objects, nap, db, jobs, "(prod, after kill -9)", port=port)
        try:
            done = _wait_done(second, instance, within=SLEEP + 30)
            print(
                f"[runtime] timer fired {time.monotonic() - killed_at:.1f}s after the kill "
                f"({done:.1f}s after the restart)"
            )
            # The Jobs Service deletes the job once the runtime has answered its callback: a moment
            # after the instance itself completed.
            assert wait_until(lambda: _count(db, "jobs_service.job_details") == 0, 10)
        finally:
            second.stop()


def test_two_replicas_are_ready_and_a_timer_set_in_one_fires(nap: Path) -> None:
    objects = _objects(nap, "ha")
    with contextlib.ExitStack() as stack:
        db, jobs = stack.enter_context(_platform())
        a = stack.enter_context(_start(objects, nap, db, jobs, "(ha, a)"))
        b = stack.enter_context(_start(objects, nap, db, jobs, "(ha, b)"))
        for replica in (a, b):
            assert call(f"{replica.url}/q/health/ready")[0] == 200, replica.logs(30)
        status, started, _ = call(f"{b.url}/nap", {})
        assert status == 201, b.logs(30)
        instance = started["id"]
        done = _wait_done(a, instance, within=SLEEP + 30)  # a reads what b's timer resumed
        print(f"[runtime] ha: the timer set in b fired; a saw it done {done:.1f}s later")


def test_a_timer_set_in_a_killed_replica_fires_in_the_other(nap: Path) -> None:
    objects = _objects(nap, "ha")
    with contextlib.ExitStack() as stack:
        db, jobs = stack.enter_context(_platform())
        service = stack.enter_context(service_proxy())  # the chart's Service: every replica behind it
        a = stack.enter_context(_start(objects, nap, db, jobs, "(ha, a)", service_url=service.url))
        b = _start(objects, nap, db, jobs, "(ha, b)", service_url=service.url)
        a_port, b_port = (int(r.url.rsplit(":", 1)[1]) for r in (a, b))
        service.backends = [b_port, a_port]  # b first: only its death sends the callback to a
        try:
            status, started, _ = call(f"{b.url}/nap", {})
            assert status == 201, b.logs(30)
            instance = started["id"]
            assert wait_until(lambda: _count(db, "jobs_service.job_details") == 1, 8), b.logs(30)
        finally:
            assert b.stop(kill=True) == -signal.SIGKILL
        killed_at = time.monotonic()
        done = _wait_done(a, instance, within=SLEEP + 30)
        assert service.served[a_port] >= 1 and service.served[b_port] == 0, service.served
        print(
            f"[runtime] ha: b killed mid-sleep; its timer fired in a {time.monotonic() - killed_at:.1f}s "
            f"later (a saw the instance done {done:.1f}s after the kill)"
        )
        assert wait_until(lambda: _count(db, "jobs_service.job_details") == 0, 10)
