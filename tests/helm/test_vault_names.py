"""The Vault objects the charts render point at exactly what `chartgen vault plan` grants:
one test reads both (real helm) and compares mount, role, path, ServiceAccount, audience, keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from testing.repo import REPO, Render, run_cli

pytestmark = pytest.mark.helm
PROFILE_NAMESPACES = {
    env: yaml.safe_load((REPO / "examples/profiles" / f"{env}.yaml").read_text())["namespace"]
    for env in ("staging", "prod")
}


def planned(charts: Path, env: str) -> dict[str, dict[str, Any]]:
    result = run_cli("vault", "plan", "--charts", str(charts), "--env", env, "--format", "json")
    assert result.code == 0, result.err
    return {p["chart"]: p for p in json.loads(result.out)}


def one(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind]
    return found


def render_env(render: Render, chart: Path, env: str, namespace: str) -> list[dict[str, Any]]:
    return render(chart, f"values-{env}.yaml", namespace=namespace)


@pytest.mark.parametrize("variant", ["vso", "eso", "injector"])
@pytest.mark.parametrize("env", ["staging", "prod"])
def test_rendered_vault_objects_match_the_plan(
    variant: str, env: str, variant_charts: dict[str, Path], render: Render
) -> None:
    plans = planned(variant_charts[variant], env)
    assert sorted(plans) == ["invoice-sync", "order-approval", "shipment-tracker"]
    for chart, plan in plans.items():
        objects = render_env(render, variant_charts[variant] / chart, env, plan["namespace"])
        role, secret = plan["role"], plan["secret"]
        account = one(objects, "ServiceAccount")
        assert account["metadata"]["name"] == plan["serviceAccount"] == role["bound_service_account_names"][0]
        # The namespace the role binds is the one the profile installs into.
        assert role["bound_service_account_namespaces"] == [PROFILE_NAMESPACES[env]]
        pod = one(objects, "Deployment")["spec"]["template"]
        assert pod["spec"]["serviceAccountName"] == plan["serviceAccount"]
        if variant == "vso":
            auth = one(objects, "VaultAuth")["spec"]
            assert auth["mount"] == role["mount"]
            assert auth["kubernetes"] == {
                "role": role["name"],
                "serviceAccount": plan["serviceAccount"],
                "audiences": [role["audience"]],
            }
            static = one(objects, "VaultStaticSecret")["spec"]
            assert (static["type"], static["mount"], static["path"]) == (
                "kv-v2",
                secret["mount"],
                secret["path"],
            )
            assert one(objects, "VaultConnection")["spec"]["address"] == plan["address"]
        elif variant == "eso":
            vault = one(objects, "SecretStore")["spec"]["provider"]["vault"]
            assert (vault["server"], vault["path"], vault["version"]) == (
                plan["address"],
                secret["mount"],
                "v2",
            )
            kube = vault["auth"]["kubernetes"]
            assert (kube["mountPath"], kube["role"]) == (role["mount"], role["name"])
            assert kube["serviceAccountRef"] == {
                "name": plan["serviceAccount"],
                "audiences": [role["audience"]],
            }
            data = one(objects, "ExternalSecret")["spec"]["data"]
            assert sorted(d["secretKey"] for d in data) == secret["keys"]
            assert {d["remoteRef"]["key"] for d in data} == {secret["path"]}
        else:
            annotations = pod["metadata"]["annotations"]
            assert annotations["vault.hashicorp.com/role"] == role["name"]
            assert annotations["vault.hashicorp.com/auth-path"] == f"auth/{role['mount']}"
            assert annotations["vault.hashicorp.com/service"] == plan["address"]
            data_path = f"{secret['mount']}/data/{secret['path']}"
            assert annotations["vault.hashicorp.com/agent-inject-secret-workflow.properties"] == data_path
            volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
            token = volumes[annotations["vault.hashicorp.com/agent-service-account-token-volume-name"]]
            assert token["projected"]["sources"][0]["serviceAccountToken"]["audience"] == role["audience"]
            template = annotations["vault.hashicorp.com/agent-inject-template-workflow.properties"]
            assert sorted({k for k in secret["keys"] if f'"{k}"' in template}) == secret["keys"]
