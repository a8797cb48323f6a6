"""Production charts: one per workflow project, one values file per production profile."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from chartgen.errors import Diagnostics
from chartgen.plan.files import data_files, is_properties, pack_config_maps, project_files
from chartgen.plan.model import ChartPlan
from chartgen.plan.schema import production_schema
from chartgen.plan.values import (
    common_values,
    fill_placeholders,
    production_defaults,
    profile_values,
    values_diff,
)
from chartgen.profile.loader import clone, deep_merge
from chartgen.profile.model import Profile
from chartgen.workflow.model import Project

GENERATED = "chartgen/generated"
KUBE_VERSION_RANGE = ">=1.27.0-0"
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def plan_production(
    project: Project,
    profiles: list[Profile],
    part_of: str,
    git_sha: Callable[[], str],
    diag: Diagnostics,
) -> ChartPlan:
    name = project.chart_name
    app_version = app_version_of(project)
    defaults = production_defaults(part_of)
    full = {p.env: _env_values(p, defaults, name, app_version, git_sha) for p in profiles}
    base = deep_merge(_resolved(defaults, name, app_version, git_sha), common_values(list(full.values())))
    files = project_files(project)
    origins = {f.rel_path: f.origin for f in files}
    resources = data_files([f for f in files if not is_properties(f.rel_path)], "resources")
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


def _env_values(
    profile: Profile, defaults: dict[str, Any], name: str, app_version: str, git_sha: Callable[[], str]
) -> dict[str, Any]:
    values = deep_merge(defaults, profile_values(profile))
    image = profile.get("image") or {}
    values["image"].update(
        {k: v for k, v in image.items() if k in ("repository", "tag", "digest", "pullPolicy")}
    )
    scaling = profile.get("scaling") or {}
    if "minReplicas" in scaling:
        values["replicaCount"] = scaling["minReplicas"]
    known = {"workflow": name, "version": app_version, "env": profile.env}
    return _fill(values, known, git_sha)


def _resolved(
    defaults: dict[str, Any], name: str, app_version: str, git_sha: Callable[[], str]
) -> dict[str, Any]:
    return _fill(clone(defaults), {"workflow": name, "version": app_version, "env": ""}, git_sha)


def _fill(values: dict[str, Any], known: dict[str, str], git_sha: Callable[[], str]) -> dict[str, Any]:
    image = values["image"]
    for key in ("repository", "tag"):
        image[key] = fill_placeholders(str(image[key]), known, git_sha)
    return values
