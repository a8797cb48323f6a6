"""Chart values a Helm user relies on: a chart version bump alone (what `version bump` writes when only the packaging changed) rolls
no pod: every pod template renders byte-identical, for every provider, both runtimes and the
dev chart; and changed content still rolls them (the checksums hash the content)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from testing.repo import Render, run_cli
from testing.variants import VARIANTS, make_variant

pytestmark = pytest.mark.helm


def pod_templates(objects: list[dict[str, Any]]) -> dict[str, str]:
    """Workload -> its pod template as YAML text (a Deployment's, a SonataFlow's podTemplate)."""
    found = {}
    for o in objects:
        spec = o.get("spec") or {}
        template = spec.get("template") if o["kind"] == "Deployment" else spec.get("podTemplate")
        if template is not None:
            found[f"{o['kind']}/{o['metadata']['name']}"] = yaml.safe_dump(template, sort_keys=True)
    return found


def bump(chart: Path) -> None:
    path = chart / "Chart.yaml"
    data = yaml.safe_load(path.read_text())
    data["version"] = "9.9.9"
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_version_only_bump_leaves_every_pod_template_byte_identical(
    variant: str, render: Render, tmp_path: Path
) -> None:
    repo = make_variant(tmp_path, variant)
    assert run_cli("-C", str(repo), "generate").code == 0
    for chart in sorted(p for p in (repo / "charts").iterdir() if (p / "Chart.yaml").is_file()):
        environments = sorted(p.name for p in chart.glob("values-*.yaml")) or [""]
        before = {env: pod_templates(render(chart, *filter(None, [env]))) for env in environments}
        bumped = tmp_path / "bumped" / chart.name
        shutil.copytree(chart, bumped)
        bump(bumped)
        for env in environments:
            after = pod_templates(render(bumped, *filter(None, [env])))
            assert after and after == before[env], (variant, chart.name, env)
        shutil.rmtree(bumped)


def test_changed_properties_or_definitions_still_roll_the_pods(render: Render, tmp_path: Path) -> None:
    repo = make_variant(tmp_path, "vso")
    assert run_cli("-C", str(repo), "generate").code == 0
    chart = repo / "charts" / "order-approval"

    def checksums() -> dict[str, str]:
        [deployment] = [o for o in render(chart, "values-prod.yaml") if o["kind"] == "Deployment"]
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        return {k: v for k, v in annotations.items() if k in ("checksum/config", "checksum/resources")}

    first = checksums()
    properties = next((chart / "files" / "config").rglob("application.properties"))
    properties.write_text(properties.read_text() + "\nquarkus.log.level=DEBUG\n")
    second = checksums()
    assert second["checksum/config"] != first["checksum/config"]
    assert second["checksum/resources"] == first["checksum/resources"]
    flow = next((chart / "files" / "resources").rglob("*.sw.*"))
    flow.write_text(flow.read_text() + "\n")
    assert checksums()["checksum/resources"] != second["checksum/resources"]


@pytest.mark.parametrize("variant", ["vso", "sonataflow"])
def test_set_environment_renders_as_the_environments_values_file(
    variant: str, render: Render, helm_binary: Path, tmp_path: Path
) -> None:
    """A chart installed straight from a registry: `--set environment=ENV` takes the values
    the chart carries for ENV (`-f values-ENV.yaml` renders the same), what the user sets wins,
    and no environment at all is one clear refusal under template and lint alike."""
    repo = make_variant(tmp_path, variant)
    assert run_cli("-C", str(repo), "generate").code == 0
    for chart in sorted((repo / "charts").glob("*/values-prod.yaml")):
        folder = chart.parent
        for env in ("staging", "prod"):
            assert render(folder, f"values-{env}.yaml") == render(folder, sets=(f"environment={env}",))
        raised = render(folder, sets=("environment=prod", "autoscaling.maxReplicas=17"))
        assert [o["spec"]["maxReplicas"] for o in raised if o["kind"] == "HorizontalPodAutoscaler"] in (
            [17],
            [],
        )
        refused = render(folder, ok=False)[0]["error"]
        assert "values.yaml alone is not an environment: install with --set environment=<env>" in refused
        lint = subprocess.run([str(helm_binary), "lint", str(folder)], capture_output=True, text=True)
        assert lint.returncode != 0 and "values.yaml alone is not an environment" in lint.stdout + lint.stderr
        assert "funcMap" not in lint.stdout + lint.stderr and "nil pointer" not in lint.stdout + lint.stderr
        quiet = subprocess.run([str(helm_binary), "lint", str(folder), "--set", "environment=prod"],
                               capture_output=True, text=True)  # fmt: skip
        assert quiet.returncode == 0 and "level=" not in quiet.stdout + quiet.stderr, (
            quiet.stdout + quiet.stderr
        )
