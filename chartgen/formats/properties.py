"""Java `.properties` files: enough of the format to merge them key by key.

Values are kept as written (escapes included) so a merged file means what the
originals meant.
"""

from __future__ import annotations

from dataclasses import dataclass

_SEPARATORS = "=:"
_WHITESPACE = " \t\f"


@dataclass(frozen=True)
class Entry:
    key: str  # as written (escapes kept)
    value: str  # as written, continuation lines joined
    line: int  # first line, 1-based
    last_line: int = 0  # last physical line of the entry (continuations), 1-based


def parse_properties(text: str) -> list[Entry]:
    entries: list[Entry] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start = i
        logical = lines[i].lstrip(_WHITESPACE)
        i += 1
        if not logical or logical[0] in "#!":
            continue
        while _continues(logical) and i < len(lines):
            logical = logical[:-1] + lines[i].lstrip(_WHITESPACE)
            i += 1
        key, value = _split(logical)
        entries.append(Entry(key, value, start + 1, i))
    return entries


def _continues(line: str) -> bool:
    backslashes = len(line) - len(line.rstrip("\\"))
    return backslashes % 2 == 1


def _split(line: str) -> tuple[str, str]:
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\":
            i += 2
            continue
        if ch in _SEPARATORS or ch in _WHITESPACE:
            break
        i += 1
    key = line[:i]
    rest = line[i:].lstrip(_WHITESPACE)
    if rest[:1] in _SEPARATORS and rest:
        rest = rest[1:].lstrip(_WHITESPACE)
    return key, rest


def render_properties(entries: list[tuple[str, str]]) -> str:
    return "".join(f"{key}={value}\n" for key, value in entries)


def escape_value(value: object) -> str:
    """A value from a profile, written so Java reads it back unchanged."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    text = text.replace("\\", "\\\\").replace("\n", "\\n")
    return "\\" + text if text[:1] in _WHITESPACE else text
