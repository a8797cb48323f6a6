"""One error tree for the whole tool, and the located diagnostics users see.

Exit codes: 0 ok, 1 bad input (a bad command line too) or failed checks, 2 a policy refusal
(well-formed input that production rules do not allow), 3 bug, 130 interrupted, 141 the reader
of the output went away (a closed pipe, as a program killed by SIGPIPE).

Messages and paths are user text (file names, ids, values of an untrusted repository):
`escape_text` is applied where text is printed (`cli/output.py`), so no message can add a line
or move the cursor in what a terminal or a CI problem matcher reads.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]

EXIT_OK = 0
EXIT_USER = 1
EXIT_POLICY = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130
EXIT_PIPE = 141  # 128 + SIGPIPE


@dataclass(frozen=True, order=True)
class Location:
    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    message: str
    location: Location | None = None
    policy: bool = False  # a production rule refused well-formed input (exit 2)

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "severity": self.severity,
            "message": self.message,
            "path": loc.path if loc else None,
            "line": loc.line if loc else None,
            "col": loc.col if loc else None,
            "policy": self.policy,
        }


class ChartgenError(Exception):
    """Base of every error chartgen raises on purpose."""

    exit_code = EXIT_USER

    def __init__(self, message: str = "", diagnostics: Iterable[Diagnostic] = ()) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__(message or "\n".join(str(d) for d in self.diagnostics))


class UserError(ChartgenError):
    """Bad input: every problem is in `diagnostics`, located where possible."""


class ToolError(ChartgenError):
    """An external program (helm, kubectl, ...) is missing or misbehaved."""


class PolicyError(ChartgenError):
    """Every error is a production rule refusing well-formed input."""

    exit_code = EXIT_POLICY


class Diagnostics:
    """Collects every problem of a run so they can be reported together."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []
        self.error_count = 0  # kept as items come: rules ask "anything new?" often

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)
        self.error_count += diagnostic.severity == "error"

    def error(self, message: str, location: Location | None = None) -> None:
        self.add(Diagnostic("error", message, location))

    def policy_error(self, message: str, location: Location | None = None) -> None:
        """Well-formed input a production rule refuses: exit 2 when nothing else is wrong."""
        self.add(Diagnostic("error", message, location, policy=True))

    def warning(self, message: str, location: Location | None = None) -> None:
        self.add(Diagnostic("warning", message, location))

    def extend(self, other: Iterable[Diagnostic]) -> None:
        for diagnostic in other:
            self.add(diagnostic)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def sorted(self) -> list[Diagnostic]:
        """Stable report order: by file, line, column; unlocated last; no repeats."""
        return in_order(self.items)

    def raise_if_errors(self, refusals: Iterable[Diagnostic] = ()) -> None:
        """Raise with every diagnostic when there is an error; `refusals` (charts refused for
        what combining inputs breaks) are shown with them then."""
        if not self.error_count:
            return
        shown = in_order([*self.items, *refusals])
        if all(d.policy for d in shown if d.severity == "error"):
            raise PolicyError(diagnostics=shown)
        raise UserError(diagnostics=shown)


def in_order(items: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Stable report order: by file, line, column; unlocated last; no repeats."""
    return sorted(set(items), key=_sort_key)


def _sort_key(d: Diagnostic) -> tuple[int, Location, str]:
    if d.location is None:
        return (1, Location(""), d.message)
    return (0, d.location, d.message)


# Characters that end a line, move the cursor, start a terminal escape or reorder what is
# shown: C0 (newline, carriage return, ESC...), DEL, C1 (NEL, CSI...), the Unicode line and
# paragraph separators, the bidirectional marks, embeddings, overrides and isolates, and lone
# surrogates (a file name that is not UTF-8, which no output encoding accepts).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_text(text: str) -> str:
    """`text` as one line of visible characters: `\\n`, `\\r`, `\\t`, `\\x1b`, `\\u202e` written out.

    Only the characters above change (a backslash already in the text is kept as is, so the
    escaped text of an escaped text is the same)."""
    return _UNSAFE.sub(_escape_one, text)


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def text_position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column (in characters) of `text[index]`; lines end at a newline."""
    line = text.count("\n", 0, index) + 1
    return line, index - text.rfind("\n", 0, index)


def decode_error_position(exc: UnicodeDecodeError) -> tuple[int, int]:
    """Line and column of the first byte that is not UTF-8 (the text before it is)."""
    before = bytes(exc.object[: exc.start]).decode("utf-8", errors="replace")
    return text_position(before, len(before))


def os_error_text(exc: OSError) -> str:
    """`path: reason` for an OSError, in words (`no such file or directory`), never a repr."""
    text = exc.strerror or str(exc) or type(exc).__name__
    reason = text[:1].lower() + text[1:] if exc.strerror else text
    named = [n for n in (exc.filename, exc.filename2) if n is not None]
    paths = " -> ".join(os.fsdecode(n) if isinstance(n, bytes | str) else str(n) for n in named)
    return f"{paths}: {reason}" if paths else reason
