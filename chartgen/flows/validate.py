"""`chartgen validate`: load -> resolve -> validate. Imports nothing of planning or emitting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chartgen.errors import Diagnostic, Diagnostics
from chartgen.formats.source import display_path
from chartgen.workflow.loader import load_workflows
from chartgen.workflow.model import WorkflowSet
from chartgen.workflow.resolve import resolve
from chartgen.workflow.validate import validate

Progress = Callable[[str], None]


@dataclass
class ValidateResult:
    workflows: WorkflowSet
    diagnostics: list[Diagnostic] = field(default_factory=list)


def run_validate(
    workflows: Path, exclude: tuple[str, ...] = (), progress: Progress | None = None
) -> ValidateResult:
    """Load and check every project; raises UserError (with warnings too) when anything is wrong."""
    diag = Diagnostics()
    wset = load_and_check(workflows, exclude, diag, progress)
    diag.raise_if_errors()
    return ValidateResult(wset, diag.sorted())


def load_and_check(
    workflows: Path,
    exclude: tuple[str, ...],
    diag: Diagnostics,
    progress: Progress | None = None,
    only: Callable[[str, str], bool] | None = None,
) -> WorkflowSet:
    step(progress, f"loading {display_path(workflows)}")
    wset = load_workflows(workflows, diag, exclude, only)
    resolve(wset, diag)
    step(progress, f"validating {len(wset.workflows)} workflows in {len(wset.projects)} projects")
    validate(wset, diag)
    return wset


def step(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)
