"""Where each value of a parsed document was written: a tree of (line, column) positions."""

from __future__ import annotations

from typing import Any

import yaml


class PosNode:
    """Position of one value, of its key (in a mapping), and of its children."""

    __slots__ = ("children", "key_pos", "pos")

    def __init__(self, pos: tuple[int, int], key_pos: tuple[int, int] | None = None) -> None:
        self.pos = pos
        self.key_pos = key_pos
        self.children: dict[str | int, PosNode] = {}


def yaml_trees(text: str, loader: Any) -> list[Any]:
    try:
        nodes = list(yaml.compose_all(text, Loader=loader))
    except yaml.YAMLError:
        return []
    return [_from_yaml_node(n, None) if n is not None else None for n in nodes]


def _from_yaml_node(node: yaml.Node, key_pos: tuple[int, int] | None) -> PosNode:
    here = PosNode((node.start_mark.line + 1, node.start_mark.column + 1), key_pos)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            kp = (k.start_mark.line + 1, k.start_mark.column + 1)
            name = k.value if isinstance(k, yaml.ScalarNode) else str(kp)
            here.children[name] = _from_yaml_node(v, kp)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            here.children[i] = _from_yaml_node(item, None)
    return here
