"""`dev sync` logic on fakes: which files changed, which ConfigMaps are applied, and the one
cluster rule every command shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.config import load_settings
from chartgen.deploy.devsync import sync
from chartgen.errors import Diagnostics, ToolError, UserError
from chartgen.flows.dev import dev_sync
from chartgen.flows.plan import plan_repository
from chartgen.plan.model import ChartPlan
from chartgen.tools.clusters import choose_cluster
from testing.fakes import FakeHelm, FakeKubectl
from testing.repo import copy_examples


@pytest.fixture
def dev_plan(tmp_path: Path) -> ChartPlan:
    examples = copy_examples(tmp_path)
    [plan] = [p for p in plan_repository(load_settings({}, examples), Diagnostics()) if p.kind == "dev"]
    return plan


def config_maps(plan: ChartPlan, change: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The dev chart's ConfigMaps as the plan names them (what helm would render)."""
    maps: list[dict[str, Any]] = [
        {"name": plan.data.names.config, "data": {f.key: "props" for f in plan.properties}}
    ]
    maps += [
        {"name": cm.name, "data": {f.key: f.content.decode() for f in cm.files}} for cm in plan.config_maps
    ]
    for cm in maps:
        for key, text in (change or {}).items():
            if key in cm["data"]:
                cm["data"][key] = text
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": cm["name"]}, "data": cm["data"]}
        for cm in maps
    ]


def test_a_changed_workflow_is_reported_and_every_config_map_applied(dev_plan: ChartPlan) -> None:
    rendered = yaml.safe_dump_all(config_maps(dev_plan, {"order-approval.sw.yaml": "changed"}))
    helm, cluster = FakeHelm(rendered=rendered), FakeKubectl({"configmaps": config_maps(dev_plan)})
    result = sync(dev_plan, helm, cluster, "workflows-dev", dev_plan.name, "1.34")
    assert (result.added, result.changed, result.removed) == ([], ["order-approval.sw.yaml"], [])
    assert result.applied == sorted(cm["metadata"]["name"] for cm in config_maps(dev_plan))
    assert "changed" in cluster.applied[0]


def test_dry_run_applies_nothing(dev_plan: ChartPlan) -> None:
    rendered = yaml.safe_dump_all(config_maps(dev_plan))
    cluster = FakeKubectl({"configmaps": config_maps(dev_plan)})
    result = sync(
        dev_plan, FakeHelm(rendered=rendered), cluster, "workflows-dev", dev_plan.name, "1.34", dry_run=True
    )
    assert (result.added, result.changed, result.removed, result.applied) == ([], [], [], [])
    assert cluster.applied == []


def test_no_release_and_a_changed_layout_are_clear_errors(dev_plan: ChartPlan) -> None:
    rendered = yaml.safe_dump_all(config_maps(dev_plan))
    with pytest.raises(UserError, match="no dev release 'acme-workflows-dev' in namespace 'workflows-dev'"):
        sync(dev_plan, FakeHelm(rendered=rendered), FakeKubectl(), "workflows-dev", dev_plan.name, "1.34")
    fewer = FakeKubectl({"configmaps": config_maps(dev_plan)[:1]})
    with pytest.raises(UserError, match="run `chartgen generate` and `helm upgrade`"):
        sync(dev_plan, FakeHelm(rendered=rendered), fewer, "workflows-dev", dev_plan.name, "1.34")


def test_the_dev_chart_is_rendered_for_the_settings_kubernetes_version(tmp_path: Path) -> None:
    """It was rendered for 1.34 whatever `kubeVersion` said."""
    examples = copy_examples(tmp_path)
    settings = load_settings({"kubeVersion": "1.31"}, examples)
    [plan] = [p for p in plan_repository(settings, Diagnostics()) if p.kind == "dev"]
    helm = FakeHelm(rendered=yaml.safe_dump_all(config_maps(plan)))
    dev_sync(settings, "dev", helm, FakeKubectl({"configmaps": config_maps(plan)}), dry_run=True)
    assert helm.kube_versions == ["1.31"]


# -- one cluster rule -----------------------------------------------------------------------------


def test_cluster_choice_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CHARTGEN_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ToolError, match="no cluster: pass --kubeconfig, set KUBECONFIG"):
        choose_cluster()
    (home / ".kube").mkdir(parents=True)
    (home / ".kube/config").write_text("apiVersion: v1\n")
    assert choose_cluster().source == "~/.kube/config"
    local = tmp_path / "cache/kwok/chartgen.kubeconfig"
    local.parent.mkdir(parents=True)
    local.write_text("apiVersion: v1\n")
    assert (choose_cluster().source, choose_cluster().kubeconfig) == ("`chartgen cluster up`", local)
    monkeypatch.setenv("KUBECONFIG", str(home / ".kube/config"))
    assert choose_cluster().source == "KUBECONFIG"
    flagged = choose_cluster(str(local), "kwok-chartgen")
    assert (flagged.source, flagged.kubeconfig, flagged.context) == ("--kubeconfig", local, "kwok-chartgen")
    with pytest.raises(ToolError, match="--kubeconfig nowhere: no such file"):
        choose_cluster("nowhere")


def test_sync_plans_only_the_dev_chart(tmp_path: Path) -> None:
    """A production profile that would be refused does not stop a hot deploy of the dev pod."""
    examples = copy_examples(tmp_path)
    prod = examples / "profiles/prod.yaml"
    text = prod.read_text().replace("scaling: {minReplicas: 3,", "scaling: {minReplicas: 1,")
    prod.write_text(text)  # refused for production charts (exit 2 from generate)
    [plan] = plan_repository(load_settings({}, examples), Diagnostics(), dev_env="dev")
    assert plan.kind == "dev"
    with pytest.raises(UserError, match=r"no dev profile 'prod' in .* \(dev profiles: dev\)"):
        plan_repository(load_settings({}, examples), Diagnostics(), dev_env="prod")
