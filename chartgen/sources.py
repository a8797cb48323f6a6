"""Reading YAML and JSON fast, and finding where a value was written only when needed.

Parsing uses the fastest parsers available (json, libyaml). Positions are needed only
for diagnostics, so a file is re-read with marks the first time one of its values
must be located, and the answer is cached.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from chartgen.errors import Location
from chartgen.jsonpos import json_positions

Pointer = tuple[str | int, ...]

_LOADER_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FastLoader(_LOADER_BASE):  # type: ignore[misc]
    """libyaml loader that keeps dates as strings (workflow files are data, not timestamps)."""


FastLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _LOADER_BASE.yaml_implicit_resolvers.items()
}


class ParseError(Exception):
    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


def display_path(path: Path) -> str:
    """Paths in messages are relative to the working directory when possible."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("../../..") else rel


class SourceFile:
    """One input file: its bytes, its parsed documents and, lazily, their positions."""

    def __init__(self, path: Path, raw: bytes | None = None) -> None:
        self.path = path
        self.display = display_path(path)
        self.raw = path.read_bytes() if raw is None else raw
        self._text: str | None = None
        self._positions: list[Any] | None = None

    @property
    def is_json(self) -> bool:
        return self.path.suffix.lower() == ".json"

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.raw.decode("utf-8-sig")
        return self._text

    def documents(self) -> list[Any]:
        """Every document of the file (JSON has one). Raises ParseError, located."""
        try:
            text = self.text
        except UnicodeDecodeError as exc:
            raise ParseError(f"not UTF-8 text ({exc.reason})", 1, 1) from None
        if self.is_json:
            try:
                return [json.loads(text)]
            except json.JSONDecodeError as exc:
                raise ParseError(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
        try:
            return list(yaml.load_all(text, Loader=FastLoader))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = exc.problem or exc.context or "syntax error"
            raise ParseError(f"invalid YAML: {problem}", line, col) from None
        except yaml.YAMLError as exc:
            raise ParseError(f"invalid YAML: {exc}", 1, 1) from None

    def location(self, doc: int = 0, pointer: Sequence[str | int] = (), key: bool = False) -> Location:
        """Where `pointer` (keys and list indexes) was written; `key` asks for the key itself."""
        line, col = self._find(doc, tuple(pointer), key)
        return Location(self.display, line, col)

    def _find(self, doc: int, pointer: Pointer, key: bool) -> tuple[int, int]:
        trees = self._position_trees()
        if doc >= len(trees) or trees[doc] is None:
            return (1, 1)
        node: PosNode = trees[doc]
        found: tuple[int, int] = node.pos
        for i, part in enumerate(pointer):
            child = node.children.get(part)
            if child is None:
                break
            last = i == len(pointer) - 1
            found = child.key_pos if (last and key and child.key_pos) else child.pos
            node = child
        return found

    def _position_trees(self) -> list[Any]:
        if self._positions is None:
            self._positions = _json_trees(self.text) if self.is_json else _yaml_trees(self.text)
        return self._positions


class PosNode:
    """Position of one value, of its key (in a mapping), and of its children."""

    __slots__ = ("children", "key_pos", "pos")

    def __init__(self, pos: tuple[int, int], key_pos: tuple[int, int] | None = None) -> None:
        self.pos = pos
        self.key_pos = key_pos
        self.children: dict[str | int, PosNode] = {}


def _yaml_trees(text: str) -> list[Any]:
    try:
        nodes = list(yaml.compose_all(text, Loader=FastLoader))
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


def _json_trees(text: str) -> list[Any]:
    root = json_positions(text)
    return [root] if root is not None else []
