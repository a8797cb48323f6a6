"""deploy/promote logic against a fake helm release store: recovery, unchanged releases, image
digests, rollbacks, and the inputs deploy refuses. The real helm and cluster run in tests/e2e."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.charts.chart import GeneratedChart, charts_in
from chartgen.deploy.deployer import HelmDeployer
from chartgen.deploy.releases import Release, Revision, recover
from chartgen.deploy.upgrade import DeployResult, Helm, Observed, Target, rollback_flag
from chartgen.deploy.upgrade import deploy as deploy_one
from chartgen.errors import UserError
from chartgen.flows.deploy import (
    Running,
    check_registry,
    make_target,
    read_image_digests,
    select_charts,
    source_release,
)
from chartgen.plan.layout import DATA_FILE
from testing.fakes import FakeReleases, FakeRevision

DIGEST = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64


def helm_4() -> str:
    return "v4.0.0"


def target(tmp_path: Path, version: str = "1.0.0", image: str = "", **values: Any) -> Target:
    chart = tmp_path / f"chart-{version}"
    chart.mkdir(exist_ok=True)
    values_file = tmp_path / "values-staging.yaml"
    values_file.write_text("replicas: 2\n")
    merged = {"replicas": 2, **values}
    return Target(
        "orders", "staging", "ns", chart, (values_file,), merged, version, f"d-{version}", 60,
        {"image": image} if image else {},
    )  # fmt: skip


def releases(tmp_path: Path, *revisions: FakeRevision) -> FakeReleases:
    fake = FakeReleases(charts={str(tmp_path / f"chart-{v}"): (v, f"d-{v}") for v in ("1.0.0", "1.1.0")})
    if revisions:
        fake.store[("orders", "ns")] = list(revisions)
    return fake


def revision(number: int, status: str, version: str = "1.0.0", **values: Any) -> FakeRevision:
    return FakeRevision(number, status, version, f"d-{version}", {"replicas": 2, **values})


def deploy(fake: FakeReleases, target: Target, flag: str) -> DeployResult:
    """One deploy as the deployer makes it: the release read first, helm of the flag's major."""
    helm = Helm(fake, fake, "v4.3.1" if flag == "--rollback-on-failure" else "v3.19.0")
    return deploy_one(helm, target, Observed(fake.releases(target.namespace, [target.name]).get(target.name)))


def changes(fake: FakeReleases) -> list[list[str]]:
    return [c for c in fake.calls if c[0] in ("upgrade", "rollback", "uninstall")]


def verbs(fake: FakeReleases) -> list[str]:
    return [c[0] for c in changes(fake)]


def test_helm_4_rolls_back_with_its_own_flag_helm_3_with_atomic() -> None:
    assert rollback_flag("v4.3.1") == "--rollback-on-failure"
    assert rollback_flag("v3.19.0") == "--atomic"


def test_first_deploy_installs_with_the_charts_timeout_and_values(tmp_path: Path) -> None:
    fake = releases(tmp_path)
    result = deploy(fake, target(tmp_path), "--rollback-on-failure")
    assert (result.result, result.revision, result.version_from) == ("installed", 1, "")
    upgrade = next(c for c in fake.calls if c[0] == "upgrade")
    assert upgrade[:6] == ["upgrade", "--install", "orders", str(tmp_path / "chart-1.0.0"), "-n", "ns"]
    assert "--timeout=60s" in upgrade and "--rollback-on-failure" in upgrade and "--wait" in upgrade


def test_same_chart_digest_and_values_leave_the_release_alone(tmp_path: Path) -> None:
    fake = releases(tmp_path, revision(1, "deployed"))
    result = deploy(fake, target(tmp_path), "--rollback-on-failure")
    assert (result.result, result.revision) == ("unchanged", 1)
    assert verbs(fake) == []


def test_changed_values_or_version_upgrade(tmp_path: Path) -> None:
    fake = releases(tmp_path, revision(1, "deployed"))
    assert deploy(fake, target(tmp_path, replicas=3), "--atomic").result == "upgraded"
    result = deploy(fake, target(tmp_path, "1.1.0", replicas=3), "--atomic")
    assert (result.result, result.version_from, result.revision_from, result.revision) == (
        "upgraded",
        "1.0.0",
        2,
        3,
    )


def test_an_image_digest_is_kept_for_the_same_version_and_not_for_a_new_one(tmp_path: Path) -> None:
    fake = releases(tmp_path, revision(1, "deployed", image={"digest": DIGEST}))
    assert deploy(fake, target(tmp_path), "--atomic").result == "unchanged"  # no digest given: keep
    result = deploy(fake, target(tmp_path, image=OTHER), "--atomic")
    assert (result.result, result.images) == ("upgraded", {"image": OTHER})
    assert f"image.digest={OTHER}" in changes(fake)[-1]
    result = deploy(fake, target(tmp_path, "1.1.0"), "--atomic")  # a new chart: its tag, not an old image
    assert result.images == {} and not any("image.digest" in a for a in changes(fake)[-1])


def test_promote_copies_the_image_exactly_even_a_tag(tmp_path: Path) -> None:
    fake = releases(tmp_path, revision(1, "deployed", image={"digest": DIGEST}))
    by_tag = dataclasses.replace(target(tmp_path, replicas=3), keep_image=False)
    result = deploy(fake, by_tag, "--atomic")
    assert (result.result, result.images) == ("upgraded", {})
    assert fake.store[("orders", "ns")][-1].values == {"replicas": 2}


def test_a_failed_upgrade_is_rolled_back_and_reported(tmp_path: Path) -> None:
    fake = releases(tmp_path, revision(1, "deployed"))
    fake.fail_upgrades = "context deadline exceeded"
    result = deploy(fake, target(tmp_path, "1.1.0"), "--rollback-on-failure")
    assert (result.result, result.ok, result.revision) == ("rolled back", False, 3)
    assert "context deadline exceeded" in result.message
    assert fake.store[("orders", "ns")][-1].version == "1.0.0"


def test_a_failed_first_install_leaves_no_release(tmp_path: Path) -> None:
    fake = releases(tmp_path)
    fake.fail_upgrades = "boom"
    result = deploy(fake, target(tmp_path), "--rollback-on-failure")
    assert (result.result, result.revision) == ("failed", 0)
    assert ("orders", "ns") not in fake.store


def test_a_pending_upgrade_is_rolled_back_to_the_last_deployed_revision_first(tmp_path: Path) -> None:
    fake = releases(
        tmp_path, revision(1, "superseded"), revision(2, "deployed"), revision(3, "pending-upgrade", "1.1.0")
    )
    result = deploy(fake, target(tmp_path, "1.1.0"), "--rollback-on-failure")
    assert result.recovered == "revision 3 was pending-upgrade: rolled back to revision 2 (orders-1.0.0)"
    assert verbs(fake) == ["rollback", "upgrade"] and changes(fake)[0][:3] == ["rollback", "orders", "2"]
    assert (result.result, result.revision) == ("upgraded", 5)


def test_a_pending_install_is_uninstalled_first(tmp_path: Path) -> None:
    fake = releases(tmp_path, revision(1, "pending-install"))
    result = deploy(fake, target(tmp_path), "--rollback-on-failure")
    assert result.recovered == "revision 1 was pending-install: none was ever deployed: uninstalled"
    assert verbs(fake) == ["uninstall", "upgrade"] and result.result == "installed"


@pytest.mark.parametrize(
    "statuses", [[], ["deployed"], ["superseded", "deployed"], ["deployed", "uninstalled"]]
)
def test_healthy_or_absent_releases_need_no_recovery(statuses: list[str]) -> None:
    fake = FakeReleases()
    revisions = tuple(Revision(i + 1, s, "1.0.0") for i, s in enumerate(statuses))
    assert recover(fake, Release("orders", "ns", revisions) if revisions else None, 60) == ""
    assert fake.calls == []


@pytest.mark.parametrize(
    ("statuses", "done"),
    [
        (["deployed", "failed"], "revision 2 was failed: rolled back to revision 1 (orders-1.0.0)"),
        (["failed"], "revision 1 was failed: none was ever deployed: uninstalled"),
        (["deployed", "uninstalling"], "revision 2 was uninstalling: uninstalled"),
        (["uninstalling"], "revision 1 was uninstalling: uninstalled"),
        (["superseded", "superseded"], "revision 2 was superseded: rolled back to revision 2 (orders-1.0.0)"),
        (
            ["deployed", "pending-rollback"],
            "revision 2 was pending-rollback: rolled back to revision 1 (orders-1.0.0)",
        ),
        (
            ["deployed", "something-new"],
            "revision 2 was something-new: rolled back to revision 1 (orders-1.0.0)",
        ),
    ],
)
def test_every_state_not_on_solid_ground_is_recovered(statuses: list[str], done: str, tmp_path: Path) -> None:
    fake = releases(tmp_path, *(revision(i + 1, s) for i, s in enumerate(statuses)))
    assert recover(fake, fake.releases("ns", ["orders"])["orders"], 60) == done
    assert fake.releases("ns", ["orders"]).get("orders") is None or (
        fake.releases("ns", ["orders"])["orders"].last.status == "deployed"
    )


class Deployments:
    def __init__(self, **status: int) -> None:
        self.status = {"observedGeneration": 2, "updatedReplicas": 2, "availableReplicas": 2, **status}

    def get_json(self, *args: str) -> Any:
        assert args[-2:] == ("-l", "app.kubernetes.io/instance=orders")
        deployment = {"metadata": {"name": "orders", "generation": 2}, "spec": {"replicas": 2}}
        return {"items": [{**deployment, "status": self.status}]}


def test_promote_reads_only_healthy_releases(tmp_path: Path) -> None:
    fake = releases(tmp_path, revision(1, "deployed", image={"digest": DIGEST}))
    ready = Deployments()
    assert source_release(HelmDeployer(fake, helm_4, fake, None), ready, "orders", "ns") == Running(
        "orders", "1.0.0", "d-1.0.0", {"image": DIGEST}
    )
    assert (
        source_release(HelmDeployer(FakeReleases(), helm_4, FakeReleases(), None), ready, "orders", "ns")
        == "no release"
    )
    failed = releases(tmp_path, revision(1, "deployed"), revision(2, "failed", "1.1.0"))
    assert (
        source_release(HelmDeployer(failed, helm_4, failed, None), ready, "orders", "ns")
        == "not healthy: its last revision is failed"
    )
    pending = releases(tmp_path, revision(1, "deployed"), revision(2, "pending-upgrade", "1.1.0"))
    assert (
        source_release(HelmDeployer(pending, helm_4, pending, None), ready, "orders", "ns")
        == "not healthy: its last revision is pending-upgrade"
    )
    assert source_release(
        HelmDeployer(fake, helm_4, fake, None), Deployments(availableReplicas=1), "orders", "ns"
    ) == ("not healthy: Deployment orders: 1 of 2 replicas available, 2 updated")
    assert source_release(
        HelmDeployer(fake, helm_4, fake, None), Deployments(observedGeneration=1), "orders", "ns"
    ) == ("not healthy: Deployment orders: its latest change is not rolled out yet")


def test_an_upgrade_helm_never_finishes_is_recovered_at_once(tmp_path: Path) -> None:
    fake = releases(tmp_path, revision(1, "deployed"))
    fake.hang_upgrades = True
    result = deploy(fake, target(tmp_path, "1.1.0"), "--rollback-on-failure")
    assert result.result == "rolled back" and "did not finish" in result.message
    assert "revision 2 was pending-upgrade: rolled back to revision 1" in result.message
    assert fake.store[("orders", "ns")][-1].status == "deployed"


def _charts(*names: str) -> list[GeneratedChart]:
    return [GeneratedChart.of(name, {}) for name in names]


def test_image_digest_files_are_checked(tmp_path: Path) -> None:
    (tmp_path / "orders.digest").write_text(DIGEST + "\n")
    (tmp_path / "README").write_text("ignored: not a .digest file")
    assert read_image_digests(tmp_path, _charts("orders", "billing")) == {"orders": {"image": DIGEST}}
    (tmp_path / "billing.digest").write_text("latest\n")
    (tmp_path / "typo.digest").write_text(DIGEST)
    with pytest.raises(UserError) as caught:
        read_image_digests(tmp_path, _charts("orders", "billing"))
    assert "billing.digest:1:1: not an image digest" in str(caught.value)
    assert "'typo' is not an image of this repository's charts" in str(caught.value)
    with pytest.raises(UserError, match="no such folder"):
        read_image_digests(tmp_path / "missing", _charts("orders"))


def test_a_platform_charts_images_are_its_services_each_pinned_by_its_own_digest(tmp_path: Path) -> None:
    services = [{"name": "acme-platform-jobs-service", "values": "jobService"},
                {"name": "acme-platform-data-index", "values": "dataIndex"}]  # fmt: skip
    data = yaml.safe_dump({"kind": "platform", "environments": {"prod": {"services": services}}})
    platform = GeneratedChart.of("acme-platform", {DATA_FILE: data.encode()})
    assert platform.images == {
        "acme-platform-data-index": "dataIndex.image",
        "acme-platform-jobs-service": "jobService.image",
    }
    (tmp_path / "acme-platform-jobs-service.digest").write_text(DIGEST)
    (tmp_path / "acme-platform-data-index.digest").write_text(OTHER)
    images = read_image_digests(tmp_path, [platform])["acme-platform"]
    assert images == {"jobService.image": DIGEST, "dataIndex.image": OTHER}
    fake = releases(tmp_path, revision(1, "deployed"))
    pinned = dataclasses.replace(target(tmp_path), images=images, image_sections=tuple(images))
    result = deploy(fake, pinned, "--atomic")
    assert result.result == "upgraded"
    assert f"jobService.image.digest={DIGEST}" in changes(fake)[-1]
    assert f"dataIndex.image.digest={OTHER}" in changes(fake)[-1]
    stored = fake.store[("orders", "ns")][-1].values
    assert stored["jobService"] == {"image": {"digest": DIGEST}}
    # The same version again, no digests given: the running ones are kept, nothing changes.
    kept = dataclasses.replace(target(tmp_path), image_sections=tuple(images))
    assert deploy(fake, kept, "--atomic").result == "unchanged"


def test_registry_urls_are_checked() -> None:
    assert check_registry("oci://127.0.0.1:5000/charts/") == "oci://127.0.0.1:5000/charts"
    for bad in ("https://registry.example.com/charts", "oci://host/pa th", "oci://"):
        with pytest.raises(UserError, match="not an OCI registry URL"):
            check_registry(bad)


def test_charts_are_chosen_by_environment_and_name() -> None:
    from testing.repo import REPO

    charts = REPO / "tests" / "golden" / "vso"
    names = [c.name for c in select_charts(charts_in(charts), charts, "staging", [])]
    assert names and all(not n.endswith("-dev") for n in names)
    with pytest.raises(UserError, match="--chart nope: no generated chart"):
        select_charts(charts_in(charts), charts, "staging", ["nope"])
    with pytest.raises(UserError, match="has the environment 'qa'"):
        select_charts(charts_in(charts), charts, "qa", [])
    with pytest.raises(UserError, match="not an environment name"):
        select_charts(charts_in(charts), charts, "../prod", [])


def test_a_chart_folder_or_namespace_that_is_no_name_is_refused(tmp_path: Path) -> None:
    from testing.repo import REPO

    charts = tmp_path / "charts"
    shutil.copytree(REPO / "tests" / "golden" / "vso" / "order-approval", charts / "--order")
    with pytest.raises(UserError, match=r"not chart names .*: --order"):
        select_charts(charts_in(charts), charts, "staging", [])
    (charts / "--order").rename(charts / "order-approval")
    data = charts / "order-approval" / "files" / "chartgen-data.yaml"
    data.write_text(data.read_text().replace("namespace: workflows-staging", "namespace: --all"))
    with pytest.raises(UserError, match="'--all' is not a namespace name"):
        make_target(GeneratedChart.at(charts / "order-approval"), "staging", {})
