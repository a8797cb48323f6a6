"""What every rendered production chart must satisfy, whatever the project or profile.

Returns problems as text so a test over many charts can report them all at once.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def matches(selector: Obj, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and In/NotIn/Exists)."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        value = labels.get(expr["key"])
        if expr["operator"] == "In" and value not in expr["values"]:
            return False
        if expr["operator"] == "NotIn" and value in expr["values"]:
            return False
        if expr["operator"] == "Exists" and value is None:
            return False
    return True


def workload_pods(objects: list[Obj]) -> list[tuple[str, Obj, list[Obj], dict[str, str]]]:
    """(name, pod spec, containers, pod labels) of the runtime pods (not the test pod)."""
    found = []
    for o in objects:
        name = f"{o['kind']}/{o['metadata']['name']}"
        if o["kind"] == "Deployment":
            template = o["spec"]["template"]
            found.append(
                (name, template["spec"], template["spec"]["containers"], template["metadata"]["labels"])
            )
        elif o["kind"] == "SonataFlow":
            pod = o["spec"]["podTemplate"]
            found.append(
                (name, pod, [pod["container"]], {"sonataflow.org/workflow-app": o["metadata"]["name"]})
            )
    return found


def production_problems(objects: list[Obj], data: Obj, env: str) -> list[str]:
    """`data`: the chart's files/chartgen-data.yaml; `env`: the environment rendered."""
    facts, planned = data, data["environments"][env]
    problems: list[str] = []
    by_kind: dict[str, list[Obj]] = {}
    for o in objects:
        by_kind.setdefault(o["kind"], []).append(o)
    pods = workload_pods(objects)
    tests = by_kind.get("Pod", [])
    if not pods:
        problems.append("no workload")
    for name, spec, containers, _ in pods + [
        (f"Pod/{t['metadata']['name']}", t["spec"], t["spec"]["containers"], {}) for t in tests
    ]:
        problems += _restricted(name, spec, containers)
    problems += _scaling(by_kind, pods)
    problems += _network(by_kind, pods, tests)
    problems += _rbac(objects)
    problems += _events(by_kind, facts)
    problems += _kinds(objects, planned["kinds"])
    if "SonataFlowPlatform" in by_kind:
        problems.append("a SonataFlowPlatform was emitted")
    return problems


def platform_problems(objects: list[Obj], data: Obj, env: str) -> list[str]:
    """A platform chart's: per planned service one restricted Deployment, its own default-deny
    NetworkPolicy selecting exactly its pods, a PDB for the replicated ones; planned kinds only."""
    planned = data["environments"][env]
    problems: list[str] = []
    pods = {
        name.split("/", 1)[1]: (name, spec, containers, labels)
        for name, spec, containers, labels in workload_pods(objects)
    }
    policies = {o["metadata"]["name"]: o for o in objects if o["kind"] == "NetworkPolicy"}
    pdbs = [o for o in objects if o["kind"] == "PodDisruptionBudget"]
    if set(pods) != {s["name"] for s in planned["services"]}:
        problems.append(f"Deployments {sorted(pods)} are not the planned services")
    for service in planned["services"]:
        if service["name"] not in pods:
            continue
        name, spec, containers, labels = pods[service["name"]]
        problems += _restricted(name, spec, containers)
        policy = policies.get(service["name"])
        if policy is None or policy["spec"].get("policyTypes") != ["Ingress", "Egress"]:
            problems.append(f"{name}: no default-deny NetworkPolicy of its own")
        elif not matches(policy["spec"]["podSelector"], labels) or any(
            matches(policy["spec"]["podSelector"], other[3])
            for key, other in pods.items()
            if key != service["name"]
        ):
            problems.append(f"{name}: its NetworkPolicy does not select exactly its pods")
        if service["pdb"] != any(matches(pdb["spec"]["selector"], labels) for pdb in pdbs):
            problems.append(f"{name}: PodDisruptionBudget {'missing' if service['pdb'] else 'unplanned'}")
    hpas = {o["spec"]["scaleTargetRef"]["name"]: o for o in objects if o["kind"] == "HorizontalPodAutoscaler"}
    for service in planned["services"]:
        if service["hpa"] != (service["name"] in hpas):
            problems.append(f"{service['name']}: HPA {'missing' if service['hpa'] else 'unplanned'}")
    problems += _kinds(objects, planned["kinds"])
    return problems


def plural(kind: str) -> str:
    """The RBAC resource name of a kind (every kind a chartgen chart can hold)."""
    lowered = kind.lower()
    return (
        lowered[:-1] + "ies" if lowered.endswith("y") else lowered + ("es" if lowered.endswith("s") else "s")
    )


def _kinds(objects: list[Obj], declared: dict[str, list[str]]) -> list[str]:
    """Every rendered object is of a kind the plan declares (the deployer may manage it)."""
    found = set()
    for o in objects:
        group = o["apiVersion"].rsplit("/", 1)[0] if "/" in o["apiVersion"] else ""
        found.add((group, plural(o["kind"])))
    allowed = {(g, r) for g, resources in declared.items() for r in resources}
    return [
        f"{r} ({g or 'core'}) rendered but not among the planned kinds" for g, r in sorted(found - allowed)
    ]


def _restricted(name: str, spec: Obj, containers: list[Obj]) -> list[str]:
    out = []
    pod_sc = spec.get("securityContext", {})
    if (
        pod_sc.get("runAsNonRoot") is not True
        or pod_sc.get("seccompProfile", {}).get("type") != "RuntimeDefault"
    ):
        out.append(f"{name}: pod not restricted")
    if pod_sc.get("runAsUser", 0) < 10000:
        out.append(f"{name}: UID below 10000")
    for c in containers:
        sc = c.get("securityContext", {})
        if sc.get("allowPrivilegeEscalation") is not False or sc.get("capabilities", {}).get("drop") != [
            "ALL"
        ]:
            out.append(f"{name}/{c.get('name', 'container')}: container not restricted")
        if sc.get("readOnlyRootFilesystem") is not True:
            out.append(f"{name}: root filesystem writable")
        for bound in ("requests", "limits"):
            if set(c.get("resources", {}).get(bound, {})) != {"cpu", "memory", "ephemeral-storage"}:
                out.append(f"{name}: {bound} incomplete")
        if str(c.get("image", "")).endswith(":latest"):
            out.append(f"{name}: image uses latest")
        env_names = [e["name"] for e in c.get("env", [])]
        if len(env_names) != len(set(env_names)):
            out.append(f"{name}: duplicate environment variables (the API server refuses them)")
    return out


def _scaling(by_kind: dict[str, list[Obj]], pods: list[Any]) -> list[str]:
    out = []
    hpas = by_kind.get("HorizontalPodAutoscaler", [])
    targets = {h["spec"]["scaleTargetRef"]["name"] for h in hpas}
    for h in hpas:
        if h["spec"]["minReplicas"] < 2 or h["spec"]["maxReplicas"] <= h["spec"]["minReplicas"]:
            out.append(f"HPA {h['metadata']['name']}: bad bounds")
    for o in by_kind.get("Deployment", []):
        if o["metadata"]["name"] in targets and "replicas" in o["spec"]:
            out.append(f"Deployment {o['metadata']['name']}: replicas set although an HPA scales it")
    for o in by_kind.get("SonataFlow", []):
        if o["metadata"]["name"] in targets and "replicas" in o["spec"]["podTemplate"]:
            out.append(f"SonataFlow {o['metadata']['name']}: replicas set although an HPA scales it")
    for pdb in by_kind.get("PodDisruptionBudget", []):
        if (
            pdb["spec"].get("maxUnavailable") != 1
            or pdb["spec"].get("unhealthyPodEvictionPolicy") != "AlwaysAllow"
        ):
            out.append("PDB not maxUnavailable 1 / AlwaysAllow")
        if not all(matches(pdb["spec"]["selector"], labels) for *_, labels in pods):
            out.append("PDB does not select the workload pods")
    if not by_kind.get("PodDisruptionBudget"):
        out.append("no PodDisruptionBudget")
    return out


def _network(by_kind: dict[str, list[Obj]], pods: list[Any], tests: list[Obj]) -> list[str]:
    policies = by_kind.get("NetworkPolicy", [])
    if len(policies) != 1:
        return ["expected one NetworkPolicy"]
    selector = policies[0]["spec"]["podSelector"]
    out = []
    if not all(matches(selector, labels) for *_, labels in pods):
        out.append("NetworkPolicy misses workload pods")
    if any(matches(selector, t["metadata"]["labels"]) for t in tests):
        out.append("NetworkPolicy selects the test pod")
    if policies[0]["spec"].get("policyTypes") != ["Ingress", "Egress"]:
        out.append("NetworkPolicy is not default-deny both ways")
    return out


def _rbac(objects: list[Obj]) -> list[str]:
    out = []
    for o in objects:
        if o["kind"] in ("ClusterRole", "ClusterRoleBinding"):
            out.append(f"cluster-wide {o['kind']}")
        if o["kind"] == "Role":
            for rule in o["rules"]:
                if "*" in rule["apiGroups"] + rule["resources"] + rule["verbs"]:
                    out.append(f"Role {o['metadata']['name']}: wildcard")
                if o["metadata"]["name"].endswith("-runtime") and {
                    "secrets",
                    "pods/exec",
                    "pods/attach",
                } & set(rule["resources"]):
                    out.append("runtime Role grants secrets or exec")
    return out


def _events(by_kind: dict[str, list[Obj]], facts: Obj) -> list[str]:
    wanted = {(e["type"], e.get("source") or "") for e in facts["events"]["consumed"]}
    triggers = by_kind.get("Trigger", [])
    got = {
        (t["spec"]["filter"]["attributes"]["type"], t["spec"]["filter"]["attributes"].get("source", ""))
        for t in triggers
    }
    out = []
    if got != wanted or len(triggers) != len(wanted):
        out.append(f"Triggers {sorted(got)} != consumed events {sorted(wanted)}")
    for t in triggers:
        delivery = t["spec"].get("delivery", {})
        if not delivery.get("deadLetterSink") or not delivery.get("retry"):
            out.append(f"Trigger {t['metadata']['name']}: no retries or dead letters")
    return out
