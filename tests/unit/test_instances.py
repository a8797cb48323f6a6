"""The Data Index wiring and `chartgen instances`: the plan (dataIndex.url -> values, the
process events add-on, all environments alike), the GraphQL answer read into instances and
where each waits, and the command against a GraphQL server on 127.0.0.1 (the runtime tier
asks the real Data Index)."""

from __future__ import annotations

import json
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from chartgen.charts.chart import working_files
from chartgen.deploy.data_index import parse, waiting_in, where
from chartgen.errors import UserError
from chartgen.runtime.context import extensions
from testing.repo import run_cli
from testing.trees import GREETING, PROFILES_BASIC, build_tree

URL = "http://data-index.platform.svc.cluster.local"
BASE = textwrap.dedent(PROFILES_BASIC["profiles/base.yaml"])
WITH_INDEX = BASE + f'dataIndex: {{url: "{URL}"}}\n'
# What the real Data Index answered for an order-approval instance waiting for its decision.
ANSWER: dict[str, Any] = {
    "data": {
        "ProcessInstances": [
            {
                "id": "63b9f99b",
                "processId": "greeting",
                "version": "1.0",
                "state": "ACTIVE",
                "start": "2026-12-07T11:59:28.521Z",
                "lastUpdate": "2026-12-07T11:59:28.521Z",
                "error": None,
                "nodes": [
                    {"name": "WaitForDecision", "type": "CompositeContextNode", "exit": None},
                    {"name": "approvalDecision", "type": "EventNode", "exit": None},
                    {
                        "name": "NotifyApprover",
                        "type": "CompositeContextNode",
                        "exit": "2026-12-07T11:59:28Z",
                    },
                    {"name": "EmbeddedStart", "type": "StartNode", "exit": "2026-12-07T11:59:28Z"},
                ],
            },
            {
                "id": "0a1b2c3d",
                "processId": "greeting",
                "version": "1.0",
                "state": "ERROR",
                "start": "2026-12-07T10:00:00Z",
                "lastUpdate": "2026-12-07T10:00:01Z",
                "error": {"message": "billing answered 500", "nodeDefinitionId": "_jbpm-unique-3"},
                "nodes": [{"name": "Greet", "type": "CompositeContextNode", "exit": None}],
            },
        ]
    }
}


def generated(root: Path, base: str = WITH_INDEX) -> Path:
    files = {"chartgen.yaml": "name: acme\n", "workflows/greet/greeting.sw.yaml": GREETING, **PROFILES_BASIC}
    files["profiles/base.yaml"] = base
    build_tree(root, files)
    return root


def test_a_data_index_in_the_profile_reaches_values_the_plan_and_the_build(tmp_path: Path) -> None:
    repo = generated(tmp_path)
    result = run_cli("-C", str(repo), "generate")
    assert result.code == 0, result.err
    chart = repo / "charts/greet"
    data = yaml.safe_load((chart / "files/chartgen-data.yaml").read_text())
    assert data["processEvents"] == [
        {"channel": "kogito-processinstances-events", "path": "/processes"},
        {"channel": "kogito-processdefinitions-events", "path": "/definitions"},
        {"channel": "kogito-usertaskinstances-events", "path": "/tasks"},  # off, but connected
    ]
    values = yaml.safe_load((chart / "values.yaml").read_text())
    assert values["dataIndex"] == {"url": URL}
    added = {e.artifact: e.reason for e in extensions(working_files(chart))}
    assert "kie-addons-quarkus-events-process" in added and "quarkus-reactive-messaging-http" in added
    for env in ("prod", "staging"):
        egress = data["environments"][env]["networkPolicy"]["egress"]
        platform = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "platform"}}}
        assert {"to": [platform], "ports": [{"port": 80, "protocol": "TCP"}]} in egress, env


def test_without_a_data_index_the_runtime_is_built_without_the_add_on(tmp_path: Path) -> None:
    repo = generated(tmp_path, BASE)
    assert run_cli("-C", str(repo), "generate").code == 0
    chart = repo / "charts/greet"
    assert yaml.safe_load((chart / "files/chartgen-data.yaml").read_text())["processEvents"] == []
    assert "dataIndex" not in yaml.safe_load((chart / "values.yaml").read_text())
    assert "kie-addons-quarkus-events-process" not in [e.artifact for e in extensions(working_files(chart))]


def test_environments_that_disagree_on_the_data_index_are_refused_located(tmp_path: Path) -> None:
    """One image serves every environment: built with the add-on or without."""
    prod = textwrap.dedent(PROFILES_BASIC["profiles/prod.yaml"]) + f'dataIndex: {{url: "{URL}"}}\n'
    repo = generated(tmp_path, BASE)
    (repo / "profiles/prod.yaml").write_text(prod)
    result = run_cli("-C", str(repo), "generate")
    assert result.code == 1, result.out
    assert "chart 'greet': profile 'staging' sets no dataIndex.url while 'prod' do" in result.err
    assert result.err.startswith("profiles/staging.yaml:"), result.err
    assert not (repo / "charts").exists()


def test_the_answer_names_each_instance_and_the_states_it_waits_in() -> None:
    waiting, failed = parse(json.dumps(ANSWER).encode())
    assert (waiting.id, waiting.workflow, waiting.status, waiting.waiting_in) == (
        "63b9f99b",
        "greeting",
        "active",
        ("WaitForDecision",),
    )
    assert (failed.status, failed.error, failed.waiting_in) == ("error", "billing answered 500", ("Greet",))
    assert waiting_in([{"name": "A", "type": "CompositeContextNode", "exit": "t"}]) == ()
    assert where(["b", "a", "a"], ["active"]) == {
        "processId": {"in": ["a", "b"]},
        "state": {"in": ["ACTIVE"]},
    }
    assert where(["a"], []) == {"processId": {"in": ["a"]}}


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b"<html>", "answered something that is not JSON"),
        (
            json.dumps({"errors": [{"message": "Validation error of type FieldUndefined"}]}).encode(),
            "refused",
        ),
        (json.dumps({"data": {}}).encode(), "answered no ProcessInstances"),
    ],
)
def test_an_answer_that_is_not_instances_is_a_clear_error(raw: bytes, said: str) -> None:
    with pytest.raises(UserError, match=said):
        parse(raw, "http://user:secret@di.example:8080")
    with pytest.raises(UserError) as caught:
        parse(raw, "http://user:secret@di.example:8080")
    assert "secret" not in str(caught.value)


class _GraphQL(BaseHTTPRequestHandler):
    asked: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _GraphQL.asked.append(body)
        wanted = body["variables"]["where"]
        found = [
            i
            for i in ANSWER["data"]["ProcessInstances"]
            if i["processId"] in wanted["processId"]["in"]
            and ("state" not in wanted or i["state"] in wanted["state"]["in"])
        ]
        raw = json.dumps({"data": {"ProcessInstances": found}}).encode()
        self.send_response(200 if self.path == "/graphql" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def data_index() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GraphQL)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _GraphQL.asked = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_instances_lists_the_environments_instances_with_filters(tmp_path: Path, data_index: str) -> None:
    repo = generated(tmp_path)
    assert run_cli("-C", str(repo), "generate").code == 0
    shown = run_cli("-C", str(repo), "instances", "--env", "prod", "--data-index", data_index)
    assert shown.code == 0, shown.err
    assert "63b9f99b  greeting  1.0      active  WaitForDecision" in shown.out
    assert "2 instances (2 waiting in a state)" in shown.out
    assert _GraphQL.asked[-1]["variables"]["where"] == {"processId": {"in": ["greeting"]}}
    doc = json.loads(
        run_cli(
            "-C", str(repo), "--output", "json", "instances", "--env", "prod", "--data-index", data_index,
            "--status", "active", "--state", "WaitForDecision",
        ).out
    )  # fmt: skip
    assert [i["id"] for i in doc["result"]["instances"]] == ["63b9f99b"]
    assert doc["result"]["instances"][0]["waiting_in"] == ["WaitForDecision"]
    assert _GraphQL.asked[-1]["variables"]["where"]["state"] == {"in": ["ACTIVE"]}
    none = run_cli(
        "-C", str(repo), "instances", "--env", "prod", "--data-index", data_index, "--state", "Nope"
    )
    assert none.code == 0 and "0 instances" in none.out


def test_instances_says_what_is_missing_or_unreachable(tmp_path: Path, data_index: str) -> None:
    repo = generated(tmp_path, BASE)
    assert run_cli("-C", str(repo), "generate").code == 0
    unset = run_cli("-C", str(repo), "instances", "--env", "prod")
    assert unset.code == 1 and "no chart of 'prod' sends its events to a Data Index" in unset.err
    closed = data_index.rsplit(":", 1)[0] + ":1"
    down = run_cli("-C", str(repo), "instances", "--env", "prod", "--data-index", closed)
    assert down.code == 1 and f"the Data Index at {closed} cannot be reached" in down.err
    assert "Traceback" not in down.err
    other = run_cli(
        "-C", str(repo), "instances", "--env", "prod", "--data-index", data_index, "--workflow", "x"
    )
    assert other.code == 1 and "--workflow 'x': no chart of 'prod' runs it (workflows: greeting)" in other.err
