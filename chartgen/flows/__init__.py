"""The library entry points behind `chartgen validate` and `chartgen generate`."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from chartgen.config import Settings
from chartgen.emit.writer import EmitResult, emit_charts
from chartgen.errors import Diagnostic, Diagnostics, UserError
from chartgen.formats.source import display_path
from chartgen.plan import plan_charts
from chartgen.plan.model import ChartPlan
from chartgen.profile.loader import load_profiles
from chartgen.workflow.loader import load_workflows
from chartgen.workflow.model import WorkflowSet
from chartgen.workflow.validate import validate

Progress = Callable[[str], None]


@dataclass
class ValidateResult:
    workflows: WorkflowSet
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass
class GenerateResult:
    plans: list[ChartPlan]
    emitted: EmitResult | None
    diagnostics: list[Diagnostic] = field(default_factory=list)


def run_validate(
    workflows: Path, exclude: tuple[str, ...] = (), progress: Progress | None = None
) -> ValidateResult:
    """Load and check every project; raises UserError (with warnings too) when anything is wrong."""
    diag = Diagnostics()
    wset = _load_and_check(workflows, exclude, diag, progress)
    diag.raise_if_errors()
    return ValidateResult(wset, diag.sorted())


def run_generate(settings: Settings, progress: Progress | None = None) -> GenerateResult:
    """validate -> plan -> emit; nothing is written unless every step succeeded."""
    diag = Diagnostics()
    wset = _load_and_check(settings.workflows, settings.exclude, diag, progress)
    profiles = load_profiles(settings.profiles, diag)
    diag.raise_if_errors()
    if not wset.projects:
        diag.warning(f"no workflow projects found under {display_path(settings.workflows)}")
    if not profiles:
        diag.warning(f"no profile with a 'mode' in {display_path(settings.profiles)}: nothing to generate")
    _step(progress, "planning charts")
    plans = plan_charts(
        wset, profiles, settings.name, settings.chart_names, _git_sha(settings.workflows), diag
    )
    diag.raise_if_errors()
    _step(progress, f"writing {len(plans)} charts")
    chart_dirs = os.path.relpath(settings.out, settings.root)
    emitted = emit_charts(plans, settings.out, chart_dirs) if plans or settings.out.exists() else None
    return GenerateResult(plans, emitted, diag.sorted())


def _load_and_check(
    workflows: Path, exclude: tuple[str, ...], diag: Diagnostics, progress: Progress | None
) -> WorkflowSet:
    _step(progress, f"loading {display_path(workflows)}")
    wset = load_workflows(workflows, diag, exclude)
    _step(progress, f"validating {len(wset.workflows)} workflows in {len(wset.projects)} projects")
    validate(wset, diag)
    return wset


def _step(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)


def _git_sha(folder: Path) -> Callable[[], str]:
    @cache
    def sha() -> str:
        import git

        try:
            repo = git.Repo(folder, search_parent_directories=True)
            return str(repo.head.commit.hexsha[:12])
        except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError) as exc:
            raise UserError(
                f"a profile uses {{git_sha}} but {display_path(folder)} is not in a git repository "
                f"with a commit ({type(exc).__name__})"
            ) from None

    return sha
