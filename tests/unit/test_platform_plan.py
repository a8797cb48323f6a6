"""The platform chart's plan, on real trees through `chartgen generate`: what it runs per
environment, how each service scales, what the production charts send to it, and the located
refusals of profiles it cannot serve."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import yaml

from testing.repo import CliResult, run_cli
from testing.trees import build_tree
from tests.unit.test_production_plan import SLEEPER

BASE = """
    image:
      repository: registry.example.com/wf/{workflow}
      tag: "{version}"
    persistence:
      postgresql: {host: pg.db.svc, database: workflows, credentials: db}
    secrets:
      vault: {address: "https://vault.example.com:8200"}
    networkPolicy:
      ingress: [{namespace: clients}]
"""
PLATFORM = "platform: {jobService: true, dataIndex: true}\n"
CHART = "acme-platform"


def generate(root: Path, prod: str = PLATFORM, staging: str = PLATFORM) -> CliResult:
    head = "extends: base\nmode: production\nnamespace: wf-{env}\n"
    build_tree(
        root,
        {
            "chartgen.yaml": "name: acme\n",
            "workflows/greet/napper.sw.yaml": SLEEPER,
            "profiles/base.yaml": BASE,
            "profiles/prod.yaml": head.format(env="prod") + textwrap.dedent(prod),
            "profiles/staging.yaml": head.format(env="staging") + textwrap.dedent(staging),
        },
    )
    return run_cli("-C", str(root), "generate")


def data(root: Path, chart: str = CHART) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (root / "charts" / chart / "files/chartgen-data.yaml").read_text()
    )
    return loaded


def values(root: Path, env: str, chart: str = CHART) -> dict[str, Any]:
    folder = root / "charts" / chart
    shared = yaml.safe_load((folder / "values.yaml").read_text())
    shared.update(yaml.safe_load((folder / f"values-{env}.yaml").read_text()))
    return dict(shared)


def test_one_platform_chart_runs_both_services_per_environment(tmp_path: Path) -> None:
    result = generate(tmp_path)
    assert result.code == 0, result.err
    assert (
        f"charts/{CHART} 0.1.0 (written; platform; 0 workflows; values-prod.yaml, values-staging.yaml)"
        in (result.out)
    )
    planned = data(tmp_path)
    assert planned["kind"] == "platform" and planned["component"] == "platform"
    services = {s["component"]: s for s in planned["environments"]["prod"]["services"]}
    assert set(services) == {"jobs-service", "data-index"}
    jobs, index = services["jobs-service"], services["data-index"]
    # The Jobs Service is a singleton (its leader fires the timers); the Data Index scales.
    assert (jobs["hpa"], jobs["pdb"], index["hpa"], index["pdb"]) == (False, False, True, True)
    env = {e["name"]: e["value"] for e in jobs["env"]}
    assert (
        env["QUARKUS_DATASOURCE_JDBC_URL"]
        == "jdbc:postgresql://pg.db.svc:5432/workflows?currentSchema=jobs_service"
    )
    assert env["MP_MESSAGING_OUTGOING_KOGITO_JOB_SERVICE_JOB_STATUS_EVENTS_HTTP_URL"] == (
        f"http://{CHART}-data-index.wf-prod.svc.cluster.local/jobs"
    )
    # Exactly this repository's runtimes may call it.
    runtimes = {"app.kubernetes.io/component": "workflow-runtime", "app.kubernetes.io/part-of": "acme"}
    assert index["networkPolicy"]["ingress"][0]["from"] == [{"podSelector": {"matchLabels": runtimes}}]
    prod = values(tmp_path, "prod")
    assert prod["jobService"]["replicaCount"] == 1 and "autoscaling" not in prod["jobService"]
    assert prod["dataIndex"]["autoscaling"]["minReplicas"] == 2
    assert prod["jobService"]["image"] == {
        "repository": "registry.example.com/wf/jobs-service",
        "tag": "10.0.0",
        "digest": "",
        "pullPolicy": "IfNotPresent",
    }
    assert prod["vault"]["path"] == f"workflows/prod/{CHART}"
    # The database login is read as files of the Secret, never as variables.
    keys = {b["key"]: b["env"] for b in planned["environments"]["prod"]["secretBindings"]}
    assert keys == {
        "db_username": "QUARKUS_DATASOURCE_USERNAME",
        "db_password": "QUARKUS_DATASOURCE_PASSWORD",
    }


def test_production_charts_send_to_their_environments_platform_by_default(tmp_path: Path) -> None:
    own = "http://jobs.elsewhere.svc.cluster.local"
    result = generate(tmp_path, staging=PLATFORM + f"jobService: {{url: {own!r}}}\n")
    assert result.code == 0, result.err
    prod, staging = values(tmp_path, "prod", "greet"), values(tmp_path, "staging", "greet")
    assert prod["jobService"]["url"] == f"http://{CHART}-jobs-service.wf-prod.svc.cluster.local"
    assert prod["dataIndex"]["url"] == f"http://{CHART}-data-index.wf-prod.svc.cluster.local"
    assert staging["jobService"]["url"] == own  # the profile's own URL wins
    channels = [c["channel"] for c in data(tmp_path, "greet")["processEvents"]]
    assert channels == [
        "kogito-processinstances-events",
        "kogito-processdefinitions-events",
        "kogito-usertaskinstances-events",
    ]


def test_no_platform_is_written_when_no_profile_asks(tmp_path: Path) -> None:
    jobs = 'jobService: {url: "http://jobs.platform.svc.cluster.local"}\n'
    result = generate(tmp_path, prod=jobs, staging=jobs)
    assert result.code == 0, result.err
    assert not (tmp_path / "charts" / CHART).exists()


def test_profiles_a_platform_cannot_serve_are_refused_located(tmp_path: Path) -> None:
    result = generate(
        tmp_path,
        prod=PLATFORM + "runtime: sonataflow\noperatorVersion: '1.37'\n",
        staging=PLATFORM + "secrets: {provider: injector}\n",
    )
    assert result.code == 1
    assert (
        "profiles/prod.yaml:4:1: error: profile 'prod': platform is for the kubernetes runtime; under "
        "runtime sonataflow the operator's SonataFlowPlatform runs the Jobs Service and the Data Index"
    ) in result.err
    assert (
        "profiles/staging.yaml:5:21: error: profile 'staging': platform reads its database login from a Secret"
        in (result.err)
    )
    assert "nothing was written" in result.err and not (tmp_path / "charts").exists()
    assert "Traceback" not in result.err


def test_vault_plan_grants_the_platform_its_database_login(tmp_path: Path) -> None:
    assert generate(tmp_path).code == 0
    result = run_cli(
        "-C", str(tmp_path), "--output", "json", "vault", "plan", "--env", "prod", "--chart", CHART
    )
    assert result.code == 0, result.err
    (access,) = json.loads(result.out)["result"]["plan"]
    assert access["serviceAccount"] == CHART and access["namespace"] == "wf-prod"
    assert access["secret"] == {
        "mount": "kv",
        "path": f"workflows/prod/{CHART}",
        "keys": ["db_password", "db_username"],
    }
    assert access["role"]["name"] == f"chartgen-{CHART}-prod"


def test_a_dev_profile_asking_for_a_platform_is_warned_located(tmp_path: Path) -> None:
    build_tree(tmp_path, {"profiles/dev.yaml": "extends: base\nmode: dev\nnamespace: wf-dev\n" + PLATFORM})
    result = generate(tmp_path)
    assert result.code == 0, result.err
    assert (
        "profiles/dev.yaml:4:1: warning: dev profile 'dev': platform is for production profiles" in result.err
    )


KNATIVE = (
    "platform: {jobService: true, dataIndex: true, events: knative}\n"
    "eventing: {broker: wf-broker, brokerNamespace: knative-brokers}\n"
)
INDEXED = {
    "ProcessInstanceStateDataEvent": "/processes",
    "ProcessInstanceNodeDataEvent": "/processes",
    "ProcessInstanceErrorDataEvent": "/processes",
    "ProcessInstanceVariableDataEvent": "/processes",
    "ProcessInstanceSLADataEvent": "/processes",
    "ProcessDefinitionEvent": "/definitions",
    "JobEvent": "/jobs",
}


def test_events_through_the_broker_reach_the_data_index_by_one_trigger_per_type(tmp_path: Path) -> None:
    result = generate(tmp_path, prod=KNATIVE)
    assert result.code == 0, result.err
    services = {s["component"]: s for s in data(tmp_path)["environments"]["prod"]["services"]}
    jobs, index = services["jobs-service"], services["data-index"]
    assert {t["type"]: t["path"] for t in index["triggers"]} == INDEXED
    assert all(t["name"].startswith(f"{CHART}-data-index-") for t in index["triggers"])
    # The Jobs Service's job events go to the broker (K_SINK, from its SinkBinding).
    assert (jobs["sendsToBroker"], index["sendsToBroker"], jobs["triggers"]) == (True, False, [])
    env = {e["name"]: e["value"] for e in jobs["env"]}
    assert env["MP_MESSAGING_OUTGOING_KOGITO_JOB_SERVICE_JOB_STATUS_EVENTS_HTTP_URL"] == "${K_SINK}"
    # The broker's dispatcher may deliver to the Data Index; the Jobs Service may reach the broker.
    brokers = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "knative-brokers"}}}
    assert {"from": [brokers], "ports": [{"port": 8080, "protocol": "TCP"}]} in index["networkPolicy"][
        "ingress"
    ]
    assert any(rule["to"] == [brokers] for rule in jobs["networkPolicy"]["egress"])
    assert not any("jobs-service" in json.dumps(rule) for rule in index["networkPolicy"]["ingress"])
    kinds = data(tmp_path)["environments"]["prod"]["kinds"]
    assert kinds["eventing.knative.dev"] == ["triggers"] and kinds["sources.knative.dev"] == ["sinkbindings"]
    assert values(tmp_path, "prod")["eventing"]["broker"] == "wf-broker"
    # staging keeps plain HTTP: no Triggers, the Data Index's own URL
    staging = {s["component"]: s for s in data(tmp_path)["environments"]["staging"]["services"]}
    assert staging["data-index"]["triggers"] == [] and values(tmp_path, "staging").get("eventing") is None


def test_a_chart_sending_through_the_broker_gets_k_sink_from_a_sink_binding(tmp_path: Path) -> None:
    result = generate(tmp_path, prod=KNATIVE)
    assert result.code == 0, result.err
    prod = data(tmp_path, "greet")["environments"]["prod"]
    assert prod["eventsToBroker"] is True and "sources.knative.dev" in prod["kinds"]
    assert "eventsToBroker" not in data(tmp_path, "greet")["environments"]["staging"]
    greet = values(tmp_path, "prod", "greet")
    assert greet["eventing"]["broker"] == "wf-broker" and greet["eventing"].get("deadLetterSink") is None
    # Its egress is the broker, not the Data Index's Service.
    egress = json.dumps(prod["networkPolicy"]["egress"])
    assert "knative-brokers" in egress and "data-index" not in egress


def test_events_through_the_broker_need_the_platforms_data_index_and_a_broker(tmp_path: Path) -> None:
    result = generate(
        tmp_path,
        prod="platform: {jobService: true, events: knative}\n",
        staging="platform: {jobService: true, dataIndex: true, events: knative}\n"
        "dataIndex: {url: 'http://di.elsewhere.svc.cluster.local'}\neventing: {enabled: false}\n",
    )
    assert result.code == 1
    assert (
        "profiles/prod.yaml:4:38: error: profile 'prod': platform.events knative routes events to the "
        "platform's Data Index: set platform.dataIndex true"
    ) in result.err
    assert (
        "profile 'staging': platform.events knative delivers to the platform's own Data Index" in result.err
    )
    assert "profile 'staging': platform.events knative needs the Knative broker" in result.err
    assert "Traceback" not in result.err and not (tmp_path / "charts").exists()


def test_events_through_the_broker_without_a_dead_letter_sink_are_warned(tmp_path: Path) -> None:
    result = generate(tmp_path, prod=KNATIVE)
    assert result.code == 0, result.err
    assert (
        "profiles/prod.yaml:4:55: warning: profile 'prod': platform.events knative without "
        "eventing.deadLetterSink"
    ) in result.err
