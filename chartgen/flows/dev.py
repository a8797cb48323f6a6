"""`chartgen dev sync`: plan the dev chart of one environment, then hot-deploy it."""

from __future__ import annotations

from chartgen.config import Settings
from chartgen.deploy.devsync import ConfigMapStore, Renderer, SyncResult, sync
from chartgen.errors import Diagnostics, UserError
from chartgen.flows.generate import plan_repository
from chartgen.formats.source import display_path


def dev_sync(
    settings: Settings,
    env: str,
    helm: Renderer,
    cluster: ConfigMapStore,
    namespace: str | None = None,
    release: str | None = None,
    dry_run: bool = False,
) -> SyncResult:
    diag = Diagnostics()
    plans = plan_repository(settings, diag)
    dev = {p.chart["annotations"]["chartgen/environment"]: p for p in plans if p.kind == "dev"}
    if env not in dev:
        known = ", ".join(sorted(dev)) or "none"
        raise UserError(
            f"no dev profile '{env}' in {display_path(settings.profiles)} (dev profiles: {known})"
        )
    plan = dev[env]
    result = sync(
        plan, helm, cluster, namespace or plan.data.environments[env].namespace, release or plan.name, dry_run
    )
    diag.extend(result.diagnostics)
    result.diagnostics = diag.sorted()
    return result
