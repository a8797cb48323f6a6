"""Project settings: flags > CHARTGEN_* environment > chartgen.yaml > defaults.

Keys in chartgen.yaml are the flag names in camelCase (`--kube-version` -> `kubeVersion`);
relative paths in the file are relative to the file's folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from chartgen.errors import Diagnostic, Diagnostics, Location, UserError
from chartgen.formats.confine import NotRead, read_inside
from chartgen.formats.source import ParseError, SourceFile, display_path
from chartgen.schema.check import Checker
from chartgen.schema.spec import Rule, value

CONFIG_FILE = "chartgen.yaml"
DEFAULT_KUBE_VERSION = "1.34"
SONATAFLOW_VERSION = "10.0.0"  # the runtime, and the platform services, unless chartgen.yaml picks one
DEFAULT_VAULT_PREFIX = "chartgen-"  # the roles' default names (profile secrets.vault.role) carry it
NAME_MAX = 255  # bytes in one file or folder name (every common file system)

Text = Annotated[str, Rule(min_length=1)]
PathText = Annotated[str, Rule(min_length=1, pattern=r"^[^\x00]*$", expected="a path (no NUL character)")]
MavenVersion = Annotated[
    str, Rule(pattern=r"^[0-9]+(\.[0-9]+){1,3}([.-][A-Za-z0-9]+)?$", expected='a version like "10.0.0"')
]


VaultPrefix = Annotated[
    str,
    Rule(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}[-_]$",
        expected='a prefix ending with - or _, like "chartgen-"',
    ),
]


@dataclass(kw_only=True)
class RuntimeVersions:
    sonataflow: MavenVersion | None = value("SonataFlow version the runtimes are built with", None)
    quarkus: MavenVersion | None = value("Quarkus version it is built on (they go together)", None)


@dataclass(kw_only=True)
class VaultConfig:
    # Ends with '-' or '_': no prefix can make chartgen claim Vault's own `default` or `root`.
    prefix: VaultPrefix | None = value(
        "Names of the Vault policies and roles chartgen manages start with this (default chartgen-)", None
    )


@dataclass(kw_only=True)
class ConfigFile:
    """chartgen.yaml: every key optional; keys are the flag names in camelCase."""

    name: Text | None = value("Repository name; dev charts are <name>-<env>", None)
    workflows: PathText | None = value("Workflows folder", None)
    profiles: PathText | None = value("Profiles folder", None)
    out: PathText | None = value("Output folder for charts", None)
    kubeVersion: Annotated[str, Rule(pattern=r"^v?1\.[0-9]+(\.[0-9]+)?$", expected='like "1.34"')] | None = (
        value("Kubernetes version lint checks against", None)
    )
    exclude: list[PathText] | None = value(
        "Globs of paths to leave out, relative to the workflows folder", None
    )
    charts: dict[str, str] | None = value("Chart name overrides, by project folder", None)
    crds: list[PathText] | None = value("Folders of CRDs lint checks custom resources against", None)
    runtime: RuntimeVersions | None = value("Versions `chartgen build` pins (default: chartgen's)", None)
    vault: VaultConfig | None = value("What `chartgen vault apply` may change in Vault", None)


@dataclass
class Settings:
    root: Path  # folder relative paths are resolved against
    name: str
    workflows: Path
    profiles: Path
    out: Path
    kube_version: str = DEFAULT_KUBE_VERSION
    exclude: tuple[str, ...] = ()
    chart_names: dict[str, str] = field(default_factory=dict)  # project folder -> chart name
    crds: tuple[Path, ...] = ()  # folders of CRDs custom resources are checked against
    config_file: Path | None = None
    runtime_versions: dict[str, str] = field(
        default_factory=dict
    )  # chartgen.yaml runtime: {sonataflow, quarkus}
    vault_prefix: str = DEFAULT_VAULT_PREFIX


def load_settings(flags: Mapping[str, Any], cwd: Path | None = None) -> Settings:
    """Settings for one run. `flags` holds only the options the user actually gave."""
    cwd = (cwd or Path.cwd()).resolve()
    file_path = Path(flags["config"]) if flags.get("config") else find_config(cwd)
    if not file_path.is_absolute():
        file_path = cwd / file_path
    source, from_file = _read_file(file_path) if file_path.exists() or flags.get("config") else (None, {})
    base = file_path.parent if from_file or flags.get("config") else cwd

    def pick(key: str, env: str, default: Any) -> Any:
        if flags.get(key) is not None:
            return flags[key]
        if os.environ.get(env):
            return os.environ[env]
        return from_file.get(key, default)

    def path(key: str, env: str, default: str) -> Path:
        value = pick(key, env, None)
        if value is None:
            return _inside_repository(base, default, key, None)
        if flags.get(key) is not None or os.environ.get(env):
            return (cwd / str(value)).resolve()  # the user's own choice, relative to where they are
        return _inside_repository(base, str(value), key, source)

    exclude = tuple(flags.get("exclude") or ()) + tuple(from_file.get("exclude", ()))
    kube_version = str(pick("kubeVersion", "CHARTGEN_KUBE_VERSION", DEFAULT_KUBE_VERSION)).lstrip("v")
    if not re.fullmatch(r"1\.[0-9]+(\.[0-9]+)?", kube_version):
        raise UserError(f"Kubernetes version '{kube_version}' is not like 1.34")
    workflows = path("workflows", "CHARTGEN_WORKFLOWS", "workflows")
    profiles = path("profiles", "CHARTGEN_PROFILES", "profiles")
    out = path("out", "CHARTGEN_OUT", "charts")
    out_in_file = flags.get("out") is None and not os.environ.get("CHARTGEN_OUT") and "out" in from_file
    for key, folder in (("workflows", workflows), ("profiles", profiles)):
        if source and out_in_file and folder.is_relative_to(out):  # generate would replace the inputs
            message = f"'out' ({display_path(out)}) holds the {key} folder: charts go apart from the inputs"
            raise UserError(diagnostics=[Diagnostic("error", message, source.location(0, ("out",)))])
    return Settings(
        root=base,
        name=str(pick("name", "CHARTGEN_NAME", base.name)),
        workflows=workflows,
        profiles=profiles,
        out=out,
        kube_version=kube_version,
        exclude=exclude,
        chart_names=dict(from_file.get("charts", {})),
        crds=tuple((cwd / c).resolve() for c in flags["crds"])
        if flags.get("crds")
        else tuple(_inside_repository(base, c, "crds", source) for c in from_file.get("crds", ())),
        config_file=file_path if from_file or flags.get("config") else None,
        runtime_versions=dict(from_file.get("runtime") or {}),
        vault_prefix=str((from_file.get("vault") or {}).get("prefix") or DEFAULT_VAULT_PREFIX),
    )


def find_config(cwd: Path) -> Path:
    """chartgen.yaml in `cwd` or the nearest folder above it, up to the repository's root (the
    folder holding .git), so a command works from inside workflows/<project>/ too; else
    `cwd`/chartgen.yaml (absent: defaults relative to `cwd`)."""
    for folder in (cwd, *cwd.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            break
    return cwd / CONFIG_FILE


def _inside_repository(base: Path, value: str, key: str, source: SourceFile | None) -> Path:
    """A folder named in chartgen.yaml (untrusted, like the rest of the repository) stays in it."""
    where = source.location(0, (key,)) if source else Location(display_path(base / value))
    if any(len(part.encode()) > NAME_MAX for part in Path(value).parts):
        raise UserError(
            diagnostics=[Diagnostic("error", f"'{key}' has a name longer than {NAME_MAX} bytes", where)]
        )
    path = (base / value).resolve()
    if not path.is_relative_to(base.resolve()):
        raise UserError(
            diagnostics=[Diagnostic("error", f"'{key}' leads outside the repository ({base.name}/)", where)]
        )
    return path


def _read_file(path: Path) -> tuple[SourceFile, dict[str, Any]]:
    diag = Diagnostics()
    try:
        source = SourceFile(path, read_inside(path, path.parent), string_keys=True)
        docs = source.documents()
    except NotRead as exc:
        diag.error(f"{CONFIG_FILE} not read: it {exc}", Location(display_path(path)))
        diag.raise_if_errors()
        raise AssertionError("unreachable") from None
    except OSError as exc:
        diag.error(f"cannot read {CONFIG_FILE}: {exc.strerror}", Location(display_path(path)))
        diag.raise_if_errors()
        raise AssertionError("unreachable") from None
    except ParseError as exc:
        diag.error(exc.message, Location(display_path(path), exc.line, exc.col))
        diag.raise_if_errors()
        raise AssertionError("unreachable") from None
    data = docs[0] if docs and docs[0] is not None else {}
    if not isinstance(data, dict):
        diag.error(f"{CONFIG_FILE} must be a mapping", source.location())
        diag.raise_if_errors()
    checker = Checker(CONFIG_FILE)
    checker.load(ConfigFile, data)
    for problem in checker.problems:
        diag.error(problem.message, source.location(0, problem.at, problem.key))
    diag.raise_if_errors()
    return source, data
