"""Golden charts: the whole generated tree of examples/, for every secrets provider and
runtime, byte for byte; then real helm, strict schemas and the CRDs on them.

After an intended change: pytest tests/helm/test_golden.py --update-golden, then review the diff.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from testing.trees import snapshot
from testing.variants import VARIANTS
from tests.conftest import REPO, run_cli
from tests.helm.conftest import CRDS

GOLDEN = REPO / "tests" / "golden"
pytestmark = pytest.mark.helm


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_charts_match_golden(
    variant: str, variant_charts: dict[str, Path], request: pytest.FixtureRequest
) -> None:
    generated, golden = variant_charts[variant], GOLDEN / variant
    if request.config.getoption("--update-golden"):
        shutil.rmtree(golden, ignore_errors=True)
        shutil.copytree(generated, golden)
    got, want = snapshot(generated), snapshot(golden)
    assert sorted(got) == sorted(want), "chart files differ: run with --update-golden and review"
    for path in sorted(want):
        assert got[path].decode() == want[path].decode(), path


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_golden_charts_pass_lint(variant: str, helm_binary: Path) -> None:
    crds = ["--crds", str(CRDS)] if CRDS.is_dir() else []
    result = run_cli("lint", "--charts", str(GOLDEN / variant), "--kube-version", "1.34", *crds)
    assert result.code == 0, result.out
    assert "7 of 7 chart/values pairs passed (Kubernetes 1.34 schemas)" in result.out
    assert CRDS.is_dir() is ("not checked" not in result.out)
