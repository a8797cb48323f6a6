"""`chartgen test`: every chart installed, tested, upgraded, rolled back and uninstalled on a
cluster, after the CRDs its custom resources need."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chartgen.config import Settings
from chartgen.emit.switch import settled_charts
from chartgen.errors import UserError
from chartgen.flows import wiring
from chartgen.formats.source import display_path
from chartgen.tools.clusters import ClusterChoice
from chartgen.tools.kubectl import Kubectl
from chartgen.verify.lifecycle import (
    ChartUnderTest,
    CrdReport,
    LifecycleResult,
    custom_kinds,
    install_crds,
    run_lifecycles,
)
from chartgen.version.git import previous_version


@dataclass
class Prepared:
    """The charts to test (each environment checked before anything runs), on a cluster that
    has the CRDs they need."""

    tested: list[ChartUnderTest]
    cluster: ClusterChoice
    kubectl: Kubectl
    crds: CrdReport


def prepare_chart_tests(
    settings: Settings, values_env: str | None, kubeconfig: str | None, context: str | None
) -> Prepared:
    charts = settled_charts(settings.out)
    if not charts:
        raise UserError(f"no charts found in {display_path(settings.out)}")
    tested = [ChartUnderTest.read(chart, values_env) for chart in charts]
    cluster = wiring.cluster(kubeconfig, context)
    kubectl = cluster.kubectl()
    crds = install_crds(kubectl, list(settings.crds), custom_kinds(tested))
    return Prepared(tested, cluster, kubectl, crds)


def run_chart_tests(
    prepared: Prepared,
    on_result: Callable[[LifecycleResult], None] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[LifecycleResult]:
    helm = wiring.helm(prepared.cluster)
    return run_lifecycles(prepared.tested, helm, prepared.kubectl, previous_version, on_result, progress)
