"""Java `.properties` files: enough of the format to merge them key by key.

Values are kept as written (escapes included) so a merged file means what the
originals meant.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import NamedTuple

from chartgen.formats.credentials import Verdict, java_text, judge

_SEPARATORS = "=:"
_WHITESPACE = " \t\f"
# Characters a properties file may not hold raw: control characters (YAML refuses DEL and C1
# in a ConfigMap even after helm's toJson) and those Python splits lines at but Java does not
# (form feed, NEL, U+2028/9), so line numbers and credential rewriting agree with Java.
# A value writes any of them as \uXXXX.
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")


class Entry(NamedTuple):  # a tuple: a file may hold a million of them
    key: str  # as written (escapes kept)
    value: str  # as written, continuation lines joined
    line: int  # first line, 1-based
    last_line: int = 0  # last physical line of the entry (continuations), 1-based


class PropertiesFile:
    """One properties file, parsed once: its entries, what is wrong with it, and which entries
    hold a literal credential (each entry judged once, however many charts carry the file)."""

    def __init__(self, text: str, entries: list[Entry] | None = None) -> None:
        self.text = text
        self.entries = parse_properties(text) if entries is None else entries

    @cached_property
    def problems(self) -> list[tuple[int, int, str]]:
        return properties_problems(self.text, self.entries)

    @cached_property
    def credentials(self) -> list[tuple[int, Verdict]]:
        """(index of the entry, what it holds) for every entry holding a literal credential."""
        found = []
        for i, entry in enumerate(self.entries):
            verdict = judge(entry.key, java_text(entry.value))
            if verdict is not None:
                found.append((i, verdict))
        return found

    def replaced(self, values: dict[int, str]) -> PropertiesFile:
        """This file with the values of some entries (by index) replaced, each entry then one
        line; entries keep the line numbers of this file (messages point at what was written)."""
        lines = self.text.splitlines(keepends=True)
        entries = list(self.entries)
        for i in sorted(values, reverse=True):
            entry = entries[i]
            lines[entry.line - 1 : entry.last_line] = [f"{entry.key}={values[i]}\n"]
            entries[i] = entry._replace(value=values[i])
        return PropertiesFile("".join(lines), entries)


def parse_properties(text: str) -> list[Entry]:
    lines = text.splitlines()
    return _parse(lines) if "\\" in text else _parse_plain(lines)


def _parse_plain(lines: list[str]) -> list[Entry]:
    """Most files: no escape, no continuation, so one match per line (a file may be large)."""
    entries = []
    for number, line in enumerate(lines, 1):
        found = _PLAIN_LINE.match(line)
        if found:
            entries.append(Entry(found[1], line[found.end() :], number, number))
    return entries


def _parse(lines: list[str]) -> list[Entry]:
    entries: list[Entry] = []
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
        end = _KEY.match(logical).end()  # type: ignore[union-attr]  # it matches the empty key too
        value_start = _AFTER_KEY.match(logical, end).end()  # type: ignore[union-attr]
        entries.append(Entry(logical[:end], logical[value_start:], start + 1, i))
    return entries


def _continues(line: str) -> bool:
    backslashes = len(line) - len(line.rstrip("\\"))
    return backslashes % 2 == 1


# A key runs to the first unescaped separator or whitespace; then whitespace, at most one
# separator, whitespace again (java.util.Properties#load).
_KEY = re.compile(r"(?:\\.?|[^=: \t\f\\])*", re.DOTALL)
# The same, for a line without backslashes; a blank or comment line does not match.
_PLAIN_LINE = re.compile(r"[ \t\f]*+(?![#!]|$)([^=: \t\f]*)[ \t\f]*(?:[=:][ \t\f]*)?")
_AFTER_KEY = re.compile(r"[ \t\f]*(?:[=:][ \t\f]*)?")


def properties_problems(text: str, entries: list[Entry] | None = None) -> list[tuple[int, int, str]]:
    """(line, column, message) of what a properties file a chart carries must not hold:
    raw control characters, and a `%profile.` prefix with no key."""
    lines = re.split(r"\r\n|\r|\n", text)  # Java's line ends
    found = [
        (number, m.start() + 1, f"control character U+{ord(m.group()):04X} in a properties file "
         f"(write it as \\u{ord(m.group()):04x})")
        for number, line in enumerate(lines, 1)
        for m in _REFUSED.finditer(line)
    ] if _REFUSED.search(text) else []  # fmt: skip
    if found:  # the lines below are Java's only once these are gone
        return found
    for entry in parse_properties(text) if entries is None else entries:
        profile, dot, key = entry.key.partition(".")
        if entry.key.startswith("%") and not (profile[1:] and dot and key):
            line = lines[entry.line - 1]
            found.append(
                (
                    entry.line,
                    len(line) - len(line.lstrip(_WHITESPACE)) + 1,
                    f"property '{entry.key}' has a profile marker but is not '%profile.key'",
                )
            )
    return found


def render_properties(entries: list[tuple[str, str]]) -> str:
    return "".join(f"{key}={value}\n" for key, value in entries)


def escape_value(value: object) -> str:
    """A value from a profile, written so Java reads it back unchanged."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    text = text.replace("\\", "\\\\").replace("\n", "\\n")
    return "\\" + text if text[:1] in _WHITESPACE else text
