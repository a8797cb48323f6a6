"""A sample of real public projects (tests/corpus) built and run: production
charts generated with the examples' profiles, their runtimes built by `chartgen build`, and each
started from its prod configuration alone answers its probes. A chart the runtime cannot build
(here: one whose build needs the internet) is reported with the build's own message while the
others are built."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from chartgen.flows.run import render_environment
from chartgen.runtime.local import start_runtime
from testing.repo import REPO, require, run_cli
from tests.helm.test_corpus import CORPUS
from tests.runtime.helpers import call

pytestmark = pytest.mark.runtime

PROJECT = "rhdhorchestrator__orchestrator-demo"
# Plain REST, Knative events in and out, an OAuth2-secured OpenAPI spec.
BUILDS = ("wf-01-basic-flat", "wf-07-knative-events", "wf-09-token-propagation")
# Its build fetches specs from raw.githubusercontent.com (validate warns so): without internet,
# as on this machine, the build fails with Maven's own line, and build reports it.
NEEDS_NETWORK = ("wf-02-advanced", "raw.githubusercontent.com")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, helm_binary: Path, postgres_programs: None) -> Path:
    require("java", shutil.which("java") is not None)
    require("mvn", shutil.which("mvn") is not None)
    root = tmp_path_factory.mktemp("corpus-runtimes")
    generated = run_cli(
        "generate",
        *("--workflows", str(CORPUS / PROJECT), "--profiles", str(REPO / "examples/profiles")),
        *("--out", str(root / "charts"), "--name", "corpus"),
        *("--exclude", "08_kafka_events"),  # Kafka channels: validate refuses them, as the build does
    )
    assert generated.code == 0, generated.err
    start = time.monotonic()
    charts = [arg for chart in (*BUILDS, NEEDS_NETWORK[0]) for arg in ("--chart", chart)]
    result = run_cli("build", "--charts", str(root / "charts"), "--out", str(root / "build"), *charts)
    print(f"\n[runtime] chartgen build of {len(BUILDS) + 1} corpus charts: {time.monotonic() - start:.0f}s")
    for chart in BUILDS:
        assert f"✔ {chart}: " in result.out, result.out
    if result.code == 1:  # no internet: the one that fetches does not build, the others do
        assert f"✖ {NEEDS_NETWORK[0]}: the runtime does not build" in result.out, result.out
        assert NEEDS_NETWORK[1] in result.out
    else:
        assert result.code == 0 and f"✔ {NEEDS_NETWORK[0]}: " in result.out, result.out + result.err
    assert "quarkus-oidc-client-filter: OAuth2 security of specs/sample-server.yaml" in result.out
    return root


@pytest.mark.parametrize("chart", BUILDS)
def test_a_corpus_runtime_answers_its_charts_probes(built: Path, chart: str) -> None:
    objects, _ = render_environment(built / "charts" / chart, "prod", "1.34")
    deployment = next(o for o in objects if o.get("kind") == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    paths = [container[f"{kind}Probe"]["httpGet"]["path"] for kind in ("startup", "liveness", "readiness")]
    start = time.monotonic()
    app = built / "build" / chart / "target/quarkus-app/quarkus-run.jar"
    with start_runtime(objects, app, prefer=chart) as runtime:
        print(f"\n[runtime] {chart} (prod) ready in {time.monotonic() - start:.1f}s")
        for path in paths:
            assert call(runtime.url + path)[0] == 200, f"{chart}: {path}\n{runtime.logs(20)}"
