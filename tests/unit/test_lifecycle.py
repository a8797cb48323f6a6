"""`chartgen test` logic on fakes of helm and kubectl: environments, waits, phases, leftovers, CRDs."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgen.charts.chart import GeneratedChart
from chartgen.errors import UserError
from chartgen.verify.lifecycle import (
    WAIT_MARGIN_SECONDS,
    ChartUnderTest,
    custom_kinds,
    install_crds,
    run_lifecycle,
    run_lifecycles,
)
from testing.fakes import FakeHelm, FakeKubectl
from testing.repo import copy_examples, run_cli


@pytest.fixture(scope="module")
def charts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    examples = copy_examples(tmp_path_factory.mktemp("lifecycle"))
    assert run_cli("-C", str(examples), "generate").code == 0
    return examples / "charts"


def no_history(chart: Path) -> None:
    return None


def test_an_unknown_environment_names_the_known_ones(charts: Path) -> None:
    """It used to fall back silently to values.yaml."""
    with pytest.raises(
        UserError,
        match=r"chart 'order-approval' has no environment 'nope' \(its environments: prod, staging\)",
    ):
        ChartUnderTest.read(GeneratedChart.at(charts / "order-approval"), "nope")
    # Every chart's environment is checked before any cluster is chosen or touched.
    result = run_cli("test", "--charts", str(charts), "--values-env", "nope", "--kubeconfig", "nowhere")
    assert result.code == 1
    assert "chart 'acme-workflows-dev' has no environment 'nope' (its environments: dev)" in result.err


def test_waits_are_the_charts_own_startup_allowance(charts: Path) -> None:
    production = ChartUnderTest.read(GeneratedChart.at(charts / "order-approval"), "prod")
    assert production.values == charts / "order-approval/values-prod.yaml"
    assert production.startup_seconds == 5 * 60  # startup probe: every 5 s, 60 times
    dev = ChartUnderTest.read(GeneratedChart.at(charts / "acme-workflows-dev"), None)
    assert dev.values is None and dev.env == "dev"
    assert dev.startup_seconds == 10 * 90  # devmode compiles at start: 15 minutes
    helm = FakeHelm()
    messages: list[str] = []
    run_lifecycle(dev, helm, FakeKubectl(), no_history, messages.append)
    assert helm.calls[0][-2:] == ["--timeout", f"{900 + WAIT_MARGIN_SECONDS}s"]
    assert messages[0] == f"acme-workflows-dev: install (waits up to {900 + WAIT_MARGIN_SECONDS}s)"


def test_phases_in_order_and_nothing_left(charts: Path) -> None:
    helm, kubectl = FakeHelm(), FakeKubectl()
    result = run_lifecycle(
        ChartUnderTest.read(GeneratedChart.at(charts / "invoice-sync"), "staging"), helm, kubectl, no_history
    )
    assert result.ok, result.problems
    assert [c[0] for c in helm.calls] == ["install", "upgrade", "test", "rollback", "uninstall"]
    assert list(result.phases) == ["install", "upgrade", "helm test", "rollback", "uninstall"]
    assert all("-n" in c and "test-invoice-sync" in c for c in helm.calls)
    assert result.values == "values-staging.yaml"


def test_leftovers_are_looked_for_among_the_planned_kinds(charts: Path) -> None:
    chart = ChartUnderTest.read(GeneratedChart.at(charts / "order-approval"), "prod")
    leftover = {"kind": "VaultStaticSecret", "metadata": {"name": "order-approval"}}
    resources = ",".join(f"{r}.{g}" if g else r for g, rs in sorted(chart.kinds.items()) for r in rs)
    kubectl = FakeKubectl({resources: [leftover]})
    result = run_lifecycle(chart, FakeHelm(), kubectl, no_history)
    assert result.problems == ["uninstall left VaultStaticSecret/order-approval"]
    assert "vaultstaticsecrets.secrets.hashicorp.com" in resources
    assert "triggers.eventing.knative.dev" in resources  # the chart consumes an event


def test_a_failed_phase_ends_the_chart_with_helms_reason(charts: Path) -> None:
    helm = FakeHelm(failing={"upgrade": "Error: UPGRADE FAILED: timed out waiting for the condition"})
    result = run_lifecycle(
        ChartUnderTest.read(GeneratedChart.at(charts / "invoice-sync"), "prod"),
        helm,
        FakeKubectl(),
        no_history,
    )
    assert result.problems == ["helm upgrade: Error: UPGRADE FAILED: timed out waiting for the condition"]
    assert [c[0] for c in helm.calls] == ["install", "upgrade"]


def test_stubs_only_for_the_custom_kinds_the_charts_contain(charts: Path) -> None:
    tested = [ChartUnderTest.read(GeneratedChart.at(charts / "invoice-sync"), "prod")]
    kubectl = FakeKubectl()
    report = install_crds(kubectl, [], custom_kinds(tested))
    assert report.stubs == ["VaultConnection", "VaultAuth", "VaultStaticSecret"]
    assert run_lifecycles(tested, FakeHelm(), kubectl, no_history)[0].ok


def test_stub_crds_are_reported_as_stubs(tmp_path: Path) -> None:
    served = [{"metadata": {"name": "triggers.eventing.knative.dev"}}]
    kubectl = FakeKubectl({"crd": served})
    report = install_crds(kubectl, [])
    assert report.installed == []
    assert "Trigger" not in report.stubs  # the cluster serves it: left alone
    assert report.stubs == [
        "VaultConnection", "VaultAuth", "VaultStaticSecret", "SecretStore", "ExternalSecret", "SinkBinding",
        "SonataFlow",
    ]  # fmt: skip
    assert all("chartgen/stub" in manifest for manifest in kubectl.applied)


# -- lint's own logic, on a fake helm ------------------------------------------------------------


def test_lint_reports_schema_problems_helm_errors_and_unchecked_kinds(charts: Path) -> None:
    from chartgen.verify.crd_schema import CrdSchemas
    from chartgen.verify.kube_schema import KubeSchemas
    from chartgen.verify.lint import lint_one

    rendered = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {typo: 1}\n---\n"
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
    )
    helm = FakeHelm(failing={"lint": "[ERROR] templates/: parse error"}, rendered=rendered)
    chart = charts / "invoice-sync"
    result = lint_one(chart, chart / "values-prod.yaml", "1.34", helm, KubeSchemas("1.34"), CrdSchemas())
    assert result.problems == [
        "[ERROR] templates/: parse error",
        "Service/s: spec: Additional properties are not allowed ('typo' was unexpected)",
    ]
    assert (result.objects, result.unchecked) == (2, ["example.com/v1/Widget"])
    assert helm.calls[0] == ["lint", str(chart), str(chart / "values-prod.yaml")]
