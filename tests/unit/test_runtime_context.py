"""The runtime build context of a production chart: files, extensions with reasons, pom and
Containerfile agreeing with the chart (pure: no Maven here; tests/runtime builds for real)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from dockerfile_parse import DockerfileParser

from chartgen.charts.chart import working_files
from chartgen.config import SONATAFLOW_VERSION
from chartgen.flows.build import run_build, write_context
from chartgen.plan.dev import RESOURCES_PATH
from chartgen.runtime.context import (
    APP,
    BUILD_IMAGE,
    PINNED,
    QUARKUS_VERSION,
    build_context,
    extensions,
    oauth_specs,
)
from chartgen.runtime.devmode_image import chart_extensions, devmode_context, devmode_image_name
from testing.repo import copy_examples, run_cli

POM = "{http://maven.apache.org/POM/4.0.0}"


@pytest.fixture(scope="module")
def charts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = copy_examples(tmp_path_factory.mktemp("ctx"))
    assert run_cli("-C", str(repo), "generate").code == 0
    return repo / "charts"


def artifacts(files: dict[str, bytes]) -> list[str]:
    return [e.artifact for e in extensions(files)]


def test_extensions_follow_what_the_workflows_need(charts: Path) -> None:
    waiting = artifacts(working_files(charts / "order-approval"))
    assert "kie-addons-quarkus-persistence-jdbc" in waiting and "quarkus-jdbc-postgresql" in waiting
    assert "kie-addons-quarkus-knative-eventing" in waiting  # consumes approval.decision
    calling = artifacts(working_files(charts / "invoice-sync"))
    assert calling[:3] == ["sonataflow-quarkus", "quarkus-resteasy-jackson", "quarkus-smallrye-health"]
    assert "kie-addons-quarkus-persistence-jdbc" not in calling  # it never waits
    reasons = {e.artifact: e.reason for e in extensions(working_files(charts / "shipment-tracker"))}
    assert "consumes 1 and produces 1 event types" in reasons["kie-addons-quarkus-knative-eventing"]
    assert "waits for events" in reasons["kie-addons-quarkus-persistence-jdbc"]


def test_service_uris_add_discovery() -> None:
    files = {
        "files/resources/a.sw.yaml": b"id: a\nfunctions:\n- name: f\n  operation: knative:services.v1.serving.knative.dev/pay?path=/x\n"
    }
    found = {e.artifact: e.reason for e in extensions(files)}
    assert (
        found["kie-addons-quarkus-kubernetes"]
        == "service discovery for knative:services.v1.serving.knative.dev/pay"
    )


def test_resources_are_exactly_the_chart_files(charts: Path) -> None:
    files = working_files(charts / "order-approval")
    context = build_context("order-approval", files, 10001)
    resources = sorted(r for r in context if r.startswith("src/main/resources/"))
    assert resources == [
        "src/main/resources/application.properties",
        "src/main/resources/order-approval.sw.yaml",
        "src/main/resources/schemas/order-approval-input.json",
        "src/main/resources/subflows/notify-approver.sw.yaml",
    ]
    assert (
        context["src/main/resources/order-approval.sw.yaml"]
        == files["files/resources/order-approval.sw.yaml"]
    )
    assert build_context("order-approval", files, 10001) == context  # deterministic


def test_pom_pins_versions_in_one_place_and_fixes_flyway_for_persistence(charts: Path) -> None:
    pom = ET.fromstring(
        build_context("order-approval", working_files(charts / "order-approval"), 10001)["pom.xml"]
    )
    props = {p.tag.removeprefix(POM): p.text for p in pom.find(f"{POM}properties") or []}
    assert props["sonataflow.version"] == SONATAFLOW_VERSION and props["quarkus.version"] == QUARKUS_VERSION
    assert props["quarkus.flyway.locations"] == "classpath:db/postgresql"
    # Without generate-code no REST client exists for an OpenAPI operation: the runtime fails
    # with "Could not find work item handler for <spec>_<operation>" (tests/runtime/test_large_spec.py).
    goals = [g.text for g in pom.iter(f"{POM}goal")]
    assert goals == ["generate-code", "build"]
    plain = ET.fromstring(
        build_context("invoice-sync", working_files(charts / "invoice-sync"), 10001)["pom.xml"]
    )
    assert "quarkus.flyway.locations" not in {
        p.tag.removeprefix(POM) for p in plain.find(f"{POM}properties") or []
    }


def test_timers_get_the_jobs_service_client_only_where_workflows_have_timers(charts: Path) -> None:
    needed = extensions(working_files(charts / "order-approval"))
    jobs = next(e for e in needed if e.artifact == "kogito-addons-quarkus-jobs-management")
    assert jobs.reason.startswith("timers (workflow 'order-approval': workflowExecTimeout P7D; …)")
    plain = build_context("invoice-sync", working_files(charts / "invoice-sync"), 10001)
    assert b"jobs-management" not in plain["pom.xml"]


def test_containerfile_matches_the_maven_output_and_the_chart(charts: Path) -> None:
    files = working_files(charts / "order-approval")
    uid = yaml.safe_load(files["values.yaml"])["securityContext"]["runAsUser"]
    parser = DockerfileParser(fileobj=None)
    parser.content = build_context("order-approval", files, uid)["Containerfile"].decode()
    stages = [i for i in parser.structure if i["instruction"] == "FROM"]
    assert len(stages) == 2  # Maven build, then a JRE runtime
    runtime = parser.structure[parser.structure.index(stages[1]) :]
    by = {i["instruction"]: i["value"] for i in runtime}
    assert by["WORKDIR"] == APP  # Quarkus reads ./config/application.properties: the chart's mount
    assert by["USER"] == f"{uid}:{uid}"
    assert by["ENTRYPOINT"] == f'["java", "-Djava.io.tmpdir=/tmp", "-jar", "{APP}/quarkus-run.jar"]'
    copies = [i["value"].split()[-2:] for i in runtime if i["instruction"] == "COPY"]
    sources = {src.removeprefix("/build/") for src, _ in copies}
    assert sources == {
        "target/quarkus-app/lib/",
        "target/quarkus-app/app/",
        "target/quarkus-app/quarkus/",
        "target/quarkus-app/quarkus-run.jar",
    }
    assert all(dest.startswith(APP + "/") for _, dest in copies)


def test_contexts_are_rewritten_in_place_and_keep_maven_output(tmp_path: Path, charts: Path) -> None:
    folder = tmp_path / "ctx"
    write_context(folder, {"pom.xml": b"a", "src/main/resources/x.sw.yaml": b"x"})
    (folder / "target").mkdir()
    (folder / "target/keep.jar").write_bytes(b"jar")
    before = (folder / "pom.xml").stat().st_mtime_ns
    write_context(folder, {"pom.xml": b"a"})
    assert not (folder / "src/main/resources/x.sw.yaml").exists()
    assert (folder / "target/keep.jar").read_bytes() == b"jar"
    assert (folder / "pom.xml").stat().st_mtime_ns == before
    built = run_build(charts, tmp_path / "build", ["invoice-sync"], packaged=False)
    assert [b.name for b in built] == ["invoice-sync"] and (
        tmp_path / "build/invoice-sync/Containerfile"
    ).is_file()


def test_an_unknown_chart_is_named_with_the_production_charts(charts: Path, tmp_path: Path) -> None:
    result = run_cli("build", "--charts", str(charts), "--chart", "acme-workflow", "--no-package")
    assert result.code == 1
    assert (
        "no production chart of that name (charts: invoice-sync, order-approval, shipment-tracker)"
        in result.err
    )
    dev = run_cli("build", "--charts", str(charts), "--chart", "acme-workflows-dev", "--no-package")
    assert dev.code == 1 and "the dev chart's build is its devmode image: add --image" in dev.err


def test_the_devmode_image_context_is_the_dev_pods_project_run_offline(charts: Path) -> None:
    files = working_files(charts / "acme-workflows-dev")
    upstream = "docker.io/apache/incubator-kie-sonataflow-devmode:10.0.0"
    context = devmode_context("acme-workflows-dev", files, upstream, PINNED)
    assert sorted(context) == [".dockerignore", "Containerfile", "pom.xml", "settings.xml", "warm-up.sh"]
    assert devmode_context("acme-workflows-dev", files, upstream, PINNED) == context  # deterministic
    parser = DockerfileParser(fileobj=None)
    parser.content = context["Containerfile"].decode()
    by = {i["instruction"]: i["value"] for i in parser.structure}
    assert by["FROM"] == BUILD_IMAGE and upstream in parser.content
    # the pod mounts its projected volume into this project's resources folder
    assert by["WORKDIR"] + "/src/main/resources" == RESOURCES_PATH
    assert by["USER"] == "1001:0"  # numeric: the pod's runAsNonRoot can be verified
    command = json.loads(by["CMD"])
    assert command[:3] == ["mvn", "-B", "-o"] and command[-2:] == ["clean", "quarkus:dev"]
    assert not any(flag.startswith("-Dquarkus.http.host") for flag in command)  # the env's, 0.0.0.0
    assert by["ENV"] == "QUARKUS_HTTP_HOST=0.0.0.0"
    settings = ET.fromstring(context["settings.xml"])
    assert settings.findtext("{*}localRepository") == "/home/kogito/.m2/repository"
    artifacts = {e.artifact for e in chart_extensions(files)}
    assert {"sonataflow-quarkus", "kie-addons-quarkus-knative-eventing"} <= artifacts
    assert "kie-addons-quarkus-persistence-jdbc" not in artifacts  # dev mode keeps nothing
    assert b"<artifactId>kie-addons-quarkus-knative-eventing</artifactId>" in context["pom.xml"]
    assert devmode_image_name("acme-workflows-dev", PINNED) == (
        f"localhost/chartgen/acme-workflows-dev-devmode:{SONATAFLOW_VERSION}"
    )


def test_a_called_subflow_id_the_runtime_cannot_compile_is_a_located_error(tmp_path: Path) -> None:
    from testing.trees import build_tree

    build_tree(
        tmp_path,
        {
            "workflows/p/main.sw.yaml": """
                id: main
                specVersion: "0.8"
                start: Call
                states:
                  - name: Call
                    type: operation
                    actions:
                      - subFlowRef: send-mail
                    end: true
            """,
            "workflows/p/subflows/send.sw.yaml": """
                id: send-mail
                specVersion: "0.8"
                start: Done
                states:
                  - name: Done
                    type: inject
                    data: {}
                    end: true
            """,
        },
    )
    result = run_cli("validate", "--workflows", "workflows")
    assert result.code == 1
    assert (
        "workflows/p/main.sw.yaml:8:21: error: state 'Call' calls subflow 'send-mail': the SonataFlow runtime "
        "makes a Java name of a called subflow's id"
    ) in result.err
    assert "e.g. 'sendMail'" in result.err


def test_an_oauth2_secured_spec_brings_the_oidc_client_filter() -> None:
    oauth = b"openapi: 3.0.3\ncomponents:\n  securitySchemes:\n    t: {type: oauth2, flows: {}}\n"
    bearer = b"openapi: 3.0.3\ncomponents:\n  securitySchemes:\n    t: {type: http, scheme: bearer}\n"
    swagger = b'{"swagger": "2.0", "securityDefinitions": {"k": {"type": "oauth2"}}}'
    files = {
        "files/resources/specs/a.yaml": oauth,
        "files/resources/specs/b.yaml": bearer,
        "files/resources/specs/c.json": swagger,
        "files/resources/x.sw.yaml": oauth,  # a workflow, never a spec
    }
    assert oauth_specs(files) == {"specs/a.yaml", "specs/c.json"}
    assert "quarkus-oidc-client-filter" in [e.artifact for e in extensions(files)]


def test_chartgen_yaml_overrides_the_pinned_runtime_versions(charts: Path) -> None:
    repo = charts.parent
    config = (repo / "chartgen.yaml").read_text()
    (repo / "chartgen.yaml").write_text(config + 'runtime: {sonataflow: "10.0.1", quarkus: "3.8.6"}\n')
    try:
        result = run_cli("-C", str(repo), "build", "--chart", "invoice-sync", "--no-package", "--out", "ctx")
        assert result.code == 0, result.err
        pom = ET.fromstring((repo / "ctx/invoice-sync/pom.xml").read_bytes())
        props = {p.tag.removeprefix(POM): p.text for p in pom.find(f"{POM}properties") or []}
        assert (props["sonataflow.version"], props["quarkus.version"]) == ("10.0.1", "3.8.6")
        (repo / "chartgen.yaml").write_text(config + 'runtime: {sonataflow: "latest"}\n')
        bad = run_cli("-C", str(repo), "build", "--no-package", "--out", "ctx")
        assert bad.code == 1
        assert "chartgen.yaml:" in bad.err and "runtime.sonataflow" in bad.err and "10.0.0" in bad.err
    finally:
        (repo / "chartgen.yaml").write_text(config)
