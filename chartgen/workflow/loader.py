"""load: a workflows folder -> WorkflowSet (projects, workflows, assets)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from chartgen.errors import Diagnostics, Location
from chartgen.formats.confine import NotRead, read_inside
from chartgen.formats.properties import parse_properties
from chartgen.formats.source import ParseError, SourceFile, display_path
from chartgen.workflow.build import WorkflowBuilder, flow_of, is_custom_resource, looks_like_workflow
from chartgen.workflow.discover import FoundProject, discover
from chartgen.workflow.model import CONFIG_MAP_BUDGET, Asset, Project, SecretKeyName, Workflow, WorkflowSet

# Each key becomes a Vault reference, a values entry and an environment variable of every pod:
# real projects hold a handful, and a bound keeps a generated file from costing seconds a key.
MAX_SECRET_KEYS = 1000


def load_workflows(
    base: Path,
    diag: Diagnostics,
    exclude: tuple[str, ...] = (),
    only: Callable[[str, str], bool] | None = None,
) -> WorkflowSet:
    """Every project under `base` (a folder, or one workflow file given on purpose); with
    `only`, just the projects for which only(rel, folder name) is true."""
    found = find_projects(base, diag, exclude, only)
    return load_projects(found, found.projects, diag)


@dataclass
class Found:
    """The projects to load, found under a workflows folder (or one workflow file)."""

    base: Path  # the WorkflowSet's base
    rel_base: Path  # what project folders are named relative to
    projects: list[FoundProject] = field(default_factory=list)

    def rel(self, fp: FoundProject) -> str:
        return project_rel(fp, self.rel_base)


def find_projects(
    base: Path,
    diag: Diagnostics,
    exclude: tuple[str, ...] = (),
    only: Callable[[str, str], bool] | None = None,
) -> Found:
    """The projects `load_workflows` loads, found but not read (see there)."""
    base = base.resolve()
    if base.is_file():
        return Found(base.parent, base.parent.parent, [FoundProject(base.parent, base.parent, [base])])
    if not base.is_dir():
        diag.error(f"workflows folder not found: {display_path(base)}")
        return Found(base, base)
    found = discover(base, exclude)
    for path, why in found.ignored:
        diag.warning(f"workflow file ignored: {why}", Location(display_path(path)))
    result = Found(base, base)
    result.projects = [fp for fp in found.projects if only is None or only(result.rel(fp), fp.root.name)]
    return result


def load_projects(found: Found, projects: list[FoundProject], diag: Diagnostics) -> WorkflowSet:
    """`projects` (some of `found`'s), read and parsed: each counts its own errors."""
    result = WorkflowSet(found.base)
    for fp in projects:
        before = diag.error_count
        project = _load_project(fp, found.rel_base, diag)
        project.errors += diag.error_count - before
        result.projects.append(project)
    return result


def project_rel(fp: FoundProject, base: Path) -> str:
    """The project's name in settings and messages: its folder, relative to the workflows folder."""
    return fp.root.relative_to(base).as_posix() if fp.root != base else fp.root.name


def _load_project(fp: FoundProject, base: Path, diag: Diagnostics) -> Project:
    rel = project_rel(fp, base)
    project = Project(name=fp.root.name, root=fp.root, resources=fp.resources, rel=rel)
    for path in fp.workflow_files:
        wf = load_workflow_file(path, fp.resources, diag, root=base)
        if wf is not None:
            project.workflows.append(wf)
    for path in fp.asset_files:
        content = _read(path, base, diag)
        if content is not None:
            asset = Asset(path.relative_to(fp.resources).as_posix(), path, content)
            project.assets.append(asset)
            if path.suffix == ".properties" and len(content) > CONFIG_MAP_BUDGET:
                diag.error(  # read no further: the chart could not carry it
                    f"'{asset.rel_path}' is {len(content):,} bytes: over the {CONFIG_MAP_BUDGET:,}-byte "
                    "budget of the ConfigMap that carries it (a ConfigMap holds at most 1 MiB)",
                    Location(display_path(path)),
                )
            elif path.suffix == ".properties":
                for line, col, problem in asset.properties.problems:
                    diag.error(problem, Location(display_path(path), line, col))
    for path in fp.secret_files:
        project.secret_keys += _secret_keys(path, base, diag)
    for path in fp.refused_files:
        diag.error(
            "the file's name says it holds secrets, and chartgen never packages such a file: keep its "
            "values in secret.properties or Vault, or exclude it (chartgen.yaml 'exclude')",
            Location(display_path(path)),
        )
    return project


def _read(path: Path, root: Path, diag: Diagnostics) -> bytes | None:
    try:
        return read_inside(path, root, walked=True)
    except NotRead as exc:
        diag.error(f"project file not read: it {exc}", Location(display_path(path)))
    except OSError as exc:
        diag.error(f"cannot read project file: {exc.strerror}", Location(display_path(path)))
    return None


def _secret_keys(path: Path, root: Path, diag: Diagnostics) -> list[SecretKeyName]:
    """Key names of a secret.properties; its values are dropped as soon as they are read."""
    content = _read(path, root, diag)
    if content is None:
        return []
    entries = parse_properties(content.decode("utf-8", errors="replace"))
    if len(entries) > MAX_SECRET_KEYS:
        diag.error(
            f"secret.properties holds {len(entries):,} keys, more than {MAX_SECRET_KEYS:,}: "
            "each key becomes a Vault reference and an environment variable of every pod",
            Location(display_path(path), entries[MAX_SECRET_KEYS].line, 1),
        )
        return []
    return [SecretKeyName(e.key, path, e.line) for e in entries]


def load_workflow_file(
    path: Path, resources: Path, diag: Diagnostics, root: Path | None = None
) -> Workflow | None:
    """One workflow file of the project at `resources`; links must stay inside `root`."""
    try:
        source = SourceFile(
            path, read_inside(path, root or resources, walked=root is not None), runtime_reads=True
        )
        docs = source.documents()
    except NotRead as exc:
        diag.error(f"workflow file not read: it {exc}", Location(display_path(path)))
        return None
    except OSError as exc:
        diag.error(f"cannot read workflow file: {exc.strerror}", Location(display_path(path)))
        return None
    except ParseError as exc:
        diag.error(exc.message, Location(display_path(path), exc.line, exc.col))
        return None
    report_duplicates(source, diag)
    flows = [(i, d) for i, d in enumerate(docs) if looks_like_workflow(d)]
    for i, d in enumerate(docs):
        if d is not None and not looks_like_workflow(d):
            diag.warning(
                f"document {i + 1} is not a workflow (kind: {_kind(d)}); skipped",
                source.location(i),
            )
    if not flows:
        diag.error("no workflow definition in this file", source.location(0))
        return None
    if len(flows) > 1:
        diag.error(
            f"file holds {len(flows)} workflow documents; keep one workflow per file",
            source.location(flows[1][0]),
        )
        return None
    index, data = flows[0]
    rel_path = path.relative_to(resources).as_posix()
    wf = WorkflowBuilder(source, index, diag).build(data, rel_path)
    if wf is None:
        return None
    wf.is_subflow = "subflows" in rel_path.split("/")[:-1]
    wf.definition = flow_of(data)
    if is_custom_resource(data) or len(docs) > 1:
        # The runtime reads plain workflow files: hand it the flow alone.
        flow = dict(flow_of(data))
        _fill_identity(flow, wf)
        wf.rewritten = _dump_flow(flow, source.is_json)
    return wf


def report_duplicates(source: SourceFile, diag: Diagnostics) -> None:
    """A key written twice in a file the runtime reads: it keeps the last one (so does chartgen),
    which is seldom what was meant."""
    for d in source.duplicates:
        diag.warning(
            f"key '{d.key}' is written twice in one mapping (first at line {d.first_line}): SonataFlow keeps "
            "this one and drops the first",
            Location(source.display, d.line, d.col),
        )


def _fill_identity(flow: dict[str, object], wf: Workflow) -> None:
    for key, value in (
        ("id", wf.id),
        ("name", wf.name),
        ("version", wf.version),
        ("description", wf.description),
    ):
        if value is not None and key not in flow:
            flow[key] = value
    flow.setdefault("specVersion", "0.8")


def _dump_flow(flow: dict[str, object], as_json: bool) -> bytes:
    if as_json:
        import json

        return (json.dumps(flow, indent=2, ensure_ascii=False) + "\n").encode()
    text = yaml.dump(flow, Dumper=_dumper(), sort_keys=False, allow_unicode=True, width=1000)
    return text.encode()


def _dumper() -> type[yaml.SafeDumper]:
    dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return dumper


def _kind(doc: object) -> str:
    if isinstance(doc, dict):
        return str(doc.get("kind", "mapping"))
    return type(doc).__name__
