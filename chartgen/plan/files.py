"""Which project files a chart carries, and how they are split into ConfigMaps."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from chartgen.errors import Diagnostics, Location
from chartgen.formats.properties import PropertiesFile, render_properties
from chartgen.formats.source import ParseError, SourceFile, display_path
from chartgen.plan.credentials import (
    Finding,
    externalize,
    holds_private_key,
    properties_refusals,
    workflow_refusals,
    yaml_refusals,
)
from chartgen.plan.minify import dump_spec, minify_openapi
from chartgen.plan.model import ConfigMapPlan, DataFile
from chartgen.workflow.model import CONFIG_MAP_BUDGET, Asset, Project, Workflow

APPLICATION_PROPERTIES = "application.properties"
KEY_ALLOWANCE = 256  # a file's ConfigMap key counts against the budget too
_KEY_INVALID = re.compile(r"[^-._a-zA-Z0-9]")
_YAML_REFUSES = re.compile("[\x7f-\x84\x86-\x9f\ufffe\uffff]")
_PROPERTIES = re.compile(r"^application(-[\w.-]+)?\.properties$")
_APPLICATION_YAML = re.compile(r"^application(-[\w.-]+)?\.ya?ml$")


@dataclass(frozen=True)
class ProjectFile:
    """One file a chart will carry, and where it came from. A properties file comes parsed
    (`properties`), so nothing reads it twice."""

    rel_path: str
    content: bytes
    origin: Path
    properties: PropertiesFile | None = None
    parsed: SourceFile | None = None  # a YAML/JSON asset, parsed (once) if anything asked


def is_properties(rel_path: str) -> bool:
    """application.properties and its profile variants, at the resources root."""
    return "/" not in rel_path and _PROPERTIES.match(rel_path) is not None


def project_files(project: Project, diag: Diagnostics) -> list[ProjectFile]:
    """Workflow files (plain flows) and assets, by path; always an application.properties.
    Computed once per project, whatever charts carry it: its credentials are judged here.

    A spec too large for a ConfigMap is cut down to the operations the project calls.
    """
    files = [
        ProjectFile(wf.rel_path, wf.rewritten, wf.source.path)
        if wf.rewritten is not None
        else ProjectFile(wf.rel_path, wf.source.raw, wf.source.path, parsed=wf.source)
        for wf in project.workflows
    ]
    files += [_asset(project, a, diag) for a in project.assets]
    if not any(f.rel_path == APPLICATION_PROPERTIES for f in files):
        # The environment's `properties` values need a file to land in.
        origin = project.resources / APPLICATION_PROPERTIES
        files.append(ProjectFile(APPLICATION_PROPERTIES, b"", origin, PropertiesFile("")))
    for f in files:
        _refuse_credentials(f, diag)
    for wf in project.workflows:
        _refuse_workflow_credentials(wf, diag)
    return sorted(files, key=lambda f: f.rel_path)


def _asset(project: Project, asset: Asset, diag: Diagnostics) -> ProjectFile:
    path, content = asset.path, asset.content
    if is_properties(asset.rel_path):
        return ProjectFile(asset.rel_path, content, path, properties=asset.properties)
    if not asset.rel_path.lower().endswith((".json", ".yaml", ".yml")):
        return ProjectFile(asset.rel_path, content, path)
    if len(content) <= CONFIG_MAP_BUDGET - KEY_ALLOWANCE:
        return ProjectFile(asset.rel_path, content, path, parsed=asset.source)
    used = {
        fn.spec.operation_id
        for wf in project.workflows
        for fn in wf.functions
        if fn.spec is not None and fn.spec.path == path.resolve()
    }
    doc = _first_document(asset.source)
    if not used or not isinstance(doc, dict) or "paths" not in doc:
        return ProjectFile(asset.rel_path, content, path, parsed=asset.source)
    smaller = dump_spec(minify_openapi(doc, used), path.suffix.lower() == ".json")
    diag.warning(
        f"'{asset.rel_path}' ({len(content):,} bytes) is over the ConfigMap budget: the chart carries it "
        f"cut down to the {len(used)} operations the project calls ({len(smaller):,} bytes)",
        Location(display_path(path)),
    )
    return ProjectFile(asset.rel_path, smaller, path)


def with_secret_references(
    files: list[ProjectFile], diag: Diagnostics, optional: bool = False
) -> list[ProjectFile]:
    """The files with literal credentials of properties files moved to Secret references
    (`optional`: an empty value when the Secret lacks them, as the dev pod may)."""
    out = []
    for f in files:
        if f.properties is None:
            out.append(f)
            continue
        rewritten, found = externalize(f.properties, optional)
        for cred in found:
            diag.warning(
                f"property '{cred.property}' holds a literal credential: the chart reads it from Secret "
                f"key '{cred.secret_key}' instead (put the value in Vault); the value is not copied",
                Location(display_path(f.origin), cred.line),
            )
        out.append(replace(f, content=rewritten.text.encode(), properties=rewritten) if found else f)
    return out


def _refuse_credentials(f: ProjectFile, diag: Diagnostics) -> None:
    """Credentials that cannot move to a Secret reference (inside a URL, in application.yaml,
    a private key) are refused, located."""
    path = display_path(f.origin)
    if holds_private_key(f.content):
        diag.error(
            f"'{f.rel_path}' holds a private key, which the chart would carry: keep it in Vault "
            "(the key is not shown)",
            Location(path),
        )
    findings: list[Finding] = []
    if f.properties is not None:
        findings = properties_refusals(f.properties)
    elif f.parsed is not None and "/" not in f.rel_path and _APPLICATION_YAML.match(f.rel_path):
        findings = yaml_refusals(f.parsed)
    for found in findings:
        diag.error(
            f"'{found.key}' holds a credential ({found.what}), which the chart would carry: keep "
            "the value in secret.properties or Vault and write ${VARIABLE} in its place (the value "
            "is not shown)",
            Location(path, found.line, found.col),
        )


def _refuse_workflow_credentials(wf: Workflow, diag: Diagnostics) -> None:
    """A workflow file is carried as it is: a literal Authorization value, or a credential
    written inside a URL or a setting, would be in the chart."""
    for pointer, what in workflow_refusals(wf.definition):
        diag.error(
            f"workflow '{wf.id}': '{'.'.join(str(p) for p in pointer)}' holds a credential ({what}), "
            "which the chart would carry: read it from a secret instead ($SECRET.<name>; the value is "
            "not shown)",
            wf.loc(pointer),
        )


def _first_document(source: SourceFile) -> Any:
    try:
        docs = source.documents()
    except ParseError:
        return None
    return docs[0] if docs else None


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


def check_config_budget(
    chart: str, properties: list[DataFile], largest: Path | None, diag: Diagnostics
) -> None:
    """The properties files travel in one ConfigMap: together they must fit its 1 MiB.
    `largest`: the project file that weighs most, where the error is located."""
    size = sum(f.size for f in properties)
    if size > CONFIG_MAP_BUDGET:
        diag.error(
            f"chart '{chart}': its properties files come to {size:,} bytes, over the "
            f"{CONFIG_MAP_BUDGET:,}-byte budget of the ConfigMap that carries them (a ConfigMap holds at "
            "most 1 MiB): move settings to the profile's properties, or leave out what the runtime does "
            "not read",
            Location(display_path(largest)) if largest else None,
        )


def merge_properties(sources: list[tuple[str, ProjectFile]], diag: Diagnostics) -> bytes:
    """One properties file from several projects' (first wins; conflicts reported, values never shown)."""
    merged: dict[str, tuple[str, str, ProjectFile, int]] = {}
    for project, f in sources:
        for entry in f.properties.entries if f.properties is not None else []:
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
    """Byte-identical, or the same JSON/YAML data written differently (both parsed once)."""
    if a.content == b.content:
        return True
    if a.parsed is None or b.parsed is None:
        return False
    try:
        return bool(a.parsed.documents() == b.parsed.documents())
    except ParseError:
        return False
