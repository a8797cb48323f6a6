"""Helpers of the events and credentials runtime tests: what Knative does around a runtime in the
cluster (a broker's delivery to a Trigger's subscriber, a SinkBinding's K_SINK), done here the
same way on the helm-rendered objects, and stub HTTP services on 127.0.0.1 that record what
reaches them."""

from __future__ import annotations

import json
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import yaml

from chartgen.charts.chart import ChartEnvironment, GeneratedChart, working_files
from chartgen.flows.run import environment_of
from chartgen.tools.helm import Helm
from chartgen.tools.locate import find_helm
from chartgen.verify.chart_env import render

# Knative resolves a subscriber `ref` to a core v1 Service as http://NAME.NAMESPACE.svc.<domain>/:
# no port, so port 80 (knative.dev/pkg resolver, "K8s Services are special cased").
KNATIVE_SERVICE_PORT = 80
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1: never a proxy


# --- the chart's rendered objects ----------------------------------------------------------


def render_with(chart: Path, env: str, extra_values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The objects `helm template -f values-ENV.yaml [-f extra]` renders: what a user deploying
    the environment with values of their own gets."""
    files = working_files(chart)
    if GeneratedChart.of(chart.name, files).raw_data.get("kind") == "platform":  # `run` refuses it
        environment = next(e for e in GeneratedChart.of(chart.name, files).environments if e.name == env)
    else:
        environment = environment_of(files, chart.name, env)
    with tempfile.TemporaryDirectory(prefix="chartgen-test-values-") as tmp:
        values = list(environment.values)
        if extra_values:
            extra = Path(tmp) / "extra-values.yaml"
            extra.write_text(yaml.safe_dump(extra_values))
            values.append(str(extra))  # an absolute path: helm reads it where it is
        chosen = ChartEnvironment(environment.name, values, environment.namespace)
        objects, problem = render(Helm(find_helm()), chart, chart.name, chosen, "1.34")
    assert objects is not None, problem
    return objects


def chart_events(chart: Path) -> dict[str, Any]:
    """files/chartgen-data.yaml `events`: what the chart's workflows consume and produce."""
    data = yaml.safe_load((chart / "files/chartgen-data.yaml").read_text())
    events: dict[str, Any] = data["events"]
    return events


def the(objects: Iterable[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [o for o in objects if o.get("kind") == kind and name in (None, o["metadata"]["name"])]
    assert len(found) == 1, f"{len(found)} {kind} objects named {name or 'anything'} rendered"
    return found[0]


class DeliveryMismatch(AssertionError):
    """What the broker would deliver to is not where the runtime listens."""


def trigger_for(objects: Iterable[dict[str, Any]], event_type: str) -> dict[str, Any]:
    triggers = [
        o
        for o in objects
        if o.get("kind") == "Trigger" and o["spec"]["filter"]["attributes"].get("type") == event_type
    ]
    assert len(triggers) == 1, f"{len(triggers)} Triggers for {event_type}"
    return triggers[0]


def delivery_path(objects: list[dict[str, Any]], trigger: dict[str, Any]) -> str:
    """The path on the runtime's HTTP port a broker delivers the Trigger's events to, following
    what the cluster follows: spec.subscriber (ref and/or uri) -> the chart's Service (Knative
    resolves a Service ref to port 80) -> that port's targetPort -> the runtime container's port
    -> the port the runtime listens on (QUARKUS_HTTP_PORT). Raises DeliveryMismatch where a link
    does not hold."""
    subscriber = trigger["spec"]["subscriber"]
    ref, uri = subscriber.get("ref"), str(subscriber.get("uri") or "")
    sent_to = KNATIVE_SERVICE_PORT
    if ref is None:  # an address: http://<service>.<namespace>.svc.cluster.local:<port>/
        parts = urllib.parse.urlsplit(uri)
        host = (parts.hostname or "").split(".")
        if len(host) < 3 or host[2] != "svc":
            raise DeliveryMismatch(
                f"Trigger {trigger['metadata']['name']}: subscriber {uri} is not the chart's Service"
            )
        ref = {"apiVersion": "v1", "kind": "Service", "name": host[0]}
        sent_to = parts.port or 80
        uri = parts.path
    if (ref.get("apiVersion"), ref.get("kind")) != ("v1", "Service"):
        raise DeliveryMismatch(f"subscriber ref {ref} is not a core Service")
    service = the(objects, "Service", ref["name"])
    port = next((p for p in service["spec"]["ports"] if p["port"] == sent_to), None)
    if port is None:
        ports = [p["port"] for p in service["spec"]["ports"]]
        raise DeliveryMismatch(
            f"Trigger {trigger['metadata']['name']}: Knative sends to http://{ref['name']}.<namespace>.svc"
            f"/ (port {KNATIVE_SERVICE_PORT}), but Service {ref['name']} serves ports {ports}"
        )
    pod = _workload_pod(objects, service["spec"]["selector"])
    container = next(c for c in pod["spec"]["containers"] if c["name"] == "workflow")
    target = port.get("targetPort", port["port"])
    container_port = next(
        (
            p["containerPort"]
            for p in container.get("ports", [])
            if target in (p.get("name"), p["containerPort"])
        ),
        None,
    )
    if container_port is None:
        raise DeliveryMismatch(
            f"Service {ref['name']} targets port {target}, which the container does not name"
        )
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    if str(container_port) != str(env.get("QUARKUS_HTTP_PORT", 8080)):
        raise DeliveryMismatch(
            f"the container port {container_port} is not where the runtime listens "
            f"(QUARKUS_HTTP_PORT={env.get('QUARKUS_HTTP_PORT')})"
        )
    # With a ref, `uri` is relative to the ref's address (http://NAME.NAMESPACE.svc/).
    resolved = urllib.parse.urlsplit(urllib.parse.urljoin(f"http://{ref['name']}/", uri))
    if resolved.netloc != ref["name"]:
        raise DeliveryMismatch(f"subscriber uri {uri} leaves Service {ref['name']}")
    return resolved.path + (f"?{resolved.query}" if resolved.query else "")


def _workload_pod(objects: Iterable[dict[str, Any]], selector: dict[str, str]) -> dict[str, Any]:
    """The pod template of the one Deployment whose pods the Service's selector picks."""
    picked = [
        o["spec"]["template"]
        for o in objects
        if o.get("kind") == "Deployment"
        and selector.items() <= o["spec"]["template"]["metadata"].get("labels", {}).items()
    ]
    if len(picked) != 1:
        raise DeliveryMismatch(f"the Service selector {selector} picks {len(picked)} Deployments")
    pod: dict[str, Any] = picked[0]
    return pod


def apply_sink_binding(objects: list[dict[str, Any]], sink_url: str) -> dict[str, Any]:
    """What Knative's SinkBinding webhook does to its subject: K_SINK (the sink's address; here
    `sink_url` stands for the broker) and, with ceOverrides, K_CE_OVERRIDES in the env of every
    container of the subject's pods. Returns the SinkBinding."""
    binding = the(objects, "SinkBinding")
    subject = binding["spec"]["subject"]
    subjects = [
        o
        for o in objects
        if (o.get("apiVersion"), o.get("kind")) == (subject["apiVersion"], subject["kind"])
        and (
            o["metadata"]["name"] == subject.get("name")
            or (
                "selector" in subject
                and subject["selector"].get("matchLabels", {}).items()
                <= o["metadata"].get("labels", {}).items()
            )
        )
    ]
    assert subjects, f"the SinkBinding's subject {subject} is not rendered by the chart"
    for workload in subjects:
        for container in workload["spec"]["template"]["spec"]["containers"]:
            env = container.setdefault("env", [])
            env.append({"name": "K_SINK", "value": sink_url})
            if binding["spec"].get("ceOverrides"):
                env.append({"name": "K_CE_OVERRIDES", "value": json.dumps(binding["spec"]["ceOverrides"])})
    return binding


# --- CloudEvents over HTTP -------------------------------------------------------------------


def deliver(url: str, attributes: dict[str, str], data: Any) -> int:
    """POST a CloudEvent in binary mode, as a Knative broker delivers it: every attribute as a
    `ce-` header (specversion, id and time added when not given), the data as the JSON body.
    Returns the HTTP status (2xx: the broker counts it delivered)."""
    headers = {
        "ce-specversion": "1.0",
        "ce-id": str(uuid.uuid4()),
        "ce-time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "ce-knativearrivaltime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "Content-Type": "application/json",
    }
    headers.update({f"ce-{name}": value for name, value in attributes.items()})
    request = urllib.request.Request(url, data=json.dumps(data).encode(), headers=headers, method="POST")
    try:
        with _DIRECT.open(request, timeout=15) as answer:
            answer.read()
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        with exc:
            return int(exc.code)


# --- stub HTTP services ----------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


Answer = Callable[[Received], tuple[int, Any]]


class StubServer:
    """An HTTP server on 127.0.0.1 (or `host`; a thread) that records every request and answers
    it with `answer(request) -> (status, JSON body or None)`."""

    def __init__(self, answer: Answer | None = None, host: str = "127.0.0.1") -> None:
        self.received: list[Received] = []
        self._answer: Answer = answer or (lambda _request: (202, None))
        self._lock = threading.Lock()
        self._host = host
        self._server = ThreadingHTTPServer((host, 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                got = Received(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, self._body()
                )
                with stub._lock:
                    stub.received.append(got)
                status, answer = stub._answer(got)
                data = b"" if answer is None else json.dumps(answer).encode()
                self.send_response(status)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    self.rfile.readline()
                    return b"".join(chunks)
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the test prints what it needs

        return Handler

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._server.server_port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def requests(self, match: Callable[[Received], bool] = lambda _r: True) -> list[Received]:
        with self._lock:
            return [r for r in self.received if match(r)]

    def wait_for(self, match: Callable[[Received], bool], timeout: float) -> Received | None:
        """The first request `match` accepts, waiting up to `timeout` s for it."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.requests(match)
            if found or time.monotonic() > deadline:
                return found[0] if found else None
            time.sleep(0.1)


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


# --- files -----------------------------------------------------------------------------------


def files_holding(roots: Iterable[Path], needles: Iterable[str]) -> Iterator[tuple[Path, str]]:
    """(file, needle) for every file under `roots` whose bytes hold a needle (symlinks and
    files that vanish meanwhile are skipped)."""
    wanted = [n.encode() for n in needles if n]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_symlink() or not path.is_file():
                continue
            try:
                content = path.read_bytes()
            except OSError:
                continue
            for needle in wanted:
                if needle in content:
                    yield path, needle.decode()
