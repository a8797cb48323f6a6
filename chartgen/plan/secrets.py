"""The runtime's Secret for one environment: its complete key list, and how each key is read.

Decided once here; the templates render the bindings (secretKeyRef env entries, the
Vault Agent's properties lines, ExternalSecret entries) and `vault` commands read the keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chartgen.errors import Diagnostics, Location
from chartgen.plan.facts import ProjectFacts, env_variable
from chartgen.plan.model import Provider, Runtime, SecretBinding

# The database user and password: where Quarkus reads them.
DATABASE_BINDINGS = (
    ("username", "QUARKUS_DATASOURCE_USERNAME", "quarkus.datasource.username"),
    ("password", "QUARKUS_DATASOURCE_PASSWORD", "quarkus.datasource.password"),
)


@dataclass
class SecretPlan:
    name: str | None = None  # the Kubernetes Secret the pods read; None: none
    keys: list[str] = field(default_factory=list)
    bindings: list[SecretBinding] = field(default_factory=list)
    database_keys: list[str] | None = None


def plan_secrets(
    chart: str,
    facts: ProjectFacts,
    provider: Provider,
    existing_secret: str | None,
    mapped_env: dict[str, str],
    database_credentials: str | None,
    runtime: Runtime,
    diag: Diagnostics,
    where: Location | None = None,
) -> SecretPlan:
    """`mapped_env`: the profile's `secrets.env` (variable -> key); `database_credentials`: the
    key prefix when persistence is on."""
    bindings = [SecretBinding(key=name, env=env_variable(name), property=name) for name in facts.secret_names]
    for variable, key in sorted({**facts.secret_env, **mapped_env}.items()):
        bindings.append(SecretBinding(key=key, env=variable, property=variable))
    database_keys = None
    if database_credentials:
        database_keys = [f"{database_credentials}_{what}" for what, _, _ in DATABASE_BINDINGS]
        if runtime == "kubernetes":  # under sonataflow the operator reads them from spec.persistence
            bindings += [
                SecretBinding(key=f"{database_credentials}_{what}", env=env, property=prop)
                for what, env, prop in DATABASE_BINDINGS
            ]
    bindings = list({(b.env, b.key): b for b in bindings}.values())
    _check_unique_variables(chart, bindings, diag, where)
    keys = sorted({b.key for b in bindings} | set(database_keys or []))
    if not keys:
        return SecretPlan()
    name = existing_secret if provider == "existing" else f"{chart}-secrets"
    return SecretPlan(name, keys, bindings, database_keys)


def _check_unique_variables(
    chart: str, bindings: list[SecretBinding], diag: Diagnostics, where: Location | None
) -> None:
    first: dict[str, SecretBinding] = {}
    for b in bindings:
        seen = first.setdefault(b.env, b)
        if seen is not b:
            diag.error(
                f"chart '{chart}': Secret keys '{seen.key}' and '{b.key}' would both set variable {b.env}; "
                "rename one of them",
                where,
            )
