"""`chartgen build` for real: Maven builds the runtime of every example production chart, and
the Containerfile copies exactly what the build made."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from tests.conftest import copy_examples, run_cli

pytestmark = pytest.mark.runtime

CHARTS = ("invoice-sync", "order-approval", "shipment-tracker")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("mvn") is None:
        if os.environ.get("CI"):
            pytest.fail("mvn is not installed: scripts/setup.sh must install Maven")
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
