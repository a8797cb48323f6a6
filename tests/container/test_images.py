"""The image and the pod for real: every example production chart's Containerfile, as
`chartgen build` writes it, built with podman (both stages; base images made here from Debian
packages under the FROM names), and `chartgen run --container` running the image as the chart's
pod runs it: its user, read-only root, no capabilities, mounts, probes."""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from chartgen.flows.run import render_environment
from chartgen.plan.dev import RESOURCES_PATH
from chartgen.plan.platform_services import JOBS_SERVICE
from chartgen.runtime.container_platform import container_postgres, start_service_container
from chartgen.runtime.context import BUILD_IMAGE, RUNTIME_IMAGE
from chartgen.runtime.local import start_runtime
from chartgen.runtime.postgres import ensure_database
from chartgen.tools.podman import Podman
from testing.repo import REPO, copy_examples, require, run_cli
from tests.helm.test_corpus import CORPUS
from tests.runtime import helpers
from tests.runtime.fixtures_events import render_with, wait_until
from tests.runtime.helpers import ORDER, call, wait_for_output
from tests.runtime.test_credentials import ORDER as INVOICE_ORDER
from tests.runtime.test_credentials import SECRETS, SPEC_KEY, TOKEN, Billing
from tests.runtime.test_data_index import _waiting
from tests.runtime.test_dev_mode import greeter, until
from tests.runtime.test_timers import PROJECT as NAP
from tests.runtime.test_timers import SLEEP, _count, _wait_done

pytestmark = pytest.mark.container

CHARTS = ("invoice-sync", "order-approval", "shipment-tracker")
DEV_CHART = "acme-workflows-dev"
JOBS = "jobs_service.job_details"  # the Jobs Service's table of timers


def test_every_example_image_builds_from_its_own_containerfile(built: tuple[Path, dict[str, Any]]) -> None:
    repo, charts = built
    assert sorted(charts) == sorted((*CHARTS, DEV_CHART))
    podman = Podman.find()
    for name, chart in charts.items():
        if name == DEV_CHART:
            continue
        containerfile = (repo / "build" / name / "Containerfile").read_text()
        assert f"FROM {BUILD_IMAGE} AS build" in containerfile and f"FROM {RUNTIME_IMAGE}" in containerfile
        assert chart["builtImage"]["tag"] == (repo / "build" / name / "image.txt").read_text().strip()
        assert podman.has_image(chart["builtImage"]["tag"])
        # the runtime stage holds the app the build stage made, owned by the pod's user
        listed = podman.checked(
            "run", "--rm", "--entrypoint=ls", chart["builtImage"]["tag"], "-ln", "/deployments"
        )
        assert "quarkus-run.jar" in listed and " 10001 10001 " in listed, listed


def _container(prefix: str) -> str:
    names = Podman.find().checked("ps", "--format", "{{.Names}}", "--filter", f"name={prefix}").split()
    assert len(names) == 1, names
    return names[0]


def _networks(podman: Podman, container: str) -> list[str]:
    listed = podman.checked(
        "inspect", "--format", "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}", container
    )
    return listed.split()


def test_the_image_runs_as_the_pod_runs_it_beside_its_platform_in_containers(
    built: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """order-approval (prod): its image as the pod runs it, on one podman network with PostgreSQL,
    the Jobs Service and the Data Index in containers, each reached by name as a Service is."""
    repo, _ = built
    out, err = tmp_path / "out", tmp_path / "err"
    start = time.monotonic()
    process = helpers.chartgen_run(repo, "order-approval", "--env", "prod", "--container", out=out, err=err)
    podman = Podman.find()
    try:
        url = wait_for_output(
            out, r"order-approval \(prod\) on (http://127\.0\.0\.1:\d+)", process, 600
        ).group(1)
        print(
            f"\n[container] run --container, with PostgreSQL, the Jobs Service and the Data Index in "
            f"containers: ready through the chart's startup probe in {time.monotonic() - start:.1f}s"
        )
        index = wait_for_output(out, r"Data Index: (http://127\.0\.0\.1:\d+)", process, 5).group(1)
        assert re.search(r"Jobs Service: http://127\.0\.0\.1:\d+", out.read_text()), out.read_text()
        name = _container("chartgen-order-approval-")
        # one network: the runtime, the database and both services, and nothing else on it
        (network,) = _networks(podman, name)
        on_it = podman.checked("ps", "--filter", f"network={network}", "--format", "{{.Names}}").split()
        assert sorted(re.sub(r"-[0-9a-f]{8}$|-\d+$", "", n) for n in on_it) == [
            "chartgen-data-index",
            "chartgen-jobs-service",
            "chartgen-order-approval",
            "chartgen-postgres",
        ], on_it
        database = next(n for n in on_it if n.startswith("chartgen-postgres-"))
        jdbc = podman.checked("exec", name, "printenv", "QUARKUS_DATASOURCE_JDBC_URL").strip()
        assert jdbc.startswith(f"jdbc:postgresql://{database}:5432/"), jdbc
        assert podman.checked("exec", name, "printenv", "KOGITO_JOBS_SERVICE_URL").strip() == (
            "http://jobs-service:8080"
        )
        for service in ("chartgen-jobs-service-", "chartgen-data-index-"):  # the platform chart's pod
            container = next(n for n in on_it if n.startswith(service))
            assert podman.checked("exec", container, "id", "-u").strip() == "10001"
            assert not podman("exec", container, "touch", "/deployments/written").ok

        status, started, _ = call(url + "/order-approval", ORDER)
        assert status == 201, out.read_text() + err.read_text()
        assert call(f"{url}/order-approval/{started['id']}")[0] == 200  # waiting, kept in PostgreSQL
        # its events crossed the network to the Data Index, which shows where it waits
        listed = _waiting(repo, index, started["id"], "WaitForDecision")
        assert listed.get("waiting_in") == ["WaitForDecision"], listed

        assert podman.checked("exec", name, "id", "-u").strip() == "10001"
        refused = podman("exec", name, "touch", "/deployments/written")
        assert not refused.ok and "Read-only file system" in refused.stderr
        assert podman("exec", name, "touch", "/tmp/written").ok  # the emptyDir
        capabilities = podman.checked("exec", name, "grep", "CapEff", "/proc/self/status")
        assert capabilities.split()[-1] == "0000000000000000"
        no_new = podman.checked("exec", name, "grep", "NoNewPrivs", "/proc/self/status")
        assert no_new.split()[-1] == "1"
        config = podman.checked("exec", name, "cat", "/deployments/config/application.properties")
        assert "kogito.service.url" in config or "quarkus" in config
        helpers.interrupt(process, err)
    finally:
        helpers.kill_if_running(process)
    assert "chartgen-" not in podman.checked("ps", "-a", "--format", "{{.Names}}")
    assert network not in podman.checked("network", "ls", "--format", "{{.Name}}").split()


def test_a_waiting_instance_survives_a_killed_container_and_a_restart(
    built: tuple[Path, dict[str, Any]],
) -> None:
    repo, charts = built
    objects = render_with(repo / "charts" / "order-approval", "prod")
    image = charts["order-approval"]["builtImage"]["tag"]
    with container_postgres() as server:
        ensure_database(server, "workflows")
        db = server.with_database("workflows")
        first = start_runtime(objects, Path("unused.jar"), prefer="order-approval", database=db, image=image)
        try:
            status, started, _ = call(first.url + "/order-approval", ORDER)
            assert status == 201, first.logs(30)
        finally:
            # SIGKILL to `podman run`, then the container removed by force: a crashed pod
            assert first.stop(kill=True) == -signal.SIGKILL
        start = time.monotonic()
        second = start_runtime(objects, Path("unused.jar"), prefer="order-approval", database=db, image=image)
        try:
            print(f"\n[container] restarted on the same database in {time.monotonic() - start:.1f}s")
            status, waiting, _ = call(f"{second.url}/order-approval/{started['id']}")
            assert status == 200 and "decision" not in waiting["workflowdata"], second.logs(30)
        finally:
            second.stop()


def test_a_timer_set_before_the_container_was_killed_calls_the_restarted_one_back_by_name(
    tmp_path: Path, helm_binary: Path
) -> None:
    """nap sleeps 12 s: its timer goes to the Jobs Service's container, the runtime's container
    is killed mid-sleep and a new one started on the same database; the Jobs Service calls the
    runtime back by its name on the network (as the chart's Service), and the instance ends."""
    require("podman", shutil.which("podman") is not None)
    repo = tmp_path / "nap"
    shutil.copytree(NAP, repo)
    assert run_cli("-C", str(repo), "generate").code == 0
    built = run_cli("-C", str(repo), "build", "--chart", "nap", "--image", "--no-package")
    assert built.code == 0, built.out + built.err
    image = (repo / "build/nap/image.txt").read_text().strip()
    objects, _ = render_environment(repo / "charts/nap", "prod", "1.34")
    with container_postgres() as server, contextlib.ExitStack() as stack:
        ensure_database(server, "workflows")
        db = server.with_database("workflows")
        jobs, _ = start_service_container(JOBS_SERVICE, db, stack, db.network)
        first = start_runtime(
            objects, Path("unused.jar"), prefer="nap", database=db, jobs_service=jobs, image=image
        )
        try:
            status, started, _ = call(f"{first.url}/nap", {})
            assert status == 201, first.logs(30)
            assert wait_until(lambda: _count(db, JOBS) == 1, 8), first.logs(30)
        finally:
            assert first.stop(kill=True) == -signal.SIGKILL
        killed_at = time.monotonic()
        second = start_runtime(
            objects, Path("unused.jar"), prefer="nap", database=db, jobs_service=jobs, image=image
        )
        try:
            assert call(f"{second.url}/nap/{started['id']}")[0] == 200  # still asleep
            _wait_done(second, started["id"], within=SLEEP + 40 - (time.monotonic() - killed_at))
            print(
                f"\n[container] the timer fired in the restarted container {time.monotonic() - killed_at:.1f}s after the kill"
            )
            assert wait_until(lambda: _count(db, JOBS) == 0, 10)  # the Jobs Service had its answer
        finally:
            second.stop()


CORPUS_PROJECT = "rhdhorchestrator__orchestrator-demo"
CORPUS_CHART = "wf-01-basic-flat"


def test_a_public_project_s_image_builds_and_answers_its_probes(tmp_path: Path, helm_binary: Path) -> None:
    require("podman", shutil.which("podman") is not None)
    generated = run_cli(
        "generate",
        *("--workflows", str(CORPUS / CORPUS_PROJECT), "--profiles", str(REPO / "examples/profiles")),
        *("--out", str(tmp_path / "charts"), "--name", "corpus", "--exclude", "08_kafka_events"),
    )
    assert generated.code == 0, generated.err
    start = time.monotonic()
    result = run_cli(
        "build",
        "--charts",
        str(tmp_path / "charts"),
        "--out",
        str(tmp_path / "build"),
        "--chart",
        CORPUS_CHART,
        "--image",
    )
    assert result.code == 0, result.out + result.err
    print(f"\n[container] {CORPUS_PROJECT}/{CORPUS_CHART}: image built in {time.monotonic() - start:.0f}s")
    tag = (tmp_path / "build" / CORPUS_CHART / "image.txt").read_text().strip()
    objects, _ = render_environment(tmp_path / "charts" / CORPUS_CHART, "prod", "1.34")
    running = start_runtime(objects, Path("unused.jar"), prefer=CORPUS_CHART, image=tag)
    try:
        assert call(running.url + "/q/health/ready")[0] == 200, running.logs(30)
    finally:
        running.stop()


def test_a_credential_reaches_the_call_from_the_file_mounted_in_the_container(
    built: tuple[Path, dict[str, Any]],
) -> None:
    """invoice-sync's bearer token: a key of the Secret, mounted as a file in the container,
    read by the runtime, sent by its REST client to the billing service (a stub on this machine)."""
    repo, charts = built
    # the container is on a podman network: this machine's loopback is its own, so the stub
    # listens on this machine's address on its network, as a service outside the cluster
    with Billing(host=_outward_address()) as billing:
        (repo / "profiles/local.yaml").write_text(
            f'extends: prod\nproperties: {{quarkus.rest-client.{SPEC_KEY}.url: "{billing.url}"}}\n'
        )
        assert run_cli("-C", str(repo), "generate", "--chart", "invoice-sync").code == 0
        objects = render_with(repo / "charts" / "invoice-sync", "local")
        image = charts["invoice-sync"]["builtImage"]["tag"]
        running = start_runtime(
            objects, Path("unused.jar"), prefer="invoice-sync", secrets=SECRETS, image=image
        )
        try:
            status, started, _ = call(running.url + "/invoice-sync", INVOICE_ORDER)
            assert status == 201, running.logs(30)
            calls = billing.calls_of(started["id"])
            assert calls and [c.headers.get("authorization") for c in calls] == [f"Bearer {TOKEN}"] * len(
                calls
            )
            assert TOKEN not in running.logs(200)
        finally:
            running.stop()


def _outward_address() -> str:
    """This machine's address on its default route (reached from a podman network too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("198.51.100.1", 9))  # TEST-NET-2; no packet is sent: only the route is chosen
        return str(probe.getsockname()[0])


def test_run_container_refuses_a_database_on_this_machine_s_loopback(
    built: tuple[Path, dict[str, Any]],
) -> None:
    """A container on a podman network cannot reach this machine's 127.0.0.1 (nor a pod its
    node's): said before anything starts, without the password."""
    repo, _ = built
    url = "postgresql://app:s3cret-pw@127.0.0.1:5432/workflows"
    result = run_cli(
        "-C", str(repo), "run", "order-approval", "--env", "prod", "--container", "--database", url
    )
    assert result.code == 1 and "Traceback" not in result.err, result.err
    assert "the database is on 127.0.0.1, this machine's loopback" in result.err
    assert "s3cret-pw" not in result.out + result.err
    podman = Podman.find()
    assert "chartgen-" not in podman.checked("ps", "-a", "--format", "{{.Names}}")
    assert "chartgen-" not in podman.checked("network", "ls", "--format", "{{.Name}}")


def test_run_container_names_an_image_that_was_not_built(tmp_path: Path, helm_binary: Path) -> None:
    require("podman", shutil.which("podman") is not None)
    repo = copy_examples(tmp_path)
    assert run_cli("-C", str(repo), "generate").code == 0
    assert run_cli("-C", str(repo), "build", "--chart", "order-approval", "--no-package").code == 0
    (repo / "build/order-approval/image.txt").write_text("localhost/chartgen-test/never-built:0\n")
    result = run_cli("-C", str(repo), "run", "order-approval", "--env", "prod", "--container")
    assert result.code == 1 and "Traceback" not in result.err
    assert "no image localhost/chartgen-test/never-built:0 in podman's storage" in result.err


def test_the_devmode_container_runs_as_the_dev_pod_and_hot_reloads_a_dropped_workflow(
    built: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """The dev chart's pod in a real container: the devmode image (built from the Containerfile
    `chartgen build --image` wrote) with the pod's env, projected files, user and securityContext;
    a workflow file dropped into the folder `run` prints is served without a restart."""
    repo, charts = built
    image = charts[DEV_CHART]["builtImage"]["tag"]
    assert image == (repo / "build" / DEV_CHART / "image.txt").read_text().strip()
    podman = Podman.find()
    # the image carries every artifact dev mode needs: the pod runs Maven offline
    assert podman("run", "--rm", "--entrypoint=ls", image, "/home/kogito/.m2/repository/io/quarkus").ok
    out, err = tmp_path / "out", tmp_path / "err"
    start = time.monotonic()
    process = helpers.chartgen_run(repo, DEV_CHART, "--container", out=out, err=err)
    try:
        url = wait_for_output(
            out, rf"{DEV_CHART} \(dev mode\) on (http://127\.0\.0\.1:\d+)", process, 400
        ).group(1)
        print(f"\n[container] run --container {DEV_CHART}: ready in {time.monotonic() - start:.1f}s")
        folder = Path(wait_for_output(out, r"drop workflow files into (\S+) ", process, 10).group(1))
        name = _container("chartgen-devmode-")
        # the pod sets runAsNonRoot and no UID: the image's numeric user runs, as in the cluster
        assert podman.checked("exec", name, "id", "-u").strip() == "1001"
        capabilities = podman.checked("exec", name, "grep", "CapEff", "/proc/self/status")
        assert capabilities.split()[-1] == "0000000000000000"
        assert podman.checked("exec", name, "grep", "NoNewPrivs", "/proc/self/status").split()[-1] == "1"
        # the projected volume is read-only in the pod; the files are the chart's
        refused = podman("exec", name, "touch", f"{RESOURCES_PATH}/written")
        assert not refused.ok and "Read-only file system" in refused.stderr
        assert "order-approval.sw.yaml" in podman.checked("exec", name, "ls", RESOURCES_PATH)
        status, started, _ = call(url + "/order-approval", ORDER)
        assert status == 201, out.read_text() + err.read_text()

        (folder / "dropped.sw.yaml").write_bytes(greeter("dropped", "dropped"))
        seconds, _ = until(url + "/dropped", {}, {"greeting": "dropped"})
        print(f"[container] a workflow dropped into the folder served after {seconds:.1f}s")
        logs = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", podman.checked("logs", name))  # no colours
        assert "Live reload total time" in logs  # the app restarted in the same JVM and container
        assert _container("chartgen-devmode-") == name
        # as the dev chart says: a reload restarts the app, and instances live in its memory
        assert call(f"{url}/order-approval/{started['id']}")[0] == 404
        helpers.interrupt(process, err)
    finally:
        helpers.kill_if_running(process)
    assert f"{DEV_CHART} (dev mode): stopped" in out.read_text()
    assert not folder.exists()
    leftover = podman.checked("ps", "-a", "--format", "{{.Names}}")
    assert "chartgen-devmode-" not in leftover
