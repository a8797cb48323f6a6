"""deploy and promote are written against the Deployer seam: here on fakes (helm's release
store, Vault, kubectl), and with a second Deployer that writes manifests to a folder instead
of touching a cluster: the flows run unchanged."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.charts.chart import charts_in
from chartgen.config import Settings, load_settings
from chartgen.deploy.deployer import HelmDeployer
from chartgen.deploy.releases import Release, Revision
from chartgen.deploy.upgrade import DeployResult, Observed, Target
from chartgen.errors import UserError
from chartgen.flows.deploy import Checks, Tools, run_deploy, run_promote
from chartgen.flows.vault import planned_accesses
from chartgen.tools.runner import Completed
from chartgen.vault.reconcile import apply
from testing.fakes import FakeKubectl, FakeReleases, FakeVault, completed
from testing.repo import copy_examples, run_cli

SKIP_CHECKS = Checks(skip_vault=True, skip_policy=True)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    repo = copy_examples(tmp_path_factory.mktemp("seam"))
    assert run_cli("-C", str(repo), "generate").code == 0
    return load_settings({}, repo)


def releases_for(settings: Settings) -> FakeReleases:
    """helm's release store, knowing each chart folder's version and digest."""
    charts = {}
    for chart in charts_in(settings.out):
        fields = chart.version_fields
        charts[str(chart.folder)] = (fields.version, fields.digest)
    return FakeReleases(charts=charts)


@dataclass
class Registry:
    """helm as deploy uses it besides releases: pulls from a registry (the local charts)."""

    charts: Path
    pulled: list[str] = field(default_factory=list)

    def pull(self, ref: str, version: str, into: Path, untar: bool = True) -> Completed:
        name = ref.rsplit("/", 1)[1]
        self.pulled.append(f"{name}:{version}")
        shutil.copytree(self.charts / name, into / name)
        return completed()


def tools(deployer: Any, settings: Settings, vault: FakeVault | None = None) -> Tools:
    def no_opa() -> Any:
        raise AssertionError("the policy check is skipped here")

    return Tools(deployer, Registry(settings.out), no_opa, lambda address: vault or FakeVault())  # type: ignore[arg-type]


def test_deploy_installs_each_chart_of_the_environment_then_leaves_it_alone(generated: Settings) -> None:
    store = releases_for(generated)
    deployer = HelmDeployer(store, lambda: "v4.0.0", store, None)
    report = run_deploy(generated, "staging", (), "", None, SKIP_CHECKS, tools(deployer, generated))
    assert [(r.name, r.namespace, r.result) for r in report.results] == [
        ("invoice-sync", "workflows-staging", "installed"),
        ("order-approval", "workflows-staging", "installed"),
        ("shipment-tracker", "workflows-staging", "installed"),
    ]
    upgrade = next(c for c in store.calls if c[0] == "upgrade")
    assert upgrade[upgrade.index("-f") + 1].endswith("invoice-sync/values-staging.yaml")
    again = run_deploy(generated, "staging", (), "", None, SKIP_CHECKS, tools(deployer, generated))
    assert {r.result for r in again.results} == {"unchanged"}
    assert report.checks == [
        "policy check: SKIPPED (--skip-policy-check)",
        "vault check: SKIPPED (--skip-vault-check)",
        "preflight: not run (no cluster access)",
        "stranded check: no chart removes a workflow, state or event a running version has",
    ]


def test_a_chart_whose_pods_would_miss_something_in_vault_is_not_deployed_the_others_are(
    generated: Settings,
) -> None:
    store = releases_for(generated)
    checks = Checks(skip_policy=True, vault_address="http://vault.fake:8200")
    vault = FakeVault(mounts={"kv": ("kv", "2")}, auth={"kubernetes": "kubernetes"})
    accesses = planned_accesses(generated, ["staging"], (), None)
    assert apply(vault, accesses).error is None
    for a in accesses:
        keys = a.keys[1:] if a.chart == "order-approval" else a.keys
        vault.secrets[(a.kv_mount, a.path)] = dict.fromkeys(keys, "not-a-real-value")
    vault.roles[("kubernetes", "chartgen-shipment-tracker-staging")]["bound_service_account_namespaces"] = [
        "*"
    ]
    used = tools(HelmDeployer(store, lambda: "v4", store, None), generated, vault)
    report = run_deploy(generated, "staging", (), "", None, checks, used)
    assert [(r.name, r.result) for r in report.results] == [
        ("invoice-sync", "installed"),
        ("order-approval", "refused"),
        ("shipment-tracker", "refused"),
    ]
    refused = {r.name: r.message for r in report.results if r.result == "refused"}
    assert refused["order-approval"] == "missing keys at kv/workflows/staging/order-approval: db_password"
    assert refused["shipment-tracker"] == (
        "role auth/kubernetes/role/chartgen-shipment-tracker-staging binds ServiceAccount "
        "shipment-tracker in namespace *, not exactly shipment-tracker in workflows-staging"
    )
    assert report.checks[1].startswith("vault check failed for staging (2 of 3 charts): ")
    assert [c[2] for c in store.calls if c[0] == "upgrade"] == ["invoice-sync"]
    assert "not-a-real-value" not in repr(report)


def ready(*names: str) -> FakeKubectl:
    """Every Deployment of these releases rolled out."""
    status = {"observedGeneration": 1, "updatedReplicas": 2, "availableReplicas": 2}
    items = [
        {"metadata": {"name": n, "generation": 1}, "spec": {"replicas": 2}, "status": status} for n in names
    ]
    return FakeKubectl({"deployments": items})


def test_promote_deploys_what_the_source_runs_from_the_registry(generated: Settings) -> None:
    source_store = releases_for(generated)
    source = HelmDeployer(source_store, lambda: "v4.0.0", source_store, None)
    run_deploy(generated, "staging", ("order-approval",), "", None, SKIP_CHECKS, tools(source, generated))
    target_store = FakeReleases()
    target = HelmDeployer(target_store, lambda: "v4.0.0", target_store, None)
    used = tools(target, generated)
    pulled: dict[str, tuple[str, str]] = {}

    def remember_pulled(args: Any, timeout: float) -> Completed:  # the pulled folder's version and digest
        if args[0] == "upgrade":
            chart = charts_in(Path(args[3]).parent)[0]
            pulled[str(args[3])] = (chart.version_fields.version, chart.version_fields.digest)
            target_store.charts.update(pulled)
        return FakeReleases.release(target_store, args, timeout)

    target_store.release = remember_pulled  # type: ignore[method-assign]
    report = run_promote(
        generated, "staging", "prod", ("order-approval",), "oci://registry.example.com/charts",
        source, ready("order-approval"), SKIP_CHECKS, used,
    )  # fmt: skip
    assert [(r.name, r.namespace, r.result) for r in report.results] == [
        ("order-approval", "workflows-prod", "installed")
    ]
    assert used.helm.pulled == ["order-approval:0.1.0"]  # type: ignore[attr-defined]


def test_promote_refuses_when_the_source_has_no_release(generated: Settings) -> None:
    with pytest.raises(UserError, match=r"nothing promoted: order-approval in staging .*: no release"):
        run_promote(
            generated, "staging", "prod", ("order-approval",), "oci://registry.example.com/charts",
            HelmDeployer(FakeReleases(), lambda: "v4", FakeReleases(), None), ready(), SKIP_CHECKS,
            tools(HelmDeployer(FakeReleases(), lambda: "v4", FakeReleases(), None), generated),
        )  # fmt: skip


@dataclass
class FolderDeployer:
    """A second way to deploy, as a GitOps output would: each release's values written as a
    manifest file under `folder/<namespace>/<name>.yaml`, its history kept beside them."""

    folder: Path
    revisions: dict[tuple[str, str], list[Revision]] = field(default_factory=dict)

    def observe(self, namespace: str, names: Sequence[str]) -> dict[str, Observed]:
        return {
            name: Observed(Release(name, namespace, tuple(kept)))
            for name in names
            if (kept := self.revisions.get((name, namespace)))
        }

    def install_or_upgrade(self, target: Target, observed: Observed) -> DeployResult:
        path = self.folder / target.namespace / f"{target.name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            yaml.safe_dump({"chart": target.name, "version": target.version, "values": target.values})
        )
        kept = self.revisions.setdefault((target.name, target.namespace), [])
        kept.append(Revision(len(kept) + 1, "deployed", target.version, target.digest, target.values))
        result = DeployResult(target.name, target.env, target.namespace, target.version, revision=len(kept))
        result.result = "upgraded" if observed.release else "installed"
        return result


def test_a_second_deployer_plugs_into_deploy_and_promote_unchanged(
    generated: Settings, tmp_path: Path
) -> None:
    folder = FolderDeployer(tmp_path / "gitops")
    report = run_deploy(generated, "staging", (), "", None, SKIP_CHECKS, tools(folder, generated))
    assert {r.result for r in report.results} == {"installed"}
    written = sorted(p.relative_to(folder.folder).as_posix() for p in folder.folder.rglob("*.yaml"))
    assert written == [
        "workflows-staging/invoice-sync.yaml",
        "workflows-staging/order-approval.yaml",
        "workflows-staging/shipment-tracker.yaml",
    ]
    manifest = yaml.safe_load((folder.folder / "workflows-staging/order-approval.yaml").read_text())
    assert manifest["values"]["environment"] == "staging"
    promoted = run_promote(
        generated, "staging", "prod", ("order-approval",), "oci://registry.example.com/charts",
        folder, ready("order-approval"), SKIP_CHECKS, tools(folder, generated),
    )  # fmt: skip
    assert [(r.name, r.namespace, r.result) for r in promoted.results] == [
        ("order-approval", "workflows-prod", "installed")
    ]
    assert (folder.folder / "workflows-prod/order-approval.yaml").is_file()


def test_deploy_reads_the_charts_folder_once_and_each_chart_at_most_once(
    generated: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It looked for the charts four times and read every chart's files four times."""
    from chartgen.charts import chart as chart_module
    from chartgen.emit import switch

    listed: list[Path] = []
    read: list[str] = []
    charts_at, working_files = chart_module.charts_at, chart_module.working_files

    def count_listing(path: Path) -> Any:
        listed.append(path)
        return charts_at(path)

    def count_reads(folder: Path) -> dict[str, bytes]:
        read.append(folder.name)
        return working_files(folder)

    monkeypatch.setattr(switch, "charts_at", count_listing)
    monkeypatch.setattr(chart_module, "working_files", count_reads)
    checks = Checks(skip_policy=True, vault_address="http://vault.fake:8200")
    vault = FakeVault(mounts={"kv": ("kv", "2")})
    used = tools(HelmDeployer(store := releases_for(generated), lambda: "v4", store, None), generated, vault)
    report = run_deploy(generated, "prod", (), "", None, checks, used)
    assert {r.result for r in report.results} == {"refused"}  # a Vault without the charts' secrets
    assert listed == [generated.out]
    assert sorted(read) == ["invoice-sync", "order-approval", "shipment-tracker"]  # each once (Vault check)
