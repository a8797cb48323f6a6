"""`vault check`: what the pods of each chart need of Vault, as Vault is now.

For each chart and environment: the Kubernetes auth mount is a configured kubernetes method,
the role exists and binds exactly the chart's ServiceAccount and namespace with the chart's
audience and policy, the policy grants read on the secret's path, and every key is there.
Key names only: secret values are never printed, logged or kept. A refusal on one chart's
path is that chart's problem; a Vault that cannot be used at all stops the whole check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from chartgen.vault.access import VaultAccess
from chartgen.vault.client import VaultApi, VaultError
from chartgen.vault.reconcile import require_kv2, unconfigured

# `path "kv/data/x" { capabilities = ["read", ...] }` in an ACL policy (HCL).
_PATH_BLOCK = re.compile(r'path\s+"([^"]+)"\s*\{([^}]*)\}', re.MULTILINE)
_CAPABILITIES = re.compile(r"capabilities\s*=\s*\[([^\]]*)\]")


@dataclass
class AccessCheck:
    access: VaultAccess
    missing: list[str] = field(default_factory=list)  # key names the secret lacks
    problems: list[str] = field(default_factory=list)  # what keeps the pods from logging in or reading
    secret_problem: str = ""  # the secret itself is absent, deleted or unreadable

    @property
    def ok(self) -> bool:
        return not self.missing and not self.problems and not self.secret_problem

    def lines(self) -> list[str]:
        found = list(self.problems)
        if self.secret_problem:
            found.append(f"{self.secret_problem} (needs keys: {', '.join(self.access.keys)})")
        elif self.missing:
            where = f"{self.access.kv_mount}/{self.access.path}"
            found.append(f"missing keys at {where}: {', '.join(self.missing)}")
        return found


def check_accesses(api: VaultApi, accesses: Sequence[VaultAccess]) -> list[AccessCheck]:
    api.check_ready()
    for mount in sorted({a.kv_mount for a in accesses}):
        require_kv2(api, mount)
    mounts = {m: _auth_problem(api, m) for m in sorted({a.auth_mount for a in accesses})}
    return [_check(api, a, mounts[a.auth_mount]) for a in accesses]


def _check(api: VaultApi, a: VaultAccess, auth_problem: str) -> AccessCheck:
    found = AccessCheck(a)
    if auth_problem:
        found.problems.append(auth_problem)
    found.problems += _guarded(lambda: _role_problems(api, a))
    found.problems += _guarded(lambda: _policy_problems(api, a))
    found.missing, found.secret_problem = _keys(api, a)
    return found


def _guarded(check: Callable[[], list[str]]) -> list[str]:
    try:
        return check()
    except VaultError as exc:
        return [str(exc)]


def _auth_problem(api: VaultApi, mount: str) -> str:
    try:
        found = api.auth_mount(mount)
        if found is None:
            return f"no auth method at auth/{mount}/: `chartgen vault apply --enable-mounts` enables it"
        if found.type != "kubernetes":
            return f"auth/{mount}/ is a {found.type} auth method, not kubernetes"
        host = api.kubernetes_host(mount)
    except VaultError as exc:
        return str(exc)
    if not host:
        return unconfigured(api.address, mount)
    return ""


def _role_problems(api: VaultApi, a: VaultAccess) -> list[str]:
    where = f"auth/{a.auth_mount}/role/{a.role}"
    role = api.read_role(a.auth_mount, a.role)
    if role is None:
        return [f"no role {where}: `chartgen vault apply --env {a.env}` writes it"]
    out = []
    names = sorted(map(str, role.get("bound_service_account_names") or []))
    namespaces = sorted(map(str, role.get("bound_service_account_namespaces") or []))
    if names != [a.service_account] or namespaces != [a.namespace]:
        out.append(
            f"role {where} binds ServiceAccount {', '.join(names) or 'none'} in namespace "
            f"{', '.join(namespaces) or 'none'}, not exactly {a.service_account} in {a.namespace}"
        )
    if role.get("bound_service_account_namespace_selector"):
        out.append(f"role {where} also admits namespaces by a label selector")
    audience = str(role.get("audience") or "")
    if audience != a.audience:
        out.append(f"role {where} wants audience '{audience or 'none'}', the pods send '{a.audience}'")
    policies = [str(p) for p in role.get("token_policies") or role.get("policies") or []]
    if a.policy not in policies:
        out.append(f"role {where} does not give the policy {a.policy}")
    return out


def _policy_problems(api: VaultApi, a: VaultAccess) -> list[str]:
    hcl = api.read_policy(a.policy)
    if hcl is None:
        return [f"no policy {a.policy}: `chartgen vault apply --env {a.env}` writes it"]
    if not grants_read(hcl, a.data_path):
        return [f"policy {a.policy} does not grant read on {a.data_path}"]
    return []


def grants_read(hcl: str, path: str) -> bool:
    """Whether an ACL policy's exact or glob (`*` at the end) path block reads `path`, with
    no `deny` on it."""
    granted = False
    for pattern, body in _PATH_BLOCK.findall(hcl):
        if not (pattern == path or (pattern.endswith("*") and path.startswith(pattern[:-1]))):
            continue
        caps = _CAPABILITIES.search(body)
        names = {c.strip().strip('"') for c in caps.group(1).split(",")} if caps else set()
        if "deny" in names:
            return False
        granted = granted or "read" in names
    return granted


def _keys(api: VaultApi, a: VaultAccess) -> tuple[list[str], str]:
    """(missing key names, problem) of the chart's secret."""
    where = f"{a.kv_mount}/{a.path}"
    try:
        keys = api.secret_keys(a.kv_mount, a.path)
    except VaultError as exc:
        return list(a.keys), str(exc)
    if keys is not None:
        return sorted(set(a.keys) - set(keys)), ""
    try:
        deleted = api.secret_deleted(a.kv_mount, a.path)
    except VaultError:  # no read on its metadata: say what is known
        return list(a.keys), f"no secret, or its current version is deleted, at {where}"
    state = "its current version is deleted (undelete it or write a new one)" if deleted else "no secret"
    return list(a.keys), f"{state} at {where}"
