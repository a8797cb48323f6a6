"""Kubernetes login end to end: OpenBao's kubernetes auth reviews tokens with the local
kube-apiserver; a chart's own ServiceAccount, with the chart's audience, reads its secret,
and nothing else gets in."""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

import hvac
import hvac.exceptions
import pytest

from chartgen.tools.kubectl import Kubectl
from chartgen.tools.kwok import Cluster
from chartgen.verify.lifecycle import install_crds
from testing.e2e import api_server, git_repo, helm
from testing.openbao import OpenBao
from testing.repo import CRDS, CliResult, run_cli

pytestmark = pytest.mark.e2e
SENTINEL = f"s3ntinel-{secrets.token_hex(8)}"


def vault_cli(repo: Path, bao: OpenBao, *args: str) -> CliResult:
    """`chartgen vault ...` with the root token."""
    os.environ.update(VAULT_ADDR=bao.address, VAULT_TOKEN=bao.root_token)
    try:
        return run_cli("-C", str(repo), "vault", *args)
    finally:
        for key in ("VAULT_ADDR", "VAULT_TOKEN"):
            os.environ.pop(key)


def configure_kubernetes_auth(kubectl: Kubectl, kubeconfig: Path, client: hvac.Client, mount: str) -> None:
    """What the platform does once: a token reviewer (system:auth-delegator) for OpenBao."""
    kubectl.run(["create", "serviceaccount", "openbao-reviewer", "-n", "kube-system"])
    kubectl.run(["create", "clusterrolebinding", "openbao-reviewer", "--clusterrole=system:auth-delegator",
                 "--serviceaccount=kube-system:openbao-reviewer"])  # fmt: skip
    reviewer = kubectl.run(["create", "token", "openbao-reviewer", "-n", "kube-system", "--duration=1h"])
    host, ca = api_server(kubeconfig)
    client.auth.kubernetes.configure(
        kubernetes_host=host,
        kubernetes_ca_cert=ca,
        token_reviewer_jwt=reviewer.stdout.strip(),
        disable_local_ca_jwt=True,
        mount_point=mount,
    )


def test_chart_service_account_logs_in_and_nothing_else_does(
    cluster: Cluster, bao: OpenBao, tmp_path: Path
) -> None:
    start = time.monotonic()
    repo = git_repo(tmp_path)
    assert run_cli("-C", str(repo), "generate").code == 0
    plan = run_cli("-C", str(repo), "vault", "plan", "--env", "prod", "--format", "json")
    assert plan.code == 0, plan.err
    planned = {p["chart"]: p for p in json.loads(plan.out)}
    mine, other = planned["order-approval"], planned["invoice-sync"]
    ns = mine["namespace"]

    kubectl = cluster.kubectl()
    install_crds(kubectl, [CRDS])
    for namespace in (ns, "elsewhere"):
        kubectl.run(["create", "namespace", namespace], check=False)  # a rerun on the same cluster
    charts = repo / "charts"
    for chart, namespace in (("order-approval", ns), ("invoice-sync", ns), ("order-approval", "elsewhere")):
        values = str(charts / chart / "values-prod.yaml")
        helm(cluster, "install", chart, str(charts / chart), "-n", namespace, "-f", values)

    root = bao.client()
    root.sys.enable_auth_method("kubernetes", path=mine["role"]["mount"])
    root.sys.enable_secrets_engine("kv", path=mine["secret"]["mount"], options={"version": "2"})
    unconfigured = vault_cli(repo, bao, "check", "--env", "prod", "--chart", "order-approval")
    assert unconfigured.code == 1 and "auth/kubernetes/ is not configured" in unconfigured.out
    configure_kubernetes_auth(kubectl, cluster.kubeconfig, root, mine["role"]["mount"])
    applied = vault_cli(repo, bao, "apply", "--env", "prod", "--enable-mounts")
    assert applied.code == 0, applied.err
    secret = mine["secret"]
    root.secrets.kv.v2.create_or_update_secret(
        secret["path"], {k: SENTINEL for k in secret["keys"]}, mount_point=secret["mount"]
    )

    def token(account: str, namespace: str, audience: str | None) -> str:
        args = ["create", "token", account, "-n", namespace, "--duration=10m"]
        return kubectl.run([*args, *(["--audience", audience] if audience else [])]).stdout.strip()

    def login(jwt: str) -> hvac.Client:
        client = hvac.Client(url=bao.address)
        client.auth.kubernetes.login(mine["role"]["name"], jwt, mount_point=mine["role"]["mount"])
        return client

    # The chart's own ServiceAccount, in its namespace, with the chart's audience: in, and reads its secret.
    audience = mine["role"]["audience"]
    runtime = login(token(mine["serviceAccount"], ns, audience))
    read = runtime.secrets.kv.v2.read_secret_version(
        secret["path"], mount_point=secret["mount"], raise_on_deleted_version=True
    )
    assert sorted(read["data"]["data"]) == secret["keys"]
    assert set(read["data"]["data"].values()) == {SENTINEL}
    with pytest.raises(hvac.exceptions.Forbidden):  # and nothing else
        runtime.secrets.kv.v2.read_secret_version(
            other["secret"]["path"], mount_point=secret["mount"], raise_on_deleted_version=True
        )

    denied = {
        "another chart's ServiceAccount": (token(other["serviceAccount"], ns, audience), "service account name"),
        "the same ServiceAccount in another namespace": (token(mine["serviceAccount"], "elsewhere", audience),
                                                         "namespace not authorized"),
        "a token for another audience": (token(mine["serviceAccount"], ns, "not-vault"), "invalid audience"),
        "a token with the API server's audience": (token(mine["serviceAccount"], ns, None), "invalid audience"),
    }  # fmt: skip
    for what, (jwt, reason) in denied.items():
        with pytest.raises(hvac.exceptions.Forbidden) as refused:
            login(jwt)
        assert reason in str(refused.value), what

    # chartgen's own Kubernetes login (as a pipeline pod would): check the chart's keys.
    token_file = tmp_path / "token"
    token_file.write_text(token(mine["serviceAccount"], ns, audience))
    os.environ.update(
        VAULT_ADDR=bao.address,
        VAULT_K8S_ROLE=mine["role"]["name"],
        VAULT_K8S_TOKEN_FILE=str(token_file),
        VAULT_K8S_MOUNT=mine["role"]["mount"],
    )
    try:
        checked = run_cli("-C", str(repo), "vault", "check", "--env", "prod", "--chart", "order-approval")
    finally:
        for key in ("VAULT_ADDR", "VAULT_K8S_ROLE", "VAULT_K8S_TOKEN_FILE", "VAULT_K8S_MOUNT"):
            os.environ.pop(key)
    # The chart's own identity reads its keys (none missing) but may not read its role and policy:
    # the check cannot vouch for them, so it says so and fails.
    assert checked.code == 1, checked.out + checked.err
    assert "missing keys" not in checked.out and "no secret" not in checked.out
    assert "permission denied by Vault" in checked.out and "auth/kubernetes/role/" in checked.out
    full = vault_cli(repo, bao, "check", "--env", "prod", "--chart", "order-approval")
    assert full.code == 0, full.out + full.err
    assert (
        "✔ order-approval prod: role chartgen-order-approval-prod, policy chartgen-order-approval-prod, "
        "2 keys at kv/workflows/prod/order-approval"
    ) in full.out
    for text in (applied.out, applied.err, checked.out, checked.err, full.out, plan.out):
        assert SENTINEL not in text
    for namespace in (ns, "elsewhere"):
        kubectl.run(["delete", "namespace", namespace, "--wait=false"])
    print(f"[e2e] vault kubernetes login: {time.monotonic() - start:.1f}s")
