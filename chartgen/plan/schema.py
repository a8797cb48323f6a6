"""values.schema.json, written from what we know of every value (never inferred)."""

from __future__ import annotations

from typing import Any

STRING = {"type": "string"}
BOOL = {"type": "boolean"}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
QUANTITY = {"type": ["string", "integer", "number"], "pattern": r"^[0-9.]+([eE][0-9]+|[a-zA-Z]{1,2})?$"}
PORT = {"type": "integer", "minimum": 1, "maximum": 65535}
PULL_POLICY = {"enum": ["Always", "IfNotPresent", "Never"]}


def _obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    schema.update(extra)
    return schema


def _int(minimum: int = 0) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum}


RESOURCE_LIST = _obj({"cpu": QUANTITY, "memory": QUANTITY, "ephemeral-storage": QUANTITY})
PROBE = _obj(
    {
        "path": {"type": "string", "pattern": "^/"},
        "periodSeconds": _int(1),
        "timeoutSeconds": _int(1),
        "failureThreshold": _int(1),
    },
    required=["path"],
)


def _common() -> dict[str, Any]:
    return {
        "global": {"type": "object"},
        "nameOverride": {"type": "string", "maxLength": 53},
        "fullnameOverride": {"type": "string", "maxLength": 63},
        "partOf": STRING,
        "imagePullSecrets": {"type": "array", "items": _obj({"name": STRING}, required=["name"])},
        "serviceAccount": _obj({"create": BOOL, "name": STRING, "annotations": STRING_MAP}),
        "service": _obj({"type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]}, "port": PORT}),
        "resources": _obj({"requests": RESOURCE_LIST, "limits": RESOURCE_LIST}),
        "probes": _obj({"startup": PROBE, "liveness": PROBE, "readiness": PROBE}),
        "properties": {
            "type": "object",
            "description": "Extra application.properties entries (never secrets).",
            "propertyNames": {"pattern": r"^[^\s=:#!]+$"},
            "additionalProperties": {"type": "string"},
        },
        "env": {
            "type": "object",
            "description": "Extra environment variables (never secrets).",
            "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
            "additionalProperties": {"type": "string"},
        },
        "podAnnotations": STRING_MAP,
        "podLabels": STRING_MAP,
        "nodeSelector": STRING_MAP,
        "tolerations": {"type": "array", "items": {"type": "object"}},
        "affinity": {"type": "object"},
        "test": _obj({"enabled": BOOL, "image": {"type": "string", "minLength": 1}}),
    }


NAME = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}
SECRET_KEY = {"type": "string", "pattern": r"^[-._a-zA-Z0-9]+$"}
DURATION = {"type": "string", "pattern": r"^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"}
GO_DURATION = {"type": "string", "pattern": r"^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$"}
STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}
SUBJECT = _obj(
    {
        "kind": {"enum": ["Group", "User", "ServiceAccount"]},
        "name": {"type": "string", "minLength": 1},
        "namespace": {"type": "string"},
    },
    required=["kind", "name"],
)
POLICY_RULE = _obj(
    {
        "apiGroups": {"type": "array", "items": {"type": "string", "not": {"const": "*"}}, "minItems": 1},
        "resources": {
            "type": "array",
            "items": {"type": "string", "not": {"enum": ["*", "secrets", "pods/exec", "pods/attach"]}},
            "minItems": 1,
        },
        "verbs": {
            "type": "array",
            "items": {"type": "string", "not": {"enum": ["*", "escalate", "bind", "impersonate"]}},
            "minItems": 1,
        },
        "resourceNames": STRINGS,
    },
    required=["apiGroups", "resources", "verbs"],
)


def _production_only() -> dict[str, Any]:
    """Scaling, isolation, persistence, eventing and credentials (values keys, by topic)."""
    return {
        "runtime": {"enum": ["kubernetes", "sonataflow"]},
        "autoscaling": _obj(
            {
                "enabled": BOOL,
                "minReplicas": _int(2),
                "maxReplicas": _int(2),
                "targetCPUUtilizationPercentage": {"type": "integer", "minimum": 1, "maximum": 100},
            }
        ),
        "podDisruptionBudget": _obj({"enabled": BOOL}),
        "topologySpread": _obj(
            {
                "enabled": BOOL,
                "maxSkew": _int(1),
                "whenUnsatisfiable": {"enum": ["ScheduleAnyway", "DoNotSchedule"]},
            }
        ),
        "persistence": _obj(
            {
                "enabled": BOOL,
                "postgresql": _obj(
                    {
                        "host": STRING,
                        "port": PORT,
                        "database": STRING,
                        "schema": {"type": "string", "pattern": r"^[a-z_][a-z0-9_]*$"},
                        "credentials": {"type": "string", "pattern": r"^[A-Za-z0-9][-._A-Za-z0-9]*$"},
                    }
                ),
            }
        ),
        "eventing": _obj(
            {
                "broker": {"type": "string", "minLength": 1},
                "brokerNamespace": NAME,
                "retries": _int(0),
                "backoffPolicy": {"enum": ["exponential", "linear"]},
                "backoffDelay": DURATION,
                "deadLetterSink": STRING,
            }
        ),
        "secrets": _obj(
            {
                "provider": {"enum": ["vso", "eso", "injector", "existing"]},
                "secretName": {"type": "string"},
                "existingSecret": {"type": "string"},
                "env": {
                    "type": "object",
                    "description": "Environment variables filled from Secret keys (names only).",
                    "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
                    "additionalProperties": SECRET_KEY,
                },
                "refreshAfter": GO_DURATION,
                "vault": _obj(
                    {
                        "address": STRING,
                        "kvMount": {"type": "string", "minLength": 1},
                        "path": {"type": "string", "minLength": 1},
                        "authMount": {"type": "string", "minLength": 1},
                        "role": {"type": "string", "minLength": 1},
                    }
                ),
            },
            description="Where credentials come from. There is no key for a secret value: "
            "values files only ever name Vault paths and Secret keys.",
        ),
        "kubernetesApi": _obj({"rules": {"type": "array", "items": POLICY_RULE}}),
        "rbac": _obj(
            {
                "create": BOOL,
                "deployers": {"type": "array", "items": SUBJECT},
                "viewers": {"type": "array", "items": SUBJECT},
            }
        ),
        "networkPolicy": _obj(
            {
                "enabled": BOOL,
                "allowIngressFromNamespaces": {"type": "array", "items": NAME},
                "egress": {
                    "type": "array",
                    "items": _obj(
                        {
                            "namespace": NAME,
                            "cidr": {"type": "string", "pattern": r"^[0-9a-fA-F.:]+/\d+$"},
                            "ports": {"type": "array", "items": PORT, "minItems": 1},
                        },
                        required=["ports"],
                    ),
                },
            }
        ),
        "sonataflow": _obj({"operatorVersion": STRING, "scaleSubresource": BOOL}),
    }


def production_schema() -> dict[str, Any]:
    props = _common()
    props.update(_production_only())
    props.update(
        {
            "image": _obj(
                {
                    "repository": {"type": "string", "minLength": 1},
                    "tag": {"type": "string", "minLength": 1, "not": {"const": "latest"}},
                    "digest": {"type": "string", "pattern": r"^(sha256:[a-f0-9]{64})?$"},
                    "pullPolicy": PULL_POLICY,
                },
                required=["repository", "tag"],
            ),
            "replicaCount": _int(1),
            "securityContext": _obj(
                {"runAsUser": _int(10000), "runAsGroup": _int(10000), "fsGroup": _int(10000)}
            ),
        }
    )
    return _document("Values of a chartgen production workflow chart", props, ["image", "resources"])


def dev_schema() -> dict[str, Any]:
    props = _common()
    props["image"] = _obj(
        {"repository": {"type": "string", "minLength": 1}, "tag": STRING, "pullPolicy": PULL_POLICY},
        required=["repository"],
    )
    props["secrets"] = _obj(
        {"secretName": {"type": "string", "description": "optional Secret with the workflows' secret keys"}}
    )
    return _document("Values of a chartgen dev-mode chart", props, ["image"])


def _document(title: str, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }
