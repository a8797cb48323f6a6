from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.errors import ToolError
from chartgen.tools.helm import Helm
from chartgen.tools.locate import find_tool
from testing.registry import Registry, running_registry
from testing.repo import Render, run_cli
from testing.variants import VARIANTS, make_variant


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory, helm_binary: Path) -> Iterator[Registry]:
    try:
        binary = find_tool("registry")
    except ToolError:
        if os.environ.get("CI"):
            pytest.fail("the registry binary is missing: scripts/toolchain.sh must run first")
        pytest.skip("the CNCF distribution registry is not built (run scripts/toolchain.sh registry)")
    with running_registry(binary, tmp_path_factory.mktemp("registry")) as running:
        yield running


@pytest.fixture(scope="session")
def variant_charts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Generated charts of examples/ for every secrets provider and runtime."""
    root = tmp_path_factory.mktemp("variants")
    charts = {}
    for name in VARIANTS:
        repo = make_variant(root, name)
        result = run_cli("-C", str(repo), "generate")
        assert result.code == 0, result.err
        charts[name] = repo / "charts"
    return charts


@pytest.fixture(scope="session")
def render(helm_binary: Path) -> Render:
    """Objects `helm template` renders for a chart and values files (and --set pairs)."""
    helm = Helm(helm_binary)

    def run(
        chart: Path, *values: str, sets: tuple[str, ...] = (), ok: bool = True, namespace: str = "workflows"
    ) -> list[dict[str, Any]]:
        result = helm.template(chart.name, chart, [chart / v for v in values], "1.34", namespace, sets)
        if not ok:
            assert not result.ok
            return [{"error": result.stderr}]
        assert result.ok, result.stderr
        return [d for d in yaml.safe_load_all(result.stdout) if d]

    return run
