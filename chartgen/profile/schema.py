"""The profile format (DESIGN.md §3) as a JSON Schema: shape only, checked per file.

Requirements that depend on the merged result (a `namespace` when `mode` is set) are
checked after `extends` is resolved.
"""

from __future__ import annotations

from typing import Any

NAME = {
    "type": "string",
    "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
    "maxLength": 63,
    "x-expected": "a DNS-1123 label (lowercase letters, digits, '-')",
}
QUANTITY = {
    "type": ["string", "integer", "number"],
    "pattern": r"^[0-9.]+([eE][0-9]+|[a-zA-Z]{1,2})?$",
    "x-expected": "a Kubernetes quantity such as 250m, 1, 512Mi",
}
DURATION = {
    "type": "string",
    "pattern": r"^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$",
    "x-expected": "an ISO-8601 duration such as PT1S",
}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
SUBJECT = {
    "type": "string",
    "pattern": r"^(group|user|serviceaccount):\S+$",
    "x-expected": "group:<name>, user:<name> or serviceaccount:<namespace>:<name>",
}


def _obj(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False, **extra}


SECRET_KEY = {
    "type": "string",
    "pattern": r"^[-._a-zA-Z0-9]+$",
    "x-expected": "a Secret key ([-._a-zA-Z0-9])",
}
STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
API_GROUPS = {"type": "array", "items": {"type": "string"}, "minItems": 1}  # "" is the core group
POLICY_RULE = _obj(
    {"apiGroups": API_GROUPS, "resources": STRINGS, "verbs": STRINGS, "resourceNames": STRINGS},
    required=["apiGroups", "resources", "verbs"],
)
EGRESS = _obj(
    {
        "namespace": NAME,
        "cidr": {
            "type": "string",
            "pattern": r"^[0-9a-fA-F.:]+/\d+$",
            "x-expected": "a CIDR such as 10.0.0.0/8",
        },
        "ports": {
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": 65535},
            "minItems": 1,
        },
    },
    required=["ports"],
)


RESOURCE_LIST = _obj({"cpu": QUANTITY, "memory": QUANTITY, "ephemeral-storage": QUANTITY})

PROFILE_SCHEMA: dict[str, Any] = _obj(
    {
        "extends": {"type": "string"},
        "mode": {"enum": ["production", "dev"]},
        "namespace": NAME,
        "runtime": {"enum": ["kubernetes", "sonataflow"]},
        "operatorVersion": {"type": "string"},
        "kubernetesVersion": {"type": "string", "pattern": r"^1\.\d+$", "x-expected": 'like "1.34"'},
        "image": _obj(
            {
                "repository": {"type": "string", "minLength": 1},
                "tag": {"type": "string", "minLength": 1},
                "digest": {
                    "type": "string",
                    "pattern": r"^sha256:[a-f0-9]{64}$",
                    "x-expected": "sha256:<64 hex digits>",
                },
                "pullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]},
            }
        ),
        "imagePullSecrets": {"type": "array", "items": NAME},
        "devmode": _obj(
            {
                "image": {"type": "string", "minLength": 1},
                "pullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]},
            }
        ),
        "scaling": _obj(
            {
                "enabled": {"type": "boolean"},
                "minReplicas": {"type": "integer", "minimum": 1},
                "maxReplicas": {"type": "integer", "minimum": 1},
                "targetCPUUtilizationPercentage": {"type": "integer", "minimum": 1, "maximum": 100},
            }
        ),
        "resources": _obj({"requests": RESOURCE_LIST, "limits": RESOURCE_LIST}),
        "persistence": _obj(
            {
                "enabled": {"type": "boolean"},
                "postgresql": _obj(
                    {
                        "host": {"type": "string", "minLength": 1},
                        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                        "database": {"type": "string", "minLength": 1},
                        "credentials": {
                            "type": "string",
                            "pattern": r"^[A-Za-z0-9][-._A-Za-z0-9]*$",
                            "x-expected": "a key prefix such as db (keys db_username, db_password)",
                        },
                        "schema": {
                            "type": "string",
                            "pattern": r"^[a-z_][a-z0-9_]*$",
                            "x-expected": "a PostgreSQL schema name (lowercase, digits, _)",
                        },
                    }
                ),
            }
        ),
        "eventing": _obj(
            {
                "enabled": {"type": "boolean"},
                "broker": {"type": "string", "minLength": 1},
                "brokerNamespace": NAME,
                "retries": {"type": "integer", "minimum": 0},
                "backoffDelay": DURATION,
                "backoffPolicy": {"enum": ["exponential", "linear"]},
                "deadLetterSink": {"type": "string", "minLength": 1},
            }
        ),
        "secrets": _obj(
            {
                "provider": {"enum": ["vso", "eso", "injector", "existing"]},
                "existingSecret": NAME,
                "env": {
                    "type": "object",
                    "description": "environment variables (${VAR} in properties) filled from secret keys",
                    "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
                    "additionalProperties": SECRET_KEY,
                },
                "vault": _obj(
                    {
                        "address": {
                            "type": "string",
                            "pattern": r"^https?://",
                            "x-expected": "an http(s) URL",
                        },
                        "kvMount": {"type": "string", "minLength": 1},
                        "path": {"type": "string", "minLength": 1},
                        "authMount": {"type": "string", "minLength": 1},
                        "role": {"type": "string", "minLength": 1},
                    }
                ),
            }
        ),
        "rbac": _obj(
            {
                "deployers": {"type": "array", "items": SUBJECT},
                "viewers": {"type": "array", "items": SUBJECT},
                "kubernetesApi": {
                    "type": "object",
                    "description": "per chart: the Kubernetes API rules its runtime may use",
                    "additionalProperties": {"type": "array", "items": POLICY_RULE},
                },
            }
        ),
        "networkPolicy": _obj(
            {
                "enabled": {"type": "boolean"},
                "allowIngressFromNamespaces": {"type": "array", "items": NAME},
                "egress": {"type": "array", "items": EGRESS},
            }
        ),
        "service": _obj(
            {
                "type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            }
        ),
        "properties": {
            "type": "object",
            "propertyNames": {"pattern": r"^[^\s=:#!]+$"},
            "additionalProperties": {"type": ["string", "integer", "number", "boolean"]},
        },
        "env": {
            "type": "object",
            "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
            "additionalProperties": {"type": "string"},
        },
        "podAnnotations": STRING_MAP,
        "podLabels": STRING_MAP,
        "nodeSelector": STRING_MAP,
    }
)

# Fields that may hold {placeholders}, and which placeholders each accepts.
PLACEHOLDER_FIELDS: dict[tuple[str, ...], frozenset[str]] = {
    ("image", "repository"): frozenset({"workflow", "version", "env", "git_sha"}),
    ("image", "tag"): frozenset({"workflow", "version", "env", "git_sha"}),
    ("secrets", "vault", "path"): frozenset({"workflow", "env"}),
    ("secrets", "vault", "role"): frozenset({"workflow", "env"}),
}
