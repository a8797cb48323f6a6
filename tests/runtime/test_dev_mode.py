"""Dev mode for real: the examples' dev chart (acme-workflows-dev) run as its devmode pod runs
it, `mvn quarkus:dev` on a project whose resources folder holds the chart's projected files.

Hot deploy: files projected into that folder as `chartgen dev sync` + the kubelet would (the
`..data` swap) are served without a restart of the JVM. Ephemeral, as the dev chart says:
nothing is persisted, so a restart (and a hot reload) loses every instance."""

from __future__ import annotations

import copy
import shutil
import time
import urllib.error
from pathlib import Path
from typing import Any

import pytest

from chartgen.flows.run import render_environment
from chartgen.runtime.devmode import RunningDevmode, start_devmode
from chartgen.runtime.running import RuntimeFailed
from testing.repo import copy_examples, require, run_cli
from tests.runtime import helpers
from tests.runtime.helpers import ORDER, wait_for_output

pytestmark = pytest.mark.runtime

CHART = "acme-workflows-dev"


def greeter(workflow_id: str, greeting: str) -> bytes:
    return (
        f'id: {workflow_id}\nversion: "1.0"\nspecVersion: "0.8"\nname: Greeter\nstart: Greet\n'
        f"states:\n  - name: Greet\n    type: inject\n    data:\n      greeting: {greeting}\n    end: true\n"
    ).encode()


def call(url: str, body: Any = None, timeout: float = 60) -> tuple[int, Any]:
    """(status, JSON answer): dev mode compiles on the request after a change, hence 60 s."""
    status, answer, _ = helpers.call(url, body, timeout)
    return status, answer


def until(url: str, body: Any, wanted: Any, timeout: float = 120) -> tuple[float, Any]:
    """(seconds until POST `url` answers 201 with workflowdata `wanted`, that answer)."""
    start = time.monotonic()
    answer: Any = None
    while time.monotonic() - start < timeout:
        status, answer = call(url, body)
        if status == 201 and answer["workflowdata"] == wanted:
            return time.monotonic() - start, answer
        time.sleep(0.5)  # Quarkus checks for changed files at most every 2 s, on a request
    pytest.fail(f"POST {url} never answered 201 with {wanted}; last answer: {answer}")


@pytest.fixture(scope="module")
def dev_repo(tmp_path_factory: pytest.TempPathFactory, helm_binary: Path) -> Path:
    require("java", shutil.which("java") is not None)
    require("mvn", shutil.which("mvn") is not None)
    repo = copy_examples(tmp_path_factory.mktemp("dev"))
    assert run_cli("-C", str(repo), "generate").code == 0
    return repo


@pytest.fixture(scope="module")
def objects(dev_repo: Path) -> list[dict[str, Any]]:
    objects, name = render_environment(dev_repo / "charts" / CHART, None, "1.34", dev=True)
    assert name == CHART
    return objects


def start(objects: list[dict[str, Any]], what: str) -> RunningDevmode:
    began = time.monotonic()
    running = start_devmode(objects, label=CHART, name=CHART)
    print(f"\n[runtime] {what}: ready in {time.monotonic() - began:.1f}s (offline: {running.offline})")
    return running


def probe_paths(objects: list[dict[str, Any]]) -> list[str]:
    deployment = next(o for o in objects if o.get("kind") == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return [container[p]["httpGet"]["path"] for p in ("startupProbe", "livenessProbe", "readinessProbe")]


def test_a_workflow_added_or_edited_in_the_folder_is_served_without_a_restart(
    objects: list[dict[str, Any]],
) -> None:
    running = start(objects, "dev mode (acme-workflows-dev)")
    try:
        for path in probe_paths(objects):
            assert call(running.url + path)[0] == 200, (path, running.logs(30))
        jvm = running.pid
        assert jvm != running.process.pid  # the app's own JVM, forked by Maven
        status, waiting = call(running.url + "/order-approval", ORDER)
        assert status == 201, running.logs(30)
        assert call(f"{running.url}/hello/x")[0] == 404  # not deployed yet

        # dev sync updates the ConfigMaps; the kubelet swaps the projected folder's ..data
        files = running.projected()
        assert "order-approval.sw.yaml" in files and "specs/billing-openapi.yaml" in files
        running.update({**files, "hello.sw.yaml": greeter("hello", "hello")})
        seconds, _ = until(running.url + "/hello", {}, {"greeting": "hello"})
        print(f"[runtime] dev mode: a new workflow served {seconds:.1f}s after it was projected")
        assert running.pid == jvm, "hot reload restarted the JVM"
        assert "Restarting quarkus due to changes in" in running.logs()

        running.update({**files, "hello.sw.yaml": greeter("hello", "bonjour")})
        seconds, _ = until(running.url + "/hello", {}, {"greeting": "bonjour"})
        print(f"[runtime] dev mode: an edited workflow's change served after {seconds:.1f}s")
        assert running.pid == jvm

        # Documented: a hot reload restarts the app in the JVM; instances are in its memory.
        assert call(f"{running.url}/order-approval/{waiting['id']}")[0] == 404
        assert call(running.url + "/order-approval")[0] == 200
    finally:
        running.stop()
    assert not running.root.exists()


def test_a_waiting_instance_is_gone_after_a_restart_as_the_dev_chart_accepts(
    objects: list[dict[str, Any]],
) -> None:
    first = start(objects, "dev mode, first start")
    try:
        status, started = call(first.url + "/order-approval", ORDER)
        assert status == 201, first.logs(30)
        status, waiting = call(f"{first.url}/order-approval/{started['id']}")
        assert status == 200 and waiting["workflowdata"]["orderId"] == "o-1"  # waits for its event
    finally:
        first.stop()
    second = start(objects, "dev mode, restarted")
    try:
        assert call(f"{second.url}/order-approval/{started['id']}")[0] == 404
        assert call(second.url + "/order-approval", ORDER)[0] == 201  # the workflow itself is served
    finally:
        second.stop()


def test_a_workflow_the_runtime_cannot_build_is_reported_at_once_with_its_log_lines(
    objects: list[dict[str, Any]],
) -> None:
    broken = copy.deepcopy(objects)
    root = next(
        o for o in broken if o.get("kind") == "ConfigMap" and o["metadata"]["name"].endswith("-root-0")
    )
    root["data"]["broken.sw.yaml"] = "id: broken\nspecVersion: '0.8'\nstart: Missing\nstates: []\n"
    began = time.monotonic()
    with pytest.raises(RuntimeFailed) as failed:
        start_devmode(broken, label=CHART, name=CHART)
    seconds = time.monotonic() - began
    print(f"\n[runtime] dev mode: a broken workflow reported after {seconds:.1f}s")
    assert failed.value.problem.startswith(f"{CHART} failed to start (Failed to start quarkus")
    assert 0 < len(failed.value.log_tail) <= 30
    assert seconds < 200  # not the startup probe's allowance (300 s)


def test_chartgen_run_serves_the_dev_chart_and_hot_reloads_a_file_dropped_into_its_folder(
    dev_repo: Path, tmp_path: Path
) -> None:
    out, err = tmp_path / "out", tmp_path / "err"
    began = time.monotonic()
    process = helpers.chartgen_run(dev_repo, CHART, out=out, err=err)
    try:
        url = wait_for_output(out, rf"{CHART} \(dev mode\) on (http://127\.0\.0\.1:\d+)", process, 400).group(
            1
        )
        print(f"\n[runtime] chartgen run {CHART}: URL printed after {time.monotonic() - began:.1f}s")
        folder = Path(wait_for_output(out, r"drop workflow files into (\S+) ", process, 10).group(1))
        assert folder.name == "resources" and (folder / "order-approval.sw.yaml").is_file()
        (folder / "dropped.sw.yaml").write_bytes(greeter("dropped", "dropped"))
        seconds, _ = until(url + "/dropped", {}, {"greeting": "dropped"})
        print(f"[runtime] chartgen run {CHART}: a dropped workflow served after {seconds:.1f}s")
        helpers.interrupt(process, err)
    finally:
        helpers.kill_if_running(process)
    assert f"{CHART} (dev mode): stopped" in out.read_text()
    assert not folder.exists()
    with pytest.raises(urllib.error.URLError):
        helpers.call(url + "/q/health/live", timeout=5)


def test_chartgen_run_on_the_dev_chart_names_what_is_wrong_in_one_line(
    dev_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for args, message in (
        (["--app", "x.jar"], "--app: a dev chart runs its files in dev mode, with no built app or database"),
        (["--env", "prod"], f"{CHART}: no environment prod (a dev chart has one: dev)"),
    ):
        result = run_cli("-C", str(dev_repo), "run", CHART, *args)
        assert result.code == 1 and message in result.err, result.err
        assert "Traceback" not in result.err
    missing = run_cli("-C", str(dev_repo), "run", "acme-workflows-qa")
    assert missing.code == 1 and "acme-workflows-qa: no chart of that name" in missing.err
    monkeypatch.setattr("chartgen.runtime.devmode.shutil.which", lambda _name: None)
    no_mvn = run_cli("-C", str(dev_repo), "run", CHART)
    assert no_mvn.code == 1 and "mvn is not installed" in no_mvn.err, no_mvn.err
    assert len(no_mvn.err.strip().splitlines()) == 1 and "Traceback" not in no_mvn.err
