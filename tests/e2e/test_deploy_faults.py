"""deploy with faults injected, on a control plane of its own: what the preflight refuses
before any helm call, hand edits found by `drift` and repaired by `deploy`, Ctrl-C, SIGTERM
and SIGKILL at random moments of first installs and upgrades (each recovered by the next
deploy, whose report is what the cluster says), and every Vault gap refused per chart."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.tools.kwok import Cluster, cluster_down, cluster_up
from chartgen.verify.lifecycle import install_crds
from testing.e2e import api_server, git_repo, helm
from testing.openbao import OpenBao
from testing.repo import CRDS, CliResult, replace_placeholders, run_cli

pytestmark = pytest.mark.e2e
NAME = "chartgen-faults"
STAGING = "workflows-staging"
CHARTS = ("invoice-sync", "order-approval", "shipment-tracker")
INTERRUPTED_RUNS = 24
SEED = 20261207


@pytest.fixture(scope="module")
def faults_cluster(cluster: Cluster) -> Iterator[Cluster]:
    """A control plane of this module's own: no CRDs, no namespaces (the tier's is running)."""
    cluster_down(NAME)
    try:
        yield cluster_up(NAME, nodes=2)
    finally:
        cluster_down(NAME)


@pytest.fixture(scope="module")
def platform(faults_cluster: Cluster) -> Cluster:
    """The operators' CRDs installed (the preflight test, first, runs without them)."""
    install_crds(faults_cluster.kubectl(), [CRDS / "vso", CRDS / "knative"])
    return faults_cluster


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = git_repo(tmp_path_factory.mktemp("faults"))
    replace_placeholders(root)
    assert run_cli("-C", str(root), "generate").code == 0
    return root


def deploy(repo: Path, cluster: Cluster, *args: str, kubeconfig: Path | None = None) -> CliResult:
    result = run_cli("-C", str(repo), "deploy", "--env", "staging", "--skip-vault-check",
                     "--kubeconfig", str(kubeconfig or cluster.kubeconfig), *args)  # fmt: skip
    assert "Traceback" not in result.out + result.err
    return result


def drift(repo: Path, cluster: Cluster, *args: str) -> CliResult:
    return run_cli(
        "-C", str(repo), "drift", "--env", "staging", "--kubeconfig", str(cluster.kubeconfig), *args
    )


def releases(cluster: Cluster) -> dict[str, tuple[int, str, str]]:
    """Release -> (revision, chart version, status) of its last revision, as Helm records it."""
    every = ("--deployed", "--failed", "--pending", "--uninstalling", "--superseded")
    found = json.loads(helm(cluster, "list", "-n", STAGING, *every, "-o", "json"))
    return {r["name"]: (int(r["revision"]), r["chart"].rsplit("-", 1)[1], r["status"]) for r in found}


def impersonating(cluster: Cluster, user: str, folder: Path) -> Path:
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    for entry in config["users"]:
        entry["user"]["as"] = user
    path = folder / f"{user}.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


def test_preflight_refuses_each_chart_before_any_helm_call(
    faults_cluster: Cluster, repo: Path, tmp_path: Path
) -> None:
    cluster, kubectl = faults_cluster, faults_cluster.kubectl()
    no_namespace = deploy(repo, cluster)
    assert no_namespace.code == 1
    for chart in CHARTS:
        assert (
            f"✖ {chart} refused: namespace {STAGING} does not exist: create it with the Pod Security "
            "labels the charts need (restricted), or deploy with --create-namespace"
        ) in no_namespace.out

    no_crds = deploy(repo, cluster, "--create-namespace")
    assert no_crds.code == 1
    labels = json.loads(kubectl.run(["get", "namespace", STAGING, "-o", "json"]).stdout)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert (
        "VaultAuth (secrets.hashicorp.com) is not installed in the cluster: install the Vault Secrets "
        "Operator (its CRDs) first"
    ) in no_crds.out
    assert "Trigger (eventing.knative.dev) is not installed in the cluster: install the Knative Eventing" in (
        no_crds.out
    )
    assert releases(cluster) == {}

    install_crds(kubectl, [CRDS / "vso", CRDS / "knative"])
    nobody = deploy(repo, cluster, kubeconfig=impersonating(cluster, "nobody", tmp_path))
    assert nobody.code == 1
    assert (
        f"this identity may not get, list, watch, create, update, patch, delete deployments.apps in {STAGING}"
    ) in nobody.out

    values = repo / "charts" / "invoice-sync" / "values-staging.yaml"
    good = values.read_text()
    values.write_text(good + "image:\n  repository: registry.example.com/acme/invoice-sync\n")
    placeholder = deploy(repo, cluster, "--chart", "invoice-sync")
    values.write_text(good)
    assert (
        placeholder.code == 1
        and ("values image.repository is the example placeholder 'registry.example.com/acme/invoice-sync'")
        in placeholder.out
    )
    assert releases(cluster) == {}  # nothing of any refused chart reached helm

    ready = deploy(repo, cluster)
    assert ready.code == 0, ready.out + ready.err
    assert "preflight: namespaces, kinds, access and values ready" in ready.out
    assert {name: r[2] for name, r in releases(cluster).items()} == dict.fromkeys(CHARTS, "deployed")


def test_hand_edits_are_found_by_drift_and_repaired_by_deploy(platform: Cluster, repo: Path) -> None:
    cluster, kubectl = platform, platform.kubectl()
    assert deploy(repo, cluster, "--create-namespace").code == 0
    assert drift(repo, cluster).code == 0
    on = ["-n", STAGING]
    kubectl.run(["set", "image", "deploy/invoice-sync", "workflow=evil.example.com/x:1", *on])
    kubectl.run(["delete", "networkpolicy", "invoice-sync", *on])
    widen = [{"op": "add", "path": "/rules/-", "value": {"apiGroups": [""], "resources": ["pods/exec"],
                                                         "verbs": ["create"]}}]  # fmt: skip
    kubectl.run(["patch", "role", "order-approval-deployer", "--type=json", "-p", json.dumps(widen), *on])
    kubectl.run(["set", "env", "deploy/shipment-tracker", "DEBUG=1", *on])

    found = drift(repo, cluster)
    assert found.code == 1
    lines = found.out.splitlines()
    assert "    NetworkPolicy/invoice-sync: missing (the chart has it)" in lines
    assert any(
        line.startswith("    Deployment/invoice-sync spec.template.spec.containers[workflow].image: "
                        "evil.example.com/x:1 (chart: ")
        for line in lines
    ), lines  # fmt: skip
    assert "    Role/order-approval-deployer rules: 11 items (chart: 10 items)" in lines
    assert (
        "    Deployment/shipment-tracker spec.template.spec.containers[workflow].env[DEBUG]: set by "
        "kubectl-set (not in the chart)"
    ) in lines
    document = json.loads(drift(repo, cluster, "--output", "json").out)
    drifted = {r["name"]: r["status"] for r in document["result"]["releases"]}
    assert drifted == dict.fromkeys(CHARTS, "drifted")

    before = releases(cluster)
    repaired = deploy(repo, cluster)
    assert repaired.code == 0, repaired.out + repaired.err
    assert "3 repaired" in repaired.out
    after = releases(cluster)
    assert all(after[c][0] == before[c][0] + 1 and after[c][2] == "deployed" for c in CHARTS)
    assert drift(repo, cluster).code == 0
    live = json.loads(kubectl.run(["get", "deploy", "shipment-tracker", "-o", "json", *on]).stdout)
    assert "DEBUG" not in json.dumps(live["spec"]["template"]["spec"]["containers"][0].get("env", []))
    assert deploy(repo, cluster).out.count(" unchanged") >= 3  # repaired means in sync: nothing more to do


def start_deploy(repo: Path, cluster: Cluster) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "chartgen", "-C", str(repo), "--output", "json", "deploy", "--env",
            "staging", "--chart", "invoice-sync", "--skip-vault-check", "--kubeconfig", str(cluster.kubeconfig)]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_pending(cluster: Cluster, hung: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not releases(cluster).get("invoice-sync", (0, "", ""))[2].startswith("pending-"):
        assert hung.poll() is None and time.monotonic() < deadline, "helm never started on the release"
        time.sleep(0.1)


def test_interrupts_at_random_moments_are_recovered_by_the_next_deploy(platform: Cluster, repo: Path) -> None:
    cluster = platform
    assert deploy(repo, cluster, "--create-namespace").code == 0
    values = repo / "charts" / "invoice-sync" / "values-staging.yaml"
    good = values.read_text()
    rng = random.Random(SEED)
    moments: Counter[str] = Counter()
    start = time.monotonic()
    try:
        for run in range(INTERRUPTED_RUNS):
            first_install = (run // 4) % 2 == 0
            if first_install:
                helm(cluster, "uninstall", "invoice-sync", "-n", STAGING, "--wait")
            sig = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL, signal.SIGINT)[run % 4]
            twice = run % 4 == 3  # Ctrl-C pressed again: helm is stopped at once, mid-cleanup
            # A change whose pods never schedule: helm waits until the signal comes.
            values.write_text(good + f'podAnnotations:\n  e2e/run: "{run}"\nnodeSelector:\n  e2e/none: "x"\n')
            before = releases(cluster).get("invoice-sync")
            hung = start_deploy(repo, cluster)
            if run % 6 == 5:  # any moment, the checks before helm included
                time.sleep(rng.uniform(0.1, 3.0))
            else:  # while helm works on the release
                wait_for_pending(cluster, hung)
                time.sleep(rng.uniform(0.0, 1.5))
            hung.send_signal(sig)
            if twice:
                time.sleep(rng.uniform(0.05, 0.5))
                hung.send_signal(sig)
            out, err = hung.communicate(timeout=150)
            assert "Traceback" not in err
            now = releases(cluster).get("invoice-sync")
            left = now[2] if now else "none"
            what = f"{signal.Signals(sig).name}{' x2' if twice else ''} {'install' if first_install else 'upgrade'}"
            moments[f"{what} -> {left}"] += 1
            document = json.loads(out) if sig != signal.SIGKILL and out.strip() else {}
            if document.get("result"):
                # What the interrupted deploy reports is what the cluster holds now.
                row = document["result"]["charts"][0]
                running = now[0] if now and now[2] == "deployed" else 0
                assert row["revision"] == running, (row, now)
                # (a second Ctrl-C may land after the report, while chartgen exits)
                assert hung.returncode in ((128 + sig, -sig) if twice else (128 + sig,)), (
                    hung.returncode,
                    err,
                )
            elif sig != signal.SIGKILL:  # stopped before any helm call: nothing changed
                assert now == before and hung.returncode in (128 + sig, -sig), (now, before, err)
            values.write_text(good)
            recovered = deploy(repo, cluster, "--chart", "invoice-sync")
            assert recovered.code == 0, f"run {run} ({sig!r}): {recovered.out}{recovered.err}"
            assert releases(cluster)["invoice-sync"][2] == "deployed"
            assert drift(repo, cluster, "--chart", "invoice-sync").code == 0
    finally:
        values.write_text(good)
    print(
        f"\n[e2e] {INTERRUPTED_RUNS} interrupted deploys recovered in {time.monotonic() - start:.1f}s: {dict(moments)}"
    )


def test_every_vault_gap_refuses_its_chart_and_the_others_deploy(
    platform: Cluster, repo: Path, bao: OpenBao, tmp_path: Path
) -> None:
    cluster = platform
    assert deploy(repo, cluster, "--create-namespace").code == 0
    env = {"VAULT_ADDR": bao.address, "VAULT_TOKEN": bao.root_token}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    host, ca = api_server(cluster.kubeconfig)
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(ca)
    k8s = ("--kubernetes-host", host, "--kubernetes-ca", str(ca_file))

    def cli(*args: str) -> CliResult:
        result = run_cli("-C", str(repo), *args)
        assert "Traceback" not in result.err and "not-a-real" not in result.out + result.err
        return result

    def vault_deploy() -> CliResult:
        return cli("deploy", "--env", "staging", "--kubeconfig", str(cluster.kubeconfig))

    try:
        assert cli("vault", "apply", "--env", "staging", "--enable-mounts", *k8s).code == 0
        plan = {p["chart"]: p for p in json.loads(cli("vault", "plan", "--env", "staging", "--format",
                                                      "json").out)}  # fmt: skip
        root = bao.client()
        for p in plan.values():
            secret = p["secret"]
            root.secrets.kv.v2.create_or_update_secret(
                secret["path"], dict.fromkeys(secret["keys"], "not-a-real-value"), mount_point=secret["mount"]
            )
        assert cli("vault", "check", "--env", "staging").code == 0
        assert vault_deploy().code == 0

        role = "auth/kubernetes/role/chartgen-invoice-sync-staging"
        policy = "chartgen-invoice-sync-staging"
        gaps: dict[str, tuple[Any, str]] = {
            "no role": (lambda: root.adapter.delete(f"/v1/{role}"),
                        f"no role {role}: `chartgen vault apply --env staging` writes it"),
            "another namespace": (lambda: root.adapter.post(f"/v1/{role}", json={
                "bound_service_account_namespaces": ["elsewhere"]}),
                f"role {role} binds ServiceAccount invoice-sync in namespace elsewhere, not exactly "
                "invoice-sync in workflows-staging"),
            "another ServiceAccount": (lambda: root.adapter.post(f"/v1/{role}", json={
                "bound_service_account_names": ["someone"]}),
                f"role {role} binds ServiceAccount someone in namespace workflows-staging"),
            "policy without the path": (lambda: root.sys.create_or_update_policy(
                policy, 'path "kv/data/elsewhere" { capabilities = ["read"] }'),
                f"policy {policy} does not grant read on kv/data/workflows/staging/invoice-sync"),
            "missing key": (lambda: root.secrets.kv.v2.create_or_update_secret(
                "workflows/staging/invoice-sync", {"billing_api_token": "not-a-real-value"}, mount_point="kv"),
                "missing keys at kv/workflows/staging/invoice-sync: billing_client_id"),
        }  # fmt: skip
        for what, (make_gap, said) in gaps.items():
            make_gap()
            checked = cli("vault", "check", "--env", "staging")
            assert checked.code == 1 and f"✖ invoice-sync staging: {said}" in checked.out, (what, checked.out)
            blocked = vault_deploy()
            assert blocked.code == 1, (what, blocked.out)
            assert f"✖ invoice-sync refused: {said}" in blocked.out, (what, blocked.out)
            assert (
                "= order-approval unchanged" in blocked.out and "= shipment-tracker unchanged" in blocked.out
            )
            assert cli("vault", "apply", "--env", "staging").code == 0
            secret = plan["invoice-sync"]["secret"]
            root.secrets.kv.v2.create_or_update_secret(
                secret["path"], dict.fromkeys(secret["keys"], "not-a-real-value"), mount_point=secret["mount"]
            )
            assert cli("vault", "check", "--env", "staging").code == 0, what

        # An auth mount no pod can log in with: every chart refused, and apply refuses it too.
        root.sys.disable_auth_method("kubernetes")
        root.sys.enable_auth_method("kubernetes")
        unconfigured = vault_deploy()
        assert unconfigured.code == 1 and unconfigured.out.count("auth/kubernetes/ is not configured") >= 3
        assert releases(cluster)["invoice-sync"][2] == "deployed"
        refused = cli("vault", "apply", "--env", "staging")
        assert refused.code == 1 and "auth/kubernetes/ is not configured" in refused.err
        assert cli("vault", "apply", "--env", "staging", *k8s).code == 0
        assert cli("vault", "check", "--env", "staging").code == 0
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None)
            if value is not None:
                os.environ[key] = value
