"""`chartgen dev sync`: hot deploy to a running dev release, no Helm upgrade, no restart.

The dev chart is regenerated in memory and rendered by helm exactly as an upgrade would
render it; only its ConfigMaps are applied, server-side, as field manager `chartgen`.
The pod's projected volume picks the new files up and the devmode runtime reloads them.
Because the applied data is what the chart renders, a later `helm upgrade` of the same
chart sets the same values and meets no conflict.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chartgen.config import Settings
from chartgen.emit.writer import write_chart
from chartgen.errors import Diagnostic, Diagnostics, UserError
from chartgen.plan import dev_chart_name, plan_charts
from chartgen.plan.model import ChartPlan
from chartgen.profile.loader import load_profiles
from chartgen.tools.helm import Helm
from chartgen.tools.kubectl import Kubectl
from chartgen.workflow.discover import is_workflow_file
from chartgen.workflow.loader import load_workflows
from chartgen.workflow.validate import validate

FIELD_MANAGER = "chartgen"


@dataclass
class SyncResult:
    release: str
    namespace: str
    added: list[str] = field(default_factory=list)  # workflow files
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    other_files: int = 0  # specs, schemas, properties that changed
    applied: list[str] = field(default_factory=list)  # ConfigMaps
    diagnostics: list[Diagnostic] = field(default_factory=list)


def dev_sync(
    settings: Settings,
    env: str,
    helm: Helm,
    kubectl: Kubectl,
    namespace: str | None = None,
    release: str | None = None,
    dry_run: bool = False,
) -> SyncResult:
    plan, profile_namespace, diag = _dev_plan(settings, env)
    namespace = namespace or profile_namespace
    release = release or plan.dir_name
    wanted = _rendered_config_maps(plan, helm, release, namespace)
    live = {
        cm["metadata"]["name"]: cm
        for cm in kubectl.get_json(
            "configmaps", "-n", namespace, "-l", f"app.kubernetes.io/instance={release}"
        )["items"]
    }
    if not live:
        raise UserError(f"no dev release '{release}' in namespace '{namespace}': install the dev chart first")
    if set(wanted) != set(live):
        raise UserError(
            f"the dev chart now needs ConfigMaps {sorted(wanted)} but release '{release}' has "
            f"{sorted(live)}: run `chartgen generate` and `helm upgrade` (the pod's volumes change)"
        )
    result = SyncResult(release, namespace)
    paths = {f.key: f.mount_path for f in plan.data_files}
    flat = {f"{release}-{cm.suffix}" for cm in plan.config_maps if cm.flat} | {f"{release}-config"}
    _compare(wanted, live, paths, flat, result, diag)
    if not dry_run:
        manifest = "\n---\n".join(yaml.safe_dump(cm, sort_keys=True) for cm in wanted.values())
        kubectl.apply_server_side(manifest, namespace, FIELD_MANAGER)
        result.applied = sorted(wanted)
    result.diagnostics = diag.sorted()
    return result


def _dev_plan(settings: Settings, env: str) -> tuple[ChartPlan, str, Diagnostics]:
    diag = Diagnostics()
    wset = load_workflows(settings.workflows, diag, settings.exclude)
    validate(wset, diag)
    profiles = [p for p in load_profiles(settings.profiles, diag) if p.env == env]
    diag.raise_if_errors()
    if not profiles or profiles[0].mode != "dev":
        raise UserError(f"no dev profile '{env}' in {settings.profiles}")
    plans = plan_charts(wset, profiles, settings.name, settings.chart_names, lambda: "", diag)
    diag.raise_if_errors()
    name = dev_chart_name(settings.name, env)
    [plan] = [p for p in plans if p.dir_name == name]
    return plan, profiles[0].namespace, diag


def _rendered_config_maps(plan: ChartPlan, helm: Helm, release: str, namespace: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="chartgen-sync-") as tmp:
        chart = Path(tmp) / plan.dir_name
        write_chart(plan, chart)
        rendered = helm.template(release, chart, [], "1.34", namespace)
    if not rendered.ok:
        raise UserError(f"helm template of the dev chart failed: {rendered.stderr.strip()}")
    objects = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap"}


def _compare(
    wanted: dict[str, Any],
    live: dict[str, Any],
    paths: dict[str, str],
    flat_maps: set[str],
    result: SyncResult,
    diag: Diagnostics,
) -> None:
    for name, cm in sorted(wanted.items()):
        new = _files(cm)
        old = _files(live[name])
        flat = name in flat_maps
        for key in sorted(new.keys() | old.keys()):
            if new.get(key) == old.get(key):
                continue
            path = paths.get(key, key)
            bucket = result.added if key not in old else result.removed if key not in new else result.changed
            if is_workflow_file(path):
                bucket.append(path)
            else:
                result.other_files += 1
            if key not in old and not flat:
                diag.warning(
                    f"'{path}' is new in a subfolder: it reaches the pod only after `helm upgrade` "
                    "(the pod lists subfolder files one by one)"
                )


def _files(cm: dict[str, Any]) -> dict[str, str]:
    return {**(cm.get("data") or {}), **(cm.get("binaryData") or {})}
