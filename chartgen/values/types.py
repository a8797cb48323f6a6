"""Value types shared by profiles and chart values: one rule and one description each.

A profile key and the chart value it becomes use the same alias, so both are checked by
the same rule and described in the same words (profile errors, values.schema.json,
values.yaml comments, the chart README).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from chartgen.schema.spec import Rule, value

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_LABEL_MAX = 63
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"

DnsLabel = Annotated[
    str,
    Rule(
        pattern=DNS_LABEL,
        max_length=DNS_LABEL_MAX,
        expected="a DNS-1123 label (lowercase letters, digits, '-')",
    ),
]
DnsSubdomain = Annotated[
    str,
    Rule(
        pattern=DNS_SUBDOMAIN, max_length=253, expected="a DNS-1123 subdomain (lowercase, digits, '-', '.')"
    ),
]


def is_dns_label(text: str) -> bool:
    """DnsLabel's rule, for a name read outside a profile (a generated chart's namespace)."""
    return len(text) <= DNS_LABEL_MAX and re.fullmatch(DNS_LABEL, text) is not None


Quantity = Annotated[
    str | int | float,
    Rule(
        pattern=r"^[0-9.]+([eE][0-9]+|[a-zA-Z]{1,2})?$",
        expected="a Kubernetes quantity such as 250m, 1, 512Mi",
    ),
]
IsoDuration = Annotated[
    str,
    Rule(
        pattern=r"^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$",
        expected="an ISO-8601 duration such as PT1S",
    ),
]
GoDuration = Annotated[
    str, Rule(pattern=r"^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$", expected="a duration such as 30s or 1h")
]
Port = Annotated[int, Rule(minimum=1, maximum=65535)]
HttpUrl = Annotated[
    str,
    Rule(
        pattern=r"^https?://[-A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%]+$",
        max_length=2048,
        expected="an http(s) URL",
    ),
]
# Vault mounts and paths: segments joined by single '/' or '.' (no '..', no '//', no spaces).
_VAULT_PATH = r"^[A-Za-z0-9_-]+([./][A-Za-z0-9_-]+)*$"
VaultMount = Annotated[str, Rule(pattern=_VAULT_PATH, max_length=128, expected="a mount path such as kv")]
VaultPath = Annotated[
    str, Rule(pattern=_VAULT_PATH, max_length=512, expected="a secret path such as workflows/prod/app")
]
VaultRole = Annotated[
    str, Rule(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$", max_length=128, expected="a role name")
]
# A token audience (the `aud` claim): one line of visible characters, no spaces or commas.
VaultAudience = Annotated[
    str, Rule(pattern=r"^[A-Za-z0-9._:/-]+$", max_length=253, expected="an audience such as vault")
]
DatabaseHost = Annotated[
    str,
    Rule(
        pattern=r"^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$",
        max_length=253,
        expected="a host name or IPv4 address",
    ),
]
DatabaseName = Annotated[
    str, Rule(pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$", max_length=63, expected="a database name ([A-Za-z0-9_-])")
]
SchemaName = Annotated[
    str,
    Rule(
        pattern=r"^[a-z_][a-z0-9_]*$",
        max_length=63,
        expected="a PostgreSQL schema name (lowercase, digits, _)",
    ),
]
# Image repositories are rendered into one string with the tag: no spaces or control characters.
ImageRepository = Annotated[
    str, Rule(pattern=r"^[A-Za-z0-9][-A-Za-z0-9._/:]*$", max_length=255, expected="an image repository")
]
EnvName = Annotated[
    str,
    Rule(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", expected="an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"
    ),
]
PropertyName = Annotated[
    str, Rule(pattern=r"^[^\s=:#!]+$", expected="a property name (no whitespace, '=', ':', '#' or '!')")
]
# A Kubernetes Secret key; also a Vault key, a properties line's name and (A_B_C) a variable.
SecretKey = Annotated[
    str,
    Rule(
        pattern=r"^([-._a-zA-Z0-9]*[-_a-zA-Z0-9][-._a-zA-Z0-9]*|\.{3,})$",  # RE2: no lookahead
        expected="a Secret key ([-._a-zA-Z0-9], not '.' or '..')",
        max_length=253,
    ),
]
# One line per value, no control characters: a property value may not start another line of
# the properties file (Java ends a line at \r as well as \n), and helm refuses other controls.
_ONE_LINE = Rule(
    pattern=r"^[^\x00-\x08\x0a-\x1f\x7f]*$", expected="one line without control characters", shown=False
)
PropertyValue = Annotated[str | int | float | bool, _ONE_LINE]
LabelKey = Annotated[
    str,
    Rule(
        pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$",
        expected="a Kubernetes label or annotation key ([prefix/]name)",
    ),
]
PullPolicy = Literal["Always", "IfNotPresent", "Never"]

# Settings a platform team sets per environment, with the same meaning in a profile and in a chart.
PodLabels = Annotated[dict[LabelKey, str], Rule(doc="Extra labels on the workflow pods")]
CommonLabels = Annotated[
    dict[LabelKey, str],
    Rule(doc="Labels on every object of the chart and on its pods (chartgen's own labels win)"),
]
CommonAnnotations = Annotated[dict[LabelKey, str], Rule(doc="Annotations on every object of the chart")]
# A Kubernetes kind (Deployment, Service, NetworkPolicy, ...), as a key of policyExceptions.
KindName = Annotated[str, Rule(pattern=r"^[A-Z][A-Za-z0-9]{0,62}$", expected="a kind such as Service")]
PolicyExceptions = Annotated[
    dict[KindName, list[str]],
    Rule(
        doc="Policy exceptions by kind: `<rule-id>: <reason>` lines, written as the chartgen.io/allow "
        "annotation of every object of that kind (each one listed in every policy report)"
    ),
]
PodAnnotations = Annotated[dict[LabelKey, str], Rule(doc="Extra annotations on the workflow pods")]
NodeSelector = Annotated[dict[LabelKey, str], Rule(doc="Node labels the pods must run on")]
Tolerations = Annotated[list[dict[str, Any]], Rule(doc="Pod tolerations (Kubernetes Toleration objects)")]
Affinity = Annotated[dict[str, Any], Rule(doc="Pod affinity rules (a Kubernetes Affinity object)")]
PriorityClassName = Annotated[
    str,
    Rule(doc="PriorityClass of the pods (empty: the cluster default)", pattern=r"^$|" + DNS_SUBDOMAIN[1:]),
]
Properties = Annotated[
    dict[PropertyName, PropertyValue],
    Rule(doc="Extra application.properties entries for this environment (never secrets)"),
]
ExtraEnv = Annotated[
    dict[EnvName, Annotated[str, _ONE_LINE]],
    Rule(doc="Extra environment variables of the runtime (never secrets)"),
]

# Runtime images are pinned: `latest` changes under a running release.
ImageTag = Annotated[
    str,
    Rule(
        doc="Image tag (a pinned version)",
        min_length=1,
        refused=("latest",),
        refused_why="pin a version or a digest (latest changes under a running release)",
    ),
]
ImageDigest = Annotated[
    str,
    Rule(doc="Image digest; when set it wins over the tag", pattern=r"^(sha256:[a-f0-9]{64})?$",
         expected="sha256:<64 hex digits>"),
]  # fmt: skip


@dataclass(kw_only=True)
class ResourceList:
    cpu: Quantity | None = value("CPU", None)
    memory: Quantity | None = value("Memory", None)
    ephemeral_storage: Quantity | None = value(
        "Ephemeral storage (/tmp, logs)", None, key="ephemeral-storage"
    )


@dataclass(kw_only=True)
class Resources:
    requests: ResourceList | None = value("What the scheduler reserves for each pod", None)
    limits: ResourceList | None = value("The most each pod may use", None)


ContainerResources = Annotated[Resources, Rule(doc="Container resources (requests and limits)")]


@dataclass(kw_only=True)
class ServiceSettings:
    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] | None = value("Service type", None)
    port: Port | None = value("Service port (the runtime listens on 8080)", None)
