"""Workflow state graphs: what a graph holds (waiting states, conditions, errors, subflows),
the base/head merge (goldens and a property over random edits of corpus workflows), escaping of
untrusted names, the size threshold, and `chartgen graph` on files, folders and a git base.
Mermaid's own parser reads every graph in the helm tier (tests/helm/test_graphs.py)."""

from __future__ import annotations

import copy
import json
import random
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.errors import Diagnostics
from chartgen.graph.build import graph_of
from chartgen.graph.merge import merged
from chartgen.graph.model import MAX_DRAWN_STATES, Graph, state_key
from chartgen.graph.render import dot, mermaid
from chartgen.workflow.loader import load_workflows
from testing.repo import REPO, run_cli

GRAPHS = REPO / "tests" / "graphs"
GOLDEN = REPO / "tests" / "golden" / "graphs"
EXAMPLES = REPO / "examples" / "workflows"
CORPUS = REPO / "tests" / "corpus"


def _flow(path: Path) -> dict[str, Any]:
    flow: dict[str, Any] = yaml.safe_load(path.read_text())
    return flow


def _statuses(graph: Graph) -> dict[str, str]:
    return {n.title: n.status for n in graph.states}


def test_a_graph_marks_where_an_instance_waits_and_every_way_out(tmp_path: Path) -> None:
    graph = graph_of("order-approval", _flow(EXAMPLES / "order-approval/order-approval.sw.yaml"))
    waits = {n.title: n.waits for n in graph.states if n.waits}
    assert waits == {"WaitForDecision": ("callback", "timeout"), "ReminderDelay": ("sleep",)}
    edges = {(e.source, e.target, e.kind, e.label) for e in graph.edges}
    assert ("start", state_key("ValidateOrder"), "next", "") in edges
    assert (state_key("CheckDecision"), state_key("OrderApproved"), "condition", "approved") in edges
    assert (state_key("CheckDecision"), state_key("ReminderDelay"), "default", "default") in edges
    assert (
        state_key("NotifyApprover"),
        state_key("NotificationFailed"),
        "error",
        "error notificationFailed",
    ) in edges
    assert (state_key("NotifyApprover"), "subflow:notifyApprover", "calls", "calls") in edges
    assert ("state:OrderApproved", "end", "next", "") in edges


def _pair() -> Graph:
    return merged(
        graph_of("payment", _flow(GRAPHS / "base.sw.yaml")),
        graph_of("payment", _flow(GRAPHS / "head.sw.yaml")),
    )


def test_the_merged_graph_marks_added_removed_and_changed_states_and_transitions() -> None:
    graph = _pair()
    assert _statuses(graph) == {
        "CheckAmount": "changed",  # its condition changed
        "WaitForApproval": "unchanged",
        "Charge": "unchanged",  # same actions; its new error transition is an edge
        "Escalate": "added",
        "LegacyAudit": "removed",
    }
    edges = {(e.source, e.target, e.kind): e.status for e in graph.edges}
    assert edges[(state_key("Charge"), state_key("Escalate"), "error")] == "added"
    assert edges[(state_key("Charge"), state_key("LegacyAudit"), "next")] == "removed"
    assert edges[(state_key("Charge"), "end", "next")] == "added"
    assert edges[(state_key("Escalate"), "terminate", "next")] == "added"
    text = mermaid(graph)
    assert 'legend["legend"]' in text and "stroke-dasharray" in text


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("order-approval.mmd", lambda: mermaid(graph_of("order-approval", _flow(EXAMPLES / "order-approval/order-approval.sw.yaml")))),
        ("shipment-tracker.mmd", lambda: mermaid(graph_of("shipment-tracker", _flow(EXAMPLES / "shipment-tracker/src/main/resources/shipment-tracker.sw.json")))),
        ("invoice-sync.mmd", lambda: mermaid(graph_of("invoice-sync", _flow(EXAMPLES / "invoice-sync/invoice-sync.sw.yaml")))),
        ("notify-approver.mmd", lambda: mermaid(graph_of("notifyApprover", _flow(EXAMPLES / "order-approval/subflows/notify-approver.sw.yaml")))),
        ("payment-merged.mmd", lambda: mermaid(_pair())),
        ("payment-merged.dot", lambda: dot(_pair())),
    ],
)  # fmt: skip
def test_golden_graphs(name: str, make: Any, request: pytest.FixtureRequest) -> None:
    text = make()
    path = GOLDEN / name
    if request.config.getoption("--update-golden"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"{name} differs from its golden (pytest --update-golden rewrites it)"


def _corpus_flows() -> list[tuple[str, dict[str, Any]]]:
    found = load_workflows(CORPUS, Diagnostics())
    return [(wf.id, dict(wf.definition)) for wf in found.workflows if wf.definition.get("states")]


def _edit(flow: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A random edit: states removed, added, or changed (a timeout), one to three times."""
    head = copy.deepcopy(flow)
    states = head["states"]
    for _ in range(rng.randint(1, 3)):
        choice = rng.choice(("remove", "add", "change"))
        if choice == "remove" and len(states) > 1:
            states.pop(rng.randrange(len(states)))
        elif choice == "add":
            target = rng.choice(states)["name"] if states else None
            state: dict[str, Any] = {"name": f"Added{rng.randrange(10**6)}", "type": "inject", "data": {}}
            state.update({"transition": target} if target else {"end": True})
            states.insert(rng.randrange(len(states) + 1), state)
        elif states:
            rng.choice(states)["timeouts"] = {"stateExecTimeout": f"PT{rng.randint(1, 99)}S"}
    return head


def test_merged_states_are_exactly_the_heads_and_the_bases() -> None:
    """added ∪ changed ∪ unchanged = the head's states; removed ∪ changed ∪ unchanged = the base's."""
    rng = random.Random(20261207)
    flows = _corpus_flows()
    assert len(flows) >= 30, len(flows)
    for _ in range(300):
        wid, base = rng.choice(flows)
        head = _edit(base, rng)
        graph = merged(graph_of(wid, base), graph_of(wid, head))
        kept = {n.title for n in graph.states if n.status in ("changed", "unchanged")}
        added = {n.title for n in graph.states if n.status == "added"}
        removed = {n.title for n in graph.states if n.status == "removed"}
        assert added | kept == {n.title for n in graph_of(wid, head).states}, wid
        assert removed | kept == {n.title for n in graph_of(wid, base).states}, wid
        assert not (added & removed) and not (added & kept) and not (removed & kept)


HOSTILE = [
    'A"] --> B["x',
    "click n0 href 'javascript:alert(1)'",
    "%%{init: {'theme': 'dark'}}%%",
    "<script>alert(1)</script> & `code` | pipe # hash",
    "end",
    "line\nbreak",
]


def test_untrusted_names_never_leave_their_label() -> None:
    states: list[dict[str, Any]] = [
        {"name": name, "type": "inject", "data": {}, "transition": HOSTILE[(i + 1) % len(HOSTILE)]}
        for i, name in enumerate(HOSTILE)
    ]
    states[-1] = {"name": HOSTILE[-1], "type": "switch", "dataConditions": [{"condition": '"] --> X', "end": True}],
                  "defaultCondition": {"end": True}}  # fmt: skip
    graph = graph_of("hostile", {"id": "hostile", "states": states})
    text = mermaid(graph)
    # Mermaid reads %%{...}%% anywhere, labels included: no % at all; quotes only our own.
    assert "%" not in text and text.count('"') == 2 * (
        len(graph.nodes) + sum(1 for e in graph.edges if e.label)
    )
    for line in text.splitlines()[1:]:
        outside = "".join(part for i, part in enumerate(line.split('"')) if i % 2 == 0)
        assert re.fullmatch(r"\s*(n\d+[\[({]*[\])}]*|n\d+ (-->|==>|-\.->)(\|\|)? n\d+)\s*", outside), line
    assert "A#34;] --#62; B[#34;x" in text and "#60;script#62;" in text
    assert "digraph" in dot(graph) and '\\"' in dot(graph)
    assert (
        graph_of("hostile", {"states": [{"name": "x" * 10_000, "type": "inject", "end": True}]})
        .states[0]
        .title.endswith("…")
    )


def test_a_workflow_over_the_threshold_is_summarised_not_drawn() -> None:
    states: list[dict[str, Any]] = [
        {"name": f"S{i}", "type": "inject", "data": {}, "transition": f"S{i + 1}"}
        for i in range(MAX_DRAWN_STATES)
    ]
    states.append({"name": f"S{MAX_DRAWN_STATES}", "type": "inject", "data": {}, "end": True})
    big = graph_of("big", {"id": "big", "states": states})
    assert big.too_big
    text = mermaid(big)
    assert text.count("\n") == 2 and f"{MAX_DRAWN_STATES + 1} states" in text
    smaller = {
        "id": "big",
        "states": [*states[:-3], {"name": f"S{MAX_DRAWN_STATES - 2}", "type": "inject", "end": True}],
    }
    summary = mermaid(merged(graph_of("big", smaller), big))
    # S58 lost its `data` in the base (changed); S59 and S60 are new
    assert f"2 added, 0 removed, 1 changed, {MAX_DRAWN_STATES - 2} unchanged" in summary


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_chartgen_graph_draws_files_folders_and_what_changed_since_a_base(tmp_path: Path) -> None:
    folder = tmp_path / "workflows" / "payment"
    folder.mkdir(parents=True)
    (folder / "payment.sw.yaml").write_text((GRAPHS / "base.sw.yaml").read_text())
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    _git(tmp_path, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    (folder / "payment.sw.yaml").write_text((GRAPHS / "head.sw.yaml").read_text())
    plain = run_cli("graph", str(folder / "payment.sw.yaml"))
    assert plain.code == 0, plain.err
    assert plain.out.startswith("%% payment (") and "flowchart TD" in plain.out and "legend" not in plain.out
    changed = run_cli("--output", "json", "graph", str(tmp_path / "workflows"), "--base", "main")
    assert changed.code == 0, changed.err
    (graph,) = json.loads(changed.out)["result"]["graphs"]
    statuses = {n["title"]: n["status"] for n in graph["nodes"] if n["key"].startswith("state:")}
    assert statuses["Escalate"] == "added" and statuses["LegacyAudit"] == "removed"
    assert statuses["CheckAmount"] == "changed"
    drawn = run_cli("graph", str(tmp_path / "workflows"), "--base", "main", "--format", "dot")
    assert drawn.code == 0 and 'digraph "payment"' in drawn.out and "style=dashed" in drawn.out
    missing = run_cli("graph", str(tmp_path / "workflows"), "--base", "no-such-branch")
    assert missing.code == 1 and "--base no-such-branch: no such branch" in missing.err
    broken = folder / "broken.sw.yaml"
    broken.write_text("id: broken\nstates: [\n")
    refused = run_cli("graph", str(tmp_path / "workflows"))
    assert refused.code == 1 and "broken.sw.yaml:" in refused.err and "Traceback" not in refused.err


def test_keys_of_mixed_types_and_a_state_named_twice_are_drawn_not_crashed_on() -> None:
    action = {"functionRef": {"refName": "f", "arguments": {200: "ok", "name": "x", True: 1}}}
    flow = {
        "states": [
            {"name": "A", "type": "operation", "actions": [action], "transition": "A2"},
            {"name": "A", "type": "inject", "data": {}, "end": True},  # validate refuses it; drawn once
            {
                "name": "A2",
                "type": "operation",
                "actions": [{"subFlowRef": "child-" + "x" * 80}],
                "end": True,
            },
        ]
    }
    graph = graph_of("mixed", flow)
    assert [n.title for n in graph.states] == ["A", "A2"] and graph.states[0].kind == "operation"
    (called,) = [n for n in graph.nodes if n.kind == "subflow"]
    assert called.key == "subflow:child-" + "x" * 80  # the whole id, though its title is cut
    assert (state_key("A2"), called.key, "calls", "calls") in {e.identity for e in graph.edges}
