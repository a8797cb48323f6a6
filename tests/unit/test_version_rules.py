"""Bump rules on in-memory chart pairs (no helm, no git), and SemVer ordering."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from chartgen.errors import UserError
from chartgen.formats.yaml_out import Literal, dump_yaml
from chartgen.version.rules import CONTENT_CHANGED, Bump, ChartSnapshot, bump_kind, changes_text
from chartgen.version.semver import Version

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "hpa": {
            "type": "object",
            "properties": {
                "maxReplicas": {"type": "integer", "minimum": 2, "maximum": 10},
                "mode": {"type": "string", "enum": ["cpu", "memory"]},
                "name": {"type": "string", "minLength": 1, "maxLength": 63, "pattern": "^[a-z]+$"},
            },
            "required": ["maxReplicas"],
        },
        "labels": {"type": "array", "items": {"type": "object", "properties": {"key": {"type": "string"}}}},
    },
}
WORKFLOW: dict[str, Any] = {
    "id": "order-approval",
    "specVersion": "0.8",
    "start": "Start",
    "functions": [{"name": "log", "type": "custom", "operation": "sysout"}],
    "events": [{"name": "decision", "kind": "consumed", "type": "approval.decision"}],
    "states": [{"name": "Start", "type": "inject", "data": {}, "end": True}],
}
DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "order-approval"},
    "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "order-approval"}}},
}
SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "foo"},
    "spec": {"selector": {"a": "b"}},
}


def chart(
    schema: dict[str, Any] | None = None,
    workflows: dict[str, dict[str, Any]] | None = None,
    version: str = "1.2.0",
    **extra: bytes,
) -> dict[str, bytes]:
    """A chart's files: Chart.yaml, values, the schema and the workflows chartgen-data.yaml lists."""
    files = {
        "Chart.yaml": f'apiVersion: v2\nname: c\nversion: "{version}"\n'.encode(),
        "values.yaml": b"hpa:\n  maxReplicas: 3\n",
        "values-prod.yaml": b"environment: prod\n",
        "values.schema.json": json.dumps(SCHEMA if schema is None else schema).encode(),
    }
    flows = {"order-approval": WORKFLOW} if workflows is None else workflows
    data = {"workflows": [{"id": wid, "file": f"{wid}.sw.yaml"} for wid in flows]}
    files["files/chartgen-data.yaml"] = yaml.safe_dump(data).encode()
    for wid, doc in flows.items():
        files[f"files/resources/{wid}.sw.yaml"] = yaml.safe_dump(doc).encode()
    files.update({k.replace("__", "/"): v for k, v in extra.items()})
    return files


def schema_with(change: Any) -> dict[str, Any]:
    schema = copy.deepcopy(SCHEMA)
    change(schema)
    return schema


def workflow_with(change: Any) -> dict[str, dict[str, Any]]:
    doc = copy.deepcopy(WORKFLOW)
    change(doc)
    return {"order-approval": doc}


def bump(base: dict[str, bytes], head: dict[str, bytes], **rendered: Any) -> Bump:
    old = rendered.get("old", {})
    new = rendered.get("new", {})
    return bump_kind(ChartSnapshot(base, old), ChartSnapshot(head, new))


def descriptions(result: Bump) -> list[str]:
    return [r.description for r in result.reasons]


# --- no change, patch ----------------------------------------------------------------------


def test_same_content_needs_no_bump_even_with_other_version_fields() -> None:
    assert bump(chart(), chart()).kind is None
    assert bump(chart(), chart(version="9.0.0")).kind is None  # the version is not content


def test_other_content_is_a_patch() -> None:
    result = bump(chart(), chart(templates__svc_yaml=b"kind: Service\n"))
    assert (result.kind, descriptions(result)) == ("patch", [CONTENT_CHANGED])


# --- values schema -------------------------------------------------------------------------


def test_removed_key_is_major() -> None:
    head = schema_with(lambda s: s["properties"]["hpa"]["properties"].pop("mode"))
    result = bump(chart(), chart(head))
    assert result.kind == "major"
    assert "values schema: key 'hpa.mode' removed" in descriptions(result)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda p: p["maxReplicas"].update(minimum=3),
            "values schema: 'hpa.maxReplicas' minimum raised to 3",
        ),
        (
            lambda p: p["maxReplicas"].update(maximum=5),
            "values schema: 'hpa.maxReplicas' maximum lowered to 5",
        ),
        (lambda p: p["name"].update(maxLength=10), "values schema: 'hpa.name' maxLength lowered to 10"),
        (lambda p: p["name"].update(minLength=2), "values schema: 'hpa.name' minLength raised to 2"),
        (lambda p: p["name"].update(pattern="^[a-z]$"), "values schema: 'hpa.name' pattern changed"),
        (
            lambda p: p["mode"].update(enum=["cpu"]),
            "values schema: 'hpa.mode' allowed values removed: \"memory\"",
        ),
        (
            lambda p: p["name"].update(type="integer"),
            "values schema: 'hpa.name' type narrowed (string -> integer)",
        ),
        (lambda p: p["maxReplicas"].update(exclusiveMaximum=9), "exclusiveMaximum lowered to 9"),
    ],
)
def test_narrowed_key_is_major(change: Any, expected: str) -> None:
    head = schema_with(lambda s: change(s["properties"]["hpa"]["properties"]))
    result = bump(chart(), chart(head))
    assert result.kind == "major"
    assert any(expected in d for d in descriptions(result)), descriptions(result)


def test_widened_key_is_not_major() -> None:
    head = schema_with(
        lambda s: (
            s["properties"]["hpa"]["properties"]["maxReplicas"].update(type="number", minimum=1, maximum=20),
            s["properties"]["hpa"]["properties"]["mode"]["enum"].append("rps"),
        )
    )
    assert bump(chart(), chart(head)).kind == "patch"


def test_newly_required_key_is_major() -> None:
    head = schema_with(lambda s: s["properties"]["hpa"]["required"].append("mode"))
    result = bump(chart(), chart(head))
    assert (result.kind, descriptions(result)) == ("major", ["values schema: key 'hpa.mode' is now required"])


def test_closed_object_is_major() -> None:
    head = schema_with(lambda s: s["properties"]["hpa"].update(additionalProperties=False))
    assert descriptions(bump(chart(), chart(head))) == ["values schema: 'hpa' no longer allows other keys"]


def test_narrowed_array_items_are_major() -> None:
    head = schema_with(lambda s: s["properties"]["labels"]["items"]["properties"].pop("key"))
    assert descriptions(bump(chart(), chart(head))) == ["values schema: key 'labels[].key' removed"]


def test_optional_value_added_is_minor_required_one_major() -> None:
    optional = schema_with(lambda s: s["properties"]["hpa"]["properties"].update(foo={"type": "string"}))
    result = bump(chart(), chart(optional))
    assert (result.kind, descriptions(result)) == ("minor", ["optional value 'hpa.foo' added"])
    required = schema_with(
        lambda s: (
            s["properties"]["hpa"]["properties"].update(foo={"type": "string"}),
            s["properties"]["hpa"]["required"].append("foo"),
        )
    )
    assert bump(chart(), chart(required)).kind == "major"


# --- rendered objects and environments -------------------------------------------------------


def test_changed_selector_is_major() -> None:
    moved = copy.deepcopy(DEPLOYMENT)
    moved["spec"]["selector"]["matchLabels"]["app.kubernetes.io/version"] = "2"
    result = bump(chart(), chart(values_yaml=b"x: 1\n"), old={"prod": [DEPLOYMENT]}, new={"prod": [moved]})
    assert (result.kind, descriptions(result)) == ("major", ["selector of Deployment/order-approval changed"])


def test_renamed_object_is_major() -> None:
    renamed = {**SERVICE, "metadata": {"name": "bar"}}
    result = bump(chart(), chart(values_yaml=b"x: 1\n"), old={"prod": [SERVICE]}, new={"prod": [renamed]})
    assert (result.kind, descriptions(result)) == ("major", ["Service/foo removed (resource name changed)"])


def test_same_change_in_two_environments_is_one_reason() -> None:
    moved = copy.deepcopy(DEPLOYMENT)
    moved["spec"]["selector"] = {"matchLabels": {"x": "y"}}
    old = {"prod": [DEPLOYMENT], "staging": [DEPLOYMENT]}
    result = bump(chart(), chart(values_yaml=b"x: 1\n"), old=old, new={"prod": [moved], "staging": [moved]})
    assert len(result.reasons) == 1


def test_removed_environment_is_major() -> None:
    head = chart()
    del head["values-prod.yaml"]
    assert descriptions(bump(chart(), head)) == ["environment 'prod' removed (values-prod.yaml)"]


# --- workflows -------------------------------------------------------------------------------


def test_workflow_removed_is_major_added_is_minor() -> None:
    two = {"order-approval": WORKFLOW, "invoice": {**WORKFLOW, "id": "invoice"}}
    removed = bump(chart(workflows=two), chart())
    assert removed.kind == "major"
    assert descriptions(removed) == ["workflow 'invoice' removed (its persisted instances cannot resume)"]
    added = bump(chart(), chart(workflows=two))
    assert (added.kind, descriptions(added)) == ("minor", ["workflow 'invoice' added"])


@pytest.mark.parametrize(
    ("key", "part", "item"),
    [
        ("states", "state", {"name": "Wait", "type": "sleep", "duration": "PT1M", "end": True}),
        ("functions", "function", {"name": "notify", "type": "custom", "operation": "sysout"}),
        ("events", "event", {"name": "cancelled", "kind": "consumed", "type": "order.cancelled"}),
    ],
)
def test_workflow_parts_added_are_minor_removed_major(key: str, part: str, item: dict[str, Any]) -> None:
    more = chart(workflows=workflow_with(lambda d: d[key].append(item)))
    added = bump(chart(), more)
    name = item["name"]
    assert (added.kind, descriptions(added)) == (
        "minor",
        [f"{part} '{name}' added to workflow 'order-approval'"],
    )
    removed = bump(more, chart())
    assert removed.kind == "major"
    assert descriptions(removed)[0].startswith(f"{part} '{name}' removed from workflow 'order-approval'")
    assert "cannot resume" in descriptions(removed)[0]


def test_dev_chart_removals_are_major_without_the_persistence_note() -> None:
    def dev(files: dict[str, bytes]) -> dict[str, bytes]:
        return {**files, "files/chartgen-data.yaml": b"kind: dev\n" + files["files/chartgen-data.yaml"]}

    more = chart(workflows=workflow_with(lambda d: d["states"].append({"name": "Wait"})))
    result = bump(dev(more), dev(chart()))
    assert (result.kind, descriptions(result)) == (
        "major",
        ["state 'Wait' removed from workflow 'order-approval'"],
    )


def test_json_workflow_files_are_read() -> None:
    def as_json(files: dict[str, bytes]) -> dict[str, bytes]:
        out = {k: v for k, v in files.items() if not k.endswith(".sw.yaml")}
        out["files/chartgen-data.yaml"] = b"workflows:\n- id: order-approval\n  file: o.sw.json\n"
        doc = yaml.safe_load(files["files/resources/order-approval.sw.yaml"])
        out["files/resources/o.sw.json"] = json.dumps(doc).encode()
        return out

    more = chart(workflows=workflow_with(lambda d: d["states"].append({"name": "Wait"})))
    assert descriptions(bump(as_json(chart()), as_json(more))) == [
        "state 'Wait' added to workflow 'order-approval'"
    ]


def test_broken_workflow_file_is_a_located_user_error() -> None:
    head = chart()
    head["files/resources/order-approval.sw.yaml"] = b"id: [unclosed\n"
    with pytest.raises(UserError, match=r"^files/resources/order-approval\.sw\.yaml:\d+:\d+: "):
        bump(chart(), head)


def test_highest_reason_wins_and_comes_first() -> None:
    head = chart(
        schema_with(lambda s: s["properties"]["hpa"]["properties"].pop("name")),
        workflow_with(lambda d: d["states"].append({"name": "Wait"})),
    )
    result = bump(chart(), head)
    assert result.kind == "major"
    assert [r.kind for r in result.reasons] == ["major", "minor"]
    assert (
        result.why()
        == "values schema: key 'hpa.name' removed; state 'Wait' added to workflow 'order-approval'"
    )


# --- artifacthub.io/changes --------------------------------------------------------------------


def test_changes_text_is_a_yaml_list_written_as_a_literal_block() -> None:
    more = chart(workflows=workflow_with(lambda d: d["states"].append({"name": 'Odd: "name"\nsecond line'})))
    result = bump(chart(workflows=workflow_with(lambda d: d["events"].clear())), more)
    text = changes_text(result.reasons)
    assert text.endswith("\n") and not text.endswith("\n\n") and "\n\n" not in text
    items = yaml.safe_load(text)
    assert [i["kind"] for i in items] == ["added", "added"]
    assert items[0]["description"] == "state 'Odd: \"name\" second line' added to workflow 'order-approval'"
    written = dump_yaml({"a": Literal(text)})
    assert written.startswith(b"a: |\n")
    assert yaml.safe_load(written) == {"a": text}
    assert changes_text([]) == ""


# --- SemVer --------------------------------------------------------------------------------------


def test_semver_ordering_and_pull_request_builds() -> None:
    assert Version.parse("1.2.0") < Version.parse("1.10.0")
    pr = Version.parse("1.3.0").pull_request(42, "abcdef1234567890")
    assert str(pr) == "1.3.0-pr.42.abcdef123456"
    assert Version.parse("1.2.0") < pr < Version.parse("1.3.0")
    assert Version.parse(str(pr)) == pr
    assert pr.bumped("patch") == Version.parse("1.3.1")
    assert str(Version.parse("1.9.9").bumped("major")) == "2.0.0"
