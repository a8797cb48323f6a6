"""`chartgen dev sync`: plan the dev chart of one environment, then hot-deploy it."""

from __future__ import annotations

from chartgen.config import Settings
from chartgen.deploy.devsync import ConfigMapStore, Renderer, SyncResult, sync
from chartgen.errors import Diagnostics
from chartgen.flows.plan import plan_repository


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
    # Only the dev chart is planned: a production profile's refusal does not stop a hot deploy.
    [plan] = plan_repository(settings, diag, dev_env=env)
    namespace = namespace or plan.data.environments[env].namespace
    result = sync(plan, helm, cluster, namespace, release or plan.name, settings.kube_version, dry_run)
    diag.extend(result.diagnostics)
    result.diagnostics = diag.sorted()
    return result
