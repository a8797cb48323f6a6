"""`chartgen generate`: load -> resolve -> validate -> plan -> emit (atomic)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from chartgen.config import Settings
from chartgen.emit.switch import settle_output
from chartgen.emit.writer import EmitResult, emit_charts
from chartgen.errors import Diagnostic, Diagnostics, UserError
from chartgen.flows.validate import Progress, load_and_check, step
from chartgen.formats.source import display_path
from chartgen.plan import plan_charts
from chartgen.plan.model import ChartPlan
from chartgen.profile.loader import load_profiles


@dataclass
class GenerateResult:
    plans: list[ChartPlan]
    emitted: EmitResult | None
    diagnostics: list[Diagnostic] = field(default_factory=list)


def run_generate(settings: Settings, progress: Progress | None = None) -> GenerateResult:
    """validate -> plan -> emit; nothing is written unless every step succeeded."""
    diag = Diagnostics()
    for note in settle_output(settings.out):  # an interrupted run's switch, even if this run fails
        diag.warning(note)
    plans = plan_repository(settings, diag, progress)
    step(progress, f"writing {len(plans)} charts")
    chart_dirs = os.path.relpath(settings.out, settings.root)
    emitted = emit_charts(plans, settings.out, chart_dirs) if plans or settings.out.exists() else None
    for note in emitted.notes if emitted else []:
        diag.warning(note)
    return GenerateResult(plans, emitted, diag.sorted())


def plan_repository(
    settings: Settings, diag: Diagnostics, progress: Progress | None = None, dev_env: str | None = None
) -> list[ChartPlan]:
    """Every chart of the repository, planned (or, with `dev_env`, only that dev profile's chart);
    raises (with every problem) when anything is wrong."""
    wset = load_and_check(settings.workflows, settings.exclude, diag, progress)
    profiles = load_profiles(settings.profiles, diag)
    diag.raise_if_errors()
    if dev_env is not None:
        dev = [p for p in profiles if p.mode == "dev"]
        profiles = [p for p in dev if p.env == dev_env]
        if not profiles:
            known = ", ".join(p.env for p in dev) or "none"
            raise UserError(
                f"no dev profile '{dev_env}' in {display_path(settings.profiles)} (dev profiles: {known})"
            )
    if not wset.projects:
        diag.warning(f"no workflow projects found under {display_path(settings.workflows)}")
    if not profiles:
        diag.warning(f"no profile with a 'mode' in {display_path(settings.profiles)}: nothing to generate")
    step(progress, "planning charts")
    plans = plan_charts(
        wset, profiles, settings.name, settings.chart_names, _git_sha(settings.workflows), diag
    )
    diag.raise_if_errors()
    return plans


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
