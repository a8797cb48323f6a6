"""Load, check and plan a repository: everything `generate` does but writing, so `validate`
reports every problem `generate` would, in one wave."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache, partial
from pathlib import Path
from typing import Generic, TypeVar

from chartgen.config import SONATAFLOW_VERSION, Settings
from chartgen.errors import Diagnostic, Diagnostics, UserError
from chartgen.flows.parallel import in_parallel, processes
from chartgen.formats.source import display_path
from chartgen.plan import (
    ProjectName,
    assign_names,
    check_profiles,
    dev_chart_name,
    plan_dev_charts,
    plan_projects,
    project_names,
    refuse_shared_resource_names,
)
from chartgen.plan.dev import DevPart
from chartgen.plan.model import ChartPlan, Spotted
from chartgen.plan.platform import plan_platform
from chartgen.plan.platform_services import SERVICES, platform_chart_name, runs
from chartgen.profile.loader import load_profiles
from chartgen.profile.model import Profile
from chartgen.workflow.discover import FoundProject, discover
from chartgen.workflow.loader import Found, find_projects, load_projects, project_rel
from chartgen.workflow.model import WorkflowSet
from chartgen.workflow.names import dns_name
from chartgen.workflow.resolve import resolve
from chartgen.workflow.validate import validate

Progress = Callable[[str], None]
R = TypeVar("R")
# Below this many projects per process, a fork costs more than it saves (measured: 4 projects
# gain nothing from a second process, 10 gain 18 %, 50 gain 33 %).
PROJECTS_PER_PROCESS = 8


@dataclass
class WorkflowEntry:
    id: str
    file: str  # path inside the project's resources folder
    subflow: bool


@dataclass
class ProjectSummary:
    """A loaded project as the report needs it."""

    rel: str
    workflows: list[WorkflowEntry]
    name: ProjectName  # what names its chart, and where a collision is reported


@dataclass
class PlannedChart(Generic[R]):
    """A planned chart, and what the run did with its plan (`done`: by default the plan)."""

    name: str
    kind: str
    workflows: list[str]
    environments: list[str]
    done: R
    # What combining projects breaks: the chart is not written (its projects are fine).
    refusals: list[Diagnostic] = field(default_factory=list)


@dataclass
class Planned(Generic[R]):
    projects: list[ProjectSummary]
    charts: list[PlannedChart[R]]


@dataclass
class _Shard(Generic[R]):
    """What one process found and planned of its share of the projects."""

    diagnostics: list[Diagnostic]
    projects: list[ProjectSummary]
    production: list[tuple[PlannedChart[R], list[Spotted]]]  # with each chart's root workflows
    dev: list[DevPart]


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
    planned = load_and_plan(settings, diag, progress, dev_env, charts, act=keep_plan)
    return [replace(c.done, refusals=c.refusals) for c in planned.charts]


def keep_plan(plan: ChartPlan) -> ChartPlan:
    return plan


def load_and_plan(
    settings: Settings,
    diag: Diagnostics,
    progress: Progress | None,
    dev_env: str | None = None,
    charts: tuple[str, ...] = (),
    without_profiles: bool = False,
    *,
    act: Callable[[ChartPlan], R],
) -> Planned[R]:
    """plan_repository, doing `act` with each plan as soon as it is made, in the process that
    made it: what crosses processes is what `act` returns (generate stages the chart and
    returns its version). In one wave: each project's own errors, and what planning the others
    finds. `without_profiles`: a repository with no profiles folder is only loaded and checked
    (validate's first use, on workflows alone)."""
    only_check = without_profiles and not settings.profiles.is_dir()
    profiles = [] if only_check else load_profiles(settings.profiles, diag)
    profiles_broken = diag.error_count > 0
    only = None
    if charts:  # the selection needs the profiles (dev chart names)
        diag.raise_if_errors()
        only = _selection(settings, profiles, charts)
    before = diag.error_count
    found = find_projects(settings.workflows, diag, settings.exclude, only)
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
    if not only_check:
        if not found.projects and not charts and not workflows_broken:
            diag.warning(f"no workflow projects found under {display_path(settings.workflows)}")
        if not profiles and not profiles_broken:
            diag.warning(
                f"no profile with a 'mode' in {display_path(settings.profiles)}: nothing to generate"
            )
        check_profiles(profiles, settings.vault_prefix, diag)
    # Names come from the folders; a collision is reported, located, once the projects are read.
    unnamed = Diagnostics()
    folders = [ProjectName(found.rel(fp), fp.root.name) for fp in found.projects]
    names = assign_names(folders, settings.chart_names, settings.name, profiles, unnamed)
    plan = not only_check and not unnamed.error_count and bool(found.projects)
    shares = _shares(found.projects)
    processes_note = f" in {len(shares)} processes" if len(shares) > 1 else ""
    step(progress, f"loading, checking and planning {len(found.projects)} projects{processes_note}")
    jobs = [
        partial(_shard, settings, found, share, profiles if plan else None, names, act) for share in shares
    ]
    shards = in_parallel(jobs)
    for shard in shards:
        diag.extend(shard.diagnostics)
    projects = [p for shard in shards for p in shard.projects]
    if not plan:
        if unnamed.error_count:  # now located
            assign_names([p.name for p in projects], settings.chart_names, settings.name, profiles, diag)
        diag.raise_if_errors()
        return Planned(projects, [])
    production = [c for shard in shards for c in shard.production]
    refusals = refuse_shared_resource_names(
        ((chart.name, roots) for chart, roots in production), [p for p in profiles if p.mode == "production"]
    )
    planned = [
        replace(chart, refusals=chart.refusals + refusals.get(chart.name, [])) for chart, _ in production
    ]
    parts = [part for shard in shards for part in shard.dev]
    planned += [_planned(dev, act) for dev in plan_dev_charts(parts, profiles, settings.name, diag)]
    platform = plan_platform(
        [p for p in profiles if p.mode == "production"],
        settings.name,
        _git_sha(settings.workflows),
        diag,
        settings.vault_prefix,
        settings.runtime_versions.get("sonataflow", SONATAFLOW_VERSION),
    )
    if platform is not None and not diag.error_count:
        planned.append(_planned(platform, act))
    chosen = [c for c in planned if c.name in charts] if charts else planned
    diag.raise_if_errors(refusal for c in chosen for refusal in c.refusals)
    return Planned(projects, sorted(chosen, key=lambda c: c.name))


def _shares(projects: list[FoundProject]) -> list[list[FoundProject]]:
    """The projects in consecutive shares, one per process (results join in project order)."""
    n = processes(len(projects), PROJECTS_PER_PROCESS)
    size = -(-len(projects) // n) if projects else 0
    return [projects[i * size : (i + 1) * size] for i in range(n)] if projects else [[]]


def _shard(
    settings: Settings,
    found: Found,
    share: list[FoundProject],
    profiles: list[Profile] | None,
    names: dict[str, str],
    act: Callable[[ChartPlan], R],
) -> _Shard[R]:
    """Load, check and (with `profiles`) plan a share of the projects, doing `act` with each plan."""
    diag = Diagnostics()
    wset = load_and_check(found, share, diag)
    summaries = [
        ProjectSummary(p.rel, [WorkflowEntry(w.id, w.rel_path, w.is_subflow) for w in p.workflows], name)
        for p, name in zip(wset.projects, project_names(wset), strict=True)
    ]
    if profiles is None:
        return _Shard(diag.items, summaries, [], [])
    planned = plan_projects(
        wset, profiles, names, settings.name, _git_sha(settings.workflows), diag, settings.vault_prefix
    )
    production = [(_planned(p.production, act), p.roots) for p in planned if p.production is not None]
    return _Shard(diag.items, summaries, production, [p.dev for p in planned if p.dev is not None])


def _planned(plan: ChartPlan, act: Callable[[ChartPlan], R]) -> PlannedChart[R]:
    return PlannedChart(plan.name, plan.kind, plan.workflows, plan.environments, act(plan), plan.refusals)


def load_and_check(found: Found, share: list[FoundProject], diag: Diagnostics) -> WorkflowSet:
    wset = load_projects(found, share, diag)
    resolve(wset, diag)
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
    if any(runs(p, s) for p in profiles for s in SERVICES):
        dev.add(platform_chart_name(settings.name))  # like a dev chart: no project of its own
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
    if dev & set(charts) - {platform_chart_name(settings.name)}:
        return lambda rel, name: True
    wanted = {production[c] for c in charts}
    return lambda rel, name: rel in wanted


def _git_sha(folder: Path) -> Callable[[], str]:
    @cache
    def sha() -> str:
        from chartgen.version.git import head_commit  # GitPython loads only when a profile asks

        commit = head_commit(folder)
        if commit is None:
            raise UserError(
                f"a profile uses {{git_sha}} but {display_path(folder)} is not in a git repository "
                "with a commit"
            )
        return commit[:12]

    return sha
