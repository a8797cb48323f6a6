"""All printing goes through here, so commands stay thin and tests can capture it.

Text output is where user text (file names, ids, values of an untrusted repository) meets a
terminal or a CI log: every line is written by `Printer._write`, which escapes control
characters (`errors.escape_text`), so a message is always exactly one line and nothing in it
can forge a `file:line:col: error:` line for a problem matcher or send a terminal escape.
JSON output carries the exact text: `json.dumps` escapes every control and non-ASCII character,
and a string value cannot add a line to the document.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from chartgen.errors import EXIT_OK, Diagnostic, escape_text


@dataclass
class Outcome:
    """What a command returns: its result (the `result` of the JSON envelope), the diagnostics
    to show, and its exit code."""

    result: dict[str, Any]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    exit_code: int = EXIT_OK


def envelope(
    command: str | None,
    exit_code: int,
    result: dict[str, Any] | None = None,
    diagnostics: list[Diagnostic] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """The one JSON document every command prints with --output json, whatever happened."""
    return {
        "command": command,
        "ok": exit_code == EXIT_OK,
        "exitCode": exit_code,
        "result": result,
        "diagnostics": diagnostics_json(diagnostics or []),
        "error": error,
    }


class Printer:
    def __init__(
        self, fmt: str = "text", quiet: bool = False, out: TextIO | None = None, err: TextIO | None = None
    ) -> None:
        self.fmt = fmt
        self.quiet = quiet
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    @property
    def json(self) -> bool:
        return self.fmt == "json"

    def line(self, text: str = "") -> None:
        if not self.json and not self.quiet:
            self._write(self.out, text)

    def result(self, text: str, multiline: bool = False) -> None:
        """A line that is the command's answer: printed even with --quiet. `multiline`: `text`
        is several lines laid out by chartgen (a JSON document), each escaped on its own."""
        if not self.json:
            self._write(self.out, text, multiline)

    def document(self, data: dict[str, Any]) -> None:
        if self.json:
            print(json.dumps(data, indent=2, sort_keys=False), file=self.out)

    def diagnostics(self, items: list[Diagnostic]) -> None:
        """One line each; the same message in one file is shown REPEATS times, then counted."""
        if self.json:
            return
        shown = [d for d in items if d.severity == "error" or not self.quiet]
        for d, more in _collapsed(shown):
            if more:
                assert d.location is not None
                self._write(
                    self.err,
                    f"{d.location}: {d.severity}: the same {d.severity} {more:,} more "
                    f"time{'s' if more != 1 else ''} in this file, from here on: {d.message}",
                )
            else:
                self._write(self.err, str(d))

    def error(self, text: str, hint: str = "") -> None:
        self._write(self.err, f"chartgen: error: {text}")
        if hint:
            self._write(self.err, hint)

    @staticmethod
    def _write(stream: TextIO, text: str, multiline: bool = False) -> None:
        """The one place text output is written: control characters escaped, one line each.
        Flushed, so a reader of a pipe (a CI log, a test waiting for `run`'s address) sees each
        line when it is written, not when a long-running command ends."""
        lines = text.split("\n") if multiline else [text]
        print("\n".join(escape_text(line) for line in lines), file=stream, flush=True)

    @contextmanager
    def progress(self, title: str, log: bool = False) -> Iterator[Any]:
        """A live status line on a terminal; nothing when piped or in JSON mode, unless `log`
        asks for one line per step there (long waits in CI logs)."""
        if self.json or self.quiet or not self.err.isatty():
            yield (lambda message: self.line(f"  {title}: {message}")) if log else (lambda message: None)
            return
        from rich.console import Console
        from rich.markup import escape

        console = Console(file=self.err)
        with console.status(title) as status:
            yield lambda message: status.update(escape(escape_text(f"{title}: {message}")))


def counted(n: int, word: str, many: str = "") -> str:
    """`1 chart`, `2 charts`, `0 policies` (`many`: the plural when it is not word + s)."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


REPEATS = 3


def _collapsed(items: list[Diagnostic]) -> list[tuple[Diagnostic, int]]:
    """(diagnostic, 0) to print as it is, or (the first one not shown, how many are not shown)
    for a message repeated more than REPEATS times in one file; the order is kept."""

    def key_of(d: Diagnostic) -> tuple[str, str, str] | None:
        return (d.location.path, d.severity, d.message) if d.location is not None else None

    count: dict[tuple[str, str, str], int] = {}
    for d in items:
        if (key := key_of(d)) is not None:
            count[key] = count.get(key, 0) + 1
    seen: dict[tuple[str, str, str], int] = {}
    out: list[tuple[Diagnostic, int]] = []
    for d in items:
        key = key_of(d)
        if key is None or count[key] <= REPEATS + 1:
            out.append((d, 0))
            continue
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= REPEATS:
            out.append((d, 0))
        elif seen[key] == REPEATS + 1:
            out.append((d, count[key] - REPEATS))
    return out


def diagnostics_json(items: list[Diagnostic]) -> list[dict[str, object]]:
    return [d.as_dict() for d in items]
