"""Load, check and plan a repository: everything `generate` does but writing, so `validate`
reports every problem `generate` would, in one wave."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from chartgen.config import Settings
from chartgen.errors import Diagnostics, UserError
from chartgen.formats.source import display_path
from chartgen.plan import dev_chart_name, plan_charts
from chartgen.plan.model import ChartPlan
from chartgen.profile.loader import load_profiles
from chartgen.profile.model import Profile
from chartgen.workflow.discover import discover
from chartgen.workflow.loader import load_workflows, project_rel
from chartgen.workflow.model import WorkflowSet
from chartgen.workflow.names import dns_name
from chartgen.workflow.resolve import resolve
from chartgen.workflow.validate import validate

Progress = Callable[[str], None]


@dataclass
class Planned:
    workflows: WorkflowSet
    charts: list[ChartPlan]  # a chart refused for what combining projects breaks has `refusals`


def plan_repository(
    settings: Settings,
    diag: Diagnostics,
    progress: Progress | None = None,
    dev_env: str | None = None,
    charts: tuple[str, ...] = (),
) -> list[ChartPlan]:
    """Every chart of the repository, planned (with `dev_env`, only that dev profile's chart; with
    `charts`, only those, loading only their projects). Raises, with every problem found, when
    an input is wrong; a chart only combining projects breaks comes back with its `refusals`."""
    return load_and_plan(settings, diag, progress, dev_env, charts).charts


def load_and_plan(
    settings: Settings,
    diag: Diagnostics,
    progress: Progress | None = None,
    dev_env: str | None = None,
    charts: tuple[str, ...] = (),
    without_profiles: bool = False,
) -> Planned:
    """plan_repository, with the workflows loaded. In one wave: each project's own errors, and
    what planning the others finds. `without_profiles`: a repository with no profiles folder
    is only loaded and checked (validate's first use, on workflows alone)."""
    if without_profiles and not settings.profiles.is_dir():
        wset = load_and_check(settings.workflows, settings.exclude, diag, progress)
        diag.raise_if_errors()
        return Planned(wset, [])
    profiles = load_profiles(settings.profiles, diag)
    profiles_broken = diag.error_count > 0
    only = None
    if charts:  # the selection needs the profiles (dev chart names)
        diag.raise_if_errors()
        only = _selection(settings, profiles, charts)
    before = diag.error_count
    wset = load_and_check(settings.workflows, settings.exclude, diag, progress, only)
    workflows_broken = diag.error_count > before
    if dev_env is not None:
        dev = [p for p in profiles if p.mode == "dev"]
        profiles = [p for p in dev if p.env == dev_env]
        if not profiles:
            known = ", ".join(p.env for p in dev) or "none"
            raise UserError(
                f"no dev profile '{dev_env}' in {display_path(settings.profiles)} (dev profiles: {known})"
            )
    if charts:
        profiles = [p for p in profiles if p.mode != "dev" or dev_chart_name(settings.name, p.env) in charts]
    if not wset.projects and not charts and not workflows_broken:
        diag.warning(f"no workflow projects found under {display_path(settings.workflows)}")
    if not profiles and not profiles_broken:
        diag.warning(f"no profile with a 'mode' in {display_path(settings.profiles)}: nothing to generate")
    step(progress, "planning charts")
    plans = plan_charts(
        wset,
        profiles,
        settings.name,
        settings.chart_names,
        _git_sha(settings.workflows),
        diag,
        settings.vault_prefix,
    )
    chosen = [p for p in plans if p.name in charts] if charts else plans
    diag.raise_if_errors(refusal for p in chosen for refusal in p.refusals)
    return Planned(wset, chosen)


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


def _selection(
    settings: Settings, profiles: list[Profile], charts: tuple[str, ...]
) -> Callable[[str, str], bool]:
    """Which projects to load for the chosen charts: a dev chart needs every project; a
    production chart only its own. An unknown name is an error that lists the known ones."""
    dev = {dev_chart_name(settings.name, p.env) for p in profiles if p.mode == "dev"}
    found = discover(settings.workflows.resolve(), settings.exclude) if settings.workflows.is_dir() else None
    production: dict[str, str] = {}
    if found is not None and any(p.mode == "production" for p in profiles):
        for fp in found.projects:
            rel = project_rel(fp, settings.workflows.resolve())
            production[settings.chart_names.get(rel) or dns_name(fp.root.name)] = rel
    unknown = sorted(set(charts) - dev - set(production))
    if unknown:
        known = ", ".join(sorted(dev | set(production))) or "none"
        raise UserError(f"--chart {', '.join(unknown)}: no such chart (charts: {known})")
    if dev & set(charts):
        return lambda rel, name: True
    wanted = {production[c] for c in charts}
    return lambda rel, name: rel in wanted


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
