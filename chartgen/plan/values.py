"""Chart values: built-in defaults, a profile's settings, and how they split into files.

`values.yaml` holds the defaults plus every value all production environments share;
`values-<env>.yaml` holds only what differs, so `values.yaml` + `values-<env>.yaml`
(merged the way Helm merges) is exactly that environment's values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from chartgen.profile.loader import clone
from chartgen.profile.model import Profile

DEVMODE_IMAGE = "docker.io/apache/incubator-kie-sonataflow-devmode:10.0.0"
TEST_IMAGE = "docker.io/library/busybox:1.37.0"
RUNTIME_UID = 10001

_PROBES_PRODUCTION = {
    "startup": {"path": "/q/health/started", "periodSeconds": 5, "timeoutSeconds": 3, "failureThreshold": 60},
    "liveness": {"path": "/q/health/live", "periodSeconds": 10, "timeoutSeconds": 3, "failureThreshold": 3},
    "readiness": {"path": "/q/health/ready", "periodSeconds": 10, "timeoutSeconds": 3, "failureThreshold": 3},
}
# Devmode compiles every workflow when it starts: allow it minutes, not seconds.
_PROBES_DEV = {
    "startup": {
        "path": "/q/health/started",
        "periodSeconds": 10,
        "timeoutSeconds": 5,
        "failureThreshold": 90,
    },
    "liveness": {"path": "/q/health/live", "periodSeconds": 20, "timeoutSeconds": 5, "failureThreshold": 6},
    "readiness": {"path": "/q/health/ready", "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 6},
}


def _defaults(part_of: str, kind_specific: dict[str, Any]) -> dict[str, Any]:
    """Every value a chart has, in the order a reader of values.yaml wants them."""
    values: dict[str, Any] = {"image": kind_specific.pop("image"), "imagePullSecrets": []}
    values.update(kind_specific)
    values.update(
        {
            "service": {"type": "ClusterIP", "port": 80},
            "serviceAccount": {"create": True, "name": "", "annotations": {}},
            "properties": {},
            "env": {},
            "podAnnotations": {},
            "podLabels": {},
            "nodeSelector": {},
            "tolerations": [],
            "affinity": {},
            "test": {"enabled": True, "image": TEST_IMAGE},
            "partOf": part_of,
            "nameOverride": "",
            "fullnameOverride": "",
        }
    )
    return values


def production_defaults(part_of: str) -> dict[str, Any]:
    """Production values before any profile; `{...}` placeholders are filled per environment."""
    return _defaults(
        part_of,
        {
            "image": {
                "repository": "{workflow}",
                "tag": "{version}",
                "digest": "",
                "pullPolicy": "IfNotPresent",
            },
            "runtime": "kubernetes",
            "replicaCount": 2,
            "autoscaling": {
                "enabled": True,
                "minReplicas": 2,
                "maxReplicas": 6,
                "targetCPUUtilizationPercentage": 75,
            },
            "podDisruptionBudget": {"enabled": True},
            "topologySpread": {"enabled": True, "maxSkew": 1, "whenUnsatisfiable": "ScheduleAnyway"},
            "resources": {
                "requests": {"cpu": "250m", "memory": "512Mi", "ephemeral-storage": "256Mi"},
                "limits": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"},
            },
            "securityContext": {"runAsUser": RUNTIME_UID, "runAsGroup": RUNTIME_UID, "fsGroup": RUNTIME_UID},
            "probes": clone(_PROBES_PRODUCTION),
            "persistence": {
                "enabled": False,
                "postgresql": {
                    "host": "",
                    "port": 5432,
                    "database": "",
                    "schema": "{schema}",
                    "credentials": "db",
                },
            },
            "eventing": {
                "broker": "default",
                "brokerNamespace": "knative-eventing",
                "retries": 5,
                "backoffPolicy": "exponential",
                "backoffDelay": "PT1S",
                "deadLetterSink": "",
            },
            "secrets": {
                "provider": "vso",
                "secretName": "",
                "existingSecret": "",
                "env": {},
                "refreshAfter": "1h",
                "vault": {
                    "address": "",
                    "kvMount": "kv",
                    "path": "workflows/{env}/{workflow}",
                    "authMount": "kubernetes",
                    "role": "{workflow}-{env}",
                },
            },
            "kubernetesApi": {"rules": []},
            "rbac": {"create": True, "deployers": [], "viewers": []},
            "networkPolicy": {"enabled": True, "allowIngressFromNamespaces": [], "egress": []},
            "sonataflow": {"operatorVersion": "", "scaleSubresource": False},
        },
    )


def dev_defaults(part_of: str) -> dict[str, Any]:
    repository, tag = split_image(DEVMODE_IMAGE)
    return _defaults(
        part_of,
        {
            "image": {"repository": repository, "tag": tag, "pullPolicy": "IfNotPresent"},
            "resources": {
                "requests": {"cpu": "500m", "memory": "1Gi", "ephemeral-storage": "1Gi"},
                "limits": {"cpu": "2", "memory": "3Gi", "ephemeral-storage": "4Gi"},
            },
            "probes": clone(_PROBES_DEV),
            "secrets": {"secretName": ""},
        },
    )


def split_image(ref: str) -> tuple[str, str]:
    """`repo/name:tag` -> (repo/name, tag); a digest (`@sha256:..`) stays in the tag part."""
    if "@" in ref:
        repository, digest = ref.split("@", 1)
        return repository, "@" + digest
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :]
    return ref, ""


def profile_values(profile: Profile) -> dict[str, Any]:
    """The chart values a profile sets (before defaults), for keys both chart kinds share."""
    out: dict[str, Any] = {}
    if profile.get("resources"):
        out["resources"] = clone(profile.get("resources"))
    if profile.get("imagePullSecrets"):
        out["imagePullSecrets"] = [{"name": n} for n in profile.get("imagePullSecrets")]
    for key in ("service", "properties", "env", "podAnnotations", "podLabels", "nodeSelector"):
        if profile.get(key):
            out[key] = clone(profile.get(key))
    if "properties" in out:
        out["properties"] = {k: _property_text(v) for k, v in out["properties"].items()}
    return out


def _property_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


PLACEHOLDER = re.compile(r"\{(workflow|version|env|git_sha|schema)\}")


def fill_placeholders(text: str, known: dict[str, str], git_sha: Callable[[], str]) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        return git_sha() if name == "git_sha" else known[name]

    return PLACEHOLDER.sub(one, text)


def common_values(all_values: list[dict[str, Any]]) -> dict[str, Any]:
    """Entries equal in every dict (recursively for maps)."""
    first, rest = all_values[0], all_values[1:]
    common: dict[str, Any] = {}
    for key, value in first.items():
        others = [v.get(key, _MISSING) for v in rest]
        if any(o is _MISSING for o in others):
            continue
        if isinstance(value, dict) and all(isinstance(o, dict) for o in others):
            sub = common_values([value, *others])
            if sub or not value:
                common[key] = sub
        elif all(o == value for o in others):
            common[key] = clone(value)
    return common


def values_diff(full: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """What `full` sets differently from `base` (Helm merges maps, replaces the rest)."""
    diff: dict[str, Any] = {}
    for key, value in full.items():
        if key not in base:
            diff[key] = clone(value)
        elif isinstance(value, dict) and isinstance(base[key], dict):
            sub = values_diff(value, base[key])
            if sub:
                diff[key] = sub
        elif value != base[key]:
            diff[key] = clone(value)
    return diff


_MISSING = object()
