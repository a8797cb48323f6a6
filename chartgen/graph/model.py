"""A workflow's state graph: typed nodes and edges, each with its status in a merged graph."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

# plain: one workflow drawn alone; the others: a base/head merge (chartgen graph --base)
Status = Literal["plain", "added", "removed", "changed", "unchanged"]
EdgeKind = Literal["next", "condition", "default", "error", "compensation", "calls", "branch"]
# State types of spec 0.8, and the nodes that are not states
NodeKind = Literal[
    "operation", "event", "callback", "switch", "sleep", "parallel", "foreach", "inject",
    "start", "end", "terminate", "subflow", "branch", "unknown",
]  # fmt: skip

# Past this many states (or nodes, or edges) a workflow is summarised (counts), not drawn: a
# bigger picture is not read, Mermaid's layout of it is slow in a browser, and GitHub's Mermaid
# refuses diagrams of over 500 edges.
MAX_DRAWN_STATES = 60
MAX_DRAWN_NODES = 150  # states, their branches, end, subflows
MAX_DRAWN_EDGES = 300


@dataclass(frozen=True)
class Node:
    key: str  # unique in its graph: "state:<name>", "branch:<state>/<i>", "subflow:<id>", "start"...
    kind: NodeKind
    title: str  # the state's name (or what a non-state node stands for)
    details: tuple[str, ...] = ()  # short lines under the title: actions, waits, timeouts
    waits: tuple[str, ...] = ()  # why an instance can wait here (callback, event, sleep, timeout)
    parent: str | None = None  # the parallel or foreach state it is drawn inside
    fingerprint: str = ""  # what, changed, marks the state changed (actions, conditions, timeouts, filters)
    calls: tuple[str, ...] = ()  # the workflows it runs as subflows
    status: Status = "plain"

    def with_status(self, status: Status) -> Node:
        return replace(self, status=status)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: EdgeKind
    label: str = ""
    status: Status = "plain"

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.source, self.target, self.kind, self.label)

    def with_status(self, status: Status) -> Edge:
        return replace(self, status=status)


@dataclass
class Graph:
    workflow: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    merged: bool = False  # a base/head merge: statuses say what changed

    @property
    def states(self) -> list[Node]:
        return [n for n in self.nodes if n.key.startswith(STATE)]

    @property
    def too_big(self) -> bool:
        return (
            len(self.states) > MAX_DRAWN_STATES
            or len(self.nodes) > MAX_DRAWN_NODES
            or len(self.edges) > MAX_DRAWN_EDGES
        )


STATE = "state:"


def state_key(name: str) -> str:
    return STATE + name
