"""Production charts: one per workflow project, one values file per production profile."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chartgen.errors import Diagnostics
from chartgen.formats.yaml_out import dump_yaml
from chartgen.graph.build import graph_of
from chartgen.plan.config import build_refusals
from chartgen.plan.facts import ProjectFacts, cr_flow, project_facts
from chartgen.plan.files import (
    ProjectFile,
    check_config_budget,
    data_files,
    is_properties,
    pack_config_maps,
    with_secret_references,
)
from chartgen.plan.layout import GENERATED_KEY, MODE_KEY
from chartgen.plan.model import DATA_INDEX_CHANNELS, ChartData, ChartPlan, DataFile, EventChannel, Events
from chartgen.plan.openapi_auth import bearer_properties, with_bearer_properties
from chartgen.plan.production_env import Environment, plan_environment
from chartgen.plan.schema import production_schema
from chartgen.profile.model import Profile
from chartgen.workflow.model import Project, SpecDoc
from chartgen.workflow.names import dns_name

NO_VERSION = "0.0.0"  # appVersion of a chart whose workflows declare none (with a warning)
KUBE_VERSION_RANGE = ">=1.27.0-0"


def plan_production(
    project: Project,
    project_files: list[ProjectFile],
    name: str,
    profiles: list[Profile],
    part_of: str,
    git_sha: Callable[[], str],
    specs: dict[Path, SpecDoc],
    diag: Diagnostics,
    vault_prefix: str,
) -> ChartPlan:
    """`project_files`: the project's files (plan.files.project_files)."""
    app_version = app_version_of(project)
    if app_version == NO_VERSION:
        first = (project.roots or project.workflows)[0]
        diag.warning(
            f"workflow '{first.id}' has no version: chart '{name}' gets appVersion {NO_VERSION} "
            "(add `version:` to the workflow)",
            first.loc((), key=False),
        )
    facts = project_facts(project, specs, diag)
    for entry, why in build_refusals(facts.config):
        diag.error(why, entry.where)
    environments = {
        p.env: plan_environment(name, facts, p, app_version, git_sha, diag, vault_prefix, part_of)
        for p in profiles
    }
    process_events = _process_events(name, profiles, environments, diag)
    files = with_bearer_properties(
        with_secret_references(project_files, diag), bearer_properties(project, specs)
    )
    origins = {f.rel_path: f.origin for f in files}
    resources = data_files([f for f in files if not is_properties(f.rel_path)], "resources")
    config_maps = pack_config_maps(resources, f"{name}-resources", diag, origins)
    properties = data_files([f for f in files if is_properties(f.rel_path)], "config")
    carried = [f for f in files if is_properties(f.rel_path)]
    check_config_budget(name, properties, max(carried, key=lambda f: len(f.content)).origin, diag)
    flows = [
        DataFile(f"files/flows/{dns_name(wf.id)}.yaml", "", "", dump_yaml(cr_flow(wf)))
        for wf in sorted(project.roots, key=lambda w: w.rel_path)
    ]
    data = ChartData.of(
        name,
        "production",
        part_of,
        config_maps,
        properties,
        workflows=facts.workflows,
        waits=facts.waits,
        timers=facts.timers,
        events=_events(name, facts),
        processEvents=process_events,
        kubernetesApiCalls=facts.kube_api_calls,
        environments={env: e.data for env, e in environments.items()},
    )
    values = {env: e.values for env, e in environments.items()}
    return ChartPlan(
        kind="production",
        name=name,
        chart=chart_yaml(name, app_version, project, sorted(w.id for w in project.workflows), part_of),
        values=values,
        data=data,
        schema=production_schema(list(values.values())),
        config_maps=config_maps,
        properties=properties,
        extra_files=flows,
        graphs=[graph_of(w.id, w.definition) for w in sorted(project.workflows, key=lambda w: w.id)],
    )


def _process_events(
    chart: str, profiles: list[Profile], environments: dict[str, Environment], diag: Diagnostics
) -> list[EventChannel]:
    """The channels the runtime sends its instances' events to a Data Index on: every environment or
    none, since all of them run the one image `chartgen build` makes."""
    sending = sorted(env for env, e in environments.items() if e.values.dataIndex is not None)
    if sending and len(sending) < len(environments):
        silent = next(p for p in profiles if p.env not in sending)
        diag.error(
            f"chart '{chart}': profile '{silent.env}' sets no dataIndex.url while "
            f"{', '.join(repr(e) for e in sending)} do: every environment runs one runtime image "
            "(built with the process events add-on or without): set dataIndex.url in all or none",
            silent.location("dataIndex"),
        )
    return list(DATA_INDEX_CHANNELS) if sending else []


def _events(chart: str, facts: ProjectFacts) -> Events:
    prefix = chart[:32].rstrip("-")
    consumed = [dataclasses.replace(e, trigger=f"{prefix}-{e.trigger}") for e in facts.consumed]
    return Events(consumed=consumed, produced=facts.produced)


def app_version_of(project: Project) -> str:
    """The version the project's root workflows declare (the highest if they differ)."""
    versions = {w.version for w in (project.roots or project.workflows) if w.version}
    return max(versions, key=_version_key) if versions else NO_VERSION


def _version_key(version: str) -> tuple[tuple[tuple[int, str], ...], str]:
    """Numbers compared as numbers (by length, then digits: no conversion of huge ones)."""
    numbers = (n.lstrip("0") for n in re.findall(r"[0-9]+", version))
    return (tuple((len(n), n) for n in numbers), version)


def chart_yaml(
    name: str, app_version: str, project: Project, workflows: list[str], part_of: str
) -> dict[str, Any]:
    listed = ", ".join(workflows)
    return {
        "apiVersion": "v2",
        "name": name,
        "description": f"Workflow runtime for project {project.rel} (workflows: {listed})",
        "type": "application",
        "appVersion": app_version,
        "kubeVersion": KUBE_VERSION_RANGE,
        "keywords": ["serverless-workflow", "sonataflow", "workflow"],
        "annotations": {
            GENERATED_KEY: "true",
            MODE_KEY: "production",
            "chartgen/part-of": part_of,
            "chartgen/project": project.rel,
            "chartgen/workflows": listed,
        },
    }
