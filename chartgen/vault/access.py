"""What Vault must grant one production chart in one environment, and how that reads as a
policy and a Kubernetes auth role.

The facts come from the chart itself (values.yaml + values-<env>.yaml: serviceAccount.name
and the vault section; files/chartgen-data.yaml: the namespace and every Secret key), the
same values its templates render the VSO, ESO and injector objects from. So the role binds
exactly the identity the pods log in with, and the policy reads exactly their path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# Vault tokens of a runtime: short-lived (VSO renews them, the agent logs in again).
TOKEN_TTL_SECONDS = 900
TOKEN_MAX_TTL_SECONDS = 3600


@dataclass(frozen=True)
class VaultAccess:
    chart: str
    env: str
    provider: str  # vso | eso | injector
    namespace: str
    service_account: str
    address: str
    kv_mount: str
    path: str
    auth_mount: str
    role: str
    audience: str
    keys: tuple[str, ...]

    @property
    def policy(self) -> str:
        """One name per chart and environment: the role's."""
        return self.role

    @property
    def data_path(self) -> str:
        return f"{self.kv_mount}/data/{self.path}"

    @property
    def metadata_path(self) -> str:
        return f"{self.kv_mount}/metadata/{self.path}"

    def policy_hcl(self) -> str:
        """Read the chart's secret (data), and its metadata for `vault check`: nothing else."""
        header = f"# chartgen: chart {self.chart}, environment {self.env}, namespace {self.namespace}\n"
        rules = "".join(
            f'path {_hcl(p)} {{\n  capabilities = ["read"]\n}}\n'
            for p in (self.data_path, self.metadata_path)
        )
        return header + rules

    def role_settings(self) -> dict[str, Any]:
        """The Kubernetes auth role, as Vault's API takes (and returns) it: every setting that
        widens who logs in or what a token may do is written out, so none stays from a hand edit."""
        return {
            "bound_service_account_names": [self.service_account],
            "bound_service_account_namespaces": [self.namespace],
            "bound_service_account_namespace_selector": "",
            "audience": self.audience,
            "alias_name_source": "serviceaccount_uid",
            "token_policies": [self.policy],
            "token_no_default_policy": False,
            "token_ttl": TOKEN_TTL_SECONDS,
            "token_max_ttl": TOKEN_MAX_TTL_SECONDS,
            "token_explicit_max_ttl": 0,
            "token_period": 0,
            "token_num_uses": 0,
            "token_bound_cidrs": [],
            "token_type": "default",
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "chart": self.chart,
            "environment": self.env,
            "provider": self.provider,
            "address": self.address,
            "namespace": self.namespace,
            "serviceAccount": self.service_account,
            "secret": {"mount": self.kv_mount, "path": self.path, "keys": list(self.keys)},
            "policy": {"name": self.policy, "hcl": self.policy_hcl()},
            "role": {"mount": self.auth_mount, "name": self.role, **self.role_settings()},
        }


def _hcl(text: str) -> str:
    """An HCL string (the names are checked to hold no quote or backslash; JSON's escapes agree)."""
    return json.dumps(text)


def describe(access: VaultAccess) -> list[str]:
    """The plan of one chart and environment, for people."""
    a = access
    ttl = f"{TOKEN_TTL_SECONDS // 60}m (max {TOKEN_MAX_TTL_SECONDS // 60}m)"
    return [
        f"{a.chart} / {a.env}: Vault {a.address} ({a.provider}), namespace {a.namespace}",
        f"  secret  {a.kv_mount}/{a.path} (kv-v2) keys: {', '.join(a.keys)}",
        f"  policy  {a.policy}: read {a.data_path}, read {a.metadata_path}",
        f"  role    auth/{a.auth_mount}/role/{a.role}: ServiceAccount {a.service_account} in {a.namespace}, "
        f"audience {a.audience}, token TTL {ttl}, policy {a.policy}",
    ]
