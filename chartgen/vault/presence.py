"""`vault check`: before a deploy, every key every chart needs is at its path.

Reads the current version of each secret and keeps only its key names: values are never
printed, logged or kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from chartgen.vault.access import VaultAccess
from chartgen.vault.client import VaultApi, VaultError
from chartgen.vault.reconcile import require_kv2


@dataclass
class Presence:
    access: VaultAccess
    missing: list[str] = field(default_factory=list)  # key names the secret lacks
    problem: str = ""  # the secret itself is absent, deleted, or unreadable

    @property
    def ok(self) -> bool:
        return not self.missing and not self.problem


def check_presence(api: VaultApi, accesses: Sequence[VaultAccess]) -> list[Presence]:
    api.check_ready()
    for mount in sorted({a.kv_mount for a in accesses}):
        require_kv2(api, mount)
    return [_presence(api, a) for a in accesses]


def _presence(api: VaultApi, a: VaultAccess) -> Presence:
    """One chart's secret; a refusal on its path is that chart's problem, not the whole check's."""
    where = f"{a.kv_mount}/{a.path}"
    try:
        keys = api.secret_keys(a.kv_mount, a.path)
    except VaultError as exc:
        return Presence(a, list(a.keys), str(exc))
    if keys is not None:
        return Presence(a, sorted(set(a.keys) - set(keys)))
    try:
        deleted = api.secret_deleted(a.kv_mount, a.path)
    except VaultError:  # no read on its metadata: say what is known
        return Presence(a, list(a.keys), f"no secret, or its current version is deleted, at {where}")
    state = "its current version is deleted (undelete it or write a new one)" if deleted else "no secret"
    return Presence(a, list(a.keys), f"{state} at {where}")
