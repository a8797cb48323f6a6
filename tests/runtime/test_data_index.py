"""The platform's Data Index for real: built from Maven Central (data-index-service-postgresql,
SonataFlow's version), started by `chartgen run` beside a runtime whose profiles name one; the
runtime, built by `chartgen build` with the process events add-on, sends it its instances, and
`chartgen instances` shows each with the state it waits in."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from testing.repo import copy_examples, require, run_cli
from tests.runtime import helpers
from tests.runtime.helpers import ORDER, call, wait_for_output

pytestmark = pytest.mark.runtime

CHART = "order-approval"
IN_CLUSTER = "http://data-index.platform.svc.cluster.local"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, helm_binary: Path) -> Path:
    """The examples, every production profile sending events to the platform's Data Index;
    charts generated and order-approval's runtime built."""
    require("java", shutil.which("java") is not None)
    require("mvn", shutil.which("mvn") is not None)
    repo = copy_examples(tmp_path_factory.mktemp("data-index"))
    for env in ("prod", "staging"):
        profile = repo / "profiles" / f"{env}.yaml"
        profile.write_text(profile.read_text() + f'dataIndex: {{url: "{IN_CLUSTER}"}}\n')
    generated = run_cli("-C", str(repo), "generate")
    assert generated.code == 0, generated.err
    start = time.monotonic()
    built = run_cli("-C", str(repo), "build", "--chart", CHART)
    assert built.code == 0, built.out + built.err
    assert "kie-addons-quarkus-events-process" in (repo / "build" / CHART / "pom.xml").read_text()
    print(
        f"\n[runtime] chartgen build --chart {CHART} (with the events add-on): {time.monotonic() - start:.0f}s"
    )
    return repo


def _instances(repo: Path, url: str, *args: str) -> list[dict[str, object]]:
    shown = run_cli(
        "-C", str(repo), "--output", "json", "instances", "--env", "prod", "--data-index", url, *args
    )
    assert shown.code == 0, shown.out + shown.err
    found: list[dict[str, object]] = json.loads(shown.out)["result"]["instances"]
    return found


def test_an_instance_started_in_the_runtime_is_listed_with_the_state_it_waits_in(
    repo: Path, tmp_path: Path
) -> None:
    out, err = tmp_path / "out", tmp_path / "err"
    start = time.monotonic()
    process = helpers.chartgen_run(repo, CHART, "--env", "prod", out=out, err=err)
    try:
        url = wait_for_output(out, rf"{CHART} \(prod\) on (http://127\.0\.0\.1:\d+)", process, 400).group(1)
        index = wait_for_output(out, r"Data Index: (http://127\.0\.0\.1:\d+)", process, 5).group(1)
        print(
            f"\n[runtime] chartgen run with the Data Index and the Jobs Service: {time.monotonic() - start:.1f}s"
        )
        status, started, _ = call(url + f"/{CHART}", ORDER)
        assert status == 201, out.read_text()
        instance = started["id"]
        # The runtime sends its events when each transaction ends, the Data Index applies them
        # as they come: poll until it shows the instance where it waits.
        deadline = time.monotonic() + 30
        listed: dict[str, object] = {}
        while listed.get("waiting_in") != ["WaitForDecision"] and time.monotonic() < deadline:
            listed = next((i for i in _instances(repo, index) if i["id"] == instance), {})
            time.sleep(0.5)
        print(f"[runtime] the instance listed by chartgen instances after {time.monotonic() - start:.1f}s")
        assert (listed.get("workflow"), listed.get("status"), listed.get("waiting_in")) == (
            "order-approval",
            "active",
            ["WaitForDecision"],
        ), listed
        assert listed["version"] and listed["started"] and listed["updated"]
        waiting = _instances(repo, index, "--state", "WaitForDecision", "--status", "active")
        assert instance in [i["id"] for i in waiting]
        done = _instances(repo, index, "--status", "completed")
        assert instance not in [i["id"] for i in done]
        assert {i["workflow"] for i in done} <= {"notifyApprover"}  # the subflow it ran, ended
        text = run_cli("-C", str(repo), "instances", "--env", "prod", "--data-index", index).out
        assert f"{instance}  order-approval" in text and "WaitForDecision" in text
        helpers.interrupt(process, err)
    finally:
        helpers.kill_if_running(process)
    down = run_cli("-C", str(repo), "instances", "--env", "prod", "--data-index", index)
    assert down.code == 1 and f"the Data Index at {index} cannot be reached" in down.err
