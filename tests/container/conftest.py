"""The container tier's shared fixture: the examples generated and every chart's image built
with podman (`chartgen build --image`), once for the tier."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from testing.repo import copy_examples, require, run_cli

DATA_INDEX_URL = "http://data-index.platform.svc.cluster.local"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, helm_binary: Path) -> tuple[Path, dict[str, Any]]:
    """The examples generated (sending instance events to a Data Index), and every chart's
    image built: each production chart's runtime (its Containerfile's two stages) and the dev
    chart's devmode image. (the copy, its charts by name)"""
    for program in ("podman", "mmdebstrap", "java", "mvn"):
        require(program, shutil.which(program) is not None)
    require("root (podman runs rootful here)", os.geteuid() == 0)
    repo = copy_examples(tmp_path_factory.mktemp("images"))
    # the runtimes send their instances to a Data Index (every production profile, or none):
    # `run` starts one beside them
    for env in ("prod", "staging"):
        profile = repo / "profiles" / f"{env}.yaml"
        profile.write_text(profile.read_text() + f'dataIndex: {{url: "{DATA_INDEX_URL}"}}\n')
    assert run_cli("-C", str(repo), "generate").code == 0
    start = time.monotonic()
    # the Containerfiles run their own Maven build: none here (--no-package)
    result = run_cli("-C", str(repo), "--output", "json", "build", "--image", "--no-package")
    assert result.code == 0, result.out + result.err
    charts = {c["name"]: c for c in json.loads(result.out)["result"]["charts"]}
    print(
        f"\n[container] chartgen build --image (the examples' 3 runtimes and the devmode image): "
        f"{time.monotonic() - start:.0f}s"
    )
    for name, chart in sorted(charts.items()):
        image = chart["builtImage"]
        print(
            f"[container] {name}: image {image['tag']} {image['bytes'] / 1e6:.0f} MB in {image['seconds']:.0f}s"
        )
    return repo, charts
