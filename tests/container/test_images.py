"""The image and the pod for real: every example production chart's Containerfile, as
`chartgen build` writes it, built with podman (both stages; base images made here from Debian
packages under the FROM names), and `chartgen run --container` running the image as the chart's
pod runs it: its user, read-only root, no capabilities, mounts, probes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from chartgen.runtime.context import BUILD_IMAGE, RUNTIME_IMAGE
from chartgen.tools.podman import Podman
from testing.repo import copy_examples, require, run_cli
from tests.runtime import helpers
from tests.runtime.helpers import ORDER, call, wait_for_output

pytestmark = pytest.mark.container

CHARTS = ("invoice-sync", "order-approval", "shipment-tracker")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, helm_binary: Path) -> tuple[Path, dict[str, Any]]:
    """The examples generated, and every production chart built: Maven here and the image."""
    for program in ("podman", "mmdebstrap", "java", "mvn"):
        require(program, shutil.which(program) is not None)
    require("root (podman runs rootful here)", os.geteuid() == 0)
    repo = copy_examples(tmp_path_factory.mktemp("images"))
    assert run_cli("-C", str(repo), "generate").code == 0
    start = time.monotonic()
    result = run_cli("-C", str(repo), "--output", "json", "build", "--image")
    assert result.code == 0, result.out + result.err
    charts = {c["name"]: c for c in json.loads(result.out)["result"]["charts"]}
    print(
        f"\n[container] chartgen build --image (3 runtimes, the platform-free examples): {time.monotonic() - start:.0f}s"
    )
    for name, chart in sorted(charts.items()):
        image = chart["builtImage"]
        print(
            f"[container] {name}: image {image['tag']} {image['bytes'] / 1e6:.0f} MB in {image['seconds']:.0f}s"
        )
    return repo, charts


def test_every_example_image_builds_from_its_own_containerfile(built: tuple[Path, dict[str, Any]]) -> None:
    repo, charts = built
    assert sorted(charts) == sorted(CHARTS)
    podman = Podman.find()
    for name, chart in charts.items():
        containerfile = (repo / "build" / name / "Containerfile").read_text()
        assert f"FROM {BUILD_IMAGE} AS build" in containerfile and f"FROM {RUNTIME_IMAGE}" in containerfile
        assert chart["builtImage"]["tag"] == (repo / "build" / name / "image.txt").read_text().strip()
        assert podman.has_image(chart["builtImage"]["tag"])
        # the runtime stage holds the app the build stage made, owned by the pod's user
        listed = podman.checked(
            "run", "--rm", "--entrypoint=ls", chart["builtImage"]["tag"], "-ln", "/deployments"
        )
        assert "quarkus-run.jar" in listed and " 10001 10001 " in listed, listed


def _container(prefix: str) -> str:
    names = Podman.find().checked("ps", "--format", "{{.Names}}", "--filter", f"name={prefix}").split()
    assert len(names) == 1, names
    return names[0]


def test_the_image_runs_as_the_pod_runs_it(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    repo, _ = built
    out, err = tmp_path / "out", tmp_path / "err"
    start = time.monotonic()
    process = helpers.chartgen_run(repo, "order-approval", "--env", "prod", "--container", out=out, err=err)
    try:
        url = wait_for_output(
            out, r"order-approval \(prod\) on (http://127\.0\.0\.1:\d+)", process, 300
        ).group(1)
        print(
            f"\n[container] run --container: ready through the chart's startup probe in {time.monotonic() - start:.1f}s"
        )
        status, started, _ = call(url + "/order-approval", ORDER)
        assert status == 201, out.read_text() + err.read_text()
        assert call(f"{url}/order-approval/{started['id']}")[0] == 200  # waiting, kept in PostgreSQL
        name = _container("chartgen-order-approval-")
        podman = Podman.find()
        assert podman.checked("exec", name, "id", "-u").strip() == "10001"
        refused = podman("exec", name, "touch", "/deployments/written")
        assert not refused.ok and "Read-only file system" in refused.stderr
        assert podman("exec", name, "touch", "/tmp/written").ok  # the emptyDir
        capabilities = podman.checked("exec", name, "grep", "CapEff", "/proc/self/status")
        assert capabilities.split()[-1] == "0000000000000000"
        no_new = podman.checked("exec", name, "grep", "NoNewPrivs", "/proc/self/status")
        assert no_new.split()[-1] == "1"
        config = podman.checked("exec", name, "cat", "/deployments/config/application.properties")
        assert "kogito.service.url" in config or "quarkus" in config
        helpers.interrupt(process, err)
    finally:
        helpers.kill_if_running(process)
    leftover = subprocess.run(
        ["podman", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True
    )
    assert "chartgen-order-approval-" not in leftover.stdout
