"""One graph of a workflow's base and head: each node and edge marked added, removed, changed
(a state whose actions, conditions, timeouts or filters differ) or unchanged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chartgen.graph.build import graph_of
from chartgen.graph.model import Edge, Graph, Node


def merged(base: Graph | None, head: Graph | None) -> Graph:
    """`base` None: the workflow is new; `head` None: it was removed."""
    workflow = (head or base or Graph(workflow="")).workflow
    before = {n.key: n for n in base.nodes} if base else {}
    after = {n.key: n for n in head.nodes} if head else {}
    nodes: list[Node] = []
    for key, node in after.items():
        old = before.get(key)
        if old is None:
            nodes.append(node.with_status("added"))
        elif old.fingerprint != node.fingerprint or old.kind != node.kind:
            nodes.append(node.with_status("changed"))
        else:
            nodes.append(node.with_status("unchanged"))
    # Removed nodes follow the head's, in the base's order: the output stays deterministic.
    nodes += [n.with_status("removed") for k, n in before.items() if k not in after]
    old_edges = {e.identity: e for e in base.edges} if base else {}
    new_edges = {e.identity: e for e in head.edges} if head else {}
    edges: list[Edge] = [
        e.with_status("unchanged" if i in old_edges else "added") for i, e in new_edges.items()
    ]
    edges += [e.with_status("removed") for i, e in old_edges.items() if i not in new_edges]
    return Graph(workflow=workflow, nodes=nodes, edges=edges, merged=True)


def counts(graph: Graph) -> dict[str, int]:
    """States per status of a merged graph (what a summary says instead of a drawing)."""
    found = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0}
    for node in graph.states:
        if node.status in found:
            found[node.status] += 1
    return found


def changed_graphs(
    base: Mapping[str, Mapping[str, Any]], head: Mapping[str, Mapping[str, Any]]
) -> list[Graph]:
    """The merged graph of each workflow (id -> flow) that differs between base and head, by id."""
    graphs = []
    for wid in sorted(set(base) | set(head)):
        old = graph_of(wid, base[wid]) if wid in base else None
        new = graph_of(wid, head[wid]) if wid in head else None
        graph = merged(old, new)
        if any(n.status != "unchanged" for n in graph.nodes) or any(
            e.status != "unchanged" for e in graph.edges
        ):
            graphs.append(graph)
    return graphs
