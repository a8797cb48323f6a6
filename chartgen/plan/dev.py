"""The dev chart: one hot-reload pod serving every project of the repository."""

from __future__ import annotations

from typing import Any

from chartgen.errors import Diagnostics, Location
from chartgen.formats.source import display_path
from chartgen.plan.facts import credential_env, secret_names
from chartgen.plan.files import (
    ProjectFile,
    data_files,
    is_properties,
    merge_properties,
    pack_config_maps,
    project_files,
    same_content,
)
from chartgen.plan.model import ChartPlan, DataFile
from chartgen.plan.production import GENERATED, KUBE_VERSION_RANGE
from chartgen.plan.schema import dev_schema
from chartgen.plan.values import dev_defaults, profile_values, split_image
from chartgen.profile.loader import deep_merge
from chartgen.profile.model import Profile
from chartgen.workflow.model import WorkflowSet

RESOURCES_PATH = "/home/kogito/serverless-workflow-project/src/main/resources"


def plan_dev(
    wset: WorkflowSet, profile: Profile, chart_name: str, part_of: str, diag: Diagnostics
) -> ChartPlan:
    files, props = _merged_files(wset, diag)
    origins = {f.rel_path: f.origin for f in files}
    resources = data_files(files, "resources")
    workflows = sorted(w.id for w in wset.workflows)
    return ChartPlan(
        kind="dev",
        dir_name=chart_name,
        chart=_chart_yaml(chart_name, profile, workflows, len(wset.projects)),
        values=_values(profile, part_of),
        env_values={},
        env_namespaces={profile.env: profile.namespace},
        schema=dev_schema(),
        template_set="dev",
        config_maps=pack_config_maps([f for f in resources if _is_flat(f)], "root", diag, origins, flat=True)
        + pack_config_maps([f for f in resources if not _is_flat(f)], "nested", diag, origins),
        properties=data_files(props, "config"),
        workflows=workflows,
        facts=_secret_facts(wset, diag),
    )


def _secret_facts(wset: WorkflowSet, diag: Diagnostics) -> dict[str, Any]:
    """Secret keys of every project: the dev pod reads them from an optional Secret."""
    names: set[str] = set()
    env: dict[str, str] = {}
    for project in wset.projects:
        names.update(secret_names(project, diag))
        env.update(credential_env(project))
    return {
        "secretKeys": sorted(names | set(env.values())),
        "secretNames": sorted(names),
        "secretEnv": dict(sorted(env.items())),
    }


def _is_flat(f: DataFile) -> bool:
    """A file at the resources root whose ConfigMap key is its own name."""
    return f.key == f.mount_path


def _merged_files(wset: WorkflowSet, diag: Diagnostics) -> tuple[list[ProjectFile], list[ProjectFile]]:
    """Every project's files in one folder: identical paths shared, conflicting ones refused."""
    chosen: dict[str, tuple[str, ProjectFile]] = {}
    props: dict[str, list[tuple[str, ProjectFile]]] = {}
    for project in wset.projects:
        for f in project_files(project, diag, optional_credentials=True):
            if is_properties(f.rel_path):
                props.setdefault(f.rel_path, []).append((project.rel, f))
                continue
            seen = chosen.get(f.rel_path)
            if seen is None:
                chosen[f.rel_path] = (project.rel, f)
            elif not same_content(seen[1], f):
                diag.error(
                    f"'{f.rel_path}' differs between project '{seen[0]}' ({display_path(seen[1].origin)}) "
                    f"and project '{project.rel}': the dev pod has one resources folder",
                    Location(display_path(f.origin)),
                )
    merged_props = [
        ProjectFile(rel, merge_properties(sources, diag), sources[0][1].origin)
        for rel, sources in sorted(props.items())
    ]
    return [f for _, f in sorted(chosen.values(), key=lambda t: t[1].rel_path)], merged_props


def _values(profile: Profile, part_of: str) -> dict[str, Any]:
    values = deep_merge(dev_defaults(part_of), profile_values(profile))
    devmode = profile.get("devmode") or {}
    if devmode.get("image"):
        repository, tag = split_image(str(devmode["image"]))
        values["image"].update({"repository": repository, "tag": tag})
    if devmode.get("pullPolicy"):
        values["image"]["pullPolicy"] = devmode["pullPolicy"]
    return values


def _chart_yaml(name: str, profile: Profile, workflows: list[str], projects: int) -> dict[str, Any]:
    return {
        "apiVersion": "v2",
        "name": name,
        "description": (
            f"Dev-mode workflow pod for environment {profile.env}: {len(workflows)} workflows "
            f"from {projects} projects, hot-reloaded from {RESOURCES_PATH}"
        ),
        "type": "application",
        "version": "0.1.0",
        "appVersion": "dev",
        "kubeVersion": KUBE_VERSION_RANGE,
        "keywords": ["serverless-workflow", "sonataflow", "devmode"],
        "annotations": {
            GENERATED: "true",
            "chartgen/mode": "dev",
            "chartgen/environment": profile.env,
            "chartgen/workflows": ", ".join(workflows),
        },
    }
