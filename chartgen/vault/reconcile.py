"""`vault apply`: make Vault match the plan, idempotently.

Writes only the policies and roles of the plan (whose names carry chartgen's prefix), compares
before writing (so a second run changes nothing and a hand edit is repaired), and never
enables a mount unless asked. What was done before a failure is reported with the failure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from chartgen.vault.access import VaultAccess
from chartgen.vault.client import VaultApi, VaultError

Action = Literal["created", "updated", "unchanged", "enabled"]


@dataclass(frozen=True)
class Change:
    kind: str  # "policy", "role", "kv-v2 mount", "kubernetes auth"
    name: str
    action: Action
    chart: str = ""
    env: str = ""


@dataclass
class ApplyReport:
    changes: list[Change] = field(default_factory=list)
    error: VaultError | None = None

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)


@dataclass(frozen=True)
class KubernetesAuth:
    """Where the kubernetes auth mount reviews the pods' tokens (`vault apply --kubernetes-host`)."""

    host: str
    ca_pem: str = ""


def apply(
    api: VaultApi,
    accesses: Sequence[VaultAccess],
    enable_mounts: bool = False,
    on_change: Callable[[Change], None] | None = None,
    kubernetes: KubernetesAuth | None = None,
) -> ApplyReport:
    report = ApplyReport()

    def done(change: Change) -> None:
        report.changes.append(change)
        if on_change is not None:
            on_change(change)

    try:
        api.check_ready()
        _mounts(api, accesses, enable_mounts, done)
        for mount in sorted({a.auth_mount for a in accesses}):
            _auth_config(api, mount, kubernetes, done)
        for a in accesses:
            done(_policy(api, a))
            done(_role(api, a))
    except VaultError as exc:
        report.error = exc
    return report


def _mounts(
    api: VaultApi, accesses: Sequence[VaultAccess], enable: bool, done: Callable[[Change], None]
) -> None:
    """Every kv mount is kv-v2 and every auth mount a kubernetes method, or is made one when asked."""
    for mount in sorted({a.kv_mount for a in accesses}):
        if enable and api.secret_mount(mount) is None:
            api.enable_kv2(mount)
            done(Change("kv-v2 mount", f"{mount}/", "enabled"))
        require_kv2(api, mount)
    for mount in sorted({a.auth_mount for a in accesses}):
        found = api.auth_mount(mount)
        if found is None and enable:
            api.enable_kubernetes(mount)
            done(Change("kubernetes auth", f"auth/{mount}/", "enabled"))
        elif found is None:
            raise VaultError(
                f"Vault at {api.address} has no auth method at auth/{mount}/: enable kubernetes auth there "
                f"(`chartgen vault apply --enable-mounts`, or `bao auth enable -path={mount} kubernetes`) "
                "and configure it with the cluster's API address and CA"
            )
        elif found.type != "kubernetes":
            raise VaultError(
                f"Vault at {api.address}: auth/{mount}/ is a {found.type} auth method, not kubernetes: "
                "point secrets.vault.authMount at the cluster's kubernetes auth mount"
            )


def _auth_config(
    api: VaultApi, mount: str, wanted: KubernetesAuth | None, done: Callable[[Change], None]
) -> None:
    """A kubernetes auth mount with no API server to review tokens lets no pod in: configured
    when asked, else refused."""
    host = api.kubernetes_host(mount)
    if wanted is not None and wanted.host != host:
        api.configure_kubernetes(mount, wanted.host, wanted.ca_pem)
        done(Change("kubernetes auth config", f"auth/{mount}/config", "created" if not host else "updated"))
    elif not host:
        raise VaultError(unconfigured(api.address, mount))


def unconfigured(address: str, mount: str) -> str:
    return (
        f"Vault at {address}: auth/{mount}/ is not configured (no kubernetes_host), so no pod can log "
        f"in: `chartgen vault apply --kubernetes-host URL`, or `bao write auth/{mount}/config "
        "kubernetes_host=https://API-SERVER:6443`"
    )


def require_kv2(api: VaultApi, mount: str) -> None:
    found = api.secret_mount(mount)
    if found is None:
        raise VaultError(
            f"Vault at {api.address} has no secrets engine at {mount}/: enable kv-v2 there "
            f"(`chartgen vault apply --enable-mounts`, or `bao secrets enable -path={mount} kv-v2`)"
        )
    if (found.type, found.version) != ("kv", "2"):
        version = f" v{found.version}" if found.version else ""
        raise VaultError(
            f"Vault at {api.address}: {mount}/ is a {found.type}{version} mount, not kv-v2: point "
            f"secrets.vault.kvMount at a kv-v2 mount (or `bao kv enable-versioning {mount}`)"
        )


def _policy(api: VaultApi, access: VaultAccess) -> Change:
    wanted = access.policy_hcl()
    current = api.read_policy(access.policy)
    if current is not None and current.strip() == wanted.strip():
        return Change("policy", access.policy, "unchanged", access.chart, access.env)
    api.write_policy(access.policy, wanted)
    return Change(
        "policy", access.policy, "created" if current is None else "updated", access.chart, access.env
    )


def _role(api: VaultApi, access: VaultAccess) -> Change:
    wanted = access.role_settings()
    name = f"auth/{access.auth_mount}/role/{access.role}"
    current = api.read_role(access.auth_mount, access.role)
    if current is not None and _same(current, wanted):
        return Change("role", name, "unchanged", access.chart, access.env)
    api.write_role(access.auth_mount, access.role, wanted)
    return Change("role", name, "created" if current is None else "updated", access.chart, access.env)


def _same(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether Vault's role has every setting of the plan that this server knows (a setting
    one Vault version lacks is not drift)."""
    for key, value in wanted.items():
        if key not in current:
            continue
        have = current[key]
        if isinstance(value, list):
            if sorted(map(str, have or [])) != sorted(map(str, value)):
                return False
        elif str(have) != str(value):
            return False
    return True
