"""Golden charts of examples/, for every secrets provider and runtime: what chartgen generated
(every file but the static templates, which are the package's own and checked byte for byte
against it) and what helm renders from it, per environment. Then real helm, strict schemas
and the CRDs on them.

After an intended change: pytest tests/helm/test_golden.py --update-golden, then review the diff
(tests/golden/<variant>/rendered/ shows what reaches the cluster).
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
import yaml

from chartgen.plan.layout import DATA_FILE, TEMPLATE_GROUPS
from chartgen.tools.helm import Helm
from testing.repo import CRDS, REPO, run_cli
from testing.trees import snapshot
from testing.variants import VARIANTS

GOLDEN = REPO / "tests" / "golden"
pytestmark = pytest.mark.helm


def generated(charts: Path) -> dict[str, bytes]:
    """The chart files chartgen wrote: everything but the static templates."""
    return {path: content for path, content in snapshot(charts).items() if "/templates/" not in path}


def rendered(charts: Path, helm: Helm) -> dict[str, bytes]:
    """`helm template` of every chart with each of its values files, by rendered/<chart>/<file>."""
    out = {}
    for chart in sorted(p for p in charts.iterdir() if (p / "Chart.yaml").is_file()):
        for values in sorted(chart.glob("values-*.yaml")) or [chart / "values.yaml"]:
            extra = [values] if values.name != "values.yaml" else []
            result = helm.template(chart.name, chart, extra, "1.34", "workflows")
            assert result.ok, f"{chart.name} {values.name}: {result.stderr}"
            out[f"rendered/{chart.name}/{values.name}"] = result.stdout.encode()
    return out


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_charts_match_golden(
    variant: str, variant_charts: dict[str, Path], helm_binary: Path, request: pytest.FixtureRequest
) -> None:
    charts, golden = variant_charts[variant], GOLDEN / variant
    got = {**generated(charts), **rendered(charts, Helm(helm_binary))}
    if request.config.getoption("--update-golden"):
        shutil.rmtree(golden, ignore_errors=True)
        for path, content in got.items():
            (golden / path).parent.mkdir(parents=True, exist_ok=True)
            (golden / path).write_bytes(content)
    want = snapshot(golden)
    assert sorted(got) == sorted(want), "chart files differ: run with --update-golden and review"
    for path in sorted(want):
        assert got[path].decode() == want[path].decode(), path


def test_static_templates_are_the_packages_own(variant_charts: dict[str, Path]) -> None:
    root = resources.files("chartgen") / "templates"
    for charts in variant_charts.values():
        for chart in (p for p in charts.iterdir() if (p / "Chart.yaml").is_file()):
            kind = yaml.safe_load((chart / DATA_FILE).read_text())["kind"]
            expected = {
                f"templates/{rel}": (Path(str(root)) / group / "templates" / rel).read_bytes()
                for group in TEMPLATE_GROUPS[kind]
                for rel in _files(Path(str(root)) / group / "templates")
            }
            got = {p: c for p, c in snapshot(chart).items() if p.startswith("templates/")}
            assert got == expected, chart


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_golden_charts_pass_lint(variant: str, variant_charts: dict[str, Path], helm_binary: Path) -> None:
    result = run_cli(
        "lint", "--charts", str(variant_charts[variant]), "--kube-version", "1.34", "--crds", str(CRDS)
    )
    assert result.code == 0, result.out
    pairs = 9 if variant.startswith("platform") else 7  # the platform chart: one pair per environment
    assert f"{pairs} of {pairs} chart/values pairs passed (Kubernetes 1.34 schemas)" in result.out
    assert f"{pairs} of {pairs} chart/values pairs pass" in result.out and " 0 violations" in result.out
    assert "not checked" not in result.out
