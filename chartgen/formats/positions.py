"""Where each value of a parsed document was written: a tree of (line, column) positions."""

from __future__ import annotations

import contextlib
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

# Keys written as other scalars (`1:`, `true:`, `null:`) are also found by the value they load as.
_SCALAR_KEYS = {
    "tag:yaml.org,2002:int": SafeConstructor.construct_yaml_int,
    "tag:yaml.org,2002:float": SafeConstructor.construct_yaml_float,
    "tag:yaml.org,2002:bool": SafeConstructor.construct_yaml_bool,
    "tag:yaml.org,2002:null": SafeConstructor.construct_yaml_null,
}


class PosNode:
    """Position of one value, of its key (in a mapping), and of its children."""

    __slots__ = ("children", "key_pos", "pos")

    def __init__(self, pos: tuple[int, int], key_pos: tuple[int, int] | None = None) -> None:
        self.pos = pos
        self.key_pos = key_pos
        self.children: dict[Any, PosNode] = {}


def yaml_trees(text: str, loader: Any) -> list[Any]:
    """Position trees of the documents of a text (composed only: nothing is constructed)."""
    try:
        nodes = list(yaml.compose_all(text, Loader=loader))
    except yaml.YAMLError:
        return []
    return [_from_yaml_node(n) if n is not None else None for n in nodes]


def _from_yaml_node(root: yaml.Node) -> PosNode:
    """Each YAML node is walked once: a node an alias repeats gets a twin (its own key position,
    the same children), so a bomb or a cycle costs no more than its text (a file may be
    located before its bounds were checked, e.g. when its name is wrong)."""
    made: dict[int, PosNode] = {}

    def position(node: yaml.Node, key_pos: tuple[int, int] | None) -> PosNode | None:
        """A new PosNode to fill, or None when `node` was met before (its twin is linked)."""
        known = made.get(id(node))
        if known is None:
            made[id(node)] = PosNode(_mark(node), key_pos)
        return None if known is not None else made[id(node)]

    def twin(node: yaml.Node, key_pos: tuple[int, int] | None) -> PosNode:
        known = made[id(node)]
        if known.key_pos == key_pos:
            return known
        other = PosNode(known.pos, key_pos)
        other.children = known.children
        return other

    top = position(root, None)
    assert top is not None
    stack: list[tuple[yaml.Node, PosNode]] = [(root, top)]
    while stack:
        node, here = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                kp = _mark(k)
                child = position(v, kp)
                if child is not None:
                    stack.append((v, child))
                for name in _key_names(k, kp):
                    here.children[name] = child or twin(v, kp)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                child = position(item, None)
                if child is not None:
                    stack.append((item, child))
                here.children[i] = child or twin(item, None)
    return top


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _key_names(key: yaml.Node, kp: tuple[int, int]) -> list[Any]:
    if not isinstance(key, yaml.ScalarNode):
        return [str(kp)]
    names: list[Any] = [key.value]
    convert = _SCALAR_KEYS.get(key.tag)
    if convert is not None:
        with contextlib.suppress(ValueError, KeyError, IndexError):  # written oddly: found by its text
            names.append(convert(SafeConstructor(), key))
    return names
