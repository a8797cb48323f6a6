"""Positions of values in a JSON text (the json module gives none).

Used only to locate diagnostics. Whitespace and strings are skipped with regular expressions
and lines are found from offsets, so a large spec is located in a fraction of its parse time.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from typing import Any

from chartgen.formats.positions import PosNode

_WS = re.compile(r"[ \t\r\n\ufeff]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"[^,}\]\s]*")
# Deeper than any document the loader accepts (formats/source.py MAX_DEPTH); a text scanned
# before it was accepted (to locate a duplicate key) stops here instead of recursing on.
_MAX_DEPTH = 200


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self.duplicates: list[tuple[str, tuple[int, int], tuple[int, int]]] = []  # key, here, first

    def position(self) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, self.i)
        return line, self.i - self.line_starts[line - 1] + 1

    def skip_ws(self) -> None:
        self.i = _WS.match(self.text, self.i).end()  # type: ignore[union-attr]  # `*` always matches

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise ValueError(f"expected {char!r}")
        self.i += 1

    def string(self) -> str:
        m = _STRING.match(self.text, self.i)
        if m is None:
            raise ValueError("unterminated string")
        self.i = m.end()
        value = json.loads(m.group())
        return str(value)

    def value(self, key_pos: tuple[int, int] | None, depth: int = 1) -> PosNode:
        if depth > _MAX_DEPTH:
            raise ValueError("nested too deep")
        self.skip_ws()
        node = PosNode(self.position(), key_pos)
        ch = self.peek()
        if ch == "{":
            self.i += 1
            self.skip_ws()
            while self.peek() not in ("}", ""):
                self.skip_ws()
                kp = self.position()
                name = self.string()
                self.skip_ws()
                self.expect(":")
                if name in node.children:
                    first = node.children[name].key_pos or kp
                    self.duplicates.append((name, kp, first))
                node.children[name] = self.value(kp, depth + 1)
                self.skip_ws()
                if self.peek() == ",":
                    self.i += 1
                    self.skip_ws()
            self.expect("}")
        elif ch == "[":
            self.i += 1
            self.skip_ws()
            index = 0
            while self.peek() not in ("]", ""):
                node.children[index] = self.value(None, depth + 1)
                index += 1
                self.skip_ws()
                if self.peek() == ",":
                    self.i += 1
                    self.skip_ws()
            self.expect("]")
        elif ch == '"':
            self.string()
        else:
            self.i = _SCALAR.match(self.text, self.i).end()  # type: ignore[union-attr]
        return node


def json_positions(text: str) -> PosNode | None:
    try:
        return _Scanner(text).value(None)
    except ValueError:  # json.JSONDecodeError included
        return None


def json_trees(text: str) -> list[Any]:
    root = json_positions(text)
    return [root] if root is not None else []


def duplicate_keys(text: str) -> list[tuple[str, int, int, int]]:
    """(key, line, column, line of the first) of every key written again in one object."""
    scanner = _Scanner(text)
    with contextlib.suppress(ValueError):
        scanner.value(None)
    return [(name, line, col, first) for name, (line, col), (first, _) in scanner.duplicates]
