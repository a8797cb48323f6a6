"""All printing goes through here, so commands stay thin and tests can capture it."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from chartgen.errors import EXIT_OK, Diagnostic


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
            print(text, file=self.out)

    def result(self, text: str) -> None:
        """A line that is the command's answer: printed even with --quiet."""
        if not self.json:
            print(text, file=self.out)

    def document(self, data: dict[str, Any]) -> None:
        if self.json:
            print(json.dumps(data, indent=2, sort_keys=False), file=self.out)

    def diagnostics(self, items: list[Diagnostic]) -> None:
        if self.json:
            return
        for d in items:
            if d.severity == "error" or not self.quiet:
                print(str(d), file=self.err)

    def error(self, text: str) -> None:
        print(f"chartgen: error: {text}", file=self.err)

    @contextmanager
    def progress(self, title: str, log: bool = False) -> Iterator[Any]:
        """A live status line on a terminal; nothing when piped or in JSON mode, unless `log`
        asks for one line per step there (long waits in CI logs)."""
        if self.json or self.quiet or not self.err.isatty():
            yield (lambda message: self.line(f"  {title}: {message}")) if log else (lambda message: None)
            return
        from rich.console import Console

        console = Console(file=self.err)
        with console.status(title) as status:
            yield lambda message: status.update(f"{title}: {message}")


def diagnostics_json(items: list[Diagnostic]) -> list[dict[str, object]]:
    return [d.as_dict() for d in items]
