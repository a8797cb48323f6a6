"""`chartgen run` on the dev chart, its pure parts: rendered objects -> the devmode project
(resources at the pod's paths, pom, env), Maven's command line, the kubelet-style projected
folder, the dev JVM's PID, and the fail-fast wait."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from chartgen.errors import UserError
from chartgen.flows.run import dev_environment
from chartgen.plan.dev import RESOURCES_PATH
from chartgen.runtime.container import resolve
from chartgen.runtime.devmode import (
    DATA,
    RunningDevmode,
    dev_jvm,
    dev_project,
    maven_argv,
    offline_miss,
    project_volume,
    projected,
    wait_ready,
)
from chartgen.runtime.postgres import free_port

WORKFLOW = "id: hello\nspecVersion: '0.8'\nstart: A\nstates: [{name: A, type: inject, data: {}, end: true}]\n"
OAUTH_SPEC = (
    "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
    "components: {securitySchemes: {o: {type: oauth2, flows: {}}}}\n"
)


def config_map(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def dev_chart(mount: str = RESOURCES_PATH) -> list[dict[str, Any]]:
    """What the dev chart renders, in the parts dev mode reads (the shape of acme-workflows-dev)."""
    container = {
        "name": "devmode",
        "ports": [{"name": "http", "containerPort": 8080}],
        "env": [
            {"name": "QUARKUS_HTTP_PORT", "value": "8080"},
            {
                "name": "BILLING_API_TOKEN",
                "valueFrom": {"secretKeyRef": {"name": "s", "key": "billing_api_token", "optional": True}},
            },
        ],
        "startupProbe": {
            "httpGet": {"path": "/q/health/started"},
            "periodSeconds": 10,
            "failureThreshold": 90,
        },
        "volumeMounts": [{"name": "resources", "mountPath": mount}, {"name": "tmp", "mountPath": "/tmp"}],
    }
    volumes = [
        {
            "name": "resources",
            "projected": {
                "sources": [
                    {"configMap": {"name": "dev-config"}},
                    {"configMap": {"name": "dev-root-0"}},
                    {
                        "configMap": {
                            "name": "dev-nested-0",
                            "items": [{"key": "specs__billing.yaml", "path": "specs/billing.yaml"}],
                        }
                    },
                ]
            },
        },
        {"name": "tmp", "emptyDir": {}},
    ]
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "acme-dev"},
        "spec": {"template": {"spec": {"containers": [container], "volumes": volumes}}},
    }
    return [
        config_map("dev-config", {"application.properties": "quarkus.log.level=INFO\n"}),
        config_map("dev-root-0", {"hello.sw.yaml": WORKFLOW}),
        config_map("dev-nested-0", {"specs__billing.yaml": OAUTH_SPEC}),
        deployment,
    ]


def test_the_project_holds_the_projected_files_at_the_pods_paths_with_the_pinned_pom() -> None:
    project = dev_project(dev_chart(), name="acme-dev")
    assert project.resources == {
        "application.properties": b"quarkus.log.level=INFO\n",
        "hello.sw.yaml": WORKFLOW.encode(),
        "specs/billing.yaml": OAUTH_SPEC.encode(),
    }
    artifacts = [e.artifact for e in project.extensions]
    # chartgen build's rules (an OAuth2 spec brings the OIDC client filter) plus the image's events
    assert artifacts[:3] == ["sonataflow-quarkus", "quarkus-resteasy-jackson", "quarkus-smallrye-health"]
    assert "quarkus-oidc-client-filter" in artifacts
    assert artifacts.count("kie-addons-quarkus-knative-eventing") == 1
    assert "<artifactId>acme-dev</artifactId>" in project.pom
    assert "<sonataflow.version>10.0.0</sonataflow.version>" in project.pom
    assert "<quarkus.version>3.8.4</quarkus.version>" in project.pom
    assert "<artifactId>kie-addons-quarkus-knative-eventing</artifactId>" in project.pom
    assert project.resolved.startup_path == "/q/health/started"


def test_an_optional_secret_key_is_left_unset_unless_the_secrets_file_gives_it() -> None:
    without = dev_project(dev_chart())
    assert "BILLING_API_TOKEN" not in without.resolved.env and without.resolved.placeholders == []
    given = dev_project(dev_chart(), secrets={"billing_api_token": "tok-1"})
    assert given.resolved.env["BILLING_API_TOKEN"] == "tok-1"
    assert given.resolved.secret_values == ["tok-1"]  # masked in every log line shown


def test_a_chart_whose_pod_mounts_nothing_at_the_devmode_folder_is_refused() -> None:
    with pytest.raises(UserError, match="not a dev chart: its pod mounts nothing at /home/kogito"):
        dev_project(dev_chart(mount="/deployments/config"))


def test_maven_runs_dev_mode_as_the_image_does_offline_or_online() -> None:
    offline = maven_argv("/usr/bin/mvn", offline=True)
    assert offline[:3] == ["/usr/bin/mvn", "-B", "-o"] and offline[-2:] == ["clean", "quarkus:dev"]
    assert "-Dquarkus.http.host=127.0.0.1" in offline and "-Ddebug=false" in offline
    assert "-Dquarkus.console.enabled=false" in offline
    assert "-o" not in maven_argv("mvn", offline=False)


def test_only_maven_lacking_an_artifact_offline_is_retried_online() -> None:
    missing = (
        "[ERROR] Failed to execute goal on project x: Cannot access central (https://repo.maven.apache.org/"
        "maven2) in offline mode and the artifact org.kie:a:jar:10.0.0 has not been downloaded from it before."
    )
    assert offline_miss(missing)
    assert not offline_miss("ERROR [io.qua.dep.dev.IsolatedDevModeMain] Failed to start quarkus")


def test_the_resources_folder_is_laid_out_and_updated_as_the_kubelet_projects_a_volume(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "resources"
    project_volume(folder, {"a.sw.yaml": b"one", "specs/s.yaml": b"spec", "gone.sw.yaml": b"x"})
    first = os.readlink(folder / DATA)
    assert first.startswith("..") and (folder / first).is_dir()
    assert os.readlink(folder / "a.sw.yaml") == f"{DATA}/a.sw.yaml"
    assert os.readlink(folder / "specs") == f"{DATA}/specs"
    assert (folder / "specs/s.yaml").read_bytes() == b"spec"
    (folder / "dropped.sw.yaml").write_bytes(b"by hand")  # a user's own file stays

    time.sleep(0.01)
    project_volume(folder, {"a.sw.yaml": b"two", "specs/s.yaml": b"spec", "new.sw.yaml": b"new"})
    second = os.readlink(folder / DATA)
    assert second != first and not (folder / first).exists()  # the old payload is removed
    assert (folder / "a.sw.yaml").read_bytes() == b"two"
    assert (folder / "new.sw.yaml").read_bytes() == b"new"
    assert not (folder / "gone.sw.yaml").exists() and not (folder / "gone.sw.yaml").is_symlink()
    assert (folder / "dropped.sw.yaml").read_bytes() == b"by hand"
    assert projected(folder) == {"a.sw.yaml": b"two", "new.sw.yaml": b"new", "specs/s.yaml": b"spec"}
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("..")) == [second, DATA]


@pytest.mark.parametrize("bad", ["../x.sw.yaml", "/etc/x", "..data/x", "a/../../b"])
def test_a_path_outside_the_volume_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(UserError, match="not a path inside a volume"):
        project_volume(tmp_path / "r", {bad: b"x"})


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_the_dev_jvm_is_the_descendant_running_the_dev_jar() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "app-dev.jar"])
    try:
        deadline = time.monotonic() + 10
        while dev_jvm(os.getpid()) is None and time.monotonic() < deadline:
            time.sleep(0.05)  # until the child has exec'd
        assert dev_jvm(os.getpid()) == child.pid
    finally:
        child.kill()
        child.wait()
    assert dev_jvm(os.getpid()) is None


def test_a_failed_first_start_is_reported_at_once_not_after_the_probe_allowance(tmp_path: Path) -> None:
    """Dev mode keeps running when the app fails to start (it waits for a fixed file)."""
    log = tmp_path / "devmode.log"
    log.write_text(
        "INFO compiling\nERROR [io.qua.dep.dev.IsolatedDevModeMain] (main) Failed to start quarkus: boom\n"
    )
    process = subprocess.Popen(["sleep", "60"], start_new_session=True)
    stack = contextlib.ExitStack()
    running = RunningDevmode(
        f"http://127.0.0.1:{free_port()}", process, tmp_path, log, [], None, [], [], stack, project=tmp_path
    )
    resolved = resolve(dev_chart(), {})
    start = time.monotonic()
    try:
        problem = wait_ready(running, resolved, lambda _m: None)
    finally:
        running.stop()
    assert problem.startswith("failed to start (Failed to start quarkus: boom")
    assert time.monotonic() - start < 10  # the allowance is 300 s


def test_the_dev_chart_has_one_environment() -> None:
    files = {
        "Chart.yaml": b"name: acme-dev\nannotations:\n  chartgen/mode: dev\n  chartgen/environment: dev\n",
        "values.yaml": b"{}\n",
    }
    assert dev_environment(files, "acme-dev", None).name == "dev"
    assert dev_environment(files, "acme-dev", "dev").values == []
    with pytest.raises(UserError, match=r"acme-dev: no environment prod \(a dev chart has one: dev\)"):
        dev_environment(files, "acme-dev", "prod")
    with pytest.raises(UserError, match="orders is not a dev chart"):
        dev_environment({"Chart.yaml": b"name: orders\n"}, "orders", None)
