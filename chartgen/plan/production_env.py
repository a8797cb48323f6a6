"""One production environment: its profile turned into chart values, and refused when it
cannot run the project's workflows safely.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from chartgen.errors import Diagnostics
from chartgen.plan.facts import INJECTED, ProjectFacts
from chartgen.plan.values import fill_placeholders, profile_values
from chartgen.profile.loader import clone, deep_merge
from chartgen.profile.model import Profile

# SonataFlow operators from this version on expose the `scale` subresource an HPA needs
# (kie-tools #3432, 2026); older ones only take fixed replicas.
SCALE_SUBRESOURCE_SINCE = (1, 37)
FORBIDDEN_RESOURCES = {"secrets", "pods/exec", "pods/attach", "pods/portforward", "*"}
FORBIDDEN_VERBS = {"*", "escalate", "bind", "impersonate"}
SUBJECT_KINDS = {"group": "Group", "user": "User", "serviceaccount": "ServiceAccount"}


def env_values(
    profile: Profile,
    facts: ProjectFacts,
    defaults: dict[str, Any],
    chart: str,
    app_version: str,
    git_sha: Callable[[], str],
) -> dict[str, Any]:
    """The full values of one environment: defaults, then what the profile sets."""
    values = deep_merge(defaults, profile_values(profile))
    image = profile.get("image") or {}
    values["image"].update(
        {k: v for k, v in image.items() if k in ("repository", "tag", "digest", "pullPolicy")}
    )
    values["runtime"] = profile.get("runtime", default="kubernetes")
    _scaling(values, profile)
    _persistence(values, profile, facts)
    values["eventing"].update(profile.get("eventing") or {})
    values["eventing"].pop("enabled", None)
    _secrets(values, profile)
    _rbac(values, profile, chart)
    _network(values, profile)
    _sonataflow(values, profile)
    known = {"workflow": chart, "version": app_version, "env": profile.env, "schema": chart.replace("-", "_")}
    return fill_values(values, known, git_sha)


def fill_values(values: dict[str, Any], known: dict[str, str], git_sha: Callable[[], str]) -> dict[str, Any]:
    """Fill `{workflow}`-style placeholders in the few values that take them."""
    for section, key in (
        ("image", "repository"),
        ("image", "tag"),
        ("secrets.vault", "path"),
        ("secrets.vault", "role"),
        ("persistence.postgresql", "schema"),
    ):
        node = values
        for part in section.split("."):
            node = node[part]
        node[key] = fill_placeholders(str(node[key]), known, git_sha)
    return values


def _scaling(values: dict[str, Any], profile: Profile) -> None:
    scaling = profile.get("scaling") or {}
    auto = values["autoscaling"]
    auto.update({k: scaling[k] for k in ("enabled", "minReplicas", "maxReplicas") if k in scaling})
    if "targetCPUUtilizationPercentage" in scaling:
        auto["targetCPUUtilizationPercentage"] = scaling["targetCPUUtilizationPercentage"]
    values["replicaCount"] = auto["minReplicas"]


def _persistence(values: dict[str, Any], profile: Profile, facts: ProjectFacts) -> None:
    wanted = profile.get("persistence", "enabled")
    pg = profile.get("persistence", "postgresql") or {}
    values["persistence"]["postgresql"].update(pg)
    values["persistence"]["enabled"] = facts.can_wait if wanted is None else bool(wanted)


def _secrets(values: dict[str, Any], profile: Profile) -> None:
    secrets = profile.get("secrets") or {}
    target = values["secrets"]
    for key in ("provider", "existingSecret"):
        if key in secrets:
            target[key] = secrets[key]
    target["env"] = dict(secrets.get("env") or {})
    target["vault"].update(secrets.get("vault") or {})


def _rbac(values: dict[str, Any], profile: Profile, chart: str) -> None:
    rbac = profile.get("rbac") or {}
    values["rbac"]["deployers"] = [subject(s) for s in rbac.get("deployers", [])]
    values["rbac"]["viewers"] = [subject(s) for s in rbac.get("viewers", [])]
    values["kubernetesApi"]["rules"] = clone((rbac.get("kubernetesApi") or {}).get(chart, []))


def subject(text: str) -> dict[str, str]:
    """`group:name`, `user:name`, `serviceaccount:ns:name` -> an RBAC subject."""
    kind, _, rest = text.partition(":")
    if kind == "serviceaccount":
        namespace, _, name = rest.partition(":")
        return {"kind": "ServiceAccount", "name": name or namespace, "namespace": namespace if name else ""}
    return {"kind": SUBJECT_KINDS[kind], "name": rest}


def _network(values: dict[str, Any], profile: Profile) -> None:
    policy = profile.get("networkPolicy") or {}
    target = values["networkPolicy"]
    for key in ("enabled", "allowIngressFromNamespaces", "egress"):
        if key in policy:
            target[key] = clone(policy[key])


def _sonataflow(values: dict[str, Any], profile: Profile) -> None:
    version = str(profile.get("operatorVersion", default=""))
    values["sonataflow"]["operatorVersion"] = version
    values["sonataflow"]["scaleSubresource"] = _version(version) >= SCALE_SUBRESOURCE_SINCE


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text)[:2]) or (0,)


def check_environment(chart: str, facts: ProjectFacts, profile: Profile, diag: Diagnostics) -> None:
    """Refuse a production profile that cannot run this project's workflows safely."""
    _check_persistence(chart, facts, profile, diag)
    _check_eventing(chart, facts, profile, diag)
    _check_scaling(profile, diag)
    _check_operator_scaling(chart, profile, diag)
    _check_secrets(chart, facts, profile, diag)
    _check_kubernetes_api(chart, facts, profile, diag)
    _check_placeholders(chart, facts, profile, diag)


def _check_persistence(chart: str, facts: ProjectFacts, profile: Profile, diag: Diagnostics) -> None:
    if not facts.can_wait:
        return
    first = facts.waits[0]
    if profile.get("persistence", "enabled") is False:
        diag.error(
            f"profile '{profile.env}' disables persistence, but in chart '{chart}' {first}: "
            "its instances would be lost on restart",
            profile.location("persistence", "enabled"),
        )
        return
    pg = profile.get("persistence", "postgresql") or {}
    missing = [k for k in ("host", "database") if not pg.get(k)]
    if missing:
        diag.error(
            f"profile '{profile.env}' needs persistence.postgresql ({', '.join(missing)} missing): "
            f"in chart '{chart}' {first}",
            profile.location("persistence")
            if profile.get("persistence")
            else profile.location("mode", key=True),
        )


def _check_eventing(chart: str, facts: ProjectFacts, profile: Profile, diag: Diagnostics) -> None:
    if not (facts.consumed or facts.produced):
        return
    where = profile.location("eventing") if profile.get("eventing") else profile.location("mode", key=True)
    if profile.get("eventing", "enabled") is False:
        diag.error(f"profile '{profile.env}' disables eventing, but chart '{chart}' handles events", where)
    elif facts.consumed and not profile.get("eventing", "deadLetterSink"):
        types = ", ".join(e.type for e in facts.consumed)
        diag.error(
            f"profile '{profile.env}' has no eventing.deadLetterSink: chart '{chart}' consumes {types}, "
            "and undeliverable events must go somewhere",
            where,
        )


def _check_scaling(profile: Profile, diag: Diagnostics) -> None:
    scaling = profile.get("scaling") or {}
    if scaling.get("enabled") is False:
        return
    low, high = scaling.get("minReplicas", 2), scaling.get("maxReplicas", 6)
    if low < 2:
        diag.error(
            f"profile '{profile.env}': scaling.minReplicas must be at least 2 (a single replica is "
            "not highly available; set scaling.enabled: false for a fixed count)",
            profile.location("scaling", "minReplicas"),
        )
    elif high <= low:
        diag.error(
            f"profile '{profile.env}': scaling.maxReplicas ({high}) must be greater than minReplicas ({low})",
            profile.location("scaling", "maxReplicas")
            if "maxReplicas" in scaling
            else profile.location("scaling"),
        )


def _check_operator_scaling(chart: str, profile: Profile, diag: Diagnostics) -> None:
    if profile.get("runtime") != "sonataflow" or profile.get("scaling", "enabled") is False:
        return
    version = str(profile.get("operatorVersion", default=""))
    if _version(version) < SCALE_SUBRESOURCE_SINCE:
        since = ".".join(map(str, SCALE_SUBRESOURCE_SINCE))
        diag.warning(
            f"chart '{chart}' in '{profile.env}': SonataFlow operator {version or '(version unknown)'} "
            f"has no scale subresource (needs {since}+), so no HPA: fixed replicas (scaling.minReplicas)",
            profile.location("operatorVersion") if version else profile.location("runtime"),
        )


def _check_secrets(chart: str, facts: ProjectFacts, profile: Profile, diag: Diagnostics) -> None:
    needs = facts.secret_keys or facts.can_wait or profile.get("secrets", "env")
    if not needs:
        return
    provider = profile.get("secrets", "provider", default="vso")
    if provider == "existing":
        if not profile.get("secrets", "existingSecret"):
            diag.error(
                f"profile '{profile.env}': secrets.provider 'existing' needs secrets.existingSecret "
                f"(chart '{chart}' uses secrets)",
                profile.location("secrets", "provider"),
            )
    elif not profile.get("secrets", "vault", "address"):
        diag.error(
            f"profile '{profile.env}': secrets.vault.address is required for provider '{provider}' "
            f"(chart '{chart}' uses secrets: {', '.join(facts.secret_keys) or 'database credentials'})",
            profile.location("secrets") if profile.get("secrets") else profile.location("mode", key=True),
        )


def _check_placeholders(chart: str, facts: ProjectFacts, profile: Profile, diag: Diagnostics) -> None:
    """A `${VAR}` nothing provides makes the runtime fail at start: say so before deploying."""
    provided = (
        set(facts.secret_names)
        | set(facts.secret_env)
        | set(profile.get("secrets", "env") or {})
        | set(profile.get("env") or {})
        | set(profile.get("properties") or {})
        | (INJECTED if facts.produced else set())
    )
    missing = [v for v in facts.placeholders if v not in provided]
    if missing:
        names = ", ".join(f"${{{v}}}" for v in missing)
        diag.warning(
            f"chart '{chart}' in '{profile.env}': the properties use {names}, which nothing provides "
            "(map them to Secret keys in the profile's secrets.env, or set them in env)",
            profile.location("mode", key=True),
        )


def _check_kubernetes_api(chart: str, facts: ProjectFacts, profile: Profile, diag: Diagnostics) -> None:
    rules = (profile.get("rbac", "kubernetesApi") or {}).get(chart, [])
    if facts.kube_api_calls and not rules:
        diag.warning(
            f"chart '{chart}': {facts.kube_api_calls[0]} calls the Kubernetes API, but profile "
            f"'{profile.env}' grants no rbac.kubernetesApi.{chart} rules: the runtime gets no "
            "ServiceAccount token and must bring its own credentials",
            profile.location("mode", key=True),
        )
    for i, rule in enumerate(rules):
        bad = sorted(
            {r for r in rule["resources"] if r in FORBIDDEN_RESOURCES}
            | {v for v in rule["verbs"] if v in FORBIDDEN_VERBS}
            | {g for g in rule["apiGroups"] if g == "*"}
        )
        if bad:
            diag.error(
                f"profile '{profile.env}': rbac.kubernetesApi.{chart}[{i}] grants {', '.join(bad)}: "
                "wildcards, secrets, exec/attach/port-forward, escalate, bind and impersonate "
                "are never granted",
                profile.location("rbac", "kubernetesApi", chart),
            )
