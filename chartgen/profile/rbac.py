"""What a workflow runtime's Role may never grant, judged the way the API server matches rules.

The API server lets a rule's resource `*` match every resource, `*/<sub>` match that
subresource of every resource, and a verb or API group `*` match all. So a rule is refused
when any request it would allow is dangerous, not only when it names a dangerous resource:
`*/exec` is `pods/exec`, and `create` on `pods` mounts any Secret of the namespace.
"""

from __future__ import annotations

import json

from chartgen.errors import Diagnostics
from chartgen.profile.model import PolicyRule, Profile

EVERY_VERB: frozenset[str] = frozenset()  # in NEVER: whatever the verb
WRITE = frozenset({"create", "update", "patch"})
TUNNELS = ("pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "pods/ephemeralcontainers",
           "services/proxy", "nodes/proxy")  # fmt: skip
WORKLOADS = ("pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs",
             "replicationcontrollers", "podtemplates")  # fmt: skip
RBAC_KINDS = ("roles", "rolebindings", "clusterroles", "clusterrolebindings")
WEBHOOKS = ("mutatingwebhookconfigurations", "validatingwebhookconfigurations")

# Never granted to a workflow runtime's ServiceAccount: resource -> (verbs, why).
NEVER: dict[str, tuple[frozenset[str], str]] = {
    "secrets": (EVERY_VERB, "Secrets come from Vault, never from the API"),
    **{sub: (EVERY_VERB, "a shell or a tunnel into other pods") for sub in TUNNELS},
    "serviceaccounts/token": (EVERY_VERB, "mints tokens of other ServiceAccounts"),
    **{kind: (WRITE, "its pods run as any ServiceAccount and mount any Secret") for kind in WORKLOADS},
    **{kind: (WRITE | {"escalate", "bind"}, "widens its own rights") for kind in RBAC_KINDS},
    **{kind: (WRITE, "rewrites every object the API server admits") for kind in WEBHOOKS},
    "certificatesigningrequests/approval": (EVERY_VERB, "issues client certificates"),
}
NEVER_VERBS = {"escalate": "widens its own rights", "bind": "widens its own rights",
               "impersonate": "acts as another identity"}  # fmt: skip
GRANTED_NEVER = "never granted to a workflow runtime"


def check_rbac(profile: Profile, diag: Diagnostics) -> None:
    """Policy errors for every rule of rbac.kubernetesApi that allows a dangerous request."""
    rbac = profile.settings.rbac
    for chart, rules in sorted(((rbac.kubernetesApi if rbac else None) or {}).items()):
        owner = next(
            (pf for pf in profile.chain if pf.has(("rbac", "kubernetesApi", chart))), profile.chain[0]
        )
        for i, rule in enumerate(rules):
            for field, j, value, why in refusals(rule):
                at = ("rbac", "kubernetesApi", chart, i, field, j)
                name = ".".join(str(p) for p in at)
                diag.policy_error(
                    f"'{name}' must not be '{value}': {GRANTED_NEVER} ({why})", owner.source.location(0, at)
                )


def refusals(rule: PolicyRule) -> list[tuple[str, int, str, str]]:
    """(field, index, value, why) of each part of `rule` that makes it dangerous."""
    found = [("apiGroups", j, g, "matches every API group") for j, g in enumerate(rule.apiGroups) if g == "*"]
    for j, verb in enumerate(rule.verbs):
        if verb == "*":
            found.append(("verbs", j, verb, "matches every verb"))
        elif verb in NEVER_VERBS:
            found.append(("verbs", j, verb, NEVER_VERBS[verb]))
    every_verb = "*" in rule.verbs
    for j, resource in enumerate(rule.resources):
        if resource == "*":
            found.append(("resources", j, resource, "matches every resource, Secrets included"))
            continue
        for target, (verbs, why) in NEVER.items():
            if _matches(resource, target) and (not verbs or every_verb or verbs & set(rule.verbs)):
                matched = "" if resource == target else f"the API server matches it as {target}; "
                hit = sorted(verbs & set(rule.verbs)) or ["*"]
                with_verbs = f"{target} with verb {', '.join(hit)}: " if verbs else ""
                found.append(("resources", j, resource, f"{matched}{with_verbs}{why}"))
                break
    return found


def _matches(rule_resource: str, target: str) -> bool:
    """Whether a rule's resource covers `target` ("pods", "pods/exec"), as the API server decides."""
    if rule_resource == target:
        return True
    sub = target.partition("/")[2]
    return bool(sub) and rule_resource == f"*/{sub}"


def rego_table() -> str:
    """NEVER and NEVER_VERBS as Rego data for policies/production/rbac_runtime.rego, so the
    policy judges rendered charts by this table (`python -m chartgen.profile.rbac` prints it;
    a test checks the committed file is what it prints)."""
    lines = [
        "# Generated from chartgen/profile/rbac.py by `python -m chartgen.profile.rbac`: do not edit.",
        "# What a workflow runtime's Role may never grant: resource -> verbs ([]: every verb).",
        "package main",
        "",
        "runtime_never := {",
        *(f'\t"{resource}": {json.dumps(sorted(verbs))},' for resource, (verbs, _) in NEVER.items()),
        "}",
        "",
        f"runtime_never_verbs := {{{', '.join(json.dumps(v) for v in sorted(NEVER_VERBS))}}}",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(rego_table(), end="")
