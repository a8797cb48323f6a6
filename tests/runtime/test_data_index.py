"""The platform's Data Index for real: built from Maven Central (data-index-service-postgresql,
SonataFlow's version), started by `chartgen run` beside a runtime whose profiles name one; the
runtime, built by `chartgen build` with the process events add-on, sends it its instances, and
`chartgen instances` shows each with the state it waits in."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from chartgen.errors import ToolError
from chartgen.plan.platform_services import BROKER_SINK, DATA_INDEX, JOBS_SERVICE, object_name
from chartgen.runtime.local import start_runtime
from chartgen.runtime.platform import start_service
from chartgen.runtime.postgres import ensure_database, throwaway_postgres
from chartgen.tools.kwok import cluster_down, cluster_up
from chartgen.tools.locate import find_tool
from chartgen.verify.lifecycle import install_crds
from testing.e2e import commit, git_repo, helm
from testing.repo import CRDS, CliResult, copy_examples, replace_placeholders, require, run_cli
from testing.variants import make_variant
from tests.runtime import helpers
from tests.runtime.fixtures_events import (
    Received,
    StubServer,
    apply_sink_binding,
    deliver,
    render_with,
    wait_until,
)
from tests.runtime.helpers import ORDER, call, wait_for_output
from tests.runtime.test_local_run import APP

pytestmark = pytest.mark.runtime

CHART = "order-approval"
PLATFORM_CHART = "acme-workflows-platform"
IN_CLUSTER = "http://data-index.platform.svc.cluster.local"
GUARD_CLUSTER = "chartgen-guard"
PROD = "workflows-prod"
CONTROL_PLANE = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubectl",
    "etcd",
    "kwok",
    "kwokctl",
)
REASON = "order desk re-enters the 1 waiting order by hand (ticket OPS-42)"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, helm_binary: Path) -> Path:
    """The examples, every production profile sending events to the platform's Data Index;
    charts generated and order-approval's runtime built."""
    require("java", shutil.which("java") is not None)
    require("mvn", shutil.which("mvn") is not None)
    repo = copy_examples(tmp_path_factory.mktemp("data-index"))
    for env in ("prod", "staging"):
        profile = repo / "profiles" / f"{env}.yaml"
        profile.write_text(profile.read_text() + f'dataIndex: {{url: "{IN_CLUSTER}"}}\n')
    generated = run_cli("-C", str(repo), "generate")
    assert generated.code == 0, generated.err
    start = time.monotonic()
    built = run_cli("-C", str(repo), "build", "--chart", CHART)
    assert built.code == 0, built.out + built.err
    assert "kie-addons-quarkus-events-process" in (repo / "build" / CHART / "pom.xml").read_text()
    print(
        f"\n[runtime] chartgen build --chart {CHART} (with the events add-on): {time.monotonic() - start:.0f}s"
    )
    return repo


def _instances(repo: Path, url: str, *args: str) -> list[dict[str, object]]:
    shown = run_cli(
        "-C", str(repo), "--output", "json", "instances", "--env", "prod", "--data-index", url, *args
    )
    assert shown.code == 0, shown.out + shown.err
    found: list[dict[str, object]] = json.loads(shown.out)["result"]["instances"]
    return found


def test_an_instance_started_in_the_runtime_is_listed_with_the_state_it_waits_in(
    repo: Path, tmp_path: Path
) -> None:
    out, err = tmp_path / "out", tmp_path / "err"
    start = time.monotonic()
    process = helpers.chartgen_run(repo, CHART, "--env", "prod", out=out, err=err)
    try:
        url = wait_for_output(out, rf"{CHART} \(prod\) on (http://127\.0\.0\.1:\d+)", process, 400).group(1)
        index = wait_for_output(out, r"Data Index: (http://127\.0\.0\.1:\d+)", process, 5).group(1)
        print(
            f"\n[runtime] chartgen run with the Data Index and the Jobs Service: {time.monotonic() - start:.1f}s"
        )
        status, started, _ = call(url + f"/{CHART}", ORDER)
        assert status == 201, out.read_text()
        instance = started["id"]
        # The runtime sends its events when each transaction ends, the Data Index applies them
        # as they come: poll until it shows the instance where it waits.
        deadline = time.monotonic() + 30
        listed: dict[str, object] = {}
        while listed.get("waiting_in") != ["WaitForDecision"] and time.monotonic() < deadline:
            listed = next((i for i in _instances(repo, index) if i["id"] == instance), {})
            time.sleep(0.5)
        print(f"[runtime] the instance listed by chartgen instances after {time.monotonic() - start:.1f}s")
        assert (listed.get("workflow"), listed.get("status"), listed.get("waiting_in")) == (
            "order-approval",
            "active",
            ["WaitForDecision"],
        ), listed
        assert listed["version"] and listed["started"] and listed["updated"]
        waiting = _instances(repo, index, "--state", "WaitForDecision", "--status", "active")
        assert instance in [i["id"] for i in waiting]
        done = _instances(repo, index, "--status", "completed")
        assert instance not in [i["id"] for i in done]
        assert {i["workflow"] for i in done} <= {"notifyApprover"}  # the subflow it ran, ended
        text = run_cli("-C", str(repo), "instances", "--env", "prod", "--data-index", index).out
        assert f"{instance}  order-approval" in text and "WaitForDecision" in text
        helpers.interrupt(process, err)
    finally:
        helpers.kill_if_running(process)
    down = run_cli("-C", str(repo), "instances", "--env", "prod", "--data-index", index)
    assert down.code == 1 and f"the Data Index at {index} cannot be reached" in down.err


def _waiting(repo: Path, index: str, instance: str, state: str) -> dict[str, object]:
    """The instance as `chartgen instances` lists it, once the Data Index shows it in `state`
    (the runtime sends its events when each transaction ends)."""
    deadline = time.monotonic() + 30
    listed: dict[str, object] = {}
    while listed.get("waiting_in") != [state] and time.monotonic() < deadline:
        listed = next((i for i in _instances(repo, index) if i["id"] == instance), {})
        time.sleep(0.5)
    return listed


def _control_plane() -> None:
    try:
        for tool in CONTROL_PLANE:
            find_tool(tool)
    except ToolError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"control-plane binaries missing ({exc}): scripts/toolchain.sh must run first")
        pytest.skip("control-plane binaries missing (run scripts/toolchain.sh)")


PLATFORM_STUB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: data-index, namespace: platform}
spec:
  selector: {matchLabels: {app: data-index}}
  template:
    metadata: {labels: {app: data-index}}
    spec: {containers: [{name: data-index, image: "data-index:stub", ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: data-index, namespace: platform}
spec: {selector: {app: data-index}, ports: [{port: 80, targetPort: 8080}]}
"""


def _forward_platform_to(port: int) -> str:
    """kwok configuration: `kubectl port-forward` to a pod of namespace platform reaches this
    machine's `port` (the Data Index chartgen run started), as it would reach the real pod."""
    return (
        "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: ClusterPortForward\nmetadata: {name: data-index-here}\n"
        f"spec:\n  selector: {{matchNamespaces: [platform]}}\n  forwards:\n"
        f"  - target: {{port: {port}, address: 127.0.0.1}}\n"
    )


def test_deploy_never_strands_an_instance_waiting_in_a_state_the_new_version_removes(
    repo: Path, tmp_path: Path
) -> None:
    """An order waits in WaitForDecision (real runtime, real Data Index, reached at its
    in-cluster address through `kubectl port-forward` on a real API server, kwok forwarding the
    pod's port to it); the next version renames that state; `version bump` says major; the PR
    diff names the instance; `deploy` (the release's chart read back from Helm's record)
    refuses it, exit 2; with --allow-stranded it goes ahead and the revision records why; a
    version that removes only a state no instance waits in goes ahead."""
    _control_plane()
    out, err = tmp_path / "out", tmp_path / "err"
    process = helpers.chartgen_run(repo, CHART, "--env", "prod", out=out, err=err)
    cluster_down(GUARD_CLUSTER)
    try:
        url = wait_for_output(out, rf"{CHART} \(prod\) on (http://127\.0\.0\.1:\d+)", process, 400).group(1)
        index = wait_for_output(out, r"Data Index: (http://127\.0\.0\.1:(\d+))", process, 5)
        cluster = cluster_up(GUARD_CLUSTER, nodes=1, extra=[_forward_platform_to(int(index.group(2)))])
        kubectl = cluster.kubectl()
        kubectl.run(["create", "namespace", "platform"])
        kubectl.run(["apply", "-f", "-"], input_text=PLATFORM_STUB)
        deadline = time.monotonic() + 60  # the Deployment's pod, made Ready by kwok
        while "Running" not in kubectl.run(["get", "pods", "-n", "platform", "-l", "app=data-index"]).stdout:
            assert time.monotonic() < deadline, "the platform's stub pod never ran"
            time.sleep(1)
        install_crds(kubectl, [CRDS / "vso", CRDS / "knative"])

        status, started, _ = call(url + f"/{CHART}", ORDER)
        assert status == 201, out.read_text()
        instance = str(started["id"])
        assert _waiting(repo, index.group(1), instance, "WaitForDecision").get("status") == "active"
        # The profiles name the in-cluster address: chartgen reaches it through the cluster.
        through = run_cli(
            "-C", str(repo), "--output", "json", "instances", "--env", "prod", "--kubeconfig", str(cluster.kubeconfig)
        )  # fmt: skip
        assert through.code == 0, through.out + through.err
        listed = json.loads(through.out)["result"]
        assert listed["dataIndex"].startswith(f"{IN_CLUSTER} (port-forward 127.0.0.1:"), listed["dataIndex"]
        assert instance in [i["id"] for i in listed["instances"]]

        work = git_repo(tmp_path)
        replace_placeholders(work)
        for env in ("prod", "staging"):
            profile = work / "profiles" / f"{env}.yaml"
            profile.write_text(profile.read_text() + f'dataIndex: {{url: "{IN_CLUSTER}"}}\n')
        assert run_cli("-C", str(work), "generate").code == 0
        commit(work, "v1")

        def deploy(*args: str) -> CliResult:
            result = run_cli(
                "-C", str(work), "deploy", "--env", "prod", "--chart", CHART, "--skip-vault-check",
                "--create-namespace", "--kubeconfig", str(cluster.kubeconfig), *args,
            )  # fmt: skip
            assert "Traceback" not in result.out + result.err
            return result

        first = deploy()
        assert first.code == 0 and f"{CHART} installed" in first.out, first.out + first.err
        assert "stranded check: no chart removes" in first.out

        subprocess.run(["git", "checkout", "-q", "-b", "rename"], cwd=work, check=True)
        flow = work / "workflows" / CHART / f"{CHART}.sw.yaml"
        flow.write_text(flow.read_text().replace("WaitForDecision", "AwaitDecision"))
        assert run_cli("-C", str(work), "generate").code == 0
        bump = run_cli("-C", str(work), "version", "bump", "--base", "main")
        assert bump.code == 0, bump.out + bump.err
        assert (
            "major" in bump.out
            and "state 'WaitForDecision' removed from workflow 'order-approval'" in bump.out
        )
        commit(work, "rename the decision state")
        diff = run_cli(
            "-C", str(work), "diff", "--base", "main", "--format", "markdown", "--chart", CHART,
            "--data-index", f"prod={index.group(1)}",
        )  # fmt: skip
        assert diff.code == 0, diff.out + diff.err
        assert f"**{CHART} removes what persisted instances may need** (a major version):" in diff.out
        assert f"- prod: 1 instance would be stranded (the Data Index at {index.group(1)})" in diff.out
        assert f"  - instance {instance} of '{CHART}' (active) waits in 'WaitForDecision'" in diff.out
        assert "- staging: not asked (--data-index staging=URL)" in diff.out

        refused = deploy()  # the Data Index of the profiles, through a port-forward on the deploy's cluster
        assert refused.code == 2, refused.out + refused.err
        assert f"✖ {CHART} refused: 1 instance would be stranded" in refused.out
        assert (
            f"stranded: instance {instance} of '{CHART}' (active) waits in 'WaitForDecision': state "
            f"'WaitForDecision' removed from workflow '{CHART}'"
        ) in refused.out
        history = json.loads(helm(cluster, "history", CHART, "-n", PROD, "-o", "json"))
        assert len(history) == 1  # nothing was upgraded

        allowed = deploy("--allow-stranded", REASON)
        assert allowed.code == 0 and f"{CHART} upgraded" in allowed.out, allowed.out + allowed.err
        assert f'ALLOWED by --allow-stranded "{REASON}"' in allowed.out
        assert f"stranded: instance {instance}" in allowed.out
        history = json.loads(helm(cluster, "history", CHART, "-n", PROD, "-o", "json"))
        assert history[-1]["description"] == f"chartgen --allow-stranded: {REASON}"

        # Back to the first version: it removes AwaitDecision, where no instance waits.
        subprocess.run(["git", "checkout", "-q", "main"], cwd=work, check=True)
        back = deploy("--data-index", index.group(1))
        assert back.code == 0 and f"{CHART} upgraded" in back.out, back.out + back.err
        assert "stranded check: no live instance waits in what 1 charts remove" in back.out
        helpers.interrupt(process, err)
    finally:
        helpers.kill_if_running(process)
        cluster_down(GUARD_CLUSTER)


def _event(request: Received) -> tuple[dict[str, str], Any]:
    """(attributes, data) of an event the broker took, in either content mode: a runtime posts
    structured mode (the whole event as JSON), a broker delivers binary mode (`deliver`)."""
    if request.headers.get("content-type", "").startswith("application/cloudevents+json"):
        event = request.json()
        data = event.pop("data", None)
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in event.items()}, data
    attributes = {k.removeprefix("ce-"): v for k, v in request.headers.items() if k.startswith("ce-")}
    return attributes, request.json()


def test_through_the_broker_every_event_reaches_the_data_index_by_a_trigger_of_the_platform_chart(
    repo: Path, tmp_path: Path
) -> None:
    """platform.events knative: the runtime (its chart's properties, K_SINK from its SinkBinding)
    and the Jobs Service (the platform chart's env, K_SINK likewise) post to a stand-in broker;
    each event they sent is delivered as the broker would, by the platform chart's Trigger for
    its type, to the real Data Index, which then lists the instance where it waits and its job.
    The runtime is the `repo` fixture's order-approval build: its add-ons are the same (the
    chart sends instance events either way; only its properties differ)."""
    knative = make_variant(tmp_path, "platform-knative")
    generated = run_cli("-C", str(knative), "generate")
    assert generated.code == 0, generated.err
    runtime_objects = render_with(knative / "charts" / CHART, "prod")
    platform_objects = render_with(knative / "charts" / PLATFORM_CHART, "prod")
    triggers = {
        t["spec"]["filter"]["attributes"]["type"]: t for t in platform_objects if t["kind"] == "Trigger"
    }
    index_service = object_name("acme-workflows", DATA_INDEX)
    with StubServer() as broker, contextlib.ExitStack() as stack:
        apply_sink_binding(runtime_objects, broker.url)
        server = stack.enter_context(throwaway_postgres())
        ensure_database(server, "workflows")
        db = server.with_database("workflows")
        start = time.monotonic()
        index = start_service(DATA_INDEX, db, stack)
        jobs = start_service(JOBS_SERVICE, db, stack, data_index=BROKER_SINK, sink=broker.url)
        running = start_runtime(
            runtime_objects, repo / APP, prefer=CHART, database=db, jobs_service=jobs, data_index=None
        )
        stack.callback(running.stop)
        print(f"\n[runtime] Data Index, Jobs Service and order-approval (K_SINK: a stand-in broker) ready in "
              f"{time.monotonic() - start:.1f}s")  # fmt: skip
        status, started, _ = call(running.url + f"/{CHART}", ORDER)
        assert status == 201, running.logs(30)
        instance = started["id"]
        sent = {"ProcessInstanceStateDataEvent", "JobEvent"}

        def types() -> set[str]:
            return {_event(r)[0].get("type", "") for r in broker.requests()}

        assert wait_until(lambda: sent <= types(), 30), (
            f"{sent - types()} never reached K_SINK\n{running.logs(30)}"
        )
        delivered: dict[str, int] = {}
        for request in broker.requests():
            attributes, data = _event(request)
            kind = attributes["type"]
            assert kind in triggers, (
                f"{kind} reaches the broker, but no Trigger of the platform chart takes it"
            )
            subscriber = triggers[kind]["spec"]["subscriber"]
            assert subscriber["ref"] == {"apiVersion": "v1", "kind": "Service", "name": index_service}
            code = deliver(index + subscriber["uri"], attributes, data)
            assert 200 <= code < 300, f"the Data Index refused {kind} at {subscriber['uri']}: {code}"
            delivered[kind] = delivered.get(kind, 0) + 1
        print(f"[runtime] delivered by the platform chart's Triggers: {dict(sorted(delivered.items()))}")
        listed = _waiting(repo, index, instance, "WaitForDecision")
        assert (listed.get("workflow"), listed.get("status")) == (CHART, "active"), listed
        _, found, _ = call(index + "/graphql", {"query": "{ Jobs { processInstanceId status } }"})
        statuses = {j["status"] for j in found["data"]["Jobs"] if j["processInstanceId"] == instance}
        assert "SCHEDULED" in statuses, found
