"""A workflow's state graph from its flow (spec 0.8, as SonataFlow reads it): states by type,
transitions with their conditions, error transitions, compensation, end and terminate, the
subflows each state calls, and the states where an instance can wait."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

from chartgen.graph.model import STATE, Edge, EdgeKind, Graph, Node, NodeKind, state_key

START, END, TERMINATE = "start", "end", "terminate"
KINDS: tuple[NodeKind, ...] = (
    "operation",
    "event",
    "callback",
    "switch",
    "sleep",
    "parallel",
    "foreach",
    "inject",
)
# Keys of a state that are its links (drawn as edges), not what it does.
LINK_KEYS = ("name", "transition", "end", "compensatedBy", "onErrors", "usedForCompensation", "metadata")
MAX_TEXT = 60  # longest condition or detail drawn; longer text is cut with an ellipsis


def graph_of(workflow: str, flow: Mapping[str, Any]) -> Graph:
    """The graph of one flow; what is malformed is left out (validate reports it)."""
    states: list[Mapping[str, Any]] = []
    names: set[str] = set()
    for state in _list(flow.get("states")):
        # A name written twice is refused by validate; the first is drawn, as the merge keys them.
        if isinstance(state, Mapping) and isinstance(state.get("name"), str) and state["name"] not in names:
            names.add(state["name"])
            states.append(state)
    graph = Graph(workflow=workflow)
    graph.nodes.append(Node(key=START, kind="start", title="start"))
    start = flow.get("start")
    first = start.get("stateName") if isinstance(start, Mapping) else start
    if not isinstance(first, str) and states:
        first = states[0]["name"]  # SonataFlow starts at the first state when `start` is absent
    if isinstance(first, str):
        graph.edges.append(Edge(START, state_key(first), "next"))
    ends: set[str] = set()
    for state in states:
        graph.nodes += _nodes(state)
        for edge in _edges(state):
            graph.edges.append(edge)
            if edge.target in (END, TERMINATE):
                ends.add(edge.target)
    if END in ends:
        graph.nodes.append(Node(key=END, kind="end", title=END))
    if TERMINATE in ends:
        graph.nodes.append(Node(key=TERMINATE, kind="terminate", title=TERMINATE))
    graph.nodes += _subflows(graph)
    # A transition to a state that does not exist (validate reports it) is not drawn.
    known = {n.key for n in graph.nodes}
    graph.edges = _unique([e for e in graph.edges if e.source in known and e.target in known])
    return graph


def _nodes(state: Mapping[str, Any]) -> list[Node]:
    name = str(state["name"])
    kind = state.get("type")
    node_kind: NodeKind = kind if kind in KINDS else "unknown"
    key = state_key(name)
    own = _own_actions(state)
    children = []
    if node_kind == "parallel":
        for i, branch in enumerate(_list(state.get("branches"))):
            if isinstance(branch, Mapping):
                actions = branch.get("actions")
                title = _short(str(branch.get("name") or f"branch {i + 1}"))
                children.append(
                    Node(key=f"branch:{name}/{i}", kind="branch", title=title,
                         details=tuple(_actions(actions)), parent=key, calls=tuple(_calls(actions)))
                )  # fmt: skip
    elif node_kind == "foreach":
        over = _short(f"for each in {state.get('inputCollection', '?')}")
        children.append(
            Node(key=f"branch:{name}/body", kind="branch", title=over,
                 details=tuple(_actions(own)), parent=key, calls=tuple(_calls(own)))
        )  # fmt: skip
    node = Node(
        key=key,
        kind=node_kind,
        title=_short(name),
        details=tuple(_details(state)),
        waits=tuple(_waits(state)),
        fingerprint=_fingerprint(state),
        calls=() if children else tuple(_calls(own)),
    )
    return [node, *children]


def _own_actions(state: Mapping[str, Any]) -> list[Any]:
    """The actions the state runs itself: an operation's or foreach's, a callback's one, those
    of an event state's onEvents (a parallel state's are its branches')."""
    kind = state.get("type")
    if kind == "callback":
        return [state.get("action")]
    if kind == "event":
        ons = [on for on in _list(state.get("onEvents")) if isinstance(on, Mapping)]
        return [action for on in ons for action in _list(on.get("actions"))]
    return _list(state.get("actions"))


def _details(state: Mapping[str, Any]) -> Iterator[str]:
    kind = state.get("type")
    if kind in ("operation", "callback"):
        yield from _actions(_own_actions(state))
    if kind == "callback" and isinstance(state.get("eventRef"), str):
        yield _short(f"on {state['eventRef']}")
    if kind == "event":
        for on in _list(state.get("onEvents")):
            if isinstance(on, Mapping):
                refs = ", ".join(str(r) for r in _list(on.get("eventRefs")))
                yield _short(f"on {refs}")
                yield from _actions(on.get("actions"))
    if kind == "sleep" and state.get("duration"):
        yield _short(f"sleeps {state['duration']}")
    timeouts = state.get("timeouts")
    if isinstance(timeouts, Mapping) and timeouts.get("eventTimeout"):
        yield _short(f"timeout {timeouts['eventTimeout']}")


def _actions(actions: Any) -> Iterator[str]:
    for action in _list(actions):
        if not isinstance(action, Mapping):
            continue
        function = action.get("functionRef")
        if isinstance(function, Mapping):
            function = function.get("refName")
        if isinstance(function, str):
            yield _short(f"calls {function}")
        event = action.get("eventRef")
        if isinstance(event, Mapping):
            yield _short(f"sends {event.get('produceEventRef') or event.get('triggerEventRef') or '?'}")
        subflow = _subflow_id(action.get("subFlowRef"))
        if subflow:
            yield _short(f"runs {subflow}")


def _waits(state: Mapping[str, Any]) -> Iterator[str]:
    """Why an instance can wait in this state: what the runtime persists it for."""
    kind = state.get("type")
    if kind == "callback":
        yield "callback"
    elif kind == "event":
        yield "event"
    elif kind == "sleep":
        yield "sleep"
    if kind == "switch" and _list(state.get("eventConditions")):
        yield "event"
    timeouts = state.get("timeouts")
    if isinstance(timeouts, Mapping) and timeouts.get("eventTimeout"):
        yield "timeout"


def _edges(state: Mapping[str, Any]) -> Iterator[Edge]:
    key = state_key(str(state["name"]))
    yield from _onward(key, state, "next", "")
    if state.get("type") == "switch":
        for cond in _list(state.get("dataConditions")):
            if isinstance(cond, Mapping):
                label = str(cond.get("name") or cond.get("condition") or "")
                yield from _onward(key, cond, "condition", _short(label))
        for cond in _list(state.get("eventConditions")):
            if isinstance(cond, Mapping):
                label = str(cond.get("name") or f"on {cond.get('eventRef', '?')}")
                yield from _onward(key, cond, "condition", _short(label))
        default = state.get("defaultCondition")
        if isinstance(default, Mapping):
            yield from _onward(key, default, "default", "default")
    for handler in _list(state.get("onErrors")):
        if isinstance(handler, Mapping):
            errors = handler.get("errorRef") or ", ".join(str(e) for e in _list(handler.get("errorRefs")))
            yield from _onward(key, handler, "error", _short(f"error {errors}"))
    compensation = state.get("compensatedBy")
    if isinstance(compensation, str):
        yield Edge(key, state_key(compensation), "compensation", "compensated by")


def _onward(source: str, holder: Mapping[str, Any], kind: EdgeKind, label: str) -> Iterator[Edge]:
    """The edge a `transition` or `end` of `holder` (a state, condition or handler) draws."""
    transition = holder.get("transition")
    target = transition.get("nextState") if isinstance(transition, Mapping) else transition
    if isinstance(target, str):
        yield Edge(source, state_key(target), kind, label)
    end = holder.get("end")
    if end is True or isinstance(end, Mapping):
        terminate = isinstance(end, Mapping) and end.get("terminate") is True
        yield Edge(source, TERMINATE if terminate else END, kind, label)


def _calls(actions: Any) -> Iterator[str]:
    """The workflows the actions run as subflows."""
    for action in _list(actions):
        if isinstance(action, Mapping) and (called := _subflow_id(action.get("subFlowRef"))):
            yield called


def _subflows(graph: Graph) -> list[Node]:
    """A node per workflow the states call as a subflow, and the calls as edges (from the
    branch that calls it, drawn inside its parallel or foreach state)."""
    nodes: dict[str, Node] = {}
    for node in list(graph.nodes):
        for called in node.calls:
            key = f"subflow:{called}"
            nodes.setdefault(key, Node(key=key, kind="subflow", title=_short(called)))
            graph.edges.append(Edge(node.key, key, "calls", "calls"))
    return list(nodes.values())


def _subflow_id(ref: Any) -> str | None:
    if isinstance(ref, Mapping):
        ref = ref.get("workflowId")
    return ref if isinstance(ref, str) else None


def _fingerprint(state: Mapping[str, Any]) -> str:
    """What the state does, without its links (edges show those): its actions, conditions,
    timeouts and filters."""
    body = {k: v for k, v in state.items() if k not in LINK_KEYS}
    text = json.dumps(_keyed(body), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _keyed(value: Any) -> Any:
    """Mapping keys as text: YAML allows `200:` or `on:` (a boolean) beside string keys, which
    json.dumps cannot sort together."""
    if isinstance(value, Mapping):
        return {f"{type(k).__name__}:{k}": _keyed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_keyed(v) for v in value]
    return value


def _unique(edges: list[Edge]) -> list[Edge]:
    seen: set[tuple[str, str, str, str]] = set()
    kept = []
    for edge in edges:
        if edge.identity not in seen:
            seen.add(edge.identity)
            kept.append(edge)
    return kept


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_TEXT else flat[: MAX_TEXT - 1] + "…"


__all__ = ["END", "START", "STATE", "TERMINATE", "graph_of"]
