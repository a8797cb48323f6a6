"""`chartgen test`: each chart's whole life on a real API server.

install --wait, helm test, upgrade (from the previous committed version of the chart
when git has one, else to changed values), rollback, uninstall leaving nothing behind;
in a namespace that enforces the `restricted` Pod Security level.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from chartgen.formats.source import FastLoader
from chartgen.tools.helm import Helm
from chartgen.tools.kubectl import Kubectl
from chartgen.tools.kwok import Cluster
from chartgen.verify.lint import find_charts
from chartgen.version.git import previous_version

RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
}
# Kinds a release may leave behind if uninstall were broken (namespaced, listable).
LEFTOVER_KINDS = (
    "deployments,services,configmaps,serviceaccounts,roles,rolebindings,networkpolicies,"
    "poddisruptionbudgets,horizontalpodautoscalers,pods"
)
WAIT = "3m"


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


# The custom resources chartgen's charts can contain: (group, version, kind, plural).
CUSTOM_KINDS = (
    ("secrets.hashicorp.com", "v1beta1", "VaultConnection", "vaultconnections"),
    ("secrets.hashicorp.com", "v1beta1", "VaultAuth", "vaultauths"),
    ("secrets.hashicorp.com", "v1beta1", "VaultStaticSecret", "vaultstaticsecrets"),
    ("external-secrets.io", "v1", "SecretStore", "secretstores"),
    ("external-secrets.io", "v1", "ExternalSecret", "externalsecrets"),
    ("eventing.knative.dev", "v1", "Trigger", "triggers"),
    ("sources.knative.dev", "v1", "SinkBinding", "sinkbindings"),
    ("sonataflow.org", "v1alpha08", "SonataFlow", "sonataflows"),
)


def install_crds(kubectl: Kubectl, folders: list[Path]) -> int:
    """The CRDs given (server-side apply: large ones exceed client-side apply's annotation
    limit), then a minimal CRD accepting any spec for each kind the charts use and the
    cluster still lacks."""
    count = 0
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
                count += len(names)
                served |= names
    for group, version, kind, plural in CUSTOM_KINDS:
        if f"{plural}.{group}" not in served:
            kubectl.apply_server_side(_minimal_crd(group, version, kind, plural), "default", "chartgen")
            count += 1
    if count:
        kubectl.run(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"])
    return count


def _minimal_crd(group: str, version: str, kind: str, plural: str) -> str:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}", "labels": {"app.kubernetes.io/managed-by": "chartgen"}},
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


def run_lifecycles(
    charts: Path,
    cluster: Cluster,
    helm: Helm,
    env: str | None = None,
    on_result: Callable[[LifecycleResult], None] | None = None,
) -> list[LifecycleResult]:
    results = []
    for chart in find_charts(charts):
        result = run_lifecycle(chart, cluster, helm, env)
        results.append(result)
        if on_result:
            on_result(result)
    return results


def run_lifecycle(chart: Path, cluster: Cluster, helm: Helm, env: str | None = None) -> LifecycleResult:
    values = _values_file(chart, env)
    namespace = f"test-{chart.name}"[:63].rstrip("-")
    result = LifecycleResult(chart.name, values.name if values else "values.yaml", namespace)
    kubectl = cluster.kubectl()
    release = chart.name
    extra = ["-f", str(values)] if values else []

    def step(phase: str, *args: str | Path) -> None:
        """One timed helm command on this release; a failure ends the chart's test."""
        start = time.monotonic()
        try:
            done = helm.against(cluster.kubeconfig, [*args, "-n", namespace, "--timeout", WAIT])
        finally:
            result.phases[phase] = round(time.monotonic() - start, 1)
        if not done.ok:
            raise _PhaseFailed(f"helm {args[0]}: {(done.stderr or done.stdout).strip()[-1500:]}")

    with _namespace(kubectl, namespace):
        previous = previous_version(chart)
        try:
            if previous is not None:
                sha, old_chart = previous
                result.upgrade_from = f"git {sha[:12]}"
                old_values = _same_file(old_chart.path, values)
                step("install previous", "install", release, old_chart.path, "--wait", *old_values)
                step("upgrade", "upgrade", release, chart, "--wait", *extra)
            else:
                result.upgrade_from = "changed values"
                step("install", "install", release, chart, "--wait", *extra)
                changed = "podAnnotations.chartgen/upgrade-check=1"
                step("upgrade", "upgrade", release, chart, "--wait", *extra, "--set-string", changed)
            step("helm test", "test", release)
            step("rollback", "rollback", release, "1", "--wait")
            step("uninstall", "uninstall", release, "--wait")
            left = _leftovers(kubectl, namespace, release)
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


def _values_file(chart: Path, env: str | None) -> Path | None:
    envs = sorted(chart.glob("values-*.yaml"))
    if env:
        wanted = chart / f"values-{env}.yaml"
        return wanted if wanted.is_file() else None
    return envs[0] if envs else None


def _same_file(old_chart: Path, values: Path | None) -> list[str]:
    """The previous version's own values file for the same environment, when it had one."""
    if values is None or not (old_chart / values.name).is_file():
        return []
    return ["-f", str(old_chart / values.name)]


@contextmanager
def _namespace(kubectl: Kubectl, name: str) -> Iterator[None]:
    labels = "\n".join(f"    {k}: {v}" for k, v in RESTRICTED.items())
    manifest = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n{labels}\n"
    # A namespace of an earlier run may still be terminating: it takes nothing new.
    kubectl.run(["wait", "--for=delete", f"namespace/{name}", "--timeout=180s"], check=False)
    kubectl.apply_server_side(manifest, "default", "chartgen")
    try:
        yield
    finally:
        kubectl.run(["delete", "namespace", name, "--wait=false", "--ignore-not-found"], check=False)


def _leftovers(kubectl: Kubectl, namespace: str, release: str) -> list[str]:
    found = kubectl.get_json(LEFTOVER_KINDS, "-n", namespace, "-l", f"app.kubernetes.io/instance={release}")
    names = [f"{i['kind']}/{i['metadata']['name']}" for i in found.get("items", [])]
    secrets = kubectl.get_json("secrets", "-n", namespace, "-l", f"owner=helm,name={release}")
    names += [f"Secret/{i['metadata']['name']}" for i in secrets.get("items", [])]
    return sorted(names)
