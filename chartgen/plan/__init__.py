"""plan: workflow model + profiles -> one ChartPlan per chart. Every decision lives here.

Planning is pure (it reads no file) and comes in two steps, so the projects can be planned
in several processes: `plan_projects` plans what needs one project only (its production
chart, what it brings to a dev pod); then what only combining projects can show is decided
on small records (`ProjectName`, `Spotted`, `DevPart`): unique chart names
(`assign_names`), SonataFlow names shared between charts (`refuse_shared_resource_names`),
and the dev pods (`plan_dev_charts`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from chartgen.config import DEFAULT_VAULT_PREFIX
from chartgen.errors import Diagnostic, Diagnostics
from chartgen.plan.credentials import check_profile
from chartgen.plan.dev import DevPart, dev_part, plan_dev, spotted
from chartgen.plan.files import project_files
from chartgen.plan.model import ChartPlan, Spotted
from chartgen.plan.platform_services import SERVICES, platform_chart_name, runs
from chartgen.plan.production import plan_production
from chartgen.plan.production_env import check_role_prefix
from chartgen.profile.model import Profile
from chartgen.schema.check import did_you_mean
from chartgen.workflow.discover import project_matches
from chartgen.workflow.model import WorkflowSet
from chartgen.workflow.names import NameRegistry, Where, dns_name, is_valid_name


def nowhere() -> None:
    """No location (a function, not a lambda: it may cross to another process)."""


class ProjectName(NamedTuple):
    """What names a project's chart: its folder, and where a collision is reported."""

    rel: str  # the folder, relative to the workflows folder
    folder: str  # the folder's own name
    where: Where = nowhere


@dataclass
class ProjectCharts:
    """One project, planned: its production chart, and what it brings to the dev pods."""

    rel: str
    production: ChartPlan | None
    roots: list[Spotted]  # root workflows: each is a SonataFlow of that name
    dev: DevPart | None


def check_profiles(profiles: list[Profile], vault_prefix: str, diag: Diagnostics) -> None:
    for profile in profiles:
        check_profile(profile, diag)
        if profile.mode == "production":
            check_role_prefix(profile, vault_prefix, diag)
        elif profile.settings.platform is not None:
            diag.warning(
                f"dev profile '{profile.env}': platform is for production profiles (the dev pod keeps "
                "timers and instances in memory): ignored",
                profile.location("platform", key=True),
            )


def plan_projects(
    wset: WorkflowSet,
    profiles: list[Profile],
    names: dict[str, str],
    part_of: str,
    git_sha: Callable[[], str],
    diag: Diagnostics,
    vault_prefix: str = DEFAULT_VAULT_PREFIX,
) -> list[ProjectCharts]:
    """Every project of `wset` without errors of its own (those get no chart: their errors say
    why), planned for the profiles; `names`: chart name by project folder."""
    production = [p for p in profiles if p.mode == "production"]
    dev = any(p.mode == "dev" for p in profiles)
    planned = []
    for project in (p for p in wset.projects if not p.errors):
        files = project_files(project, diag)
        chart = (
            plan_production(
                project,
                files,
                names[project.rel],
                production,
                part_of,
                git_sha,
                wset.specs,
                diag,
                vault_prefix,
            )
            if production
            else None
        )
        roots = [spotted(wf) for wf in project.roots]
        planned.append(
            ProjectCharts(project.rel, chart, roots, dev_part(project, files, diag) if dev else None)
        )
    return planned


def refuse_shared_resource_names(
    charts: Iterable[tuple[str, Sequence[Spotted]]], production: list[Profile]
) -> dict[str, list[Diagnostic]]:
    """Under the sonataflow runtime each root workflow is a SonataFlow named after its id, and
    every production chart of an environment shares its namespace: two charts whose workflows
    make one name cannot both be installed. Both are refused: refusals by chart name."""
    refusals: dict[str, list[Diagnostic]] = {}
    if not any(p.settings.runtime == "sonataflow" for p in production):
        return refusals
    first: dict[str, tuple[str, Spotted]] = {}
    for chart, roots in charts:
        for wf in roots:
            seen = first.setdefault(dns_name(wf.id), (chart, wf))
            if seen[0] == chart:
                continue
            other_chart, other = seen
            message = (
                f"workflow '{wf.id}' of chart '{chart}' and workflow '{other.id}' of chart "
                f"'{other_chart}' are both SonataFlow '{dns_name(wf.id)}' in the namespaces of the "
                "sonataflow profiles: rename one workflow id"
            )
            for refused, where in ((chart, wf), (other_chart, other)):
                refusals.setdefault(refused, []).append(Diagnostic("error", message, where.where()))
    return refusals


def plan_dev_charts(
    parts: list[DevPart], profiles: list[Profile], part_of: str, diag: Diagnostics
) -> list[ChartPlan]:
    """One chart per dev profile, serving every project's part but those it leaves out. A
    project with errors stops the run anyway: the others still show what the pod breaks."""
    return [
        plan_dev(
            dev_parts(parts, profile, diag), profile, dev_chart_name(part_of, profile.env), part_of, diag
        )
        for profile in profiles
        if profile.mode == "dev"
    ]


def dev_parts(parts: list[DevPart], profile: Profile, diag: Diagnostics) -> list[DevPart]:
    """The projects a dev profile's pod serves: all but those its `devmode.exclude` names."""
    devmode = profile.settings.devmode
    patterns = (devmode.exclude if devmode else None) or []
    if not patterns:
        return parts
    kept = [p for p in parts if not any(project_matches(p.rel, glob) for glob in patterns)]
    for i, glob in enumerate(patterns):
        if not any(project_matches(p.rel, glob) for p in parts):
            known = [p.rel for p in parts]
            diag.warning(
                f"dev profile '{profile.env}': devmode.exclude '{glob}' matches no project"
                f"{did_you_mean(glob, known)}",
                profile.location("devmode", "exclude", key=True)
                if i == 0
                else profile.location("devmode", "exclude"),
            )
    return kept


def dev_chart_name(name: str, env: str) -> str:
    """`<name>-<env>`, DNS-safe and within Helm's release-name limit."""
    return dns_name(f"{name}-{env}")


def assign_names(
    projects: list[ProjectName],
    overrides: dict[str, str],
    name: str,
    profiles: list[Profile],
    diag: Diagnostics,
) -> dict[str, str]:
    """Chart name per project folder (and dev charts), DNS-safe and unique; workflow names unique."""
    charts = NameRegistry("chart", diag)
    for profile in profiles:
        if profile.mode == "dev":
            dev_name = dev_chart_name(name, profile.env)
            charts.claim(
                dev_name, f"dev profile '{profile.env}'", partial(profile.location, "mode", key=True)
            )
    if any(runs(p, s) for p in profiles for s in SERVICES):
        charts.claim(platform_chart_name(name), "the platform chart", nowhere)
    chosen_names: dict[str, str] = {}
    for project in projects:
        chosen = overrides.get(project.rel)
        if chosen is not None and not is_valid_name(chosen):
            diag.error(
                f"chart name '{chosen}' for project '{project.rel}' (chartgen.yaml 'charts') must be a "
                "DNS-1035 label of at most 53 characters"
            )
            continue
        chosen_names[project.rel] = chosen or dns_name(project.folder)
        charts.claim(chosen_names[project.rel], f"project '{project.rel}'", project.where)
    return chosen_names


def project_names(wset: WorkflowSet) -> list[ProjectName]:
    """The loaded projects' names, a collision located at the first (root) workflow's id."""
    found = []
    for project in wset.projects:
        first = next(iter(project.roots or project.workflows), None)
        found.append(ProjectName(project.rel, project.name, spotted(first).where if first else nowhere))
    return found
