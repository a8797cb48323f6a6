"""`chartgen vault plan|apply|check`: what Vault must grant each production chart (read from
the generated charts), written for review, made so, or checked before a deploy."""

from __future__ import annotations

from collections.abc import Sequence

from chartgen.config import Settings
from chartgen.emit.switch import settled_charts
from chartgen.flows.vault_plan import read_accesses, write_plan
from chartgen.vault.access import VaultAccess
from chartgen.vault.client import VaultApi, connect, vault_address


def planned_accesses(
    settings: Settings, envs: Sequence[str], only: Sequence[str], write: str | None = None
) -> list[VaultAccess]:
    """What the selected charts need of Vault; with `write`, the plan's files written there
    (a complete plan, of every chart and environment, also removes stale files)."""
    accesses = read_accesses(settled_charts(settings.out), envs, only, settings.vault_prefix)
    if write:
        write_plan(accesses, write, complete=not (envs or only))
    return accesses


def vault_for(address: str | None, accesses: Sequence[VaultAccess]) -> VaultApi:
    """The Vault `address` (else VAULT_ADDR) names, connected."""
    return connect(vault_address(address, accesses))
