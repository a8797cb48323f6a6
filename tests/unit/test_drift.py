"""Drift on live objects as the API server returns them: defaults are not drift, hand edits
are (changed, missing, added by another field manager), Secret values are never shown, and
what was added comes with the JSON patch that removes it."""

from __future__ import annotations

import copy
import json
from typing import Any

from chartgen.deploy.drift import object_drift, removals

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "orders", "labels": {"app.kubernetes.io/instance": "orders"}},
    "spec": {
        "selector": {"matchLabels": {"app": "orders"}},
        "template": {
            "metadata": {"labels": {"app": "orders"}},
            "spec": {
                "containers": [
                    {
                        "name": "workflow",
                        "image": "registry.acme.internal/orders@sha256:" + "a" * 64,
                        "env": [{"name": "MODE", "value": "prod"}],
                        "resources": {"limits": {"cpu": "1000m", "memory": "1Gi"}},
                        "securityContext": {"allowPrivilegeEscalation": False},
                    }
                ],
                "volumes": [{"name": "tmp", "emptyDir": {}}],
            },
        },
    },
}
POLICY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "orders"},
    "spec": {"podSelector": {"matchLabels": {"app": "orders"}}, "policyTypes": ["Ingress"]},
}
SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "orders"}, "data": {"token": "c2VjcmV0"}}


def as_served(obj: dict[str, Any], **managers: dict[str, Any]) -> dict[str, Any]:
    """What the API server returns: the object with defaults, and managedFields."""
    live = copy.deepcopy(obj)
    live["metadata"]["uid"] = "u-1"
    live["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "3"}
    live["status"] = {"replicas": 2}
    if live["kind"] == "Deployment":
        live["spec"]["replicas"] = 1
        pod = live["spec"]["template"]["spec"]
        pod["restartPolicy"] = "Always"
        pod["containers"][0]["resources"]["limits"]["cpu"] = "1"  # the server's canonical form
        pod["containers"][0]["terminationMessagePath"] = "/dev/termination-log"
    fields = [{"manager": "helm", "operation": "Apply", "fieldsV1": {"f:spec": {}}}]
    fields += [{"manager": m, "operation": "Update", "fieldsV1": f} for m, f in managers.items()]
    fields.append({"manager": "kube-controller-manager", "operation": "Update", "subresource": "status",
                   "fieldsV1": {"f:status": {"f:replicas": {}}}})  # fmt: skip
    live["metadata"]["managedFields"] = fields
    return live


def test_defaults_and_canonical_forms_are_not_drift() -> None:
    chart = [DEPLOYMENT, POLICY, SECRET]
    assert object_drift(chart, [as_served(o) for o in chart]) == []


def test_a_changed_image_and_a_deleted_policy_are_named() -> None:
    live = as_served(DEPLOYMENT)
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "evil.example.com/x:1"
    lines = [d.line() for d in object_drift([DEPLOYMENT, POLICY], [live])]
    assert lines == [
        "Deployment/orders spec.template.spec.containers[workflow].image: evil.example.com/x:1 "
        f"(chart: registry.acme.internal/orders@sha256:{'a' * 64})",
        "NetworkPolicy/orders: missing (the chart has it)",
    ]


def test_fields_someone_added_are_drift_with_the_patch_that_removes_them() -> None:
    added: dict[str, Any] = {
        "f:spec": {
            "f:template": {
                "f:spec": {
                    "f:hostNetwork": {},
                    "f:containers": {
                        'k:{"name":"workflow"}': {
                            "f:env": {'k:{"name":"DEBUG"}': {".": {}, "f:name": {}, "f:value": {}}}
                        }
                    },
                }
            }
        }
    }
    live = as_served(DEPLOYMENT, **{"kubectl-edit": added})
    pod = live["spec"]["template"]["spec"]
    pod["hostNetwork"] = True
    pod["containers"][0]["env"].insert(0, {"name": "DEBUG", "value": "1"})
    drifts = object_drift([DEPLOYMENT], [live])
    assert [d.line() for d in drifts] == [
        "Deployment/orders spec.template.spec.hostNetwork: set by kubectl-edit (not in the chart)",
        "Deployment/orders spec.template.spec.containers[workflow].env[DEBUG]: set by kubectl-edit "
        "(not in the chart)",
    ]
    assert removals(drifts) == {
        "Deployment.v1.apps/orders": [
            {"op": "test", "path": "/spec/template/spec/hostNetwork", "value": True},
            {"op": "remove", "path": "/spec/template/spec/hostNetwork"},
            {
                "op": "test",
                "path": "/spec/template/spec/containers/0/env/0",
                "value": {"name": "DEBUG", "value": "1"},
            },
            {"op": "remove", "path": "/spec/template/spec/containers/0/env/0"},
        ]
    }


def test_a_widened_role_and_an_hpa_owned_replica_count() -> None:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "orders-runtime"},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}],
    }
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "orders"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "orders"}, "maxReplicas": 4},
    }
    scaled = copy.deepcopy(DEPLOYMENT)
    scaled["spec"]["replicas"] = 2
    live_role = as_served(role)
    live_role["rules"].append({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]})
    live = as_served(scaled)
    live["spec"]["replicas"] = 4  # the HPA's doing
    lines = [d.line() for d in object_drift([role, hpa, scaled], [live_role, as_served(hpa), live])]
    assert lines == ["Role/orders-runtime rules: 2 items (chart: 1 items)"]


def test_secret_values_are_never_shown() -> None:
    live = as_served(SECRET, **{"kubectl-edit": {"f:data": {"f:extra": {}}}})
    live["data"] = {"token": "b3RoZXI=", "extra": "c2VjcmV0MQ=="}
    drifts = object_drift([SECRET], [live])
    text = json.dumps([d.shown() for d in drifts]) + repr(drifts) + json.dumps(removals(drifts))
    assert [d.field for d in drifts] == ["data.token", "data.extra"]
    assert "b3RoZXI" not in text and "c2VjcmV0" not in text and "(hidden)" in text


def test_a_restart_stamp_is_not_drift() -> None:
    stamp = "kubectl.kubernetes.io/restartedAt"
    restart: dict[str, Any] = {
        "f:spec": {"f:template": {"f:metadata": {"f:annotations": {f"f:{stamp}": {}}}}}
    }
    live = as_served(DEPLOYMENT, **{"kubectl-rollout": restart})
    live["spec"]["template"]["metadata"]["annotations"] = {stamp: "2026-12-07T06:00:00Z"}
    assert object_drift([DEPLOYMENT], [live]) == []
