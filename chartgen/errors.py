"""One error tree for the whole tool, and the located diagnostics users see.

Exit codes: 0 ok, 1 bad input (a bad command line too) or failed checks, 2 a policy refusal
(well-formed input that production rules do not allow), 3 bug, 130 interrupted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]

EXIT_OK = 0
EXIT_USER = 1
EXIT_POLICY = 2
EXIT_BUG = 3


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

    def error(self, message: str, location: Location | None = None) -> None:
        self.items.append(Diagnostic("error", message, location))

    def policy_error(self, message: str, location: Location | None = None) -> None:
        """Well-formed input a production rule refuses: exit 2 when nothing else is wrong."""
        self.items.append(Diagnostic("error", message, location, policy=True))

    def warning(self, message: str, location: Location | None = None) -> None:
        self.items.append(Diagnostic("warning", message, location))

    def extend(self, other: Iterable[Diagnostic]) -> None:
        self.items.extend(other)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def sorted(self) -> list[Diagnostic]:
        """Stable report order: by file, line, column; unlocated last; no repeats."""
        return sorted(set(self.items), key=_sort_key)

    def raise_if_errors(self) -> None:
        errors = self.errors
        if errors and all(d.policy for d in errors):
            raise PolicyError(diagnostics=self.sorted())
        if errors:
            raise UserError(diagnostics=self.sorted())


def _sort_key(d: Diagnostic) -> tuple[int, Location, str]:
    if d.location is None:
        return (1, Location(""), d.message)
    return (0, d.location, d.message)
