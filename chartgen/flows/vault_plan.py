"""The generated charts -> what Vault must grant each (chart x environment).

Reads charts/ (the state, as `build` does): values.yaml merged with values-<env>.yaml the way
Helm merges them, checked against the values model, and the environment's namespace and
Secret keys from files/chartgen-data.yaml. Every name is checked before it becomes a Vault
path, a policy or a line of output; problems are located and collected.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chartgen.config import DEFAULT_VAULT_PREFIX
from chartgen.emit.values_files import merge
from chartgen.emit.writer import chart_mode
from chartgen.errors import Diagnostics, Location, UserError
from chartgen.formats.source import ParseError, SourceFile, display_path
from chartgen.profile.loader import ENV_NAME
from chartgen.schema.check import Checker, where
from chartgen.values.model import ProductionValues
from chartgen.values.types import DnsLabel, SecretKey
from chartgen.vault.access import VaultAccess
from chartgen.verify.chart_env import DATA_FILE, chart_environments
from chartgen.verify.lint import find_charts
from chartgen.version.git import working_files

VAULT_PROVIDERS = ("vso", "eso", "injector")


def read_accesses(
    charts: Path, envs: Sequence[str] = (), only: Sequence[str] = (), prefix: str = DEFAULT_VAULT_PREFIX
) -> list[VaultAccess]:
    """Every access the selected production charts need, sorted by environment and chart.
    Raises UserError listing every problem (unknown names, unreadable files, a role outside
    the managed prefix, two charts sharing a role or a path)."""
    found = {c.name: c for c in find_charts(charts) if chart_mode(_read(c / "Chart.yaml")) == "production"}
    if not found:
        raise UserError(f"no production chart in {display_path(charts)}: run `chartgen generate` first")
    unknown = sorted(set(only) - set(found))
    if unknown:
        known = ", ".join(sorted(found)) or "none"
        raise UserError(f"--chart {', '.join(unknown)}: no production chart of that name (charts: {known})")
    diag = Diagnostics()
    accesses: list[VaultAccess] = []
    seen_envs: set[str] = set()
    for name in sorted(only or found):
        folder = found[name]
        files = working_files(folder)
        for environment in chart_environments(files):
            if not ENV_NAME.fullmatch(environment.name):  # it names a folder of `plan --write`
                diag.error(
                    f"chart '{name}': environment '{environment.name}' is not a profile name",
                    _at(folder, "."),
                )
                continue
            seen_envs.add(environment.name)
            if envs and environment.name not in envs:
                continue
            access = _access(folder, name, environment.name, files, diag)
            if access is not None:
                accesses.append(access)
    missing = sorted(set(envs) - seen_envs)
    if missing:
        diag.error(
            f"--env {', '.join(missing)}: no chart has it (environments: {', '.join(sorted(seen_envs))})"
        )
    _check_names(accesses, prefix, diag)
    diag.raise_if_errors()
    return sorted(accesses, key=lambda a: (a.env, a.chart))


def _access(
    folder: Path, chart: str, env: str, files: dict[str, bytes], diag: Diagnostics
) -> VaultAccess | None:
    source, data = _document(folder, DATA_FILE, files, diag)
    env_data = (data.get("environments") or {}).get(env) if isinstance(data, dict) else None
    if not isinstance(env_data, dict):
        diag.error(
            f"chart '{chart}': {DATA_FILE} has no environment '{env}': regenerate the chart",
            _at(folder, DATA_FILE),
        )
        return None
    provider = env_data.get("provider")
    keys = env_data.get("secretKeys") or []
    if provider not in VAULT_PROVIDERS or not keys:
        return None  # no Secret, or one that does not come from Vault
    checker = Checker(DATA_FILE)
    base = ("environments", env)
    ok = checker.check(DnsLabel, env_data.get("namespace"), (*base, "namespace"))
    ok = checker.check(list[SecretKey], keys, (*base, "secretKeys")) and ok
    values = _values(folder, env, files, diag)
    for p in checker.problems:
        diag.error(f"{where(p.at, DATA_FILE)}: {p.message}", source.location(0, p.at))
    if not ok or values is None:
        return None
    vault, account = values.vault, values.serviceAccount
    if vault is None or account is None:
        missing = "vault" if vault is None else "serviceAccount"
        what = f"chart '{chart}' environment '{env}'"
        diag.error(
            f"{what}: values have no {missing} section: regenerate the chart",
            _at(folder, f"values-{env}.yaml"),
        )
        return None
    return VaultAccess(
        chart=chart,
        env=env,
        provider=str(provider),
        namespace=env_data["namespace"],
        service_account=account.name,
        address=vault.address,
        kv_mount=vault.kvMount,
        path=vault.path,
        auth_mount=vault.authMount,
        role=vault.role,
        audience=vault.audience,
        keys=tuple(sorted(keys)),
    )


def _values(folder: Path, env: str, files: dict[str, bytes], diag: Diagnostics) -> ProductionValues | None:
    """values.yaml + values-<env>.yaml, merged as Helm merges them, as the typed model."""
    shared_source, shared = _document(folder, "values.yaml", files, diag)
    own_source, own = _document(folder, f"values-{env}.yaml", files, diag)
    if not isinstance(shared, dict) or not isinstance(own, dict):
        return None
    checker = Checker("values")
    values = checker.load(ProductionValues, merge(shared, own))
    for p in checker.problems:
        source = own_source if p.at and p.at[0] in own else shared_source  # where the value came from
        diag.error(f"{where(p.at, 'values')}: {p.message}", source.location(0, p.at))
    return None if checker.problems else values


def _check_names(accesses: list[VaultAccess], prefix: str, diag: Diagnostics) -> None:
    """Each role and policy is chartgen's (the prefix) and each chart's own (no sharing)."""
    roles: dict[tuple[str, str, str], VaultAccess] = {}
    paths: dict[tuple[str, str, str], VaultAccess] = {}
    for a in accesses:
        if not a.role.startswith(prefix):
            diag.error(
                f"chart '{a.chart}' environment '{a.env}': Vault role '{a.role}' does not start with "
                f"'{prefix}' (chartgen.yaml vault.prefix), the names chartgen manages: name it so in the "
                'profile (secrets.vault.role, e.g. "' + prefix + '{workflow}-{env}")'
            )
        for seen, key, what in (
            (roles, (a.address, a.auth_mount, a.role), f"role '{a.role}'"),
            (paths, (a.address, a.kv_mount, a.path), f"secret path '{a.kv_mount}/{a.path}'"),
        ):
            first = seen.setdefault(key, a)
            if first is not a:
                diag.error(
                    f"{what} is planned for both {first.chart}/{first.env} and {a.chart}/{a.env}: each "
                    "chart and environment needs its own (placeholders {workflow} and {env} in the profile)"
                )


def write_plan(accesses: Sequence[VaultAccess], folder: str | Path) -> list[Path]:
    """<folder>/<env>/<chart>.hcl (the policy) and .json (policy, role, secret keys), for review
    in git. Each file is replaced whole (a temporary file renamed over it)."""
    written = []
    for a in accesses:
        base = Path(folder) / a.env
        base.mkdir(parents=True, exist_ok=True)
        for path, text in (
            (base / f"{a.chart}.hcl", a.policy_hcl()),
            (base / f"{a.chart}.json", json.dumps(a.as_dict(), indent=2, sort_keys=True) + "\n"),
        ):
            partial = path.with_name(f".{path.name}.partial")
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, path)
            written.append(path)
    return written


def _document(folder: Path, rel: str, files: dict[str, bytes], diag: Diagnostics) -> tuple[SourceFile, Any]:
    """The file and its first document (None, reported, when missing or unreadable)."""
    raw = files.get(rel)
    source = SourceFile(folder / rel, raw or b"")
    if raw is None:
        diag.error(f"{rel} is missing from chart '{folder.name}': regenerate it", _at(folder, rel))
        return source, None
    try:
        docs = source.documents()
    except ParseError as exc:
        diag.error(exc.message, Location(source.display, exc.line, exc.col))
        return source, None
    return source, (docs[0] if docs else {})


def _at(folder: Path, rel: str) -> Location:
    return Location(SourceFile(folder / rel, b"").display)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
