"""lint really runs helm and the schemas: a broken chart fails, with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing.repo import copy_examples, run_cli

pytestmark = pytest.mark.helm


@pytest.fixture
def charts(tmp_path: Path, helm_binary: Path) -> Path:
    examples = copy_examples(tmp_path)
    assert run_cli("-C", str(examples), "generate").code == 0
    return examples / "charts"


def test_invalid_field_fails_strict_schema(charts: Path) -> None:
    service = charts / "invoice-sync/templates/service.yaml"
    service.write_text(service.read_text().replace("  type: {{", "  typo: {{"))
    result = run_cli("lint", "--charts", str(charts))
    assert result.code == 1
    assert "✖ invoice-sync values-prod.yaml (15 objects" in result.out
    assert (
        "Service/invoice-sync: spec: Additional properties are not allowed ('typo' was unexpected)"
        in result.out
    )
    assert "✔ order-approval values-prod.yaml (16 objects" in result.out


def test_quiet_lint_prints_only_failures_and_verdicts(charts: Path) -> None:
    service = charts / "invoice-sync/templates/service.yaml"
    service.write_text(service.read_text().replace("  type: {{", "  typo: {{"))
    result = run_cli("-q", "lint", "--charts", str(charts), "--no-policy")
    assert result.code == 1
    shown = [line.split(" (")[0] for line in result.out.splitlines() if not line.startswith("    ")]
    assert shown == [
        "✖ invoice-sync values-prod.yaml",
        "✖ invoice-sync values-staging.yaml",
        "5 of 7 chart/values pairs passed",
    ]


def test_template_error_fails_helm_lint(charts: Path) -> None:
    deployment = charts / "order-approval/templates/deployment.yaml"
    deployment.write_text(
        deployment.read_text().replace("{{ .Values.replicaCount }}", "{{ .Values.replicaCount")
    )
    result = run_cli("lint", "--charts", str(charts / "order-approval"))
    assert result.code == 1
    assert "[ERROR] templates/: parse error" in result.out


def test_values_schema_rejects_unknown_and_latest(charts: Path) -> None:
    values = charts / "shipment-tracker/values-staging.yaml"
    values.write_text("replicas: 3\nimage:\n  tag: latest\n")
    result = run_cli("--output", "json", "lint", "--charts", str(charts / "shipment-tracker"))
    assert result.code == 1
    report = json.loads(result.out)["result"]
    failed = [r for r in report["results"] if not r["ok"]]
    assert [r["values"] for r in failed] == ["values-staging.yaml"]
    text = "\n".join(failed[0]["problems"])
    assert "additional properties 'replicas' not allowed" in text
    assert "at '/image/tag': 'not' failed" in text  # the tag must not be "latest"


def test_kube_version_out_of_range_is_a_user_error(charts: Path) -> None:
    result = run_cli("lint", "--charts", str(charts), "--kube-version", "1.12")
    assert result.code == 1
    assert "no Kubernetes schemas for 1.12" in result.err
