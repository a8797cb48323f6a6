"""Golden charts: the whole generated tree for examples/, byte for byte, and real helm on it.

After an intended change: pytest tests/helm/test_golden.py --update-golden, then review the diff.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from testing.trees import snapshot
from tests.conftest import REPO, copy_examples, run_cli

GOLDEN = REPO / "tests" / "golden" / "examples"
CRDS = REPO.parent / "shared" / "crds"
pytestmark = pytest.mark.helm


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    examples = copy_examples(tmp_path_factory.mktemp("golden"))
    result = run_cli("-C", str(examples), "generate")
    assert result.code == 0, result.err
    return examples / "charts"


def test_examples_match_golden(generated: Path, request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--update-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(generated, GOLDEN)
    got, want = snapshot(generated), snapshot(GOLDEN)
    assert sorted(got) == sorted(want), "chart files differ: run with --update-golden and review"
    for path in sorted(want):
        assert got[path].decode() == want[path].decode(), path


def test_golden_charts_pass_lint(helm_binary: Path) -> None:
    crds = ["--crds", str(CRDS)] if CRDS.is_dir() else []
    result = run_cli("lint", "--charts", str(GOLDEN), "--kube-version", "1.34", *crds)
    assert result.code == 0, result.out
    assert CRDS.is_dir() is ("not checked" not in result.out)
    assert "7 of 7 chart/values pairs passed (Kubernetes 1.34 schemas)" in result.out
