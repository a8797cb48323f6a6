"""Production charts, checked on the objects real helm renders, for every provider and runtime."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.config import load_settings
from chartgen.errors import Diagnostics
from chartgen.flows.plan import plan_repository
from chartgen.plan.facts import project_facts
from chartgen.plan.production_env import runtime_env
from chartgen.values.model import ProductionValues
from chartgen.workflow.loader import load_workflows
from chartgen.workflow.resolve import resolve
from testing.invariants import matches, production_problems
from testing.repo import Render, run_cli
from testing.variants import VARIANTS, make_variant

pytestmark = pytest.mark.helm
PRODUCTION = ("invoice-sync", "order-approval", "shipment-tracker")
ENVS = ("values-staging.yaml", "values-prod.yaml")


def kinds(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def one(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    [found] = kinds(objects, kind)
    return found


def data_file(chart: Path) -> dict[str, Any]:
    return dict(yaml.safe_load((chart / "files/chartgen-data.yaml").read_text()))


def pod_specs(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """(what, pod-level spec, containers) of every pod the objects create."""
    found = []
    for o in objects:
        name = f"{o['kind']}/{o['metadata']['name']}"
        if o["kind"] == "Deployment":
            spec = o["spec"]["template"]["spec"]
            found.append((name, spec, spec["containers"]))
        elif o["kind"] == "Pod":
            found.append((name, o["spec"], o["spec"]["containers"]))
        elif o["kind"] == "SonataFlow":
            template = o["spec"]["podTemplate"]
            found.append((name, template, [template["container"]]))
    return found


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_production_invariants_hold(variant: str, variant_charts: dict[str, Path], render: Render) -> None:
    problems = []
    for chart in PRODUCTION:
        facts = data_file(variant_charts[variant] / chart)
        for env in ENVS:
            objects = render(variant_charts[variant] / chart, env)
            name = env.removeprefix("values-").removesuffix(".yaml")
            problems += [f"{chart} {env}: {p}" for p in production_problems(objects, facts, name)]
    assert problems == []


def assert_agent_token_only(
    objects: list[dict[str, Any]], spec: dict[str, Any], containers: list[dict[str, Any]], what: str
) -> None:
    """The injector's agent logs in with a short-lived token for Vault's audience, in a volume
    the annotation names and no container of the chart mounts (the injector mounts it in its own)."""
    (deployment,) = [o for o in objects if o["kind"] == "Deployment"]
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    volume_name = annotations["vault.hashicorp.com/agent-service-account-token-volume-name"]
    (volume,) = [v for v in spec["volumes"] if v["name"] == volume_name]
    (source,) = volume["projected"]["sources"]
    assert source["serviceAccountToken"] == {"path": "token", "audience": "vault", "expirationSeconds": 600}
    mounted = {m["name"] for c in containers for m in c.get("volumeMounts", [])}
    assert volume_name not in mounted, what
    assert annotations["vault.hashicorp.com/service"].startswith("http"), what


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_container_restricted_resourced_and_probed(
    variant: str, variant_charts: dict[str, Path], render: Render
) -> None:
    for chart in PRODUCTION:
        for env in ENVS:
            objects = render(variant_charts[variant] / chart, env)
            pods = pod_specs(objects)
            assert len(pods) >= 2  # the workload(s) and the helm test pod
            for what, spec, containers in pods:
                assert spec["securityContext"]["runAsNonRoot"] is True, what
                assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", what
                assert spec["securityContext"]["runAsUser"] >= 10000, what
                # No API token: Vault's agent (injector) gets a projected one of its own, below.
                assert spec["automountServiceAccountToken"] is False, what
                if variant == "injector" and what.startswith("Deployment/"):
                    assert_agent_token_only(objects, spec, containers, what)
                for c in containers:
                    sc = c["securityContext"]
                    assert sc["allowPrivilegeEscalation"] is False, what
                    assert sc["capabilities"]["drop"] == ["ALL"], what
                    assert sc["readOnlyRootFilesystem"] is True, what
                    for bound in ("requests", "limits"):
                        assert set(c["resources"][bound]) == {"cpu", "memory", "ephemeral-storage"}, what
                    assert not c["image"].endswith(":latest"), what
                    if what.startswith("Deployment"):
                        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                            assert c[probe]["httpGet"]["path"].startswith("/q/health/"), what


def test_hpa_pdb_and_spread_are_consistent(variant_charts: dict[str, Path], render: Render) -> None:
    chart = variant_charts["vso"] / "order-approval"
    objects = render(chart, "values-prod.yaml")
    values = yaml.safe_load((chart / "values-prod.yaml").read_text())
    deployment, hpa, pdb = (
        one(objects, "Deployment"),
        one(objects, "HorizontalPodAutoscaler"),
        one(objects, "PodDisruptionBudget"),
    )
    assert "replicas" not in deployment["spec"]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "order-approval",
    }
    assert (
        (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"])
        == (3, 10)
        == (
            values["autoscaling"]["minReplicas"],
            values["autoscaling"]["maxReplicas"],
        )
    )
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert pdb["spec"]["maxUnavailable"] == 1
    assert pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    assert pdb["spec"]["selector"] == deployment["spec"]["selector"]
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    [spread] = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert spread["topologyKey"] == "kubernetes.io/hostname"
    # Bounds are values an operator may tune at install; whether there is an HPA is the plan's.
    wider = render(chart, "values-prod.yaml", sets=("autoscaling.maxReplicas=12",))
    assert one(wider, "HorizontalPodAutoscaler")["spec"]["maxReplicas"] == 12
    unused = render(chart, "values-prod.yaml", sets=("replicaCount=3",), ok=False)
    assert "additional properties 'replicaCount' not allowed" in unused[0]["error"]
    crossed = render(chart, "values-prod.yaml", sets=("autoscaling.maxReplicas=3",), ok=False)
    assert "autoscaling.maxReplicas must be greater than autoscaling.minReplicas" in crossed[0]["error"]


def test_sonataflow_runtime_scales_only_with_the_scale_subresource(
    variant_charts: dict[str, Path], render: Render
) -> None:
    new = render(variant_charts["sonataflow"] / "order-approval", "values-prod.yaml")
    old = render(variant_charts["sonataflow-1.36"] / "order-approval", "values-prod.yaml")
    for objects in (new, old):
        assert kinds(objects, "Deployment") == [] and kinds(objects, "Service") == []
        assert kinds(objects, "SonataFlowPlatform") == []
        [flow] = kinds(objects, "SonataFlow")  # one per root workflow; the subflow is not one
        assert flow["metadata"]["name"] == "order-approval"
        assert flow["metadata"]["annotations"]["sonataflow.org/profile"] == "gitops"
        assert (
            flow["spec"]["podTemplate"]["container"]["image"]
            == "registry.example.com/acme/order-approval:1.2.0"
        )
        assert flow["spec"]["podTemplate"]["serviceAccountName"] == "order-approval"
        assert flow["spec"]["persistence"]["postgresql"]["secretRef"]["name"] == "order-approval-secrets"
        assert flow["spec"]["sink"]["ref"]["kind"] == "Broker"
        assert "checksum/secret-refs" not in str(flow)  # the CR has no pod annotations ...
        props = [c for c in kinds(objects, "ConfigMap") if c["metadata"]["name"] == "order-approval-props"]
        assert "# chartgen/secret-refs: " in props[0]["data"]["application.properties"]  # ... so it is here
    hpa = one(new, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "SonataFlow"
    assert "replicas" not in one(new, "SonataFlow")["spec"]["podTemplate"]
    assert kinds(old, "HorizontalPodAutoscaler") == []
    assert one(old, "SonataFlow")["spec"]["podTemplate"]["replicas"] == 3


def test_sonataflow_pod_labels_ride_on_the_resource_and_annotations_are_refused(
    variant_charts: dict[str, Path], render: Render
) -> None:
    """The operator copies a SonataFlow's labels to its Deployment and pods; annotations never."""
    chart = variant_charts["sonataflow"] / "order-approval"
    labelled = render(chart, "values-prod.yaml", sets=("podLabels.team=billing",))
    assert one(labelled, "SonataFlow")["metadata"]["labels"]["team"] == "billing"
    annotated = render(chart, "values-prod.yaml", sets=("podAnnotations.team=billing",), ok=False)
    assert "podAnnotations cannot reach the pods under the sonataflow runtime" in annotated[0]["error"]


@pytest.mark.parametrize("variant", ["vso", "sonataflow"])
def test_network_policy_selects_exactly_the_workflow_pods(
    variant: str, variant_charts: dict[str, Path], render: Render
) -> None:
    for chart in PRODUCTION:
        objects = render(variant_charts[variant] / chart, "values-prod.yaml")
        policy = one(objects, "NetworkPolicy")
        assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
        selector = policy["spec"]["podSelector"]
        test_pod = one(objects, "Pod")
        assert not matches(selector, test_pod["metadata"]["labels"])
        if variant == "vso":
            workload = one(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]
        else:  # the operator labels its pods with the workflow name
            workload = {"sonataflow.org/workflow-app": one(objects, "SonataFlow")["metadata"]["name"]}
        assert matches(selector, workload)
        assert (
            not matches(selector, {**workload, "sonataflow.org/workflow-app": "another"}) or variant == "vso"
        )
        ingress_namespaces = [
            peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            for rule in policy["spec"]["ingress"]
            for peer in rule["from"]
            if "namespaceSelector" in peer
        ]
        # The profile's callers: Knative's delivery and the portal that starts workflows over HTTP;
        # under the kubernetes runtime also the Jobs Service, which calls back when a timer is due.
        timers = variant == "vso" and chart == "order-approval"
        callers = ["knative-eventing", "order-portal"] + ["workflows-prod"] * timers
        assert ingress_namespaces == callers
        # The only in-namespace peer allowed in is this chart's `helm test` pod.
        pod_peers = [
            p["podSelector"]
            for r in policy["spec"]["ingress"]
            for p in r["from"]
            if set(p) == {"podSelector"}
        ]
        assert len(pod_peers) == 1 and matches(pod_peers[0], test_pod["metadata"]["labels"])
        assert not matches(pod_peers[0], {**test_pod["metadata"]["labels"], "app.kubernetes.io/name": "x"})
        egress = policy["spec"]["egress"]
        assert {"port": 53, "protocol": "UDP"} in egress[0]["ports"]
        facts = data_file(variant_charts[variant] / chart)
        has_events = bool(facts["events"]["consumed"] or facts["events"]["produced"])
        broker = [r for r in egress if namespace_of(r) == "knative-eventing"]
        assert bool(broker) == has_events, chart
        database = [r for r in egress if any(p.get("port") == 5432 for p in r["ports"])]
        assert bool(database) == bool(facts["waits"]), chart


def namespace_of(rule: dict[str, Any]) -> str | None:
    peers = [p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in rule.get("to", [])
             if "namespaceSelector" in p]  # fmt: skip
    return peers[0] if peers else None


def test_egress_reaches_what_the_workflows_call(variant_charts: dict[str, Path], render: Render) -> None:
    """invoice-sync calls its billing API (quarkus.rest-client...url=http://billing.example.svc:8080):
    a cluster that enforces policies must let it through, and nothing else beyond DNS."""
    policy = one(render(variant_charts["vso"] / "invoice-sync", "values-prod.yaml"), "NetworkPolicy")
    egress = policy["spec"]["egress"]
    billing = [r for r in egress if namespace_of(r) == "example"]
    assert billing == [
        {
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "example"}}}],
            "ports": [{"port": 8080, "protocol": "TCP"}],
        }
    ]
    assert len(egress) == 2  # DNS and billing: no database, broker or API server for this chart


def test_rbac_least_privilege(variant_charts: dict[str, Path], render: Render) -> None:
    for variant in VARIANTS:
        for chart in PRODUCTION:
            objects = render(variant_charts[variant] / chart, "values-prod.yaml")
            assert not [o for o in objects if o["kind"] in ("ClusterRole", "ClusterRoleBinding")]
            roles = {r["metadata"]["name"].rsplit("-", 1)[-1]: r for r in kinds(objects, "Role")}
            assert set(roles) == {"deployer", "viewer"}  # no runtime Role without a grant
            for role in roles.values():
                for rule in role["rules"]:
                    assert "*" not in rule["apiGroups"] + rule["resources"] + rule["verbs"]
            viewer = roles["viewer"]["rules"]
            assert all(set(rule["verbs"]) == {"get", "list", "watch"} for rule in viewer)
            assert not any("secrets" in rule["resources"] for rule in viewer)
            managed = {
                (g, r)
                for rule in roles["deployer"]["rules"]
                for g in rule["apiGroups"]
                for r in rule["resources"]
            }
            for o in objects:
                if o["kind"] == "Pod":
                    continue
                group = o["apiVersion"].rsplit("/", 1)[0] if "/" in o["apiVersion"] else ""
                plural = o["kind"].lower() + ("es" if o["kind"].endswith("s") else "s")
                plural = {"networkpolicys": "networkpolicies"}.get(plural, plural)
                assert (group, plural) in managed, f"{variant} {chart}: deployer cannot manage {o['kind']}"
            [binding] = [
                b for b in kinds(objects, "RoleBinding") if b["metadata"]["name"].endswith("-deployer")
            ]
            assert binding["subjects"] == [
                {"kind": "Group", "name": "workflow-deployers", "apiGroup": "rbac.authorization.k8s.io"}
            ]


def test_kubernetes_api_grant_gives_a_token_and_exactly_that_role(tmp_path: Path, render: Render) -> None:
    rule = {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}
    repo = make_variant(tmp_path, "vso", {"rbac": {"kubernetesApi": {"invoice-sync": [rule]}}})
    assert run_cli("-C", str(repo), "generate").code == 0
    objects = render(repo / "charts/invoice-sync", "values-prod.yaml")
    [runtime] = [r for r in kinds(objects, "Role") if r["metadata"]["name"].endswith("-runtime")]
    assert runtime["rules"] == [rule]
    [binding] = [b for b in kinds(objects, "RoleBinding") if b["metadata"]["name"].endswith("-runtime")]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "invoice-sync", "namespace": "workflows"}
    ]
    assert one(objects, "ServiceAccount")["automountServiceAccountToken"] is True
    assert one(objects, "Deployment")["spec"]["template"]["spec"]["automountServiceAccountToken"] is True
    [deployer] = [r for r in kinds(objects, "Role") if r["metadata"]["name"].endswith("-deployer")]
    assert rule in deployer["rules"]  # so the deployer can create the runtime Role without escalate
    api = [r for r in one(objects, "NetworkPolicy")["spec"]["egress"] if "to" not in r]
    assert api == [{"ports": [{"port": 443, "protocol": "TCP"}, {"port": 6443, "protocol": "TCP"}]}]
    # Grants are the plan's: no values key can add one at install time.
    sneaky = render(
        repo / "charts/invoice-sync",
        "values-prod.yaml",
        sets=("kubernetesApi.rules[0].verbs[0]=get",),
        ok=False,
    )
    assert "additional properties 'kubernetesApi' not allowed" in sneaky[0]["error"]


@pytest.mark.parametrize("variant", ["vso", "sonataflow"])
def test_triggers_match_consumed_events_one_to_one(
    variant: str, variant_charts: dict[str, Path], render: Render
) -> None:
    for chart in PRODUCTION:
        folder = variant_charts[variant] / chart
        objects = render(folder, "values-prod.yaml")
        facts = data_file(folder)
        wanted = {(e["type"], e.get("source") or "") for e in facts["events"]["consumed"]}
        triggers = kinds(objects, "Trigger")
        got = {
            (t["spec"]["filter"]["attributes"]["type"], t["spec"]["filter"]["attributes"].get("source", ""))
            for t in triggers
        }
        assert got == wanted and len(triggers) == len(wanted), chart
        for t in triggers:
            delivery = t["spec"]["delivery"]
            assert delivery["retry"] == 5 and delivery["backoffPolicy"] == "exponential"
            assert delivery["deadLetterSink"]["uri"] == "http://dlq.workflows-prod.svc.cluster.local"
            assert t["spec"]["broker"] == "default"
        sink = kinds(objects, "SinkBinding")
        assert bool(sink) == bool(facts["events"]["produced"] and variant == "vso"), chart
    assert data_file(variant_charts["vso"] / "invoice-sync")["events"] == {"consumed": [], "produced": []}


def test_persistence_for_waiting_workflows_only(variant_charts: dict[str, Path], render: Render) -> None:
    charts = variant_charts["vso"]
    waiting = one(render(charts / "order-approval", "values-prod.yaml"), "Deployment")
    env = {e["name"]: e for e in waiting["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["KOGITO_PERSISTENCE_TYPE"]["value"] == "jdbc"
    assert env["QUARKUS_DATASOURCE_JDBC_URL"]["value"] == (
        "jdbc:postgresql://pg.prod.svc:5432/workflows?currentSchema=order_approval"
    )
    assert "QUARKUS_DATASOURCE_PASSWORD" not in env  # a file of the credentials volume
    assert (
        _credential_files(waiting)["order-approval-secrets"]["QUARKUS_DATASOURCE_PASSWORD"] == "db_password"
    )
    quick = one(render(charts / "invoice-sync", "values-prod.yaml"), "Deployment")
    names = {e["name"] for e in quick["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "KOGITO_PERSISTENCE_TYPE" not in names
    # Whether there is a database is the plan's; its address is a value.
    refused = render(
        charts / "order-approval", "values-prod.yaml", sets=("persistence.enabled=false",), ok=False
    )
    assert "additional properties 'enabled' not allowed" in refused[0]["error"]
    moved = one(
        render(charts / "order-approval", "values-prod.yaml", sets=("persistence.host=pg2.db.svc",)),
        "Deployment",
    )
    moved_env = {e["name"]: e for e in moved["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert moved_env["QUARKUS_DATASOURCE_JDBC_URL"]["value"].startswith("jdbc:postgresql://pg2.db.svc:5432/")


def test_config_and_secret_reference_changes_roll_the_pods(
    variant_charts: dict[str, Path], render: Render
) -> None:
    chart = variant_charts["vso"] / "invoice-sync"

    def annotations(*sets: str) -> dict[str, str]:
        deployment = one(render(chart, "values-prod.yaml", sets=sets), "Deployment")
        return dict(deployment["spec"]["template"]["metadata"]["annotations"])

    base = annotations()
    assert annotations("properties.billing\\.timeout=5s")["checksum/config"] != base["checksum/config"]
    assert annotations("vault.path=other/path")["checksum/secret-refs"] != base["checksum/secret-refs"]
    assert annotations("autoscaling.maxReplicas=12") == base  # scaling rolls nothing


def test_vault_providers(variant_charts: dict[str, Path], render: Render) -> None:
    keys = ["billing_api_token", "billing_client_id"]
    vso = render(variant_charts["vso"] / "invoice-sync", "values-prod.yaml")
    auth, static = one(vso, "VaultAuth"), one(vso, "VaultStaticSecret")
    assert auth["spec"]["method"] == "kubernetes"
    assert auth["spec"]["kubernetes"] == {
        "role": "chartgen-invoice-sync-prod",
        "serviceAccount": "invoice-sync",
        "audiences": ["vault"],
    }
    assert static["spec"]["type"] == "kv-v2" and static["spec"]["path"] == "workflows/prod/invoice-sync"
    assert static["spec"]["rolloutRestartTargets"] == [{"kind": "Deployment", "name": "invoice-sync"}]
    assert static["spec"]["destination"]["name"] == "invoice-sync-secrets"

    eso = render(variant_charts["eso"] / "invoice-sync", "values-prod.yaml")
    store, external = one(eso, "SecretStore"), one(eso, "ExternalSecret")
    assert store["apiVersion"] == "external-secrets.io/v1"
    assert store["spec"]["provider"]["vault"]["auth"]["kubernetes"]["serviceAccountRef"] == {
        "name": "invoice-sync",
        "audiences": ["vault"],
    }
    assert [d["secretKey"] for d in external["spec"]["data"]] == keys
    assert {d["remoteRef"]["key"] for d in external["spec"]["data"]} == {"workflows/prod/invoice-sync"}
    assert "chartgen/content-hash" in external["spec"]["target"]["template"]["metadata"]["annotations"]

    injector = one(render(variant_charts["injector"] / "invoice-sync", "values-prod.yaml"), "Deployment")
    pod = injector["spec"]["template"]["metadata"]["annotations"]
    assert pod["vault.hashicorp.com/agent-inject"] == "true"
    assert pod["vault.hashicorp.com/role"] == "chartgen-invoice-sync-prod"
    template = pod["vault.hashicorp.com/agent-inject-template-workflow.properties"]
    assert all(f'{k}={{{{ index .Data.data "{k}" }}}}' in template for k in keys)

    assert "config_ordinal=290" in template  # over application.properties, as a Secret's files

    for variant, secret in (("vso", "invoice-sync-secrets"), ("existing", "workflow-credentials")):
        deployment = one(render(variant_charts[variant] / "invoice-sync", "values-prod.yaml"), "Deployment")
        assert _credential_files(deployment)[secret]["BILLING_API_TOKEN"] == "billing_api_token"


def _credential_files(workload: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Secret name -> {file: key} of the runtime's credentials volume (a Deployment's or a
    SonataFlow's), checked to be what the runtime reads: mounted read-only, 0440, beside
    config_ordinal, in the folder SMALLRYE_CONFIG_SOURCE_FILE_LOCATIONS names; and no variable
    of the container reads a Secret."""
    if workload["kind"] == "Deployment":
        pod = workload["spec"]["template"]["spec"]
        container = pod["containers"][0]
    else:
        pod = workload["spec"]["podTemplate"]
        container = pod["container"]
    assert not [e for e in container.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})]
    assert not [e for e in container.get("envFrom", []) if "secretRef" in e]
    [mount] = [m for m in container["volumeMounts"] if m["name"] == "credentials"]
    assert mount["readOnly"] is True
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["SMALLRYE_CONFIG_SOURCE_FILE_LOCATIONS"] == mount["mountPath"]
    [volume] = [v for v in pod["volumes"] if v["name"] == "credentials"]
    assert volume["projected"]["defaultMode"] == 0o440
    files: dict[str, dict[str, str]] = {}
    ordinal = []
    for source in volume["projected"]["sources"]:
        if "secret" in source:
            files[source["secret"]["name"]] = {i["path"]: i["key"] for i in source["secret"]["items"]}
        else:
            ordinal += [i for i in source["configMap"]["items"] if i["path"] == "config_ordinal"]
    assert len(ordinal) == 1
    return files


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_credentials_are_files_never_variables(
    variant: str, variant_charts: dict[str, Path], render: Render
) -> None:
    """Every provider, both runtimes: the runtime reads each Secret key it is bound to as a
    file (Checkov CKV_K8S_35: variables leak through /proc, crash dumps, child processes)."""
    for chart in PRODUCTION:
        objects = render(variant_charts[variant] / chart, "values-prod.yaml")
        env = data_file(variant_charts[variant] / chart)["environments"]["prod"]
        workloads = kinds(objects, "Deployment") + kinds(objects, "SonataFlow")
        assert workloads, chart
        for workload in workloads:
            if env["provider"] == "injector" or not env["secretBindings"]:
                containers = (
                    workload["spec"]["template"]["spec"]["containers"]
                    if workload["kind"] == "Deployment"
                    else [workload["spec"]["podTemplate"]["container"]]
                )
                for c in containers:
                    assert not [e for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})]
                continue
            files = _credential_files(workload)
            wanted = {b["env"]: b["key"] for b in env["secretBindings"]}
            assert files == {env["secretName"]: wanted}, (chart, workload["kind"])
            [config] = [c for c in kinds(objects, "ConfigMap") if c["metadata"]["name"].endswith("-config")]
            assert config["data"]["credentials-ordinal"] == "290"


def test_values_schema_has_no_place_for_secret_values(
    variant_charts: dict[str, Path], render: Render
) -> None:
    chart = variant_charts["vso"] / "invoice-sync"
    for attempt in ("secrets.token=hunter2", "vault.token=hunter2", "password=hunter2"):
        refused = render(chart, "values-prod.yaml", sets=(attempt,), ok=False)
        assert "not allowed" in refused[0]["error"], attempt


def test_values_yaml_alone_is_not_an_environment(variant_charts: dict[str, Path], render: Render) -> None:
    for chart in PRODUCTION:
        refused = render(variant_charts["vso"] / chart, ok=False)
        assert (
            "values.yaml alone is not an environment: install with --set environment=<env> (or -f "
            "values-<env>.yaml) for one of: prod, staging"
        ) in refused[0]["error"], chart
        unknown = render(
            variant_charts["vso"] / chart, "values-prod.yaml", sets=("environment=qa",), ok=False
        )
        assert "unknown environment 'qa': this chart was generated for prod, staging" in unknown[0]["error"]


def test_timers_go_to_the_jobs_service_and_a_values_file_without_one_is_refused(
    variant_charts: dict[str, Path], render: Render, tmp_path: Path
) -> None:
    chart = variant_charts["vso"] / "order-approval"
    env = {e["name"]: e.get("value") for e in _runtime_env(render(chart, "values-prod.yaml"))}
    assert env["KOGITO_JOBS_SERVICE_URL"] == (
        "http://sonataflow-platform-jobs-service.workflows-prod.svc.cluster.local"
    )
    # Its own address, not application.properties' (%prod names the prod namespace in staging too).
    staging = {e["name"]: e.get("value") for e in _runtime_env(render(chart, "values-staging.yaml"))}
    assert staging["KOGITO_SERVICE_URL"] == "http://order-approval.workflows.svc.cluster.local:80"
    edited = tmp_path / "order-approval"
    shutil.copytree(chart, edited)
    values = (edited / "values-prod.yaml").read_text()
    kept = [line for line in values.splitlines() if not line.startswith(("jobService:", "  url:"))]
    (edited / "values-prod.yaml").write_text("\n".join(kept) + "\n")
    error = render(edited, "values-prod.yaml", ok=False)[0]["error"]
    assert "jobService.url is required: workflow 'order-approval': workflowExecTimeout P7D" in error


def _runtime_env(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]
    return env


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_runtime_environment_planning_assumes_is_the_one_rendered(
    variant: str, variant_charts: dict[str, Path], render: Render
) -> None:
    """Placeholder checks take `runtime_env` as what the chart sets; the templates decide it.
    Rendered, every variable is in it, and all it holds is rendered but what others inject
    (K_SINK) or properties the chart sets without a variable."""
    repo = variant_charts[variant].parent
    settings = load_settings({}, repo)
    plans = plan_repository(settings, Diagnostics())
    wset = load_workflows(settings.workflows, Diagnostics())
    resolve(wset, Diagnostics())
    projects = {p.name: p for p in wset.projects}
    checked = 0
    for plan in (p for p in plans if p.kind == "production"):
        facts = project_facts(projects[plan.name], wset.specs, Diagnostics())
        for env, values in plan.values.items():
            assert isinstance(values, ProductionValues)
            data = plan.data.environments[env]
            objects = render(variant_charts[variant] / plan.name, f"values-{env}.yaml")
            rendered = {e["name"] for e in _runtime_container(objects).get("env", [])}
            assumed = runtime_env(facts, data, values)
            assert rendered - set(values.env) <= assumed, (plan.name, env)
            # Properties set without a variable: the Vault Agent's lines, the credential files.
            properties = {n for b in data.secretBindings for n in (b.property, b.env)}
            assert assumed - rendered <= {"K_SINK"} | properties, (plan.name, env)
            assert not {b.env for b in data.secretBindings} & rendered, (plan.name, env)
            checked += 1
    assert checked == 6


def _runtime_container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The workflow runtime's container: the Deployment's, or the SonataFlow's pod template's."""
    [runtime] = [o for o in objects if o["kind"] in ("Deployment", "SonataFlow")]
    if runtime["kind"] == "SonataFlow":
        container: dict[str, Any] = runtime["spec"]["podTemplate"]["container"]
        return container
    first: dict[str, Any] = runtime["spec"]["template"]["spec"]["containers"][0]
    return first


def test_a_database_outside_the_cluster_is_reached_by_its_jdbc_url(tmp_path: Path, render: Render) -> None:
    """`pg.db.svc.example.com` is a host elsewhere: the SonataFlow CR named it as the Service
    `pg` of namespace `db` while planning gave it no NetworkPolicy rule. One rule decides both."""
    database = {"host": "pg.db.svc.example.com", "port": 5432, "database": "workflows", "credentials": "db"}
    repo = make_variant(tmp_path, "sonataflow", {"persistence": {"postgresql": database}})
    result = run_cli("-C", str(repo), "generate")
    assert result.code == 0, result.err
    assert "the database pg.db.svc.example.com is a host outside the cluster" in result.err
    objects = render(repo / "charts" / "order-approval", "values-prod.yaml")
    flows = [o for o in objects if o["kind"] == "SonataFlow"]
    assert flows
    for flow in flows:
        postgresql = flow["spec"]["persistence"]["postgresql"]
        assert "serviceRef" not in postgresql
        assert postgresql["jdbcUrl"].startswith("jdbc:postgresql://pg.db.svc.example.com:5432/workflows")


def test_instance_events_go_to_the_data_index_the_profile_names(tmp_path: Path, render: Render) -> None:
    """dataIndex.url -> the properties the process events add-on reads (HTTP CloudEvents to
    <url>/processes and /definitions), in the file the checksum hashes; none without it."""
    url = "http://data-index.platform.svc.cluster.local"
    repo = make_variant(tmp_path, "vso", {"dataIndex": {"url": url}})
    assert run_cli("-C", str(repo), "generate").code == 0
    objects = render(repo / "charts/order-approval", "values-prod.yaml")
    [config] = [c for c in kinds(objects, "ConfigMap") if c["metadata"]["name"] == "order-approval-config"]
    props = config["data"]["application.properties"]
    assert f"mp.messaging.outgoing.kogito-processinstances-events.url={url}/processes\n" in props
    assert f"mp.messaging.outgoing.kogito-processdefinitions-events.url={url}/definitions\n" in props
    assert "mp.messaging.outgoing.kogito-processinstances-events.connector=quarkus-http\n" in props
    # user task events are off, but their channel is connected: a runtime starts only then
    assert "kogito.events.usertasks.enabled=false" in props
    assert f"mp.messaging.outgoing.kogito-usertaskinstances-events.url={url}/tasks\n" in props
    moved = render(
        repo / "charts/order-approval", "values-prod.yaml", sets=("dataIndex.url=http://di.other.svc",)
    )
    [deployment] = kinds(moved, "Deployment")
    assert (
        deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
        != one(objects, "Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    )
    plain = make_variant(tmp_path / "plain", "vso")
    assert run_cli("-C", str(plain), "generate").code == 0
    [config] = [
        c
        for c in kinds(render(plain / "charts/order-approval", "values-prod.yaml"), "ConfigMap")
        if c["metadata"]["name"] == "order-approval-config"
    ]
    assert "kogito-processinstances-events" not in config["data"]["application.properties"]
