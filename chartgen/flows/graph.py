"""`chartgen graph`: the state graph of each workflow of a file or folder; with a base ref, one
graph per workflow of base and head merged (what a pull request adds, removes and changes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chartgen.errors import Diagnostics, UserError
from chartgen.formats.source import ParseError, SourceFile, display_path
from chartgen.graph.build import graph_of
from chartgen.graph.merge import merged
from chartgen.graph.model import Graph
from chartgen.version.git import find_base, tree_files
from chartgen.workflow.build import is_custom_resource, looks_like_workflow
from chartgen.workflow.discover import is_workflow_file
from chartgen.workflow.loader import load_workflows


@dataclass(frozen=True)
class WorkflowGraph:
    file: str  # as messages show it (the head's file; the base's for a removed workflow)
    graph: Graph


def workflow_graphs(target: Path, base_ref: str | None = None) -> list[WorkflowGraph]:
    """Every workflow under `target` (a workflow file or a folder), drawn; with `base_ref`,
    merged with the same workflow (by id) at the merge-base of HEAD and that ref, the base's
    files read from the same folder. Raises UserError (located) on a file it cannot read."""
    diag = Diagnostics()
    found = load_workflows(target, diag)
    diag.raise_if_errors()
    heads = {
        wf.id: (display_path(wf.source.path), wf.definition)
        for project in found.projects
        for wf in project.workflows
    }
    if base_ref is None:
        return [WorkflowGraph(file, graph_of(wid, flow)) for wid, (file, flow) in sorted(heads.items())]
    bases = _base_flows(target, base_ref)
    graphs = []
    for wid in sorted(set(heads) | set(bases)):
        head = heads.get(wid)
        base = bases.get(wid)
        graph = merged(graph_of(wid, base[1]) if base else None, graph_of(wid, head[1]) if head else None)
        graphs.append(WorkflowGraph(head[0] if head else (base[0] if base else wid), graph))
    return graphs


def _base_flows(target: Path, ref: str) -> dict[str, tuple[str, Mapping[str, Any]]]:
    """Workflow id -> (file, flow) of the workflow files under `target` at the base commit."""
    folder = target if target.is_dir() else target.parent
    base = find_base(folder, ref)
    tree = base.tree()
    files = tree_files(tree) if tree is not None else {}
    flows: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for rel, raw in sorted(files.items()):
        name = rel.rsplit("/", 1)[-1]
        if not is_workflow_file(name) or (target.is_file() and rel != target.name):
            continue
        shown = f"{ref}:{(Path(base.charts_rel) / rel).as_posix()}"
        flow = _flow(shown, raw)
        if flow is not None and isinstance(flow.get("id"), str):
            flows.setdefault(str(flow["id"]), (shown, flow))
    return flows


def _flow(shown: str, raw: bytes) -> Mapping[str, Any] | None:
    """The flow of a base file; a file that does not parse is drawn as absent (it was broken
    at the base: the head's graph shows what the pull request makes of it)."""
    try:
        docs = SourceFile(Path(shown), raw).documents()
    except (ParseError, UserError):
        return None
    for doc in docs:
        if looks_like_workflow(doc):
            flow = doc["spec"]["flow"] if is_custom_resource(doc) else doc
            return flow if isinstance(flow, Mapping) else None
    return None
