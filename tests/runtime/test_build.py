"""`chartgen build` for real: Maven builds the runtime of every example production chart, and
the Containerfile copies exactly what the build made."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from chartgen.flows.run import render_environment
from chartgen.runtime.local import start_runtime
from testing.repo import copy_examples, run_cli
from tests.runtime.helpers import call

pytestmark = pytest.mark.runtime

CHARTS = ("invoice-sync", "order-approval", "shipment-tracker")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("mvn") is None:
        if os.environ.get("CI"):
            pytest.fail("mvn is not installed: scripts/test.sh runtime installs Maven")
        pytest.skip("mvn is not installed")
    repo = copy_examples(tmp_path_factory.mktemp("build"))
    assert run_cli("-C", str(repo), "generate").code == 0
    start = time.monotonic()
    result = run_cli("-C", str(repo), "build")
    print(f"\n[runtime] chartgen build of {len(CHARTS)} charts: {time.monotonic() - start:.0f}s")
    print(result.out)
    assert result.code == 0, result.out + result.err
    return repo / "build"


@pytest.mark.parametrize("chart", CHARTS)
def test_every_example_runtime_builds_and_the_containerfile_copies_its_output(
    built: Path, chart: str
) -> None:
    context = built / chart
    assert (context / "target/quarkus-app/quarkus-run.jar").is_file()
    parser = DockerfileParser(fileobj=None)
    parser.content = (context / "Containerfile").read_text()
    for step in parser.structure:
        if step["instruction"] == "COPY" and "--from=build" in step["value"]:
            source = step["value"].split()[-2].removeprefix("/build/")
            assert (context / source).exists(), (
                f"{chart}: the Containerfile copies {source}, Maven made no such path"
            )


@pytest.mark.parametrize("chart", CHARTS)
def test_every_example_runtime_answers_its_charts_probes(built: Path, chart: str) -> None:
    """Started from its prod configuration alone (test values for its Secret keys, a throwaway
    PostgreSQL and Jobs Service when it needs them), on the chart's port: every probe's path
    answers 200."""
    objects, _ = render_environment(built.parent / "charts" / chart, "prod", "1.34")
    deployment = next(o for o in objects if o.get("kind") == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    port = {p["name"]: p["containerPort"] for p in container["ports"]}
    probes = {kind: container[f"{kind}Probe"]["httpGet"] for kind in ("startup", "liveness", "readiness")}
    assert all(p["port"] in ("http", port["http"]) for p in probes.values())
    start = time.monotonic()
    with start_runtime(
        objects, built / chart / "target/quarkus-app/quarkus-run.jar", prefer=chart
    ) as runtime:
        print(f"\n[runtime] {chart} (prod) ready in {time.monotonic() - start:.1f}s")
        for kind, probe in probes.items():
            status = call(runtime.url + probe["path"])[0]
            assert status == 200, (
                f"{chart}: {kind} probe {probe['path']} answered {status}\n{runtime.logs(20)}"
            )
