"""Which project files a chart carries, and how they are split into ConfigMaps."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chartgen.errors import Diagnostics, Location
from chartgen.formats.properties import parse_properties, render_properties
from chartgen.formats.source import FastLoader, SourceFile, display_path
from chartgen.plan.credentials import (
    Finding,
    externalize,
    holds_private_key,
    properties_refusals,
    yaml_refusals,
)
from chartgen.plan.minify import dump_spec, minify_openapi
from chartgen.plan.model import ConfigMapPlan, DataFile
from chartgen.workflow.model import Project

# The API server refuses objects over 1 MiB; keep room for metadata and keys.
CONFIG_MAP_BUDGET = 1_000_000
APPLICATION_PROPERTIES = "application.properties"
KEY_ALLOWANCE = 256  # a file's ConfigMap key counts against the budget too
_KEY_INVALID = re.compile(r"[^-._a-zA-Z0-9]")
_YAML_REFUSES = re.compile("[\x7f-\x84\x86-\x9f\ufffe\uffff]")
_PROPERTIES = re.compile(r"^application(-[\w.-]+)?\.properties$")
_APPLICATION_YAML = re.compile(r"^application(-[\w.-]+)?\.ya?ml$")


@dataclass(frozen=True)
class ProjectFile:
    """One file a chart will carry, and where it came from."""

    rel_path: str
    content: bytes
    origin: Path


def is_properties(rel_path: str) -> bool:
    """application.properties and its profile variants, at the resources root."""
    return "/" not in rel_path and _PROPERTIES.match(rel_path) is not None


def project_files(
    project: Project, diag: Diagnostics | None = None, optional_credentials: bool = False
) -> list[ProjectFile]:
    """Workflow files (plain flows) and assets, by path; always an application.properties.

    A spec too large for a ConfigMap is cut down to the operations the project calls.
    """
    files = [
        ProjectFile(wf.rel_path, wf.rewritten if wf.rewritten is not None else wf.source.raw, wf.source.path)
        for wf in project.workflows
    ]
    files += [_asset(project, a.rel_path, a.path, a.content, diag) for a in project.assets]
    files = [_without_credentials(f, diag, optional_credentials) for f in files]
    if not any(f.rel_path == APPLICATION_PROPERTIES for f in files):
        # The environment's `properties` values need a file to land in.
        files.append(ProjectFile(APPLICATION_PROPERTIES, b"", project.resources / APPLICATION_PROPERTIES))
    return sorted(files, key=lambda f: f.rel_path)


def _asset(
    project: Project, rel_path: str, path: Path, content: bytes, diag: Diagnostics | None
) -> ProjectFile:
    if len(content) <= CONFIG_MAP_BUDGET - KEY_ALLOWANCE:
        return ProjectFile(rel_path, content, path)
    used = {
        fn.spec.operation_id
        for wf in project.workflows
        for fn in wf.functions
        if fn.spec is not None and fn.spec.path == path.resolve()
    }
    doc = _parse(content, path)
    if not used or not isinstance(doc, dict) or "paths" not in doc:
        return ProjectFile(rel_path, content, path)
    smaller = dump_spec(minify_openapi(doc, used), path.suffix.lower() == ".json")
    if diag is not None:
        diag.warning(
            f"'{rel_path}' ({len(content):,} bytes) is over the ConfigMap budget: the chart carries it cut "
            f"down to the {len(used)} operations the project calls ({len(smaller):,} bytes)",
            Location(display_path(path)),
        )
    return ProjectFile(rel_path, smaller, path)


def _without_credentials(f: ProjectFile, diag: Diagnostics | None, optional: bool) -> ProjectFile:
    """The file with its literal credentials moved to Secret references; those that cannot
    move (inside a URL, in application.yaml, a private key) are refused, located."""
    if diag is not None:
        _refuse_credentials(f, diag)
    if not is_properties(f.rel_path):
        return f
    text, found = externalize(f.content.decode("utf-8", errors="replace"), optional)
    if not found:
        return f
    for cred in found:
        if diag is not None:
            diag.warning(
                f"property '{cred.property}' holds a literal credential: the chart reads it from Secret "
                f"key '{cred.secret_key}' instead (put the value in Vault); the value is not copied",
                Location(display_path(f.origin), cred.line),
            )
    return ProjectFile(f.rel_path, text.encode(), f.origin)


def _refuse_credentials(f: ProjectFile, diag: Diagnostics) -> None:
    path = display_path(f.origin)
    if holds_private_key(f.content):
        diag.error(
            f"'{f.rel_path}' holds a private key, which the chart would carry: keep it in Vault "
            "(the key is not shown)",
            Location(path),
        )
    findings: list[Finding] = []
    if is_properties(f.rel_path):
        findings = properties_refusals(f.content.decode("utf-8", errors="replace"))
    elif "/" not in f.rel_path and _APPLICATION_YAML.match(f.rel_path):
        findings = yaml_refusals(SourceFile(f.origin, f.content))
    for found in findings:
        diag.error(
            f"'{found.key}' holds a credential ({found.what}), which the chart would carry: keep "
            "the value in secret.properties or Vault and write ${VARIABLE} in its place (the value "
            "is not shown)",
            Location(path, found.line, found.col),
        )


def _parse(content: bytes, path: Path) -> Any:
    try:
        if path.suffix.lower() == ".json":
            return json.loads(content)
        return yaml.load(content, Loader=FastLoader)
    except (ValueError, yaml.YAMLError):
        return None


def data_files(files: Iterable[ProjectFile], folder: str) -> list[DataFile]:
    """Chart data files under files/<folder>/, with unique ConfigMap keys."""
    used: set[str] = set()
    out = []
    for f in files:
        key = _KEY_INVALID.sub("_", f.rel_path.replace("/", "__"))
        if key in used or len(key) > 240:
            key = f"{key[:200]}-{hashlib.sha256(f.rel_path.encode()).hexdigest()[:8]}"
        used.add(key)
        out.append(
            DataFile(f"files/{folder}/{f.rel_path}", f.rel_path, key, f.content, _is_binary(f.content))
        )
    return out


def _is_binary(content: bytes) -> bool:
    """Whether a file goes to the ConfigMap's binaryData: not UTF-8 text, or text holding
    characters YAML refuses even after helm's toJson (DEL, C1 controls but NEL, U+FFFE/F)."""
    if b"\0" in content:
        return True
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return _YAML_REFUSES.search(text) is not None


def pack_config_maps(
    files: list[DataFile], prefix: str, diag: Diagnostics, origins: dict[str, Path], flat: bool = False
) -> list[ConfigMapPlan]:
    """Files in path order, a new ConfigMap (`<prefix>-<n>`) whenever the next file would not fit."""
    maps: list[ConfigMapPlan] = []
    current, used = ConfigMapPlan(f"{prefix}-0", flat=flat), 0
    for f in files:
        if f.size > CONFIG_MAP_BUDGET:
            origin = origins.get(f.mount_path)
            diag.error(
                f"'{f.mount_path}' is {len(f.content):,} bytes: over the {CONFIG_MAP_BUDGET:,}-byte "
                "ConfigMap budget (a ConfigMap holds at most 1 MiB)",
                Location(display_path(origin)) if origin else None,
            )
            continue
        if current.files and used + f.size > CONFIG_MAP_BUDGET:
            maps.append(current)
            current, used = ConfigMapPlan(f"{prefix}-{len(maps)}", flat=flat), 0
        current.files.append(f)
        used += f.size
    if current.files:
        maps.append(current)
    return maps


def merge_properties(sources: list[tuple[str, ProjectFile]], diag: Diagnostics) -> bytes:
    """One properties file from several projects' (first wins; conflicts reported, values never shown)."""
    merged: dict[str, tuple[str, str, ProjectFile, int]] = {}
    for project, f in sources:
        for entry in parse_properties(f.content.decode("utf-8", errors="replace")):
            seen = merged.get(entry.key)
            if seen is None:
                merged[entry.key] = (entry.value, project, f, entry.line)
            elif seen[0] != entry.value:
                diag.warning(
                    f"property '{entry.key}' differs between project '{seen[1]}' "
                    f"({display_path(seen[2].origin)}:{seen[3]}) and project '{project}'; "
                    f"the dev pod uses the value from '{seen[1]}' (set it in the profile's "
                    "'properties' to choose)",
                    Location(display_path(f.origin), entry.line),
                )
    return render_properties([(k, v[0]) for k, v in merged.items()]).encode()


def same_content(a: ProjectFile, b: ProjectFile) -> bool:
    """Byte-identical, or the same JSON/YAML data written differently."""
    if a.content == b.content:
        return True
    suffix = a.rel_path.rsplit(".", 1)[-1].lower()
    try:
        if suffix == "json":
            return bool(json.loads(a.content) == json.loads(b.content))
        if suffix in ("yaml", "yml"):
            return bool(
                list(yaml.load_all(a.content, Loader=FastLoader))
                == list(yaml.load_all(b.content, Loader=FastLoader))
            )
    except (ValueError, yaml.YAMLError):
        return False
    return False
