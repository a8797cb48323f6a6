"""What a chart needs of its environment, checked before any helm call: the namespace exists,
every kind it contains is served (a custom kind's CRD is installed), the deployer identity may
manage each kind, and a production chart's values hold no example placeholder. Each problem is
one line naming the chart; a chart with a problem is not deployed, the others are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from chartgen.plan.kinds import CUSTOM_KINDS, DEPLOYER_VERBS, RESTRICTED_NAMESPACE_LABELS
from chartgen.tools.runner import Completed

# Hosts of the domains reserved for examples (RFC 2606, RFC 6761): `chartgen init` writes them
# as placeholders (registry.example.com, https://vault.example.com:8200).
PLACEHOLDER_HOST = re.compile(
    r"(^|[/@.])(example\.(com|org|net)|[a-z0-9-]+\.(example|invalid|test))(?=$|[:/])", re.IGNORECASE
)
HELM_RECORDS = ("", "secrets")  # helm keeps its release records as Secrets


class Cluster(Protocol):
    def run(
        self, args: Sequence[str | Path], input_text: str | None = None, check: bool = True
    ) -> Completed: ...


@dataclass(frozen=True)
class Need:
    """What one chart needs of its environment."""

    chart: str
    namespace: str
    kinds: dict[str, list[str]]  # API group -> resources the chart creates ({}: unknown)
    values: dict[str, Any]  # what the environment's values files supply
    production: bool


def preflight(cluster: Cluster, needs: Sequence[Need], create_namespace: bool) -> dict[str, list[str]]:
    """Chart -> its problems (charts without problems are absent)."""
    problems: dict[str, list[str]] = {}
    served = _served_resources(cluster)
    for namespace in sorted({n.namespace for n in needs}):
        here = [n for n in needs if n.namespace == namespace]
        missing = _namespace_problem(cluster, namespace, create_namespace)
        if missing:
            for need in here:
                problems.setdefault(need.chart, []).append(missing)
            continue
        denied = _access_problems(cluster, here)
        for need in here:
            found = _kind_problems(need, served) + denied.get(need.chart, []) + _placeholders(need)
            if found:
                problems.setdefault(need.chart, []).extend(found)
    return problems


def _namespace_problem(cluster: Cluster, namespace: str, create: bool) -> str:
    done = cluster.run(["get", "namespace", namespace, "-o", "name"], check=False)
    if done.ok or "(Forbidden)" in done.stderr or "forbidden" in done.stderr:
        return ""  # it exists, or this identity may not read namespaces: helm will say
    if "NotFound" not in done.stderr and "not found" not in done.stderr:
        return f"namespace {namespace}: {done.stderr.strip()[-200:]}"
    if not create:
        return (
            f"namespace {namespace} does not exist: create it with the Pod Security labels the "
            "charts need (restricted), or deploy with --create-namespace"
        )
    manifest = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": namespace, "labels": RESTRICTED_NAMESPACE_LABELS},
    }
    made = cluster.run(["create", "-f", "-"], input_text=json.dumps(manifest), check=False)
    return "" if made.ok else f"namespace {namespace} could not be created: {made.stderr.strip()[-200:]}"


def _served_resources(cluster: Cluster) -> set[str] | None:
    """`resource.group` (core: `resource`) of everything the API server serves; None when
    discovery fails (the kinds are then not checked)."""
    done = cluster.run(["api-resources", "-o", "name"], check=False)
    if not done.ok and not done.stdout:
        return None
    return {line.strip() for line in done.stdout.splitlines() if line.strip()}


def _kind_problems(need: Need, served: set[str] | None) -> list[str]:
    if served is None:
        return []
    out = []
    for group, resources in sorted(need.kinds.items()):
        for resource in resources:
            if (f"{resource}.{group}" if group else resource) in served:
                continue
            custom = next((k for k in CUSTOM_KINDS if (k.group, k.plural) == (group, resource)), None)
            if custom is not None:
                out.append(
                    f"{custom.kind} ({group}) is not installed in the cluster: install the "
                    f"{custom.operator} (its CRDs) first"
                )
            else:
                out.append(f"the cluster serves no {resource} in API group '{group or 'core'}'")
    return out


def _access_problems(cluster: Cluster, needs: Sequence[Need]) -> dict[str, list[str]]:
    """Chart -> each kind this identity may not manage with every verb the deployer Role grants:
    one SelfSubjectAccessReview per (namespace, verb, kind), all sent in one call (an authorizer's
    own answer; a rules review is incomplete wherever the Node authorizer runs)."""
    asked: list[tuple[str, str, str, str]] = []  # (namespace, group, resource, verb)
    for need in needs:
        wanted = {**need.kinds, "": sorted({*need.kinds.get("", []), *HELM_RECORDS[1:]})}
        asked += [
            (need.namespace, group, resource, verb)
            for group, resources in sorted(wanted.items())
            for resource in resources
            for verb in DEPLOYER_VERBS
        ]
    asked = sorted(set(asked))
    answers = _reviews(cluster, asked)
    if answers is None:
        return {}
    denied = {q for q, allowed in zip(asked, answers, strict=True) if not allowed}
    problems: dict[str, list[str]] = {}
    for need in needs:
        for group, resource in sorted({(g, r) for ns, g, r, _ in denied if ns == need.namespace}):
            if resource not in ({*need.kinds.get(group, [])} | ({"secrets"} if not group else set())):
                continue
            verbs = [v for v in DEPLOYER_VERBS if (need.namespace, group, resource, v) in denied]
            shown = f"{resource}.{group}" if group else resource
            problems.setdefault(need.chart, []).append(
                f"this identity may not {', '.join(verbs)} {shown} in {need.namespace} (kubectl auth can-i): "
                "grant it the chart's deployer Role, or install once as an admin"
            )
    return problems


def _reviews(cluster: Cluster, asked: Sequence[tuple[str, str, str, str]]) -> list[bool] | None:
    """Whether each (namespace, group, resource, verb) is allowed; None when the server cannot say."""
    if not asked:
        return []
    reviews = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": {"namespace": ns, "group": group, "resource": resource,
                                                "verb": verb}},
            }
            for ns, group, resource, verb in asked
        ],
    }  # fmt: skip
    done = cluster.run(["create", "-f", "-", "-o", "json"], input_text=json.dumps(reviews), check=False)
    if not done.ok:
        return None
    items = _json_stream(done.stdout)  # kubectl prints each created object as its own document
    if items is None or len(items) != len(asked):
        return None
    return [bool((item.get("status") or {}).get("allowed")) for item in items]


def _json_stream(text: str) -> list[dict[str, Any]] | None:
    decoder, at = json.JSONDecoder(), 0
    items: list[dict[str, Any]] = []
    try:
        while (at := _skip_space(text, at)) < len(text):
            found, at = decoder.raw_decode(text, at)
            items += found.get("items", [found]) if isinstance(found, dict) else []
    except ValueError:
        return None
    return items


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _placeholders(need: Need) -> list[str]:
    if not need.production:
        return []
    return [
        f"values {path} is the example placeholder '{value}': set the real one in the profile"
        for path, value in _strings(need.values, "")
        if PLACEHOLDER_HOST.search(value)
    ]


def _strings(value: Any, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, dict):
        for key, sub in sorted(value.items()):
            yield from _strings(sub, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _strings(sub, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value
