"""plan: workflow model + profiles -> one ChartPlan per chart. Every decision lives here.

`plan_charts` is a pure function of the loaded models: it reads no file.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from chartgen.config import DEFAULT_VAULT_PREFIX
from chartgen.errors import Diagnostic, Diagnostics
from chartgen.plan.credentials import check_profile
from chartgen.plan.dev import plan_dev
from chartgen.plan.files import project_files
from chartgen.plan.model import ChartPlan
from chartgen.plan.production import plan_production
from chartgen.plan.production_env import check_role_prefix
from chartgen.profile.model import Profile
from chartgen.schema.check import did_you_mean
from chartgen.workflow.discover import project_matches
from chartgen.workflow.model import Project, Workflow, WorkflowSet
from chartgen.workflow.names import NameRegistry, dns_name, is_valid_name


def plan_charts(
    wset: WorkflowSet,
    profiles: list[Profile],
    name: str,
    chart_names: dict[str, str],
    git_sha: Callable[[], str],
    diag: Diagnostics,
    vault_prefix: str = DEFAULT_VAULT_PREFIX,
) -> list[ChartPlan]:
    """Charts for every production project and every dev profile, in a stable order.

    A project with errors of its own gets no chart (its errors say why), nor does a dev chart
    that would serve it. What only combining projects breaks (the dev pod's one folder and one
    runtime, SonataFlow resources sharing a namespace) refuses those charts alone: they are
    planned with their `refusals`, and the others are written."""
    if not wset.projects:
        return []
    before = diag.error_count
    names = assign_names(wset, chart_names, name, profiles, diag)
    if diag.error_count > before:
        return []
    for profile in profiles:
        check_profile(profile, diag)
    production = [p for p in profiles if p.mode == "production"]
    for profile in production:
        check_role_prefix(profile, vault_prefix, diag)
    healthy = [project for project in wset.projects if not project.errors]
    files_of = {project.rel: project_files(project, diag) for project in healthy}
    plans: list[ChartPlan] = []
    if production:
        plans += [
            plan_production(
                project,
                files_of[project.rel],
                names[project.rel],
                production,
                name,
                git_sha,
                wset.specs,
                diag,
                vault_prefix,
            )
            for project in healthy
        ]
        refuse_shared_resource_names(plans, healthy, production)
    for profile in (p for p in profiles if p.mode == "dev"):
        # A project with errors stops the run anyway: the others still show what the pod breaks.
        served = dev_projects(WorkflowSet(wset.base, healthy, wset.specs), profile, diag)
        plans.append(plan_dev(served, profile, dev_chart_name(name, profile.env), name, files_of, diag))
    return sorted(plans, key=lambda p: p.name)


def refuse_shared_resource_names(
    plans: list[ChartPlan], projects: list[Project], production: list[Profile]
) -> None:
    """Under the sonataflow runtime each root workflow is a SonataFlow named after its id, and
    every production chart of an environment shares its namespace: two charts whose workflows
    make one name cannot both be installed. Both are refused."""
    if not any(p.settings.runtime == "sonataflow" for p in production):
        return
    by_chart = {plan.name: plan for plan in plans}
    first: dict[str, tuple[ChartPlan, Workflow]] = {}
    for plan, project in zip(plans, projects, strict=True):
        for wf in project.roots:
            seen = first.setdefault(dns_name(wf.id), (plan, wf))
            if seen[0] is plan:
                continue
            other_plan, other = seen
            message = (
                f"workflow '{wf.id}' of chart '{plan.name}' and workflow '{other.id}' of chart "
                f"'{other_plan.name}' are both SonataFlow '{dns_name(wf.id)}' in the namespaces of the "
                "sonataflow profiles: rename one workflow id"
            )
            for refused, where in ((plan, wf), (other_plan, other)):
                by_chart[refused.name].refusals.append(Diagnostic("error", message, where.loc(("id",))))


def dev_projects(wset: WorkflowSet, profile: Profile, diag: Diagnostics) -> WorkflowSet:
    """The projects a dev profile's pod serves: all but those its `devmode.exclude` names."""
    devmode = profile.settings.devmode
    patterns = (devmode.exclude if devmode else None) or []
    if not patterns:
        return wset
    kept = [p for p in wset.projects if not any(project_matches(p.rel, glob) for glob in patterns)]
    for i, glob in enumerate(patterns):
        if not any(project_matches(p.rel, glob) for p in wset.projects):
            known = [p.rel for p in wset.projects]
            diag.warning(
                f"dev profile '{profile.env}': devmode.exclude '{glob}' matches no project"
                f"{did_you_mean(glob, known)}",
                profile.location("devmode", "exclude", key=True)
                if i == 0
                else profile.location("devmode", "exclude"),
            )
    return WorkflowSet(wset.base, kept, wset.specs)


def dev_chart_name(name: str, env: str) -> str:
    """`<name>-<env>`, DNS-safe and within Helm's release-name limit."""
    return dns_name(f"{name}-{env}")


def assign_names(
    wset: WorkflowSet, overrides: dict[str, str], name: str, profiles: list[Profile], diag: Diagnostics
) -> dict[str, str]:
    """Chart name per project folder (and dev charts), DNS-safe and unique; workflow names unique."""
    charts = NameRegistry("chart", diag)
    for profile in profiles:
        if profile.mode == "dev":
            dev_name = dev_chart_name(name, profile.env)
            charts.claim(
                dev_name, f"dev profile '{profile.env}'", partial(profile.location, "mode", key=True)
            )
    chosen_names: dict[str, str] = {}
    for project in wset.projects:
        chosen = overrides.get(project.rel)
        if chosen is not None and not is_valid_name(chosen):
            diag.error(
                f"chart name '{chosen}' for project '{project.rel}' (chartgen.yaml 'charts') must be a "
                "DNS-1035 label of at most 53 characters"
            )
            continue
        chosen_names[project.rel] = chosen or dns_name(project.name)
        first = next(iter(project.roots or project.workflows), None)  # a collision is located at its id
        where = partial(first.loc, ("id",)) if first else (lambda: None)
        charts.claim(chosen_names[project.rel], f"project '{project.rel}'", where)
    return chosen_names
