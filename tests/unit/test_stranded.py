"""The upgrade guard's pure parts: what a new version removes (the version rules') and which
live instances that strands."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from chartgen.deploy.data_index import Instance
from chartgen.deploy.stranded import check_reason, stranded, stranding_workflows
from chartgen.version.rules import Removal, removals, workflow_reasons

WORKFLOW: dict[str, Any] = {
    "id": "order",
    "functions": [{"name": "notify"}, {"name": "audit"}],
    "events": [{"name": "decision"}, {"name": "reminder"}],
    "states": [
        {"name": "Notify", "type": "operation", "actions": [{"functionRef": {"refName": "notify"}}],
         "transition": "Wait"},
        {"name": "Wait", "type": "callback", "eventRef": "decision",
         "action": {"functionRef": "audit"}, "transition": "Remind"},
        {"name": "Remind", "type": "event", "onEvents": [{"eventRefs": ["reminder"]}], "end": True},
    ],
}  # fmt: skip


def chart(*workflows: dict[str, Any]) -> dict[str, bytes]:
    entries = [{"id": w["id"], "file": f"{w['id']}.sw.yaml"} for w in workflows]
    files = {
        "files/chartgen-data.yaml": yaml.safe_dump({"kind": "production", "workflows": entries}).encode()
    }
    for w in workflows:
        files[f"files/resources/{w['id']}.sw.yaml"] = yaml.safe_dump(w).encode()
    return files


def without(part: str, name: str) -> dict[str, Any]:
    changed = yaml.safe_load(yaml.safe_dump(WORKFLOW))
    changed[part] = [item for item in changed[part] if item["name"] != name]
    return dict(changed)


def instance(ident: str, status: str, *waiting: str, workflow: str = "order") -> Instance:
    return Instance(ident, workflow, "1.0", status, waiting, "2026-12-07T10:00:00Z", "2026-12-07T10:01:00Z")


def test_each_removal_names_the_states_an_instance_would_be_stranded_in() -> None:
    base = chart(WORKFLOW)
    assert removals(base, base) == []
    assert removals(base, chart(without("states", "Wait"))) == [Removal("order", "state", "Wait", ("Wait",))]
    assert removals(base, chart(without("events", "decision"))) == [
        Removal("order", "event", "decision", ("Wait",))
    ]
    assert removals(base, chart(without("events", "reminder"))) == [
        Removal("order", "event", "reminder", ("Remind",))
    ]
    assert removals(base, chart(without("functions", "notify"))) == [
        Removal("order", "function", "notify", ("Notify",))
    ]
    assert removals(base, chart()) == [Removal("order", "workflow", "order", ("Notify", "Wait", "Remind"))]


def test_the_guard_and_version_bump_read_the_same_removals() -> None:
    base, head = chart(WORKFLOW), chart(without("states", "Wait"))
    reasons = list(workflow_reasons(base, head))
    assert [(r.kind, r.description) for r in reasons] == [
        (
            "major",
            "state 'Wait' removed from workflow 'order' (persisted instances waiting in it cannot resume)",
        )
    ]
    assert reasons[0].description == removals(base, head)[0].describe()


def test_live_instances_in_a_removed_state_or_workflow_are_stranded() -> None:
    removed = [Removal("order", "state", "Wait", ("Wait",)), Removal("gone", "workflow", "gone", ("A",))]
    instances = [
        instance("i-1", "active", "Wait"),
        instance("i-2", "active", "Notify"),  # elsewhere: it never needs the state
        instance("i-3", "completed"),
        instance("i-4", "error", "Wait"),  # an error can be retried: it would resume there
        instance("i-5", "aborted", "Wait"),
        instance("i-6", "suspended", workflow="gone"),  # its workflow is gone, wherever it waits
        instance("i-7", "active", "Wait", workflow="other"),
    ]
    found = stranded(removed, instances)
    assert [s.instance.id for s in found] == ["i-1", "i-4", "i-6"]
    assert found[0].line() == (
        "instance i-1 of 'order' (active) waits in 'Wait': state 'Wait' removed from workflow 'order' "
        "(persisted instances waiting in it cannot resume)"
    )
    assert "i-6 of 'gone' (suspended) has not ended: workflow 'gone' removed" in found[2].line()
    # A removed function no state calls strands no one: nothing to ask.
    assert stranding_workflows([Removal("order", "function", "unused")]) == []
    assert stranding_workflows(removed) == ["gone", "order"]


@pytest.mark.parametrize(
    ("reason", "refused"),
    [("", "needs a reason"), ("   ", "needs a reason"), ("x\ny", "one line"), ("x" * 501, "one line")],
)
def test_allow_stranded_needs_a_one_line_reason(reason: str, refused: str) -> None:
    problem = check_reason(reason)
    assert problem is not None and refused in problem
    assert check_reason("customers were told; orders re-entered by hand") is None
