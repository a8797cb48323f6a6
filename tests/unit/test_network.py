"""The NetworkPolicy chartgen plans: egress to what the workflows call, callers the profile names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chartgen.plan.network import peer
from testing.trees import GREETING
from tests.unit.test_production_plan import env_of, generate, profile

OPENAPI = """
    openapi: 3.0.3
    info: {title: billing, version: "1"}
    servers:
      - url: https://billing.example.com/api
    paths:
      /invoices:
        post:
          operationId: createInvoice
          responses:
            "201": {description: created}
"""
CALLER = GREETING.replace(
    """      - name: log
        type: custom
        operation: sysout
""",
    """      - name: log
        type: custom
        operation: sysout
      - name: createInvoice
        type: rest
        operation: specs/billing.yaml#createInvoice
""",
)


def egress(root: Path, env: str = "prod") -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = env_of(root, env)["networkPolicy"]["egress"]
    return rules[1:]  # after DNS


def namespace_rule(namespace: str, port: int) -> dict[str, Any]:
    return {
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}],
        "ports": [{"port": port, "protocol": "TCP"}],
    }


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (
            "billing.payments.svc",
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "payments"}}},
        ),
        (
            "billing.payments.svc.cluster.local",
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "payments"}}},
        ),
        ("billing", {"podSelector": {}}),
        ("10.1.2.3", {"ipBlock": {"cidr": "10.1.2.3/32"}}),
        ("fd00::1", {"ipBlock": {"cidr": "fd00::1/128"}}),
        ("localhost", "local"),
        ("127.0.0.1", "local"),
        ("api.stripe.com", None),
        ("billing.payments", None),
    ],
)
def test_a_host_becomes_the_peer_a_policy_can_name(host: str, expected: object) -> None:
    assert peer(host) == expected


def test_rest_client_url_property_opens_egress_to_its_service(tmp_path: Path) -> None:
    props = "quarkus.rest-client.billing_yaml.url=http://billing.payments.svc:8080\n"
    extra = {
        "workflows/greet/greeting.sw.yaml": CALLER,
        "workflows/greet/specs/billing.yaml": OPENAPI,
        "workflows/greet/application.properties": props,
    }
    result = generate(tmp_path, extra)
    assert result.code == 0, result.err
    # The property overrides the spec's server (SonataFlow's rest-client key is the file name).
    assert egress(tmp_path) == [namespace_rule("payments", 8080)]
    assert "billing.example.com" not in result.err


def test_spec_server_outside_the_cluster_is_a_located_warning(tmp_path: Path) -> None:
    extra = {"workflows/greet/greeting.sw.yaml": CALLER, "workflows/greet/specs/billing.yaml": OPENAPI}
    result = generate(tmp_path, extra)
    assert result.code == 0, result.err
    assert egress(tmp_path) == []
    for env in ("prod", "staging"):
        assert (
            f"workflows/greet/specs/billing.yaml:4:10: warning: chart 'greet' in '{env}': server of "
            "workflows/greet/specs/billing.yaml (https://billing.example.com/api) is a host outside the cluster "
            "that a NetworkPolicy cannot name, so calls to billing.example.com:443 are blocked where policies "
            "are enforced; allow its addresses with networkPolicy.egress (cidr, ports)"
        ) in result.err


def test_url_from_a_variable_is_a_located_warning(tmp_path: Path) -> None:
    props = "quarkus.rest-client.crm.url=${CRM_URL}\n"
    prod = profile("env: {CRM_URL: 'http://crm.sales.svc'}\n")
    result = generate(tmp_path, {"workflows/greet/application.properties": props, "profiles/prod.yaml": prod})
    assert result.code == 0, result.err
    assert (
        "workflows/greet/application.properties:1:1: warning: chart 'greet' in 'prod': cannot tell which host "
        "property 'quarkus.rest-client.crm.url' (${CRM_URL}) calls, so no egress is derived for it; "
        "allow it with networkPolicy.egress"
    ) in result.err


def test_an_ip_address_gets_an_address_block(tmp_path: Path) -> None:
    props = "quarkus.rest-client.ledger.url=https://10.20.30.40:8443/v1\n"
    result = generate(tmp_path, {"workflows/greet/application.properties": props})
    assert result.code == 0, result.err
    assert egress(tmp_path) == [
        {"to": [{"ipBlock": {"cidr": "10.20.30.40/32"}}], "ports": [{"port": 8443, "protocol": "TCP"}]}
    ]


def test_injector_reaches_vault_from_the_pod(tmp_path: Path) -> None:
    flow = GREETING.replace("    start: Greet\n", "    start: Greet\n    secrets: [api_key]\n")
    prod = profile("secrets: {provider: injector, vault: {address: 'http://vault.vault.svc:8200'}}\n")
    result = generate(tmp_path, {"workflows/greet/greeting.sw.yaml": flow, "profiles/prod.yaml": prod})
    assert result.code == 0, result.err
    assert egress(tmp_path) == [namespace_rule("vault", 8200)]
    assert egress(tmp_path, "staging") == []  # VSO reads Vault itself: the pod needs no route to it


def test_profile_adds_callers_and_endpoints(tmp_path: Path) -> None:
    prod = profile(
        """
        networkPolicy:
          ingress:
            - {namespace: frontends, podLabels: {app: shop}}
            - {podLabels: {app: batch}}
            - {cidr: 10.0.0.0/8}
          egress:
            - {cidr: 203.0.113.0/24, ports: [443]}
        """
    )
    result = generate(tmp_path, {"profiles/prod.yaml": prod})
    assert result.code == 0, result.err
    ingress = env_of(tmp_path, "prod")["networkPolicy"]["ingress"]
    assert [rule["from"] for rule in ingress] == [
        [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "frontends"}},
                "podSelector": {"matchLabels": {"app": "shop"}},
            }
        ],
        [{"podSelector": {"matchLabels": {"app": "batch"}}}],
        [{"ipBlock": {"cidr": "10.0.0.0/8"}}],
        [
            {
                "podSelector": {
                    "matchLabels": {"app.kubernetes.io/name": "greet", "app.kubernetes.io/component": "test"}
                }
            }
        ],
    ]
    assert egress(tmp_path) == [
        {"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 443, "protocol": "TCP"}]}
    ]


def test_http_started_workflow_without_callers_warns(tmp_path: Path) -> None:
    prod = profile("networkPolicy: {allowIngressFromNamespaces: [knative-eventing], ingress: []}\n")
    result = generate(tmp_path, {"profiles/prod.yaml": prod})
    assert result.code == 0, result.err
    assert (
        "profiles/prod.yaml:4:16: warning: chart 'greet' in 'prod': greeting is started over HTTP, but the "
        "NetworkPolicy admits no callers but event delivery and `helm test`: list the callers in "
        "networkPolicy.ingress (namespace, podLabels or cidr)"
    ) in result.err
    assert "in 'staging': greeting is started over HTTP" not in result.err  # staging names its callers


def test_network_policy_can_be_turned_off(tmp_path: Path) -> None:
    result = generate(tmp_path, {"profiles/prod.yaml": profile("networkPolicy: {enabled: false}\n")})
    assert result.code == 0, result.err
    planned = env_of(tmp_path, "prod")
    assert "networkPolicy" not in planned
    assert "networking.k8s.io" not in planned["kinds"]


def test_injector_is_refused_under_the_sonataflow_runtime(tmp_path: Path) -> None:
    """A SonataFlow resource carries no pod annotations: the agent would never come."""
    flow = GREETING.replace("    start: Greet\n", "    start: Greet\n    secrets: [api_key]\n")
    prod = profile(
        "runtime: sonataflow\noperatorVersion: '1.37'\n"
        "secrets: {provider: injector, vault: {address: 'http://vault.vault.svc:8200'}}\n"
    )
    result = generate(tmp_path, {"workflows/greet/greeting.sw.yaml": flow, "profiles/prod.yaml": prod})
    assert result.code == 1
    assert (
        "the Vault Agent injector needs pod annotations, which a SonataFlow resource cannot carry"
        in result.err
    )
    assert "profiles/prod.yaml:" in result.err
