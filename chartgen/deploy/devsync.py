"""Hot deploy to a running dev release: no Helm upgrade, no restart.

The dev chart is rendered by helm exactly as an upgrade would render it; only its
ConfigMaps are applied, server-side, as field manager `chartgen`. The pod's projected
volume picks the new files up and the devmode runtime reloads them. Because the applied
data is what the chart renders, a later `helm upgrade` of the same chart sets the same
values and meets no conflict.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from chartgen.emit.writer import write_chart
from chartgen.errors import Diagnostic, Diagnostics, UserError
from chartgen.plan.model import ChartPlan
from chartgen.tools.runner import Completed
from chartgen.workflow.discover import is_workflow_file

FIELD_MANAGER = "chartgen"


class Renderer(Protocol):
    """What sync needs of helm."""

    def template(
        self, release: str, chart: Path, values: list[Path], kube_version: str, namespace: str
    ) -> Completed: ...


class ConfigMapStore(Protocol):
    """What sync needs of the cluster (kubectl)."""

    def get_json(self, *args: str) -> Any: ...

    def apply_server_side(self, manifest: str, namespace: str, manager: str) -> Completed: ...


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


def sync(
    plan: ChartPlan,
    helm: Renderer,
    cluster: ConfigMapStore,
    namespace: str,
    release: str,
    kube_version: str,
    dry_run: bool = False,
) -> SyncResult:
    """Apply the dev chart's ConfigMaps to the running release; report what changed.
    `kube_version`: the Kubernetes version the chart is rendered for (the settings')."""
    diag = Diagnostics()
    wanted = _rendered_config_maps(plan, helm, release, namespace, kube_version)
    live = {
        cm["metadata"]["name"]: cm
        for cm in cluster.get_json(
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
    flat = {cm.name for cm in plan.config_maps if cm.flat} | {plan.data.names.config}
    _compare(wanted, live, paths, flat, result, diag)
    if not dry_run:
        manifest = "\n---\n".join(yaml.safe_dump(cm, sort_keys=True) for cm in wanted.values())
        cluster.apply_server_side(manifest, namespace, FIELD_MANAGER)
        result.applied = sorted(wanted)
    result.diagnostics = diag.sorted()
    return result


def _rendered_config_maps(
    plan: ChartPlan, helm: Renderer, release: str, namespace: str, kube_version: str
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="chartgen-sync-") as tmp:
        chart = Path(tmp) / plan.name
        write_chart(plan, chart)
        rendered = helm.template(release, chart, [], kube_version, namespace)
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
