"""The dev chart: one hot-reload pod serving every project of the repository."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chartgen.errors import Diagnostic, Diagnostics, Location
from chartgen.formats.source import display_path
from chartgen.plan.facts import credential_env, env_variable, secret_names, workflow_data
from chartgen.plan.files import (
    ProjectFile,
    check_config_budget,
    data_files,
    is_properties,
    merge_properties,
    pack_config_maps,
    same_content,
    with_secret_references,
)
from chartgen.plan.kinds import dev_kinds
from chartgen.plan.layout import ENVIRONMENT_KEY, GENERATED_KEY, MODE_KEY
from chartgen.plan.model import (
    ChartData,
    ChartPlan,
    EnvironmentData,
    SecretBinding,
    Spotted,
    WorkflowData,
)
from chartgen.plan.production import KUBE_VERSION_RANGE
from chartgen.plan.schema import dev_schema
from chartgen.plan.values import check_values, merge_resources, pod_settings
from chartgen.profile.model import Profile
from chartgen.values.model import DEVMODE_IMAGE, DevImage, DevValues, PullSecret, ServiceAccount, split_image
from chartgen.workflow.model import Project, Workflow

RESOURCES_PATH = "/home/kogito/serverless-workflow-project/src/main/resources"


@dataclass
class DevPart:
    """What one project brings to a dev pod, planned where the project was: small enough to
    cross to the process that combines every project."""

    rel: str  # the project folder
    files: list[ProjectFile]  # as the project has them (plan.files.project_files)
    workflows: list[WorkflowData]
    ids: list[Spotted]  # the workflows with an id
    secret_names: list[str]
    credential_env: dict[str, str]


def spotted(wf: Workflow) -> Spotted:
    return Spotted(wf.id, wf.spot(("id",)).location)


def dev_part(project: Project, files: list[ProjectFile], diag: Diagnostics) -> DevPart:
    return DevPart(
        rel=project.rel,
        files=files,
        workflows=[workflow_data(w, flow_files=False) for w in project.workflows],
        ids=[spotted(w) for w in project.workflows if w.has_id],
        secret_names=secret_names(project, diag),
        credential_env=credential_env(project),
    )


def plan_dev(
    parts: list[DevPart], profile: Profile, chart_name: str, part_of: str, diag: Diagnostics
) -> ChartPlan:
    """One pod serving the projects' `parts`. What only serving every project from one folder
    and one runtime breaks refuses this chart."""
    refusals: list[Diagnostic] = []
    files, props = _merged_files(parts, diag, refusals)
    refusals += _duplicate_ids(parts)
    origins = {f.rel_path: f.origin for f in files}
    resources = data_files(files, "resources")
    config_maps = pack_config_maps(
        [f for f in resources if _is_flat(f)], f"{chart_name}-root", diag, origins, flat=True
    ) + pack_config_maps([f for f in resources if not _is_flat(f)], f"{chart_name}-nested", diag, origins)
    properties = data_files(props, "config")
    heaviest = max(
        (f for part in parts for f in part.files if is_properties(f.rel_path)),
        key=lambda f: len(f.content),
        default=None,
    )
    check_config_budget(chart_name, properties, heaviest.origin if heaviest else None, diag)
    values = _values(profile, chart_name)
    check_values(values, profile, diag, {"image": ("devmode", "image")})
    secret_name, keys, bindings = _secrets(parts, chart_name)
    environment = EnvironmentData(
        namespace=profile.namespace,
        secretName=secret_name,
        secretKeys=keys,
        secretBindings=bindings,
        startupSeconds=values.probes.startup_seconds,
        kinds=dev_kinds(),
    )
    workflows = sorted((w for part in parts for w in part.workflows), key=lambda w: w.id)
    data = ChartData.of(
        chart_name,
        "dev",
        part_of,
        config_maps,
        properties,
        workflows=workflows,
        environments={profile.env: environment},
    )
    return ChartPlan(
        kind="dev",
        name=chart_name,
        chart=_chart_yaml(chart_name, profile, [w.id for w in workflows], len(parts), part_of),
        values={profile.env: values},
        data=data,
        schema=dev_schema(),
        config_maps=config_maps,
        properties=properties,
        refusals=refusals,
    )


def _duplicate_ids(parts: list[DevPart]) -> list[Diagnostic]:
    """The dev pod is one runtime: SonataFlow refuses two workflows with one id."""
    found = []
    first: dict[str, tuple[str, Spotted]] = {}
    for part in parts:
        for wf in part.ids:
            rel, other = first.setdefault(wf.id, (part.rel, wf))
            if rel != part.rel:
                found.append(
                    Diagnostic(
                        "error",
                        f"workflow id '{wf.id}' is in project '{rel}' ({other.where()}) and in "
                        f"project '{part.rel}': the dev pod runs one runtime, where ids are unique (leave "
                        "one project out with the dev profile's devmode.exclude)",
                        wf.where(),
                    )
                )
    return found


def _secrets(parts: list[DevPart], chart: str) -> tuple[str | None, list[str], list[SecretBinding]]:
    """The dev pod reads every project's secrets from one optional Secret, `<chart>-secrets`."""
    names: set[str] = set()
    env: dict[str, str] = {}
    for part in parts:
        names.update(part.secret_names)
        env.update(part.credential_env)
    bindings = [SecretBinding(key=n, env=env_variable(n), property=n) for n in sorted(names)]
    bindings += [SecretBinding(key=k, env=v, property=v) for v, k in sorted(env.items())]
    keys = sorted(names | set(env.values()))
    return (f"{chart}-secrets" if keys else None), keys, bindings


def _is_flat(f: Any) -> bool:
    """A file at the resources root whose ConfigMap key is its own name."""
    return bool(f.key == f.mount_path)


def _merged_files(
    parts: list[DevPart], diag: Diagnostics, refusals: list[Diagnostic]
) -> tuple[list[ProjectFile], list[ProjectFile]]:
    """Every project's files in one folder: identical paths shared, conflicting ones refused."""
    chosen: dict[str, tuple[str, ProjectFile]] = {}
    props: dict[str, list[tuple[str, ProjectFile]]] = {}
    for part in parts:
        for f in with_secret_references(part.files, diag, optional=True):
            if is_properties(f.rel_path):
                props.setdefault(f.rel_path, []).append((part.rel, f))
                continue
            seen = chosen.get(f.rel_path)
            if seen is None:
                chosen[f.rel_path] = (part.rel, f)
            elif not same_content(seen[1], f):
                refusals.append(
                    Diagnostic(
                        "error",
                        f"'{f.rel_path}' differs between project '{seen[0]}' "
                        f"({display_path(seen[1].origin)}) and project '{part.rel}': the dev pod has one "
                        "resources folder (leave one "
                        "project out with the dev profile's devmode.exclude)",
                        Location(display_path(f.origin)),
                    )
                )
    merged_props = [
        ProjectFile(rel, merge_properties(sources, diag), sources[0][1].origin)
        for rel, sources in sorted(props.items())
    ]
    return [f for _, f in sorted(chosen.values(), key=lambda t: t[1].rel_path)], merged_props


def _values(profile: Profile, chart: str) -> DevValues:
    s = profile.settings
    values = DevValues(environment=profile.env, **pod_settings(s))
    values.serviceAccount = ServiceAccount(name=chart)
    values.resources = merge_resources(values.resources, s.resources)
    devmode = s.devmode
    repository, tag, digest = split_image(devmode.image if devmode and devmode.image else DEVMODE_IMAGE)
    pull = devmode.pullPolicy if devmode and devmode.pullPolicy else "IfNotPresent"
    values.image = DevImage(repository=repository, tag=tag, digest=digest, pullPolicy=pull)
    values.imagePullSecrets = [PullSecret(name=n) for n in s.imagePullSecrets or []]
    return values


def _chart_yaml(
    name: str, profile: Profile, workflows: list[str], projects: int, part_of: str
) -> dict[str, Any]:
    return {
        "apiVersion": "v2",
        "name": name,
        "description": (
            f"Dev-mode workflow pod for environment {profile.env}: {len(workflows)} workflows "
            f"from {projects} projects, hot-reloaded from {RESOURCES_PATH}"
        ),
        "type": "application",
        "appVersion": "dev",
        "kubeVersion": KUBE_VERSION_RANGE,
        "keywords": ["serverless-workflow", "sonataflow", "devmode"],
        "annotations": {
            GENERATED_KEY: "true",
            MODE_KEY: "dev",
            ENVIRONMENT_KEY: profile.env,
            "chartgen/part-of": part_of,
            "chartgen/workflows": ", ".join(workflows),
        },
    }
