"""Charts on a real Kubernetes control plane: lifecycle, RBAC, hot deploy, rollouts, ct."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.tools.kubectl import Kubectl
from chartgen.tools.kwok import Cluster, cluster_down, cluster_up
from chartgen.tools.locate import cache_dir, find_tool
from chartgen.verify.lifecycle import install_crds
from testing.e2e import commit, git_repo, helm
from testing.repo import CRDS, REPO, replace_placeholders, run_cli
from testing.variants import make_variant

pytestmark = pytest.mark.e2e
CORPUS = REPO / "tests" / "corpus"
RESTRICTED = "pod-security.kubernetes.io/enforce=restricted"


def crd_args() -> list[str]:
    return ["--crds", str(CRDS)]


def timed(label: str, start: float) -> None:
    print(f"[e2e] {label}: {time.monotonic() - start:.1f}s")


def chart_test(cluster: Cluster, charts: Path, *extra: str) -> dict[str, Any]:
    start = time.monotonic()
    result = run_cli(
        "--output",
        "json",
        "test",
        "--charts",
        str(charts),
        "--kubeconfig",
        str(cluster.kubeconfig),
        *crd_args(),
        *extra,
    )
    report = json.loads(result.out)["result"]
    assert report is not None, result.out
    for r in report["results"]:
        print(f"[e2e]   {r['chart']} {r['values']}: {r['phases']} (upgrade from {r['upgradeFrom']})")
    timed(f"chartgen test {charts.name}", start)
    assert result.code == 0, json.dumps([r for r in report["results"] if not r["ok"]], indent=1)
    return {r["chart"]: r for r in report["results"]}


def namespace(kubectl: Kubectl, name: str) -> None:
    kubectl.run(["create", "namespace", name])
    kubectl.run(["label", "namespace", name, RESTRICTED])


def test_examples_lifecycle_upgrading_from_git(cluster: Cluster, tmp_path: Path) -> None:
    repo = git_repo(tmp_path)
    assert run_cli("-C", str(repo), "generate").code == 0
    commit(repo, "charts as released")
    props = repo / "workflows/order-approval/application.properties"
    props.write_text(props.read_text() + 'quarkus.log.category."org.acme".level=DEBUG\n')
    assert run_cli("-C", str(repo), "generate").code == 0
    results = chart_test(cluster, repo / "charts")
    assert set(results) == {"acme-workflows-dev", "invoice-sync", "order-approval", "shipment-tracker"}
    assert results["order-approval"]["upgradeFrom"].startswith("git ")
    assert results["invoice-sync"]["upgradeFrom"] == "changed values"  # unchanged since the commit
    for r in results.values():
        assert list(r["phases"])[-4:] == ["upgrade", "helm test", "rollback", "uninstall"]


@pytest.mark.parametrize("variant", ["eso", "injector", "existing", "sonataflow"])
def test_every_provider_and_runtime_installs(variant: str, cluster: Cluster, tmp_path: Path) -> None:
    repo = make_variant(tmp_path, variant)
    assert run_cli("-C", str(repo), "generate").code == 0
    chart_test(cluster, repo / "charts" / "invoice-sync")


def test_platform_chart_installs_upgrades_and_rolls_back_beside_the_workflow_charts(
    cluster: Cluster, tmp_path: Path
) -> None:
    repo = make_variant(tmp_path, "platform")
    assert run_cli("-C", str(repo), "generate").code == 0
    charts = repo / "charts"
    values = yaml.safe_load((charts / "order-approval/values-prod.yaml").read_text())
    assert values["jobService"]["url"] == (
        "http://acme-workflows-platform-jobs-service.workflows-prod.svc.cluster.local"
    )
    results = chart_test(cluster, charts)
    assert "acme-workflows-platform" in results and "order-approval" in results
    for r in results.values():
        assert list(r["phases"])[-4:] == ["upgrade", "helm test", "rollback", "uninstall"], r["phases"]
    # Deployed like the others: `chartgen deploy` of the environment installs it with them.
    replace_placeholders(repo)
    assert run_cli("-C", str(repo), "generate").code == 0
    install_crds(cluster.kubectl(), [CRDS])
    deployed = run_cli(
        "-C",
        str(repo),
        "deploy",
        "--env",
        "staging",
        "--skip-vault-check",
        "--create-namespace",
        "--kubeconfig",
        str(cluster.kubeconfig),
    )
    assert deployed.code == 0, deployed.out + deployed.err
    listed = json.loads(helm(cluster, "list", "-n", "workflows-staging", "-o", "json"))
    assert {r["name"]: r["status"] for r in listed}.get("acme-workflows-platform") == "deployed", listed


def test_corpus_sample_installs(cluster: Cluster, tmp_path: Path) -> None:
    out = tmp_path / "charts"
    # rhdh-local's bearer tokens are read at start-up: the profile maps them to Secret keys.
    profiles = tmp_path / "profiles"
    shutil.copytree(REPO / "examples/profiles", profiles)
    base = yaml.safe_load((profiles / "base.yaml").read_text())
    base["secrets"]["env"] = {"SLACK_BOT_TOKEN": "slack-bot-token", "GITHUB_TOKEN": "github-token"}
    (profiles / "base.yaml").write_text(yaml.safe_dump(base, sort_keys=False))
    sample = {
        "redhat-developer__rhdh-local": ["--profiles", str(profiles)],
        "rhdhorchestrator__orchestrator-demo": [  # its Kafka project is refused
            "--profiles", str(REPO / "examples/profiles"), "--exclude", "08_kafka_events",
        ],
    }  # fmt: skip
    for folder, args in sample.items():
        result = run_cli(
            "generate", "--workflows", str(CORPUS / folder), *args,
            "--out", str(out / folder), "--name", folder.split("__")[0][:20],
        )  # fmt: skip
        assert result.code == 0, result.err
    chart_test(cluster, out / "redhat-developer__rhdh-local")  # its dev chart and production chart
    chart_test(cluster, out / "rhdhorchestrator__orchestrator-demo" / "wf-09-token-propagation")
    chart_test(cluster, out / "rhdhorchestrator__orchestrator-demo" / "aap-db-deploy-workflow")


def test_rbac_proofs(cluster: Cluster, tmp_path: Path) -> None:
    """Who may do what is the profile's to say: a runtime grant, deployers and viewers."""
    rule = {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}
    rbac = {
        "deployers": ["group:workflow-deployers"],
        "viewers": ["group:workflow-viewers"],
        "kubernetesApi": {"invoice-sync": [rule]},
    }
    repo = make_variant(tmp_path, "vso", {"rbac": rbac})
    assert run_cli("-C", str(repo), "generate").code == 0
    kubectl = cluster.kubectl()
    install_crds(kubectl, [CRDS])  # whatever ran before
    ns = "rbac-proof"
    namespace(kubectl, ns)
    chart = repo / "charts/invoice-sync"
    values = ["-f", str(chart / "values-prod.yaml")]
    helm(cluster, "install", "invoice-sync", str(chart), "-n", ns, *values, "--wait", "--timeout", "3m")
    sa = f"system:serviceaccount:{ns}:invoice-sync"
    runtime = {
        ("get", "configmaps", ns): True,
        ("list", "configmaps", ns): True,
        ("create", "configmaps", ns): False,
        ("get", "secrets", ns): False,
        ("create", "pods/exec", ns): False,
        ("get", "configmaps", "default"): False,
        ("list", "pods", ns): False,
    }
    for (verb, resource, where), allowed in runtime.items():
        assert kubectl.can_i(verb, resource, where, sa) is allowed, (verb, resource, where)

    deployer = ("alice", ["workflow-deployers"])
    deployer_rules: dict[tuple[str, str, str | None], bool] = {
        ("create", "deployments.apps", ns): True,
        ("delete", "networkpolicies.networking.k8s.io", ns): True,
        ("patch", "vaultstaticsecrets.secrets.hashicorp.com", ns): True,
        ("create", "roles.rbac.authorization.k8s.io", ns): True,
        ("get", "secrets", ns): True,  # Helm's release records
        ("get", "secrets", "default"): False,
        ("create", "deployments.apps", "default"): False,
        ("create", "clusterroles.rbac.authorization.k8s.io", None): False,
        ("create", "statefulsets.apps", ns): False,
    }
    for (verb, resource, scope), allowed in deployer_rules.items():
        assert kubectl.can_i(verb, resource, scope, *deployer) is allowed, ("deployer", verb, resource, scope)

    viewer = ("bob", ["workflow-viewers"])
    for (verb, resource), allowed in {
        ("get", "deployments.apps"): True,
        ("list", "configmaps"): True,
        ("watch", "networkpolicies.networking.k8s.io"): True,
        ("create", "deployments.apps"): False,
        ("delete", "configmaps"): False,
        ("get", "secrets"): False,
    }.items():
        assert kubectl.can_i(verb, resource, ns, *viewer) is allowed, ("viewer", verb, resource)
    helm(cluster, "uninstall", "invoice-sync", "-n", ns, "--wait")


def test_pod_security_restricted_is_enforced(cluster: Cluster) -> None:
    kubectl = cluster.kubectl()
    namespace(kubectl, "psa-proof")
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: privileged}\nspec:\n  containers:\n"
        "    - {name: c, image: docker.io/library/busybox:1.37.0, securityContext: {privileged: true}}\n"
    )
    refused = kubectl.run(["apply", "-n", "psa-proof", "-f", "-"], input_text=pod, check=False)
    assert not refused.ok
    assert 'violates PodSecurity "restricted' in refused.stderr


def test_minimal_crds_when_none_are_given(tmp_path: Path) -> None:
    """A cluster without the real CRDs: `chartgen test` installs ones that accept any spec, for
    the custom kinds the chart contains only, and says they check nothing."""
    bare = cluster_up("chartgen-e2e-bare", nodes=2)
    try:
        repo = git_repo(tmp_path)
        assert run_cli("-C", str(repo), "generate").code == 0
        result = run_cli(
            "test", "--charts", str(repo / "charts/invoice-sync"), "--kubeconfig", str(bare.kubeconfig)
        )
        assert result.code == 0, result.out + result.err
        assert (
            "installed stub CRDs (any spec accepted, nothing checked) for VaultConnection, VaultAuth, "
            "VaultStaticSecret: pass --crds with the real ones to check those resources"
        ) in result.out
        crds = bare.kubectl().get_json("crd", "-l", "app.kubernetes.io/managed-by=chartgen")["items"]
        assert len(crds) == 3
    finally:
        cluster_down("chartgen-e2e-bare")


def pod_state(kubectl: Kubectl, ns: str, release: str) -> tuple[str, int]:
    pods = kubectl.get_json("pods", "-n", ns, "-l", f"app.kubernetes.io/instance={release}")["items"]
    [pod] = [
        p
        for p in pods
        if p["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "workflow-runtime"
    ]
    restarts = sum(c.get("restartCount", 0) for c in pod["status"].get("containerStatuses", []))
    return pod["metadata"]["uid"], restarts


def test_dev_sync_hot_deploys_without_restart(cluster: Cluster, tmp_path: Path) -> None:
    repo = git_repo(tmp_path)
    assert run_cli("-C", str(repo), "generate").code == 0
    kubectl = cluster.kubectl()
    ns = "workflows-dev"  # the dev profile's namespace
    namespace(kubectl, ns)
    release = "acme-workflows-dev"
    helm(cluster, "install", release, str(repo / "charts" / release), "-n", ns, "--wait", "--timeout", "3m")
    before = pod_state(kubectl, ns, release)

    wf = repo / "workflows/order-approval/order-approval.sw.yaml"
    wf.write_text(wf.read_text().replace("name: Order Approval", "name: Order Approval (hot)"))
    start = time.monotonic()
    result = run_cli("-C", str(repo), "dev", "sync", "--env", "dev", "--kubeconfig", str(cluster.kubeconfig))
    timed("dev sync", start)
    assert result.code == 0, result.err
    assert "~ order-approval.sw.yaml (changed)" in result.out
    assert "0 added, 1 changed, 0 removed workflows" in result.out

    cm = kubectl.get_json("configmap", f"{release}-root-0", "-n", ns, "--show-managed-fields")
    assert "name: Order Approval (hot)" in cm["data"]["order-approval.sw.yaml"]
    managers = {m["manager"] for m in cm["metadata"]["managedFields"]}
    assert "chartgen" in managers
    assert pod_state(kubectl, ns, release) == before  # same pod, no restart

    again = run_cli("-C", str(repo), "dev", "sync", "--env", "dev", "--kubeconfig", str(cluster.kubeconfig))
    assert "0 added, 0 changed, 0 removed workflows" in again.out

    assert run_cli("-C", str(repo), "generate").code == 0
    upgraded = helm(
        cluster, "upgrade", release, str(repo / "charts" / release), "-n", ns, "--wait", "--timeout", "3m"
    )
    assert "conflict" not in upgraded.lower()
    helm(cluster, "uninstall", release, "-n", ns, "--wait")


def replica_sets(kubectl: Kubectl, ns: str, release: str) -> set[str]:
    found = kubectl.get_json("replicasets", "-n", ns, "-l", f"app.kubernetes.io/instance={release}")
    return {rs["metadata"]["name"] for rs in found["items"]}


def test_property_change_rolls_pods_replica_bound_does_not(cluster: Cluster, tmp_path: Path) -> None:
    repo = git_repo(tmp_path)
    assert run_cli("-C", str(repo), "generate").code == 0
    kubectl = cluster.kubectl()
    ns = "rollout"
    namespace(kubectl, ns)
    chart = repo / "charts/order-approval"
    prod = ["-f", str(chart / "values-prod.yaml")]
    helm(cluster, "install", "order-approval", str(chart), "-n", ns, *prod, "--wait", "--timeout", "3m")
    first = replica_sets(kubectl, ns, "order-approval")
    assert len(first) == 1

    props = repo / "workflows/order-approval/application.properties"
    props.write_text(props.read_text() + "quarkus.log.level=DEBUG\n")
    assert run_cli("-C", str(repo), "generate").code == 0
    helm(cluster, "upgrade", "order-approval", str(chart), "-n", ns, *prod, "--wait", "--timeout", "3m")
    second = replica_sets(kubectl, ns, "order-approval")
    assert len(second) == 2 and first < second  # the checksum rolled a new ReplicaSet

    bound = tmp_path / "bound.yaml"
    bound.write_text("autoscaling:\n  maxReplicas: 12\n")
    helm(
        cluster,
        "upgrade",
        "order-approval",
        str(chart),
        "-n",
        ns,
        *prod,
        "-f",
        str(bound),
        "--wait",
        "--timeout",
        "3m",
    )
    assert replica_sets(kubectl, ns, "order-approval") == second
    hpa = kubectl.get_json("hpa", "order-approval", "-n", ns)
    assert hpa["spec"]["maxReplicas"] == 12
    helm(cluster, "uninstall", "order-approval", "-n", ns, "--wait")


def test_ct_lint_and_install_upgrade(cluster: Cluster, tmp_path: Path) -> None:
    repo = git_repo(tmp_path)
    assert run_cli("-C", str(repo), "generate").code == 0
    commit(repo, "charts as released")
    # ct compares with origin/main: a bare repository stands in for the remote.
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    for args in (
        ["remote", "add", "origin", str(remote)],
        ["push", "-q", "origin", "main"],
        ["fetch", "-q", "origin"],
    ):
        subprocess.run(["git", *args], cwd=repo, check=True)
    subprocess.run(["git", "checkout", "-q", "-b", "change"], cwd=repo, check=True)
    wf = repo / "workflows/invoice-sync/invoice-sync.sw.yaml"
    wf.write_text(wf.read_text().replace('version: "2.0.0"', 'version: "2.0.1"'))
    assert run_cli("-C", str(repo), "generate").code == 0
    commit(repo, "invoice-sync 2.0.1, version not bumped")
    subprocess.run(["git", "push", "-q", "origin", "change"], cwd=repo, check=True)
    # ct runs on a fresh clone, as CI checks a pull request out.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "-b", "change", str(remote), str(clone)], check=True)
    for key, value in (("user.email", "e2e@example.invalid"), ("user.name", "e2e")):
        subprocess.run(["git", "config", key, value], cwd=clone, check=True)
    assert (clone / "charts/ct.yaml").is_file()

    venv_bin = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{cache_dir() / 'bin'}:{venv_bin}:{os.environ['PATH']}",
        "CT_CONFIG_DIR": str(cache_dir() / "ct"),
        "KUBECONFIG": str(cluster.kubeconfig),
        "HELM_CACHE_HOME": str(tmp_path / "helm-cache"),
    }
    ct = str(find_tool("ct"))

    def run_ct(*args: str) -> subprocess.CompletedProcess[str]:
        start = time.monotonic()
        done = subprocess.run(
            [ct, *args, "--config", "charts/ct.yaml"],
            cwd=clone, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        timed(f"ct {' '.join(args)}", start)
        return done

    # The version check is on: a changed chart under its old version fails ct lint...
    unbumped = run_ct("lint")
    assert unbumped.returncode != 0
    assert "invoice-sync" in unbumped.stdout + unbumped.stderr
    # ... and passes once `chartgen version bump` raised it.
    assert run_cli("-C", str(clone), "version", "bump", "--base", "origin/main").code == 0
    commit(clone, "bump invoice-sync")
    kubectl = cluster.kubectl()
    before = set(kubectl.run(["get", "namespaces", "-o", "name"]).stdout.split())
    # ct's own clean-up waits for each namespace to be gone (two thirds of its time): the
    # namespaces it made are deleted here instead, without waiting.
    for args in (["lint"], ["install", "--upgrade", "--all", "--skip-clean-up"]):
        if args[0] == "install":  # ct installs the charts as they are: CRDs first
            install_crds(kubectl, [CRDS])
        done = run_ct(*args)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    made = sorted(set(kubectl.run(["get", "namespaces", "-o", "name"]).stdout.split()) - before)
    assert made, "ct installed nothing"
    kubectl.run(["delete", *made, "--wait=false"])


def test_an_unreachable_cluster_is_one_clear_line(tmp_path: Path) -> None:
    """`test` and `dev sync` choose the cluster by one rule and say once when it does not answer."""
    dead = tmp_path / "dead.kubeconfig"
    dead.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "dead", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {"token": "x"}}],
                "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "u"}}],
                "current-context": "dead",
            }
        )
    )
    repo = git_repo(tmp_path)
    assert run_cli("-C", str(repo), "generate").code == 0
    for args in (["test"], ["dev", "sync", "--env", "dev"]):
        result = run_cli("-C", str(repo), *args, "--kubeconfig", str(dead))
        assert result.code == 1, result.out
        lines = result.err.strip().splitlines()
        assert len(lines) == 1, result.err
        assert lines[0].startswith(
            f"chartgen: error: cannot reach the cluster of {dead} (from --kubeconfig): "
        )
