"""A state graph as Mermaid (flowchart), Graphviz DOT or JSON. Every state name and condition
is untrusted text: nodes get generated ids (n0, n1, ...), labels are escaped for each format,
and nothing the workflow writes can add a directive, a link or a style."""

from __future__ import annotations

from typing import Any

from chartgen.graph.merge import counts
from chartgen.graph.model import MAX_DRAWN_EDGES, MAX_DRAWN_NODES, MAX_DRAWN_STATES, Graph, Node

# Mermaid shapes by node kind: [text] box, {text} rhombus, {{text}} hexagon (an instance can
# wait there), ((text)) circle, (((text))) double circle, [[text]] subroutine.
_SHAPES = {
    "switch": ("{", "}"),
    "start": ("((", "))"),
    "end": ("(((", ")))"),
    "terminate": ("(((", ")))"),
    "subflow": ("[[", "]]"),
    "branch": ("[", "]"),
}
_WAITING = ("{{", "}}")
_ARROWS = {"error": "==>", "compensation": "-.->", "calls": "-.->"}
# A status's colour, in every format; Mermaid fills its nodes with a lighter shade.
_COLOURS = {"added": "#22863a", "removed": "#cb2431", "changed": "#b08800"}
_FILLS = {"added": "#e6ffed", "removed": "#ffeef0", "changed": "#fff5b1"}
_DASHED = ",stroke-dasharray:5 5"
_STYLES = {
    status: f"fill:{_FILLS[status]},stroke:{colour},stroke-width:2px{_DASHED * (status == 'removed')}"
    for status, colour in _COLOURS.items()
}
_EDGE_STYLES = {
    status: f"stroke:{_COLOURS[status]},stroke-width:2px{_DASHED * (status == 'removed')}"
    for status in ("added", "removed")
}
# `%` too: Mermaid finds a `%%{...}%%` directive anywhere in the text, inside labels as well.
_ESCAPES = {c: f"#{ord(c)};" for c in '#"<>&`|%'}


def mermaid(graph: Graph) -> str:
    """A Mermaid flowchart (top-down); a merged graph adds its styles and a legend."""
    if graph.too_big:
        return _summary_chart(graph)
    ids = {n.key: f"n{i}" for i, n in enumerate(graph.nodes)}
    lines = ["flowchart TD"]
    children: dict[str, list[Node]] = {}
    for node in graph.nodes:
        if node.parent:
            children.setdefault(node.parent, []).append(node)
    for node in graph.nodes:
        if node.parent:
            continue
        if node.key in children:  # a parallel or foreach state: its branches drawn inside it
            lines.append(f'  subgraph {ids[node.key]}["{_label(node)}"]')
            lines.append("    direction TB")
            lines += [f"    {ids[c.key]}{_shape(c)}" for c in children[node.key]]
            lines.append("  end")
        else:
            lines.append(f"  {ids[node.key]}{_shape(node)}")
    for edge in graph.edges:
        arrow = _ARROWS.get(edge.kind, "-->")
        label = f'|"{_escape(edge.label)}"|' if edge.label else ""
        lines.append(f"  {ids[edge.source]} {arrow}{label} {ids[edge.target]}")
    if graph.merged:
        lines += _merge_styles(graph, ids)
    return "\n".join(lines) + "\n"


def _merge_styles(graph: Graph, ids: dict[str, str]) -> list[str]:
    lines = [f"  classDef {status} {style}" for status, style in _STYLES.items()]
    for status in _STYLES:
        marked = [ids[n.key] for n in graph.nodes if n.status == status]
        if marked:
            lines.append(f"  class {','.join(marked)} {status}")
    for i, edge in enumerate(graph.edges):
        if edge.status in _EDGE_STYLES:
            lines.append(f"  linkStyle {i} {_EDGE_STYLES[edge.status]}")
    lines += [
        '  subgraph legend["legend"]',
        '    legend_added["added"]:::added',
        '    legend_removed["removed"]:::removed',
        '    legend_changed["changed"]:::changed',
        '    legend_same["unchanged"]',
        "  end",
    ]
    return lines


def _summary_chart(graph: Graph) -> str:
    """A workflow over MAX_DRAWN_STATES states: its counts, not its drawing."""
    if graph.merged:
        c = counts(graph)
        text = (
            f"{c['added']} added, {c['removed']} removed, {c['changed']} changed, {c['unchanged']} unchanged"
        )
    else:
        text = f"{len(graph.states)} states"
    title = _escape(
        f"{graph.workflow}: {text} (over {MAX_DRAWN_STATES} states, {MAX_DRAWN_NODES} nodes or "
        f"{MAX_DRAWN_EDGES} transitions: summarised, not drawn)"
    )
    return f'flowchart TD\n  n0["{title}"]\n'


def _shape(node: Node) -> str:
    left, right = _WAITING if node.waits and node.kind not in _SHAPES else _SHAPES.get(node.kind, ("[", "]"))
    return f'{left}"{_label(node)}"{right}'


def _label(node: Node) -> str:
    title = _escape(node.title)
    if node.kind not in ("start", "end", "terminate", "subflow", "branch"):
        title = f"{title}<br/>({node.kind})"
    lines = [title, *(_escape(d) for d in node.details)]
    if node.waits:
        lines.append("waits: " + ", ".join(node.waits))
    return "<br/>".join(lines)


def comment_text(text: str) -> str:
    """A name in a Mermaid or DOT comment line: one line, no `%` (a directive)."""
    return _escape(text)


def _escape(text: str) -> str:
    """Mermaid's entity codes for every character that could end a label or start markup."""
    return "".join(_ESCAPES.get(c, c) for c in " ".join(text.split()))


def dot(graph: Graph) -> str:
    """Graphviz DOT: the same nodes and edges, statuses as colours, removed ones dashed."""
    ids = {n.key: f"n{i}" for i, n in enumerate(graph.nodes)}
    shapes = {
        "switch": "diamond",
        "start": "circle",
        "end": "doublecircle",
        "terminate": "doublecircle",
        "subflow": "component",
    }
    lines = [f'digraph "{_dot_text(graph.workflow)}" {{', "  rankdir=TB;", "  node [fontname=Helvetica];"]
    for node in graph.nodes:
        parts = [node.title, *node.details, *(["waits: " + ", ".join(node.waits)] if node.waits else [])]
        shape = shapes.get(node.kind, "hexagon" if node.waits else "box")
        label = "\\n".join(_dot_text(p) for p in parts)  # DOT's own line break
        attrs = [f'label="{label}"', f"shape={shape}"]
        if node.status in _COLOURS:
            attrs.append(f'color="{_COLOURS[node.status]}"')
        if node.status == "removed":
            attrs.append("style=dashed")
        lines.append(f"  {ids[node.key]} [{', '.join(attrs)}];")
    for edge in graph.edges:
        attrs = [f'label="{_dot_text(edge.label)}"'] if edge.label else []
        if edge.kind in ("compensation", "calls") or edge.status == "removed":
            attrs.append("style=dashed")
        if edge.kind == "error":
            attrs.append("penwidth=2")
        if edge.status in _COLOURS:
            attrs.append(f'color="{_COLOURS[edge.status]}"')
        extra = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {ids[edge.source]} -> {ids[edge.target]}{extra};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    """Text inside a DOT double-quoted string: backslashes and quotes escaped, one line."""
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')


def as_json(graph: Graph) -> dict[str, Any]:
    return {
        "workflow": graph.workflow,
        "merged": graph.merged,
        "summarised": graph.too_big,
        "nodes": [
            {
                "key": n.key,
                "kind": n.kind,
                "title": n.title,
                "details": list(n.details),
                "waits": list(n.waits),
                "parent": n.parent,
                "status": n.status,
            }
            for n in graph.nodes
        ],
        "edges": [
            {"source": e.source, "target": e.target, "kind": e.kind, "label": e.label, "status": e.status}
            for e in graph.edges
        ],
    }
