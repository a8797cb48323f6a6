"""`chartgen graph`: the state graph of each workflow of a file or folder; with a base ref, one
graph per workflow file of base and head merged (what a pull request adds, removes and changes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from chartgen.errors import Diagnostics, UserError
from chartgen.formats.source import ParseError, SourceFile, display_path
from chartgen.graph.build import graph_of
from chartgen.graph.merge import merged
from chartgen.graph.model import Graph
from chartgen.version.git import find_base, tree_files
from chartgen.workflow.build import flow_of, looks_like_workflow
from chartgen.workflow.discover import is_workflow_file
from chartgen.workflow.loader import load_workflows


@dataclass(frozen=True)
class WorkflowGraph:
    file: str  # as messages show it (the head's file; the base's for a removed workflow)
    graph: Graph


@dataclass(frozen=True)
class _Side:
    workflow: str
    shown: str
    flow: Mapping[str, Any]


def workflow_graphs(target: Path, base_ref: str | None = None) -> list[WorkflowGraph]:
    """Every workflow under `target` (a workflow file or a folder), drawn; with `base_ref`,
    each merged with the file at the same path under that folder at the merge-base of HEAD and
    the ref (a renamed file is one removed and one added, as git shows it). Raises UserError
    (located) on a file it cannot read."""
    diag = Diagnostics()
    found = load_workflows(target, diag)
    diag.raise_if_errors()
    folder = target if target.is_dir() else target.parent
    heads = {
        wf.source.path.resolve().relative_to(folder.resolve()).as_posix(): _Side(
            wf.id, display_path(wf.source.path), wf.definition
        )
        for wf in found.workflows
    }
    if base_ref is None:
        return [WorkflowGraph(s.shown, graph_of(s.workflow, s.flow)) for _, s in sorted(heads.items())]
    bases = _base_flows(folder, target, base_ref)
    graphs = []
    for rel in sorted(set(heads) | set(bases)):
        head, base = heads.get(rel), bases.get(rel)
        shown = head or base
        assert shown is not None
        graph = merged(
            graph_of(base.workflow, base.flow) if base else None,
            graph_of(head.workflow, head.flow) if head else None,
        )
        graphs.append(WorkflowGraph(shown.shown, graph))
    return graphs


def _base_flows(folder: Path, target: Path, ref: str) -> dict[str, _Side]:
    """Path under `folder` -> the workflow in that file at the base commit."""
    base = find_base(folder, ref)
    tree = base.tree()
    files = tree_files(tree) if tree is not None else {}
    flows = {}
    for rel, raw in sorted(files.items()):
        if not is_workflow_file(PurePosixPath(rel).name) or (target.is_file() and rel != target.name):
            continue
        shown = f"{ref}:{(PurePosixPath(base.charts_rel) / rel).as_posix()}"
        side = _side(shown, rel, raw)
        if side is not None:
            flows[rel] = side
    return flows


def _side(shown: str, rel: str, raw: bytes) -> _Side | None:
    """The workflow of a base file; a file that does not parse is drawn as absent (it was broken
    at the base: the head's graph shows what the pull request makes of it)."""
    try:
        docs = SourceFile(Path(rel), raw).documents()
    except (ParseError, UserError):
        return None
    for doc in docs:
        if not looks_like_workflow(doc):
            continue
        flow = flow_of(doc)
        if not isinstance(flow, Mapping):
            return None
        wid = flow.get("id") or flow.get("key")
        return _Side(str(wid) if isinstance(wid, str | int) else PurePosixPath(rel).stem, shown, flow)
    return None
