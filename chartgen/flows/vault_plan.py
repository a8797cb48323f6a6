"""The generated charts -> what Vault must grant each (chart x environment).

Reads charts/ (the state, as `build` does): values.yaml merged with values-<env>.yaml the way
Helm merges them, checked against the values model, and the environment's namespace and
Secret keys from files/chartgen-data.yaml. Every name is checked before it becomes a Vault
path, a policy or a line of output; problems are located and collected.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chartgen.charts.chart import GeneratedChart
from chartgen.config import DEFAULT_VAULT_PREFIX
from chartgen.emit.values_files import merge
from chartgen.errors import Diagnostics, Location, UserError
from chartgen.formats.replace import replace_file
from chartgen.formats.source import ParseError, SourceFile, display_path
from chartgen.plan.layout import CHART_FILE, DATA_FILE, VALUES_FILE, values_file
from chartgen.plan.model import VAULT_PROVIDERS
from chartgen.profile.environment import ENV_NAME_RULE, is_env_name
from chartgen.schema.check import Checker, Pointer, did_you_mean, where
from chartgen.values.model import VALUES_MODELS, PlatformValues, ProductionValues
from chartgen.values.types import DnsLabel, SecretKey
from chartgen.vault.access import VaultAccess
from chartgen.workflow.names import is_valid_name


@dataclass(frozen=True)
class _Found:
    access: VaultAccess
    role_at: Location  # where values set vault.role and vault.path
    path_at: Location


def read_accesses(
    charts: Sequence[GeneratedChart],
    envs: Sequence[str] = (),
    only: Sequence[str] = (),
    prefix: str = DEFAULT_VAULT_PREFIX,
) -> list[VaultAccess]:
    """Every access the selected production charts of `charts` (folders) need, sorted by
    environment and chart.
    Raises UserError listing every problem (unknown names, unreadable files, a role outside
    the managed prefix, two charts sharing a role or a path). Names are checked across every
    chart and environment, whatever the selection: a role shared with an unselected chart is
    still shared."""
    found = {c.name: c for c in charts if c.folder and c.mode == "production"}
    if not found:
        raise UserError("no production chart: run `chartgen generate` first")
    unknown = sorted(set(only) - set(found))
    if unknown:
        known = ", ".join(sorted(found)) or "none"
        raise UserError(f"--chart {', '.join(unknown)}: no production chart of that name (charts: {known})")
    diag = Diagnostics()
    every: list[_Found] = []
    known_envs: set[str] = set()
    for name, chart in sorted(found.items()):
        assert chart.folder is not None
        folder, files = chart.folder, chart.files
        if not is_valid_name(name):  # it becomes a policy line, a file name, a message
            diag.error(
                f"chart folder '{name}' is not a chart name (a DNS-1035 label)", _at(folder, CHART_FILE)
            )
            continue
        for environment in chart.environments:
            known_envs.add(environment.name)
            if not is_env_name(environment.name):
                diag.error(
                    f"chart '{name}': '{environment.name}' is not an environment name ({ENV_NAME_RULE})",
                    _at(folder, "."),
                )
                continue
            planned = _access(folder, name, environment.name, files, diag)
            if planned is not None:
                every.append(planned)
    for env in sorted(set(envs) - known_envs):  # known but reading no secret: nothing to do, not an error
        known = ", ".join(sorted(known_envs)) or "none"
        diag.error(
            f"--env {env}: no production chart has this environment{did_you_mean(env, known_envs)} "
            f"(environments: {known})"
        )
    _check_names(every, prefix, diag)
    diag.raise_if_errors()
    chosen = [
        f.access for f in every if (not envs or f.access.env in envs) and (not only or f.access.chart in only)
    ]
    return sorted(chosen, key=lambda a: (a.env, a.chart))


def _access(
    folder: Path, chart: str, env: str, files: Mapping[str, bytes], diag: Diagnostics
) -> _Found | None:
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
    for p in checker.problems:
        diag.error(f"{where(p.at, DATA_FILE)}: {p.message}", source.location(0, p.at))
    loaded = _values(folder, env, files, diag, VALUES_MODELS.get(str(data.get("kind")), ProductionValues))
    if not ok or loaded is None:
        return None
    values, locate = loaded
    vault, account = values.vault, values.serviceAccount
    if vault is None or account is None:
        missing = "vault" if vault is None else "serviceAccount"
        what = f"chart '{chart}' environment '{env}'"
        diag.error(f"{what}: values have no {missing} section: regenerate the chart", locate(()))
        return None
    access = VaultAccess(
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
    return _Found(access, locate(("vault", "role")), locate(("vault", "path")))


def _values(
    folder: Path, env: str, files: Mapping[str, bytes], diag: Diagnostics, model: type
) -> tuple[ProductionValues | PlatformValues, Callable[[Pointer], Location]] | None:
    """values.yaml + values-<env>.yaml, merged as Helm merges them, as the typed model; and
    where a value was written (the environment's file when it sets the section)."""
    shared_source, shared = _document(folder, VALUES_FILE, files, diag)
    own_source, own = _document(folder, values_file(env), files, diag)
    if not isinstance(shared, dict) or not isinstance(own, dict):
        return None

    def locate(at: Pointer) -> Location:
        return (own_source if not at or at[0] in own else shared_source).location(0, at)

    checker = Checker("values")
    values = checker.load(model, merge(shared, own))
    for p in checker.problems:
        diag.error(f"{where(p.at, 'values')}: {p.message}", locate(p.at))
    return None if checker.problems else (values, locate)


def _check_names(found: list[_Found], prefix: str, diag: Diagnostics) -> None:
    """Each role and policy is chartgen's (the prefix) and each chart's own: policy names are
    global in a Vault, so a role name (= its policy's) is taken once per address, whatever
    the auth mount; a secret path once per address and kv mount."""
    names: dict[tuple[str, ...], VaultAccess] = {}
    paths: dict[tuple[str, ...], VaultAccess] = {}
    for f in found:
        a = f.access
        if not a.role.startswith(prefix):
            diag.error(
                f"chart '{a.chart}' environment '{a.env}': Vault role '{a.role}' does not start with "
                f"'{prefix}' (chartgen.yaml vault.prefix), the names chartgen manages: name it so in the "
                'profile (secrets.vault.role, e.g. "' + prefix + '{workflow}-{env}")',
                f.role_at,
            )
        for seen, key, what, at in (
            (names, (a.address, a.role), f"role and policy '{a.role}'", f.role_at),
            (paths, (a.address, a.kv_mount, a.path), f"secret path '{a.kv_mount}/{a.path}'", f.path_at),
        ):
            first = seen.setdefault(key, a)
            if first is not a:
                diag.error(
                    f"{what} is planned for both {first.chart}/{first.env} and {a.chart}/{a.env}: each "
                    "chart and environment needs its own (placeholders {workflow} and {env} in the profile)",
                    at,
                )


def write_plan(accesses: Sequence[VaultAccess], folder: str | Path, complete: bool) -> list[Path]:
    """<folder>/<env>/<chart>.hcl (the policy) and .json (policy, role, secret keys), for review
    in git. Each file is replaced whole; no symlink is followed (the folder may be part of an
    untrusted repository). `complete`: the plan of every chart and environment, so a .hcl or
    .json of a chart or environment no longer planned is removed."""
    root = Path(folder)
    _plain_folder(root)
    written: list[Path] = []
    for a in accesses:
        base = root / a.env
        _plain_folder(base)
        for path, text in (
            (base / f"{a.chart}.hcl", a.policy_hcl()),
            (base / f"{a.chart}.json", json.dumps(a.as_dict(), indent=2, sort_keys=True) + "\n"),
        ):
            replace_file(path, text.encode())
            written.append(path)
    if complete:
        for stale in sorted(root.glob("*/*")):
            if stale.suffix in (".hcl", ".json") and stale not in written and not stale.is_symlink():
                stale.unlink()
    return written


def _plain_folder(path: Path) -> None:
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise UserError(
            f"{display_path(path)}: not a plain folder (a symlink or a file): chartgen writes no plan there"
        )
    path.mkdir(parents=True, exist_ok=True)


def _document(
    folder: Path, rel: str, files: Mapping[str, bytes], diag: Diagnostics
) -> tuple[SourceFile, Any]:
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
