"""plan: workflow model + profiles -> one ChartPlan per chart. Every decision lives here.

`plan_charts` is a pure function of the loaded models: it reads no file.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from chartgen.config import DEFAULT_VAULT_PREFIX
from chartgen.errors import Diagnostics
from chartgen.formats.source import display_path
from chartgen.plan.credentials import check_profile
from chartgen.plan.dev import plan_dev
from chartgen.plan.files import project_files
from chartgen.plan.model import ChartPlan
from chartgen.plan.production import plan_production
from chartgen.plan.production_env import check_role_prefix
from chartgen.profile.model import Profile
from chartgen.workflow.model import WorkflowSet
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
    """Charts for every production project and every dev profile, in a stable order."""
    if not wset.projects:
        return []
    names = assign_names(wset, chart_names, name, profiles, diag)
    if diag.error_count:
        return []
    for profile in profiles:
        check_profile(profile, diag)
    production = [p for p in profiles if p.mode == "production"]
    for profile in production:
        check_role_prefix(profile, vault_prefix, diag)
    files_of = {project.rel: project_files(project, diag) for project in wset.projects}
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
            for project in wset.projects
        ]
    plans += [
        plan_dev(wset, p, dev_chart_name(name, p.env), name, files_of, diag)
        for p in profiles
        if p.mode == "dev"
    ]
    return sorted(plans, key=lambda p: p.name)


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
    workflows = NameRegistry("workflow resource", diag)
    for wf in wset.workflows:
        owner = f"workflow '{wf.id}' ({display_path(wf.source.path)})"
        workflows.claim(dns_name(wf.id), owner, partial(wf.loc, ("id",)))
    return chosen_names
