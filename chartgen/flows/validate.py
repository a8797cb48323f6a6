"""`chartgen validate`: load, check and plan every chart (with the profiles, when there are any),
writing nothing: every problem `generate` would report, in one wave."""

from __future__ import annotations

from dataclasses import dataclass, field

from chartgen.config import Settings
from chartgen.errors import Diagnostic, Diagnostics, UserError, in_order
from chartgen.flows.plan import Progress, ProjectSummary, load_and_plan
from chartgen.plan.model import ChartPlan


@dataclass
class ValidateResult:
    projects: list[ProjectSummary]
    charts: list[str] = field(default_factory=list)  # what generate would write
    diagnostics: list[Diagnostic] = field(default_factory=list)


def run_validate(settings: Settings, progress: Progress | None = None) -> ValidateResult:
    """Raises UserError (with warnings too) when anything is wrong."""
    diag = Diagnostics()
    planned = load_and_plan(settings, diag, progress, without_profiles=True, act=_drop)
    refusals = [refusal for c in planned.charts for refusal in c.refusals]
    if refusals:
        raise UserError(diagnostics=in_order([*diag.items, *refusals]))
    return ValidateResult(planned.projects, sorted(c.name for c in planned.charts), diag.sorted())


def _drop(plan: ChartPlan) -> None:
    """validate keeps nothing of a plan but that it could be made."""
