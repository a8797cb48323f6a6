"""The kinds a chart creates in one environment, as RBAC (API group -> resources).

The deployer Role may manage exactly these and the viewer Role read them; `chartgen test`
checks that uninstall leaves none of them behind. Decided here, from the same facts the
templates render, so the three never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from chartgen.plan.model import EnvironmentData

RBAC_GROUP = "rbac.authorization.k8s.io"
# What the deployer Role grants on each kind (role-deployer.yaml writes this list; a test holds
# it to it), and so what deploy's preflight asks of the deploying identity.
DEPLOYER_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete")
# The Pod Security level every chart's pods meet: namespaces made for the charts enforce it.
RESTRICTED_NAMESPACE_LABELS = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
}


@dataclass(frozen=True)
class CustomKind:
    group: str
    version: str  # the one the templates write (a test holds them to it)
    kind: str
    plural: str
    operator: str  # what serves it in a cluster


# The custom resources chartgen's charts can contain: RBAC, the README's prerequisites and
# `chartgen test`'s stub CRDs all read this table.
VSO, ESO, KNATIVE = "Vault Secrets Operator", "External Secrets Operator", "Knative Eventing"
CUSTOM_KINDS = (
    CustomKind("secrets.hashicorp.com", "v1beta1", "VaultConnection", "vaultconnections", VSO),
    CustomKind("secrets.hashicorp.com", "v1beta1", "VaultAuth", "vaultauths", VSO),
    CustomKind("secrets.hashicorp.com", "v1beta1", "VaultStaticSecret", "vaultstaticsecrets", VSO),
    CustomKind("external-secrets.io", "v1", "SecretStore", "secretstores", ESO),
    CustomKind("external-secrets.io", "v1", "ExternalSecret", "externalsecrets", ESO),
    CustomKind("eventing.knative.dev", "v1", "Trigger", "triggers", KNATIVE),
    CustomKind("sources.knative.dev", "v1", "SinkBinding", "sinkbindings", KNATIVE),
    CustomKind("sonataflow.org", "v1alpha08", "SonataFlow", "sonataflows", "SonataFlow operator"),
)


def plurals(group: str) -> list[str]:
    return [k.plural for k in CUSTOM_KINDS if k.group == group]


def production_kinds(env: EnvironmentData, consumes: bool, sends: bool) -> dict[str, list[str]]:
    """`consumes`: Triggers; `sends`: events go to the broker (produced ones, or instance events
    for the Data Index), so a SinkBinding."""
    kubernetes = env.runtime == "kubernetes"
    core = ["configmaps", "pods", "serviceaccounts"] + (["services"] if kubernetes else [])
    groups: dict[str, list[str]] = {"": core, RBAC_GROUP: ["roles", "rolebindings"]}
    if kubernetes:
        groups["apps"] = ["deployments"]
    if env.hpa:
        groups["autoscaling"] = ["horizontalpodautoscalers"]
    if env.pdb:
        groups["policy"] = ["poddisruptionbudgets"]
    if env.networkPolicy is not None:
        groups["networking.k8s.io"] = ["networkpolicies"]
    groups.update(secret_kinds(env))
    if consumes:
        groups["eventing.knative.dev"] = plurals("eventing.knative.dev")
    if sends and kubernetes:
        groups["sources.knative.dev"] = plurals("sources.knative.dev")
    if not kubernetes:
        groups["sonataflow.org"] = plurals("sonataflow.org")
    return dict(sorted(groups.items()))


def platform_kinds(env: EnvironmentData) -> dict[str, list[str]]:
    """What a platform chart creates: its services' workloads, its deployer and viewer Roles,
    the Secret's objects, and the Triggers and SinkBinding when events travel through the broker."""
    services = env.services or []
    groups: dict[str, list[str]] = {
        "": ["configmaps", "serviceaccounts", "services"],
        "apps": ["deployments"],
        RBAC_GROUP: ["roles", "rolebindings"],  # its deployer and viewer Roles
    }
    if any(s.hpa for s in services):
        groups["autoscaling"] = ["horizontalpodautoscalers"]
    if any(s.pdb for s in services):
        groups["policy"] = ["poddisruptionbudgets"]
    if any(s.networkPolicy is not None for s in services):
        groups["networking.k8s.io"] = ["networkpolicies"]
    if any(s.triggers for s in services):
        groups["eventing.knative.dev"] = plurals("eventing.knative.dev")
    if any(s.sendsToBroker for s in services):
        groups["sources.knative.dev"] = plurals("sources.knative.dev")
    groups.update(secret_kinds(env))
    return dict(sorted(groups.items()))


def secret_kinds(env: EnvironmentData) -> dict[str, list[str]]:
    """The objects that fetch the chart's Secret from Vault (VSO's or ESO's), when it has one."""
    groups = {"vso": "secrets.hashicorp.com", "eso": "external-secrets.io"}
    group = groups.get(env.provider or "") if env.secretKeys else None
    return {group: plurals(group)} if group else {}


def wait_reads(env: EnvironmentData) -> dict[str, list[str]]:
    """Helm 4's --wait judges a Deployment's rollout from its ReplicaSets: without reading
    them the deployer's upgrade waits on status Unknown until its timeout."""
    return {"apps": ["replicasets"]} if env.runtime == "kubernetes" else {}


def dev_kinds() -> dict[str, list[str]]:
    return {"": ["configmaps", "pods", "serviceaccounts", "services"], "apps": ["deployments"]}
