"""`chartgen run` for real: order-approval's runtime, built by `chartgen build`, run as its
prod environment's Deployment says, against PostgreSQL, on 127.0.0.1."""

from __future__ import annotations

import copy
import os
import re
import signal
import socket
import time
import urllib.error
from pathlib import Path
from typing import Any

import pytest

from chartgen.flows.run import render_environment
from chartgen.runtime.local import start_runtime
from chartgen.runtime.postgres import Database, ensure_database, psql, throwaway_postgres
from chartgen.runtime.running import RuntimeFailed
from tests.runtime.helpers import ORDER, call, chartgen_run, interrupt, kill_if_running, wait_for_output

pytestmark = pytest.mark.runtime

APP = "build/order-approval/target/quarkus-app/quarkus-run.jar"


def objects_of(repo: Path) -> list[dict[str, Any]]:
    objects, name = render_environment(repo / "charts/order-approval", "prod", "1.34")
    assert name == "order-approval"
    return objects


def _config_map(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(o for o in objects if o.get("kind") == "ConfigMap" and o["metadata"]["name"] == name)


def _container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = next(o for o in objects if o.get("kind") == "Deployment")
    container: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


def test_a_waiting_instance_survives_kill_9_and_a_restart_on_the_same_database(order_approval: Path) -> None:
    objects = objects_of(order_approval)
    # The mounted config ConfigMap is what the runtime reads (./config/application.properties):
    # a header set only there must be on its answers.
    config = _config_map(objects, "order-approval-config")
    config["data"]["application.properties"] += 'quarkus.http.header."X-Chartgen-Config".value=mounted\n'
    app = order_approval / APP
    with throwaway_postgres() as server:
        ensure_database(server, "workflows")
        db = server.with_database("workflows")
        start = time.monotonic()
        first = start_runtime(objects, app, prefer="order-approval", database=db)
        print(f"\n[runtime] order-approval (prod) ready in {time.monotonic() - start:.1f}s at {first.url}")
        try:
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+", first.url)
            status, started, headers = call(first.url + "/order-approval", ORDER)
            assert status == 201, first.logs(30)
            assert headers.get("X-Chartgen-Config") == "mounted"
            instance = started["id"]
            assert call(f"{first.url}/order-approval/{instance}")[0] == 200
        finally:
            assert first.stop(kill=True) == -signal.SIGKILL
        start = time.monotonic()
        second = start_runtime(objects, app, prefer="order-approval", database=db)
        print(f"[runtime] restarted after kill -9 in {time.monotonic() - start:.1f}s")
        try:
            status, waiting, _ = call(f"{second.url}/order-approval/{instance}")
            assert status == 200, second.logs(30)
            assert waiting["workflowdata"]["orderId"] == "o-1"
            assert "started in" in second.logs()
        finally:
            second.stop()
        assert not second.root.exists()


def test_the_database_login_is_read_from_the_credential_files(order_approval: Path) -> None:
    """The chart gives the database user and password as files of its Secret volume, never as
    variables: a role that exists only under that name, whose password the server checks
    (scram-sha-256, not the throwaway server's trust), is the one that logs in and owns the
    tables, and the runtime's environment holds neither."""
    objects = objects_of(order_approval)
    pod = next(o for o in objects if o.get("kind") == "Deployment")["spec"]["template"]["spec"]
    [volume] = [v for v in pod["volumes"] if v["name"] == "credentials"]
    items = [
        i for source in volume["projected"]["sources"] for i in source.get("secret", {}).get("items", [])
    ]
    assert {"QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD"} <= {i["path"] for i in items}
    assert not [e for e in _container(objects)["env"] if e["name"].startswith("QUARKUS_DATASOURCE_U")]
    role, password = "app_from_file", f"pw-Sentinel-{os.getpid()}-{time.monotonic_ns()}"
    with throwaway_postgres() as server:
        ensure_database(server, "workflows")
        admin = server.with_database("workflows")
        for sql in (
            f"CREATE ROLE {role} LOGIN PASSWORD '{password}'",
            f"ALTER DATABASE workflows OWNER TO {role}",
            f"CREATE SCHEMA order_approval AUTHORIZATION {role}",
        ):
            assert psql(admin, sql).returncode == 0, sql
        hba = Path(psql(admin, "SHOW hba_file").stdout.strip())
        hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        assert psql(admin, "SELECT pg_reload_conf()").returncode == 0
        wrong = Database(server.host, server.port, role, "not-the-password", "workflows")
        assert psql(wrong, "SELECT 1").returncode != 0  # the server does check the password
        app = Database(server.host, server.port, role, password, "workflows")
        running = start_runtime(objects, order_approval / APP, prefer="order-approval", database=app)
        try:
            environ = Path(f"/proc/{running.process.pid}/environ").read_bytes()
            assert password.encode() not in environ and role.encode() not in environ
            status, _, _ = call(running.url + "/order-approval", ORDER)
            assert status == 201, running.logs(30)
            owners = psql(
                admin, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'order_approval'"
            )
        finally:
            running.stop()
    assert owners.stdout.split() == [role], owners.stdout


def test_a_runtime_that_never_becomes_ready_shows_its_last_log_lines_with_secrets_masked(
    order_approval: Path,
) -> None:
    objects = copy.deepcopy(objects_of(order_approval))
    # A secret value Quarkus rejects, and so prints, at start.
    _container(objects)["env"].append(
        {"name": "QUARKUS_HTTP_IDLE_TIMEOUT", "valueFrom": {"secretKeyRef": {"name": "s", "key": "idle"}}}
    )
    secrets = {"idle": "Hidden-Secret-Value-42", "db_password": "pw-Hidden-7"}
    start = time.monotonic()
    with pytest.raises(RuntimeFailed) as failed:
        start_runtime(objects, order_approval / APP, prefer="order-approval", secrets=secrets)
    print(f"\n[runtime] a failing start reported in {time.monotonic() - start:.1f}s")
    tail = failed.value.log_tail
    assert 0 < len(tail) <= 30
    text = str(failed.value)
    assert "exited with" in failed.value.problem
    assert "Hidden-Secret-Value-42" not in text and "pw-Hidden-7" not in text
    assert "***" in text, text


def test_chartgen_run_serves_the_chart_until_interrupted(order_approval: Path, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text("db_username=app\ndb_password=pw-Never-Printed-1\n")
    out, err = tmp_path / "out", tmp_path / "err"
    start = time.monotonic()
    process = chartgen_run(
        order_approval, "order-approval", "--env", "prod", "--secrets", str(secrets), out=out, err=err
    )
    try:
        found = wait_for_output(out, r"order-approval \(prod\) on (http://127\.0\.0\.1:\d+)", process, 300)
        print(f"\n[runtime] chartgen run: URL printed after {time.monotonic() - start:.1f}s")
        url = found.group(1)
        assert call(url + "/q/health/ready")[0] == 200
        assert call(url + "/order-approval", ORDER)[0] == 201
        assert "throwaway postgresql://chartgen@127.0.0.1:" in out.read_text()
        interrupt(process, err)
    finally:
        kill_if_running(process)
    text = out.read_text() + err.read_text()
    assert "order-approval (prod): stopped" in text
    assert "pw-Never-Printed-1" not in text
    with pytest.raises(urllib.error.URLError):
        call(url + "/q/health/live", timeout=5)


def test_chartgen_run_reports_a_runtime_that_exits_with_its_log_lines_and_exit_1(
    order_approval: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.jar"
    broken.write_text("not a jar")
    out, err = tmp_path / "out", tmp_path / "err"
    process = chartgen_run(
        order_approval, "order-approval", "--env", "prod", "--app", str(broken), out=out, err=err
    )
    assert process.wait(120) == 1
    stderr = err.read_text()
    assert "order-approval (prod) exited with 1" in stderr
    assert "its last log lines:" in stderr and "  | " in stderr


def test_chartgen_run_names_what_is_missing(order_approval: Path) -> None:
    from testing.repo import run_cli

    no_env = run_cli("-C", str(order_approval), "run", "order-approval")
    assert no_env.code == 1 and "--env is required (environments: prod, staging)" in no_env.err
    unknown = run_cli("-C", str(order_approval), "run", "nope", "--env", "prod")
    assert unknown.code == 1 and "no chart of that name" in unknown.err
    no_app = run_cli(
        "-C", str(order_approval), "run", "order-approval", "--env", "prod", "--app", "missing.jar"
    )
    assert no_app.code == 1 and "no runtime app at missing.jar: build it first" in no_app.err


@pytest.mark.parametrize("kill", ["the process", "its process group"])
def test_what_chartgen_run_started_ends_when_it_is_killed(
    order_approval: Path, tmp_path: Path, kill: str
) -> None:
    """SIGKILL (an out-of-memory kill, a cancelled CI job) gives chartgen no chance to stop its
    runtime, Jobs Service and PostgreSQL, which run in sessions of their own: they end anyway."""
    out, err = tmp_path / "out", tmp_path / "err"
    process = chartgen_run(order_approval, "order-approval", "--env", "prod", out=out, err=err, session=True)
    try:
        url = wait_for_output(
            out, r"order-approval \(prod\) on (http://127\.0\.0\.1:\d+)", process, 300
        ).group(1)
        database = int(wait_for_output(out, r"postgresql://chartgen@127\.0\.0\.1:(\d+)", process, 5).group(1))
        assert call(url + "/q/health/ready")[0] == 200
        if kill == "the process":
            os.kill(process.pid, signal.SIGKILL)
        else:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (listening(url) or listening(f"http://127.0.0.1:{database}")):
            time.sleep(0.5)
        assert not listening(url), "the runtime outlived chartgen run"
        assert not listening(f"http://127.0.0.1:{database}"), "PostgreSQL outlived chartgen run"
    finally:
        kill_if_running(process)


def listening(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex((host, int(port.split("/")[0]))) == 0
