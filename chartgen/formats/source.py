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
from chartgen.formats.json_positions import duplicate_key_position, json_trees
from chartgen.formats.positions import PosNode, yaml_trees

Pointer = tuple[str | int, ...]

_LOADER_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FastLoader(_LOADER_BASE):  # type: ignore[misc]
    """libyaml loader that keeps dates as strings (workflow files are data, not timestamps)
    and refuses a key written twice in one mapping (YAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: dict[str, yaml.Node] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                first = seen.setdefault(key_node.value, key_node)
                if first is not key_node:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key '{key_node.value}' (first at line {first.start_mark.line + 1})",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep)


FastLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _LOADER_BASE.yaml_implicit_resolvers.items()
}


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):  # rare: find which key, for the message
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return data


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
                return [json.loads(text, object_pairs_hook=_unique_keys)]
            except json.JSONDecodeError as exc:
                raise ParseError(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
            except _DuplicateKey as exc:
                line, col, first = duplicate_key_position(text, exc.key)
                raise ParseError(
                    f"invalid JSON: duplicate key '{exc.key}' (first at line {first})", line, col
                ) from None
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
            self._positions = json_trees(self.text) if self.is_json else yaml_trees(self.text, FastLoader)
        return self._positions
