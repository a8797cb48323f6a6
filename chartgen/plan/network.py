"""The NetworkPolicy of one environment: default deny, then exactly what the runtime needs.

Egress: DNS, then every service the runtime calls that has an address a policy can name —
the database, the broker, the Kubernetes API (with a grant), Vault (for the agent
injector), the URLs the workflows call (rest-client properties, OpenAPI servers) — and
the profile's own endpoints. A host a policy cannot name (a DNS name outside the cluster)
gets a located warning instead of a rule. Ingress: the profile's sources and the
chart's own `helm test` pod.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chartgen.errors import Diagnostics, Location
from chartgen.plan.facts import Endpoint
from chartgen.plan.model import NetworkRules, ServiceRef
from chartgen.profile.model import NetworkPolicySettings

HTTP_PORT = 8080  # the runtime's container port
DNS_EGRESS = {
    "to": [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ],
    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
}
KUBERNETES_API_PORTS = (443, 6443)
BROKER_PORTS = (80, 8080)
DEFAULT_PORTS = {"http": 80, "https": 443, "jdbc:postgresql": 5432}


@dataclass(frozen=True)
class Target:
    """Something the runtime must reach: a host and port, and why."""

    host: str
    port: int
    what: str
    locate: Callable[[], Location | None]


def endpoint_target(endpoint: Endpoint) -> Target | None:
    """The host and port of a URL; None when the URL cannot be read (reported by the caller)."""
    if "${" in endpoint.url:
        return None
    try:
        parts = urlsplit(endpoint.url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return Target(parts.hostname, port, f"{endpoint.what} ({endpoint.url})", endpoint.locate)


def peer(host: str) -> dict[str, Any] | str | None:
    """The NetworkPolicyPeer selecting `host`: a namespace (`svc.ns.svc[.cluster.local]`), this
    namespace (`svc`), an address block (an IP); "local" for the pod itself; None: no peer can."""
    if host == "localhost" or host.startswith("127.") or host == "::1":
        return "local"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return {"ipBlock": {"cidr": f"{address}/{address.max_prefixlen}"}}
    if "." not in host.rstrip("."):
        return {"podSelector": {}}
    service = cluster_service(host)
    return namespace_peer(service.namespace) if service else None


def cluster_service(host: str) -> ServiceRef | None:
    """The Service a host names inside the cluster: `<name>.<namespace>.svc`, optionally
    followed by `.cluster.local` (`pg.db.svc.example.com` is a host elsewhere)."""
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 3 and labels[2] == "svc" and labels[3:] in ([], ["cluster", "local"]):
        return ServiceRef(name=labels[0], namespace=labels[1])
    return None


def namespace_peer(namespace: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"port": p, "protocol": "TCP"} for p in ports]


Need = Target | Endpoint | dict[str, Any]


def plan_network(
    chart: str,
    env: str,
    needs: list[Need],
    settings: NetworkPolicySettings,
    diag: Diagnostics,
    timer_callbacks: str | None = None,
) -> NetworkRules:
    """`needs`: what the runtime must reach, in order: hosts or URLs to resolve, or ready rules.
    `timer_callbacks`: the URL of the Jobs Service that calls the runtime back when a timer is
    due (None: no timers)."""
    egress = [DNS_EGRESS]
    callers: list[dict[str, Any]] = []
    if timer_callbacks:
        target = endpoint_target(Endpoint(timer_callbacks, lambda: None, "the Jobs Service"))
        found = peer(target.host) if target else None
        if isinstance(found, dict):
            callers.append(found)
    for need in needs:
        if isinstance(need, dict):
            egress.append(need)
            continue
        target = endpoint_target(need) if isinstance(need, Endpoint) else need
        if target is None:
            assert isinstance(need, Endpoint)
            diag.warning(
                f"chart '{chart}' in '{env}': cannot tell which host {need.what} ({need.url}) calls, so no "
                "egress is derived for it; allow it with networkPolicy.egress",
                need.locate(),
            )
            continue
        found = peer(target.host)
        if found == "local":
            continue
        if isinstance(found, dict):
            egress.append({"to": [found], "ports": _tcp(target.port)})
        else:
            diag.warning(
                f"chart '{chart}' in '{env}': {target.what} is a host outside the cluster that a "
                f"NetworkPolicy cannot name, so calls to {target.host}:{target.port} are blocked where "
                "policies are enforced; allow its addresses with networkPolicy.egress (cidr, ports)",
                target.locate(),
            )
    for rule in settings.egress or []:
        to = ([namespace_peer(rule.namespace)] if rule.namespace else []) + (
            [{"ipBlock": {"cidr": rule.cidr}}] if rule.cidr else []
        )
        egress.append({**({"to": to} if to else {}), "ports": _tcp(*rule.ports)})
    ingress = _ingress(chart, settings) + [{"from": [c], "ports": _tcp(HTTP_PORT)} for c in callers]
    return NetworkRules(ingress=_unique(ingress), egress=_unique(egress))


def _ingress(chart: str, settings: NetworkPolicySettings) -> list[dict[str, Any]]:
    rules = [
        {"from": [namespace_peer(ns)], "ports": _tcp(HTTP_PORT)}
        for ns in settings.allowIngressFromNamespaces or []
    ]
    for source in settings.ingress or []:
        found: dict[str, Any] = {}
        if source.namespace:
            found.update(namespace_peer(source.namespace))
        if source.podLabels:
            found["podSelector"] = {"matchLabels": dict(sorted(source.podLabels.items()))}
        if source.cidr:
            found = {"ipBlock": {"cidr": source.cidr}}
        rules.append({"from": [found], "ports": _tcp(HTTP_PORT)})
    test_pod = {
        "podSelector": {
            "matchLabels": {"app.kubernetes.io/name": chart, "app.kubernetes.io/component": "test"}
        }
    }
    rules.append({"from": [test_pod], "ports": _tcp(HTTP_PORT)})
    return _unique(rules)


def _unique(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for rule in rules:
        seen.setdefault(repr(rule), rule)
    return list(seen.values())


def api_server_egress() -> dict[str, Any]:
    return {"ports": _tcp(*KUBERNETES_API_PORTS)}


def broker_egress(namespace: str) -> dict[str, Any]:
    return {"to": [namespace_peer(namespace)], "ports": _tcp(*BROKER_PORTS)}


def admits_callers(settings: NetworkPolicySettings, event_namespaces: set[str]) -> bool:
    """Whether anything but the event delivery may call the runtime over HTTP."""
    namespaces = set(settings.allowIngressFromNamespaces or [])
    return bool(settings.ingress) or bool(namespaces - event_namespaces)
