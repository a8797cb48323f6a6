"""`chartgen test`: each chart's whole life on a real API server.

install --wait, upgrade (from the previous committed version of the chart when git has
one, else to changed values), helm test, rollback, uninstall leaving nothing behind; in
a namespace that enforces the `restricted` Pod Security level. What a chart creates and
how long it may take to start are read from the chart's own plan (files/chartgen-data.yaml).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from chartgen.charts.chart import GeneratedChart
from chartgen.errors import UserError
from chartgen.formats.source import FastLoader
from chartgen.plan.kinds import CUSTOM_KINDS, RESTRICTED_NAMESPACE_LABELS
from chartgen.plan.layout import DATA_FILE, VALUES_FILE, values_file
from chartgen.schema.check import did_you_mean
from chartgen.tools.runner import Completed
from chartgen.version.git import OldChart

RESTRICTED = RESTRICTED_NAMESPACE_LABELS
# Beyond the chart's own startup allowance: scheduling, image pull, hooks.
WAIT_MARGIN_SECONDS = 120


class Releases(Protocol):
    """What the lifecycle needs of helm: one release command on the chosen cluster."""

    def release(self, args: Sequence[str | Path], timeout: float) -> Completed: ...


class Cluster(Protocol):
    """What the lifecycle needs of kubectl."""

    def run(
        self, args: Sequence[str | Path], input_text: str | None = None, check: bool = True
    ) -> Completed: ...

    def get_json(self, *args: str) -> Any: ...

    def apply_server_side(self, manifest: str, namespace: str, manager: str) -> Completed: ...


History = Callable[[Path], tuple[str, OldChart] | None]  # the previous committed version of a chart
Progress = Callable[[str], None]


@dataclass
class LifecycleResult:
    chart: str
    values: str
    namespace: str
    upgrade_from: str = ""  # "git <sha>" or "changed values"
    phases: dict[str, float] = field(default_factory=dict)  # phase -> seconds
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ChartUnderTest:
    """A chart folder and the environment it is tested with, read from its plan."""

    path: Path
    env: str
    values: Path | None  # values-<env>.yaml (None: a dev chart's values.yaml is its environment)
    kinds: dict[str, list[str]]
    startup_seconds: int

    @property
    def wait_seconds(self) -> int:
        return self.startup_seconds + WAIT_MARGIN_SECONDS

    @classmethod
    def read(cls, chart: GeneratedChart, env: str | None) -> ChartUnderTest:
        """The chart folder with `env` (None: its first environment), from the chart's data."""
        data = chart.data
        if data is None or chart.folder is None:
            raise UserError(f"{chart.shown}: {DATA_FILE} is missing or from another chartgen: regenerate it")
        environments = data.environments
        chosen = env or sorted(environments)[0]
        if chosen not in environments:
            known = ", ".join(sorted(environments))
            raise UserError(
                f"chart '{chart.name}' has no environment '{chosen}'{did_you_mean(chosen, environments)} "
                f"(its environments: {known})"
            )
        values = chart.folder / values_file(chosen) if data.kind != "dev" else None
        planned = environments[chosen]
        return cls(chart.folder, chosen, values, planned.kinds, planned.startupSeconds)


@dataclass
class CrdReport:
    installed: list[str] = field(default_factory=list)  # from the folders given
    stubs: list[str] = field(default_factory=list)  # kinds given a minimal any-spec CRD


def install_crds(
    kubectl: Cluster, folders: list[Path], needed: set[tuple[str, str]] | None = None
) -> CrdReport:
    """The CRDs given (server-side apply: large ones exceed client-side apply's annotation
    limit), then a stub CRD accepting any spec for each custom kind the charts contain
    (`needed`: (group, plural) pairs from their plans; None: every kind chartgen emits) and the
    cluster still lacks: those kinds are installed but not checked (the report names them)."""
    report = CrdReport()
    served = {c["metadata"]["name"] for c in kubectl.get_json("crd")["items"]}
    for folder in folders:
        for path in sorted(folder.rglob("*.yaml")):
            names = {
                d["metadata"]["name"]
                for d in yaml.load_all(path.read_text(), Loader=FastLoader)
                if d and d.get("kind") == "CustomResourceDefinition"
            }
            if names - served:  # already there: leave it (a cluster's CRDs belong to its operators)
                kubectl.apply_server_side(path.read_text(), "default", "chartgen")
                report.installed += sorted(names - served)
                served |= names
    for k in CUSTOM_KINDS:
        wanted = needed is None or (k.group, k.plural) in needed
        if wanted and f"{k.plural}.{k.group}" not in served:
            kubectl.apply_server_side(_stub_crd(k.group, k.version, k.kind, k.plural), "default", "chartgen")
            report.stubs.append(k.kind)
    if report.installed or report.stubs:
        kubectl.run(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"])
    return report


def _stub_crd(group: str, version: str, kind: str, plural: str) -> str:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{plural}.{group}",
            "labels": {"app.kubernetes.io/managed-by": "chartgen"},
            "annotations": {"chartgen/stub": "accepts any spec; install the real CRD to check resources"},
        },
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                }
            ],
        },
    }
    return yaml.safe_dump(crd)


def custom_kinds(charts: list[ChartUnderTest]) -> set[tuple[str, str]]:
    """(group, plural) of every custom kind (CUSTOM_KINDS) the charts' plans contain."""
    custom = {(k.group, k.plural) for k in CUSTOM_KINDS}
    return {(g, r) for c in charts for g, resources in c.kinds.items() for r in resources} & custom


def run_lifecycles(
    tested: list[ChartUnderTest],
    helm: Releases,
    kubectl: Cluster,
    history: History,
    on_result: Callable[[LifecycleResult], None] | None = None,
    progress: Progress | None = None,
) -> list[LifecycleResult]:
    results = []
    for chart in tested:
        result = run_lifecycle(chart, helm, kubectl, history, progress)
        results.append(result)
        if on_result:
            on_result(result)
    return results


def run_lifecycle(
    chart: ChartUnderTest,
    helm: Releases,
    kubectl: Cluster,
    history: History,
    progress: Progress | None = None,
) -> LifecycleResult:
    name = chart.path.name
    namespace = f"test-{name}"[:63].rstrip("-")
    values_name = chart.values.name if chart.values else VALUES_FILE
    result = LifecycleResult(name, values_name, namespace)
    extra = ["-f", str(chart.values)] if chart.values else []
    wait = f"{chart.wait_seconds}s"

    def step(phase: str, *args: str | Path) -> None:
        """One timed helm command on this release; a failure ends the chart's test."""
        if progress:
            progress(f"{name}: {phase} (waits up to {wait})")
        start = time.monotonic()
        try:
            done = helm.release([*args, "-n", namespace, "--timeout", wait], chart.wait_seconds + 60)
        finally:
            result.phases[phase] = round(time.monotonic() - start, 1)
        if not done.ok:
            raise _PhaseFailed(f"helm {args[0]}: {(done.stderr or done.stdout).strip()[-1500:]}")

    with _namespace(kubectl, namespace):
        previous = history(chart.path)
        try:
            if previous is not None:
                sha, old_chart = previous
                result.upgrade_from = f"git {sha[:12]}"
                old_values = _same_file(old_chart.path, chart.values)
                step("install previous", "install", name, old_chart.path, "--wait", *old_values)
                step("upgrade", "upgrade", name, chart.path, "--wait", *extra)
            else:
                result.upgrade_from = "changed values"
                step("install", "install", name, chart.path, "--wait", *extra)
                # A pod label: every runtime passes labels to its pods (the SonataFlow operator
                # never passes annotations, so a sonataflow chart refuses them).
                changed = "podLabels.chartgen/upgrade-check=1"
                step("upgrade", "upgrade", name, chart.path, "--wait", *extra, "--set-string", changed)
            step("helm test", "test", name)
            step("rollback", "rollback", name, "1", "--wait")
            step("uninstall", "uninstall", name, "--wait")
            left = leftovers(kubectl, namespace, name, chart.kinds)
            if left:
                result.problems.append(f"uninstall left {', '.join(left)}")
        except _PhaseFailed as failed:
            result.problems.append(str(failed))
        finally:
            if previous is not None:
                previous[1].cleanup()
    return result


class _PhaseFailed(Exception):
    pass


def _same_file(old_chart: Path, values: Path | None) -> list[str]:
    """The previous version's own values file for the same environment, when it had one."""
    if values is None or not (old_chart / values.name).is_file():
        return []
    return ["-f", str(old_chart / values.name)]


@contextmanager
def _namespace(kubectl: Cluster, name: str) -> Iterator[None]:
    labels = "\n".join(f"    {k}: {v}" for k, v in RESTRICTED.items())
    manifest = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n{labels}\n"
    # A namespace of an earlier run may still be terminating: it takes nothing new.
    kubectl.run(["wait", "--for=delete", f"namespace/{name}", "--timeout=180s"], check=False)
    kubectl.apply_server_side(manifest, "default", "chartgen")
    try:
        yield
    finally:
        kubectl.run(["delete", "namespace", name, "--wait=false", "--ignore-not-found"], check=False)


def leftovers(kubectl: Cluster, namespace: str, release: str, kinds: dict[str, list[str]]) -> list[str]:
    """Objects of the kinds the chart creates (its plan says which) still there after uninstall."""
    resources = ",".join(f"{r}.{g}" if g else r for g, rs in sorted(kinds.items()) for r in rs)
    found = kubectl.get_json(resources, "-n", namespace, "-l", f"app.kubernetes.io/instance={release}")
    names = [f"{i['kind']}/{i['metadata']['name']}" for i in found.get("items", [])]
    secrets = kubectl.get_json("secrets", "-n", namespace, "-l", f"owner=helm,name={release}")
    names += [f"Secret/{i['metadata']['name']}" for i in secrets.get("items", [])]
    return sorted(names)
