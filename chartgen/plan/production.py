"""Production charts: one per workflow project, one values file per production profile."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chartgen.errors import Diagnostics
from chartgen.formats.yaml_out import dump_yaml
from chartgen.plan.facts import ProjectFacts, cr_flow, project_facts
from chartgen.plan.files import data_files, is_properties, pack_config_maps, project_files
from chartgen.plan.model import ChartPlan, DataFile
from chartgen.plan.production_env import check_environment, env_values, fill_values
from chartgen.plan.schema import production_schema
from chartgen.plan.values import common_values, production_defaults, values_diff
from chartgen.profile.loader import clone, deep_merge
from chartgen.profile.model import Profile
from chartgen.workflow.model import Project
from chartgen.workflow.names import dns_name

GENERATED = "chartgen/generated"
KUBE_VERSION_RANGE = ">=1.27.0-0"
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def plan_production(
    project: Project,
    profiles: list[Profile],
    part_of: str,
    git_sha: Callable[[], str],
    specs: dict[Path, Any],
    diag: Diagnostics,
) -> ChartPlan:
    name = project.chart_name
    app_version = app_version_of(project)
    facts = project_facts(project, specs, diag)
    for profile in profiles:
        check_environment(name, facts, profile, diag)
    defaults = production_defaults(part_of)
    full = {p.env: env_values(p, facts, defaults, name, app_version, git_sha) for p in profiles}
    known = {"workflow": name, "version": app_version, "env": "default", "schema": name.replace("-", "_")}
    base = deep_merge(fill_values(clone(defaults), known, git_sha), common_values(list(full.values())))
    files = project_files(project, diag)
    origins = {f.rel_path: f.origin for f in files}
    resources = data_files([f for f in files if not is_properties(f.rel_path)], "resources")
    flows = [
        DataFile(f"files/flows/{dns_name(wf.id)}.yaml", "", "", dump_yaml(cr_flow(wf)))
        for wf in sorted(project.roots, key=lambda w: w.rel_path)
    ]
    properties = data_files([f for f in files if is_properties(f.rel_path)], "config")
    workflows = sorted(w.id for w in project.workflows)
    return ChartPlan(
        kind="production",
        dir_name=name,
        chart=chart_yaml(name, app_version, project, workflows),
        values=base,
        env_values={env: values_diff(v, base) for env, v in full.items()},
        env_namespaces={p.env: p.namespace for p in profiles},
        schema=production_schema(),
        template_set="production",
        config_maps=pack_config_maps(resources, "resources", diag, origins),
        properties=properties,
        workflows=workflows,
        facts=facts_document(facts),
        extra_files=flows,
    )


def app_version_of(project: Project) -> str:
    """The version the project's root workflows declare (the highest if they differ)."""
    versions = {w.version for w in (project.roots or project.workflows) if w.version}
    return max(versions, key=_version_key) if versions else "0.0.0"


def chart_version(app_version: str) -> str:
    """A SemVer 2 chart version from the workflow version (1.0 -> 1.0.0)."""
    text = app_version.lstrip("vV")
    if _SEMVER.match(text):
        return text
    numbers = re.findall(r"\d+", text)[:3]
    if not numbers:
        return "0.1.0"
    parts = [str(int(n)) for n in numbers] + ["0"] * (3 - len(numbers))
    return ".".join(parts)


def _version_key(version: str) -> tuple[tuple[int, ...], str]:
    return (tuple(int(n) for n in re.findall(r"\d+", version)), version)


def chart_yaml(name: str, app_version: str, project: Project, workflows: list[str]) -> dict[str, Any]:
    listed = ", ".join(workflows)
    return {
        "apiVersion": "v2",
        "name": name,
        "description": f"Workflow runtime for project {project.rel} (workflows: {listed})",
        "type": "application",
        "version": chart_version(app_version),
        "appVersion": app_version,
        "kubeVersion": KUBE_VERSION_RANGE,
        "keywords": ["serverless-workflow", "sonataflow", "workflow"],
        "annotations": {
            GENERATED: "true",
            "chartgen/mode": "production",
            "chartgen/project": project.rel,
            "chartgen/workflows": listed,
        },
    }


def facts_document(facts: ProjectFacts) -> dict[str, Any]:
    """The facts as the chart's templates read them (files/chartgen-data.yaml)."""
    return {
        "workflows": facts.workflows,
        "waits": facts.waits,
        "events": {
            "consumed": [
                {
                    "type": e.type,
                    "source": e.source or "",
                    "name": _trigger_suffix(e.type, e.source),
                    "workflow": e.workflow,
                }
                for e in facts.consumed
            ],
            "produced": facts.produced,
        },
        "secretKeys": facts.secret_keys,
        "secretNames": facts.secret_names,
        "secretEnv": facts.secret_env,
        "kubernetesApiCalls": facts.kube_api_calls,
    }


def _trigger_suffix(event_type: str, source: str | None) -> str:
    """A short DNS name for a Trigger, readable and unique per (type, source)."""
    key = f"{event_type}|{source or ''}"
    return f"{dns_name(event_type, 20)}-{_hash(key)}"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]
