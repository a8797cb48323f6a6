"""helm-batch renders exactly what `helm template` renders (it runs Helm's own command, in one
process): every example chart in every environment and every variant, a chart helm refuses,
and a worker that dies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chartgen.charts.chart import GeneratedChart
from chartgen.errors import ToolError
from chartgen.tools.helm import Helm, helm_reason
from chartgen.tools.helm_batch import BATCH, HelmBatch, _Worker, batch_beside
from chartgen.tools.locate import find_tool

pytestmark = pytest.mark.helm


@pytest.fixture(scope="module")
def batch(helm_binary: Path) -> Path:
    try:
        found = find_tool(BATCH)
    except ToolError:
        if os.environ.get("CI"):
            pytest.fail("helm-batch is missing: scripts/toolchain.sh helm builds it with helm")
        pytest.skip("helm-batch not built (scripts/toolchain.sh helm)")
    return found


def one_template_chart(chart: Path, name: str) -> Path:
    """A chart of one ConfigMap named `name` (a template expression, say)."""
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {chart.name}\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(f"kind: ConfigMap\nmetadata: {{name: {name}}}\n")
    return chart


def test_every_variant_chart_and_environment_renders_byte_for_byte_as_helm_template(
    variant_charts: dict[str, Path], helm_binary: Path, batch: Path
) -> None:
    helm = Helm(helm_binary)
    renders = 0
    with HelmBatch(batch, helm) as many:
        for charts in variant_charts.values():
            for folder in sorted(p for p in charts.iterdir() if (p / "Chart.yaml").is_file()):
                for env in GeneratedChart.at(folder).environments:
                    values = [folder / rel for rel in env.values]
                    want = helm.template(folder.name, folder, values, "1.34", env.namespace)
                    got = many.template(folder.name, folder, values, "1.34", env.namespace)
                    assert (got.returncode, got.stdout, got.stderr) == (
                        want.returncode,
                        want.stdout,
                        want.stderr,
                    )
                    renders += 1
        assert len(many.started) <= 1  # one caller at a time: one worker served them all
    print(f"\n[helm] helm-batch: {renders} renders equal to helm template's")
    assert renders >= 20


def test_a_chart_helm_refuses_is_refused_with_helm_s_words(
    tmp_path: Path, helm_binary: Path, batch: Path
) -> None:
    chart = one_template_chart(tmp_path / "broken", "{{ .Values.nope.deeper }}")
    helm = Helm(helm_binary)
    want = helm.template("broken", chart, [], "1.34", "default")
    with HelmBatch(batch, helm) as many:
        got = many.template("broken", chart, [], "1.34", "default")
        assert not want.ok and (got.returncode, got.stdout, got.stderr) == (
            want.returncode,
            want.stdout,
            want.stderr,
        )
        assert helm_reason(got) == helm_reason(want) and "nil pointer" in got.stderr
        # The same worker serves the next render.
        one_template_chart(chart, "fine")
        assert many.template("broken", chart, [], "1.34", "default").ok
        assert len(many.started) == 1


def test_a_worker_that_dies_fails_its_render_and_the_next_gets_a_new_one(
    tmp_path: Path, helm_binary: Path, batch: Path
) -> None:
    chart = one_template_chart(tmp_path / "fine", "fine")
    with HelmBatch(batch, Helm(helm_binary)) as many:
        assert many.template("fine", chart, [], "1.34", "default").ok
        many.started[0].process.kill()
        many.started[0].process.wait()
        dead = many.template("fine", chart, [], "1.34", "default")
        assert not dead.ok and f"{BATCH} stopped without answering (it died" in dead.stderr
        assert many.template("fine", chart, [], "1.34", "default").ok
        assert len(many.started) == 2


def test_only_template_is_served(batch: Path) -> None:
    worker = _Worker(batch, dict(os.environ))
    try:
        refused = worker.ask(["uninstall", "everything"], 10)
        assert refused is not None and refused.returncode == 2 and "template only" in refused.stderr
    finally:
        worker.stop()


def test_helm_batch_is_used_only_beside_the_helm_it_was_built_with(
    tmp_path: Path, helm_binary: Path, batch: Path
) -> None:
    other = tmp_path / "helm"
    other.write_bytes(helm_binary.read_bytes())
    other.chmod(0o755)
    assert batch_beside(Helm(other)) is None
    if helm_binary.resolve() == batch.parent.joinpath("helm").resolve():
        assert batch_beside(Helm(helm_binary)) == batch
