"""deploy's preflight against a scripted kubectl: a missing namespace (or one created with the
Pod Security labels), a kind the cluster does not serve, an identity that may not manage a
kind, and init's example placeholders, each one line naming the chart."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chartgen.deploy.preflight import Need, preflight
from chartgen.plan.kinds import DEPLOYER_VERBS, RESTRICTED_NAMESPACE_LABELS
from chartgen.tools.runner import Completed
from testing.repo import REPO

SERVED = "configmaps\nsecrets\nserviceaccounts\nservices\ndeployments.apps\nroles.rbac.authorization.k8s.io\n"
ALL_RULES: list[dict[str, Any]] = [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]


@dataclass
class Cluster:
    namespaces: set[str] = field(default_factory=lambda: {"prod"})
    served: str = SERVED
    rules: list[dict[str, Any]] = field(default_factory=lambda: list(ALL_RULES))
    created: list[dict[str, object]] = field(default_factory=list)

    def run(self, args: Sequence[str | Path], input_text: str | None = None, check: bool = True) -> Completed:
        argv = [str(a) for a in args]
        if argv[:2] == ["get", "namespace"]:
            found = argv[2] in self.namespaces
            err = "" if found else f'Error from server (NotFound): namespaces "{argv[2]}" not found'
            return Completed(tuple(argv), 0 if found else 1, "", err)
        if argv[0] == "api-resources":
            return Completed(tuple(argv), 0, self.served, "")
        if argv[:3] == ["create", "-f", "-"]:
            document = json.loads(input_text or "{}")
            if document["kind"] == "Namespace":
                self.created.append(document)
                self.namespaces.add(document["metadata"]["name"])
                return Completed(tuple(argv), 0, "", "")
            answers = [{**review, "status": {"allowed": self.allows(review["spec"]["resourceAttributes"])}}
                       for review in document["items"]]  # fmt: skip
            return Completed(tuple(argv), 0, json.dumps({"kind": "List", "items": answers}), "")
        raise AssertionError(argv)

    def allows(self, asked: dict[str, str]) -> bool:
        """RBAC's answer from the rules (what the API server's authorizer says)."""
        return any(
            {"*", asked["verb"]} & set(rule["verbs"])
            and {"*", asked["group"]} & set(rule["apiGroups"])
            and {"*", asked["resource"]} & set(rule["resources"])
            for rule in self.rules
        )


KINDS = {"": ["configmaps", "serviceaccounts", "services"], "apps": ["deployments"]}


def need(namespace: str = "prod", kinds: dict[str, list[str]] | None = None, **values: Any) -> Need:
    return Need("orders", namespace, KINDS if kinds is None else kinds, dict(values), production=True)


def test_a_ready_environment_passes() -> None:
    assert preflight(Cluster(), [need(image={"repository": "registry.acme.internal/orders"})], False) == {}


def test_a_missing_namespace_is_refused_or_created_with_pod_security_labels() -> None:
    refused = preflight(Cluster(), [need("staging")], False)
    assert refused == {
        "orders": [
            "namespace staging does not exist: create it with the Pod Security labels the charts need "
            "(restricted), or deploy with --create-namespace"
        ]
    }
    cluster = Cluster()
    assert preflight(cluster, [need("staging")], True) == {}
    assert cluster.created == [
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {"name": "staging", "labels": RESTRICTED_NAMESPACE_LABELS}}
    ]  # fmt: skip


def test_a_kind_the_cluster_does_not_serve_names_its_operator() -> None:
    kinds = {**KINDS, "eventing.knative.dev": ["triggers"]}
    assert preflight(Cluster(), [need(kinds=kinds)], False) == {
        "orders": ["Trigger (eventing.knative.dev) is not installed in the cluster: install the Knative "
                   "Eventing (its CRDs) first"]
    }  # fmt: skip


def test_an_identity_that_may_not_manage_a_kind() -> None:
    rules: list[dict[str, Any]] = [
        {"verbs": list(DEPLOYER_VERBS), "apiGroups": [""], "resources": ["configmaps", "secrets", "services",
                                                                          "serviceaccounts"]},
        {"verbs": ["get", "list", "watch"], "apiGroups": ["apps"], "resources": ["deployments"]},
    ]  # fmt: skip
    assert preflight(Cluster(rules=rules), [need()], False) == {
        "orders": ["this identity may not create, update, patch, delete deployments.apps in prod "
                   "(kubectl auth can-i): grant it the chart's deployer Role, or install once as an admin"]
    }  # fmt: skip


def test_example_placeholders_in_production_values() -> None:
    values: dict[str, Any] = {"image": {"repository": "registry.example.com/acme/orders"},
              "vault": {"address": "https://vault.example.com:8200"}}  # fmt: skip
    assert preflight(Cluster(), [need(**values)], False) == {
        "orders": [
            "values image.repository is the example placeholder 'registry.example.com/acme/orders': set "
            "the real one in the profile",
            "values vault.address is the example placeholder 'https://vault.example.com:8200': set the "
            "real one in the profile",
        ]
    }
    assert preflight(Cluster(), [need(host="db.example.community")], False) == {}


def test_the_deployer_role_grants_the_verbs_preflight_asks_for() -> None:
    """One list: role-deployer.yaml writes DEPLOYER_VERBS."""
    template = (REPO / "chartgen/templates/rbac/templates/role-deployer.yaml").read_text()
    assert f"verbs: [{', '.join(DEPLOYER_VERBS)}]" in template
