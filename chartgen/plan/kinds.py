"""The kinds a chart creates in one environment, as RBAC (API group -> resources).

The deployer Role may manage exactly these and the viewer Role read them; `chartgen test`
checks that uninstall leaves none of them behind. Decided here, from the same facts the
templates render, so the three never disagree.
"""

from __future__ import annotations

from chartgen.plan.model import EnvironmentData

RBAC_GROUP = "rbac.authorization.k8s.io"


def production_kinds(env: EnvironmentData, consumes: bool, produces: bool) -> dict[str, list[str]]:
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
    if env.secretKeys and env.provider == "vso":
        groups["secrets.hashicorp.com"] = ["vaultconnections", "vaultauths", "vaultstaticsecrets"]
    if env.secretKeys and env.provider == "eso":
        groups["external-secrets.io"] = ["secretstores", "externalsecrets"]
    if consumes:
        groups["eventing.knative.dev"] = ["triggers"]
    if produces and kubernetes:
        groups["sources.knative.dev"] = ["sinkbindings"]
    if not kubernetes:
        groups["sonataflow.org"] = ["sonataflows"]
    return dict(sorted(groups.items()))


def wait_reads(env: EnvironmentData) -> dict[str, list[str]]:
    """Helm 4's --wait judges a Deployment's rollout from its ReplicaSets: without reading
    them the deployer's upgrade waits on status Unknown until its timeout."""
    return {"apps": ["replicasets"]} if env.runtime == "kubernetes" else {}


def dev_kinds() -> dict[str, list[str]]:
    return {"": ["configmaps", "pods", "serviceaccounts", "services"], "apps": ["deployments"]}
