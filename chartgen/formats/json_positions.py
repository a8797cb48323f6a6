"""Positions of values in a JSON text (the json module gives none).

Used only to locate diagnostics, so clarity wins over speed here.
"""

from __future__ import annotations

import contextlib
from typing import Any

from chartgen.formats.positions import PosNode

_WS = " \t\r\n\ufeff"
# Deeper than any document the loader accepts (formats/source.py MAX_DEPTH); a text scanned
# before it was accepted (to locate a duplicate key) stops here instead of recursing on.
_MAX_DEPTH = 200


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1
        self.col = 1
        self.duplicates: list[tuple[str, tuple[int, int], tuple[int, int]]] = []  # key, here, first

    def skip_ws(self) -> None:
        while self.i < len(self.text) and self.text[self.i] in _WS:
            self.advance()

    def advance(self) -> str:
        ch = self.text[self.i]
        self.i += 1
        if ch == "\n":
            self.line += 1
            self.col = 1
        else:
            self.col += 1
        return ch

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def string(self) -> str:
        out: list[str] = []
        self.advance()  # opening quote
        while self.i < len(self.text):
            ch = self.advance()
            if ch == '"':
                return "".join(out)
            if ch == "\\":
                esc = self.advance()
                if esc == "u":
                    code = self.text[self.i : self.i + 4]
                    for _ in range(4):
                        self.advance()
                    out.append(chr(int(code, 16)))
                else:
                    out.append({"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(esc, esc))
            else:
                out.append(ch)
        raise ValueError("unterminated string")

    def value(self, key_pos: tuple[int, int] | None, depth: int = 1) -> PosNode:
        if depth > _MAX_DEPTH:
            raise ValueError("nested too deep")
        self.skip_ws()
        node = PosNode((self.line, self.col), key_pos)
        ch = self.peek()
        if ch == "{":
            self.advance()
            self.skip_ws()
            while self.peek() not in ("}", ""):
                self.skip_ws()
                kp = (self.line, self.col)
                name = self.string()
                self.skip_ws()
                self.advance()  # colon
                if name in node.children:
                    first = node.children[name].key_pos or kp
                    self.duplicates.append((name, kp, first))
                node.children[name] = self.value(kp, depth + 1)
                self.skip_ws()
                if self.peek() == ",":
                    self.advance()
                    self.skip_ws()
            self.advance()
        elif ch == "[":
            self.advance()
            self.skip_ws()
            index = 0
            while self.peek() not in ("]", ""):
                node.children[index] = self.value(None, depth + 1)
                index += 1
                self.skip_ws()
                if self.peek() == ",":
                    self.advance()
                    self.skip_ws()
            self.advance()
        elif ch == '"':
            self.string()
        else:
            while self.peek() and self.peek() not in ",}]" + _WS:
                self.advance()
        return node


def json_positions(text: str) -> PosNode | None:
    try:
        return _Scanner(text).value(None)
    except (ValueError, IndexError):
        return None


def json_trees(text: str) -> list[Any]:
    root = json_positions(text)
    return [root] if root is not None else []


def duplicate_key_position(text: str, key: str) -> tuple[int, int, int]:
    """(line, column, line of the first) of the second occurrence of `key` in one object."""
    scanner = _Scanner(text)
    with contextlib.suppress(ValueError, IndexError):
        scanner.value(None)
    for name, (line, col), (first, _) in scanner.duplicates:
        if name == key:
            return line, col, first
    return 1, 1, 1
