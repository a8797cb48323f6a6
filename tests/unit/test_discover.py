"""Finding and loading workflow projects: layouts, skipped files, parsing, positions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chartgen.errors import Diagnostics, Location
from chartgen.formats.source import SourceFile
from chartgen.workflow.discover import discover
from chartgen.workflow.loader import MAX_SECRET_KEYS, load_workflows
from chartgen.workflow.model import CONFIG_MAP_BUDGET, Project, SecretKeyName, WorkflowSet
from chartgen.workflow.validate import validate
from testing.trees import GREETING, build_tree


def flow(wf_id: str) -> str:
    """The greeting workflow under another id."""
    return GREETING.replace("id: greeting", f"id: {wf_id}")


def load(base: Path, exclude: tuple[str, ...] = ()) -> tuple[WorkflowSet, Diagnostics]:
    diag = Diagnostics()
    return load_workflows(base, diag, exclude=exclude), diag


def asset_paths(project: Project) -> list[str]:
    return sorted(a.rel_path for a in project.assets)


def ids(project: Project) -> list[str]:
    return sorted(w.id for w in project.workflows)


# -- layouts ---------------------------------------------------------------------------------


def test_flat_layout_is_one_project_with_subflows_and_assets(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path / "wf",
        {
            "order/order.sw.yaml": flow("order"),
            "order/subflows/check.sw.yaml": flow("check"),
            "order/specs/api.yaml": "openapi: 3.0.0\n",
            "order/schemas/input.json": "{}\n",
            "order/application.properties": "a=b\n",
        },
    )
    wset, diag = load(base)

    assert diag.items == []
    assert [p.name for p in wset.projects] == ["order"]
    project = wset.projects[0]
    assert project.rel == "order"
    assert project.root == base / "order"
    assert project.resources == base / "order"
    by_id = {w.id: w for w in project.workflows}
    assert set(by_id) == {"order", "check"}
    assert by_id["order"].is_subflow is False
    assert by_id["order"].rel_path == "order.sw.yaml"
    assert by_id["check"].is_subflow is True
    assert by_id["check"].rel_path == "subflows/check.sw.yaml"
    assert [w.id for w in project.roots] == ["order"]
    assert [w.id for w in project.subflows] == ["check"]
    assert asset_paths(project) == ["application.properties", "schemas/input.json", "specs/api.yaml"]


def test_discover_reports_flat_project_files(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path / "wf",
        {
            "order/order.sw.yaml": flow("order"),
            "order/subflows/check.sw.yaml": flow("check"),
            "order/specs/api.yaml": "openapi: 3.0.0\n",
        },
    )
    found = discover(base)

    assert found.ignored == []
    assert len(found.projects) == 1
    fp = found.projects[0]
    assert fp.root == fp.resources == base / "order"
    assert sorted(fp.workflow_files) == [
        base / "order/order.sw.yaml",
        base / "order/subflows/check.sw.yaml",
    ]
    assert fp.asset_files == [base / "order/specs/api.yaml"]


def test_quarkus_layout_uses_src_main_resources(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path / "wf",
        {
            "p/pom.xml": "<project/>\n",
            "p/README.md": "read me\n",
            "p/src/main/java/Foo.java": "class Foo {}\n",
            "p/src/main/resources/hello.sw.yaml": flow("hello"),
            "p/src/main/resources/application.properties": "a=b\n",
            "p/src/main/resources/specs/api.yaml": "openapi: 3.0.0\n",
            "p/as-yml/a.sw.yml": flow("other"),
        },
    )
    wset, diag = load(base)

    assert [p.name for p in wset.projects] == ["p"]
    project = wset.projects[0]
    assert project.root == base / "p"
    assert project.resources == base / "p/src/main/resources"
    assert project.rel == "p"
    assert ids(project) == ["hello"]
    assert project.workflows[0].rel_path == "hello.sw.yaml"
    assert asset_paths(project) == ["application.properties", "specs/api.yaml"]
    assert diag.errors == []
    assert len(diag.warnings) == 1
    warning = diag.warnings[0]
    assert "ignored" in warning.message
    assert "p/src/main/resources" in warning.message
    assert warning.location == Location("wf/p/as-yml/a.sw.yml")

    found = discover(base)
    assert [path for path, _ in found.ignored] == [base / "p/as-yml/a.sw.yml"]


def test_skipped_folders_and_files(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path / "wf",
        {
            "p/main.sw.yaml": flow("main"),
            "p/main.sw.input-schema.json": '{"type": "object"}\n',
            "p/manifests/01-sonataflow_main.yaml": "kind: SonataFlow\n",
            "p/manifests/copy.sw.yaml": flow("copy"),
            "p/.hidden.sw.yaml": flow("hidden"),
            "p/.env": "X=1\n",
            "p/.git/config": "[core]\n",
            "p/.cache/cached.sw.yaml": flow("cached"),
            "p/secret.properties": "token=xyz\n",
            "p/argfile.conf": "-Dx=y\n",
            "p/application.properties": "a=b\n",
        },
    )
    wset, diag = load(base)

    assert diag.items == []
    assert [p.name for p in wset.projects] == ["p"]
    project = wset.projects[0]
    assert ids(project) == ["main"]
    assert asset_paths(project) == ["application.properties", "main.sw.input-schema.json"]
    assert project.secret_keys == [SecretKeyName("token", base / "p/secret.properties", 1)]
    assert "xyz" not in repr(project)  # only key names are kept


def test_a_secret_file_with_too_many_keys_is_a_located_error(tmp_path: Path) -> None:
    keys = "".join(f"key{i}=v\n" for i in range(MAX_SECRET_KEYS + 5))
    base = build_tree(tmp_path / "wf", {"p/main.sw.yaml": flow("main"), "p/secret.properties": keys})
    wset, diag = load(base)

    [error] = diag.errors
    assert error.location is not None
    assert error.location.path.endswith("wf/p/secret.properties")
    assert (error.location.line, error.location.col) == (MAX_SECRET_KEYS + 1, 1)
    assert f"holds {MAX_SECRET_KEYS + 5:,} keys, more than {MAX_SECRET_KEYS:,}" in error.message
    assert wset.projects[0].secret_keys == []
    assert wset.projects[0].errors == 1


def test_a_properties_file_over_the_config_map_budget_is_refused_unread(tmp_path: Path) -> None:
    body = "k=" + "v" * CONFIG_MAP_BUDGET + "\nbroken=\x01\n"
    base = build_tree(tmp_path / "wf", {"p/main.sw.yaml": flow("main"), "p/application.properties": body})
    wset, diag = load(base)

    [error] = diag.errors  # one error: the control character further on is not reached
    assert (
        f"'application.properties' is {len(body):,} bytes: over the {CONFIG_MAP_BUDGET:,}-byte"
        in error.message
    )
    assert wset.projects[0].errors == 1


def test_input_schema_json_is_not_a_workflow_even_alone(tmp_path: Path) -> None:
    base = build_tree(tmp_path / "wf", {"p/x.sw.input-schema.json": "{}\n"})
    found = discover(base)
    assert found.projects == []
    assert found.ignored == []


def test_quarkus_secret_properties_recorded(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path / "wf",
        {
            "p/src/main/resources/hello.sw.yaml": flow("hello"),
            "p/src/main/resources/secret.properties": "token=xyz\n",
        },
    )
    wset, _ = load(base)
    project = wset.projects[0]
    assert project.assets == []
    assert [k.key for k in project.secret_keys] == ["token"]
    assert project.secret_keys[0].path == base / "p/src/main/resources/secret.properties"


def test_file_names_with_spaces_load(tmp_path: Path) -> None:
    text = '{"id": "traffic-violation", "specVersion": "0.8", "start": "A",\n'
    text += ' "states": [{"name": "A", "type": "inject", "data": {}, "end": true}]}\n'
    base = build_tree(
        tmp_path / "wf",
        {
            "traffic/traffic violation.sw.json": text,
            "traffic/schemas/traffic violation.json": "{}\n",
        },
    )
    wset, diag = load(base)

    assert diag.errors == []
    project = wset.projects[0]
    assert [w.id for w in project.workflows] == ["traffic-violation"]
    assert project.workflows[0].rel_path == "traffic violation.sw.json"
    assert asset_paths(project) == ["schemas/traffic violation.json"]


def test_several_projects_sorted_by_path(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path / "wf",
        {
            "zeta/z.sw.yaml": flow("z"),
            "alpha/a.sw.yaml": flow("a"),
            "group/mid/m.sw.yaml": flow("m"),
            "beta/b.sw.json": '{"id": "b", "start": "A", "states": []}\n',
        },
    )
    wset, _ = load(base)
    assert [p.rel for p in wset.projects] == ["alpha", "beta", "group/mid", "zeta"]
    assert [p.root for p in discover(base).projects] == [
        base / "alpha",
        base / "beta",
        base / "group/mid",
        base / "zeta",
    ]


def test_nested_flat_project_is_its_own_project(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path / "wf",
        {
            "outer/outer.sw.yaml": flow("outer"),
            "outer/specs/a.yaml": "openapi: 3.0.0\n",
            "outer/inner/inner.sw.yaml": flow("inner"),
            "outer/inner/subflows/sub.sw.yaml": flow("sub"),
            "outer/inner/specs/b.yaml": "openapi: 3.0.0\n",
            "outer/inner/application.properties": "a=b\n",
        },
    )
    wset, diag = load(base)

    assert diag.items == []
    assert [p.rel for p in wset.projects] == ["outer", "outer/inner"]
    outer, inner = wset.projects
    assert ids(outer) == ["outer"]
    assert asset_paths(outer) == ["specs/a.yaml"]
    assert ids(inner) == ["inner", "sub"]
    assert inner.name == "inner"
    assert asset_paths(inner) == ["application.properties", "specs/b.yaml"]
    assert [w.id for w in inner.subflows] == ["sub"]


def test_nested_quarkus_project_files_are_not_assets_of_outer(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path / "wf",
        {
            "outer/outer.sw.yaml": flow("outer"),
            "outer/p/README.md": "read me\n",
            "outer/p/src/main/java/Foo.java": "class Foo {}\n",
            "outer/p/src/main/resources/hello.sw.yaml": flow("hello"),
        },
    )
    wset, _ = load(base)
    assert [p.rel for p in wset.projects] == ["outer", "outer/p"]
    assert asset_paths(wset.projects[0]) == []


def test_exclude_globs_drop_files_and_folders(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path / "wf",
        {
            "keep/k.sw.yaml": flow("k"),
            "keep/specs/api.yaml": "openapi: 3.0.0\n",
            "keep/specs/huge.yaml": "openapi: 3.0.0\n",
            "keep/notes.bak": "old\n",
            "keep/old/o.sw.yaml": flow("o"),
            "keep/drafts/d.sw.yaml": flow("d"),
            "drop/x.sw.yaml": flow("x"),
        },
    )
    exclude = ("drop", "keep/old", "keep/specs/huge.yaml", "*.bak", "keep/drafts/*")
    wset, diag = load(base, exclude)

    assert diag.items == []
    assert [p.rel for p in wset.projects] == ["keep"]
    assert ids(wset.projects[0]) == ["k"]
    assert asset_paths(wset.projects[0]) == ["specs/api.yaml"]

    wset_all, _ = load(base)
    assert [p.rel for p in wset_all.projects] == ["drop", "keep", "keep/drafts", "keep/old"]


def test_single_workflow_file_as_base(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path / "wf",
        {"some/x.yml": GREETING, "some/specs/api.yaml": "openapi: 3.0.0\n"},
    )
    wset, diag = load(base / "some/x.yml")

    assert diag.errors == []
    assert len(wset.projects) == 1
    project = wset.projects[0]
    assert project.name == "some"
    assert [w.id for w in project.workflows] == ["greeting"]
    wf = project.workflows[0]
    assert wf.rel_path == "x.yml"
    assert wf.is_subflow is False
    assert project.assets == []


def test_missing_base_is_an_error(tmp_path: Path) -> None:
    wset, diag = load(tmp_path / "nope")
    assert wset.projects == []
    assert len(diag.errors) == 1
    assert "not found" in diag.errors[0].message


# -- parsing ------------------------------------------------------------------------------------


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path / "wf",
        {
            "p/good.sw.yaml": flow("good"),
            "p/bad.sw.yaml": "id: bad\nstart: a\nstates:\n  - name: a: b\n    type: sleep\n",
        },
    )
    wset, diag = load(base)

    assert [w.id for w in wset.projects[0].workflows] == ["good"]
    assert len(diag.errors) == 1
    err = diag.errors[0]
    assert "invalid YAML" in err.message
    assert err.location == Location("wf/p/bad.sw.yaml", 4, 12)


def test_json_syntax_error_is_located(tmp_path: Path) -> None:
    text = '{\n  "id": "x",\n  "states": [\n    {"name": "a",}\n  ]\n}\n'
    base = build_tree(tmp_path / "wf", {"p/bad.sw.json": text})
    wset, diag = load(base)

    assert wset.projects[0].workflows == []
    assert len(diag.errors) == 1
    err = diag.errors[0]
    assert "invalid JSON" in err.message
    assert err.location == Location("wf/p/bad.sw.json", 4, 18)


def test_multi_document_yaml_with_configmap(tmp_path: Path) -> None:
    text = (
        "id: greeting\n"
        "specVersion: '0.8'\n"
        "start: A\n"
        "states:\n"
        "  - name: A\n"
        "    type: inject\n"
        "    data: {}\n"
        "    end: true\n"
        "---\n"
        "apiVersion: v1\n"
        "kind: ConfigMap\n"
        "metadata:\n"
        "  name: props\n"
    )
    base = build_tree(tmp_path / "wf", {"p/greeting.sw.yaml": text})
    wset, diag = load(base)

    assert diag.errors == []
    assert len(diag.warnings) == 1
    warning = diag.warnings[0]
    assert "document 2" in warning.message
    assert "ConfigMap" in warning.message
    assert warning.location == Location("wf/p/greeting.sw.yaml", 10, 1)
    [wf] = wset.projects[0].workflows
    assert wf.id == "greeting"
    assert wf.rewritten is not None
    assert b"ConfigMap" not in wf.rewritten
    assert list(yaml.safe_load_all(wf.rewritten)) == [
        {
            "id": "greeting",
            "specVersion": "0.8",
            "start": "A",
            "states": [{"name": "A", "type": "inject", "data": {}, "end": True}],
        }
    ]


def test_single_document_workflow_is_not_rewritten(tmp_path: Path) -> None:
    base = build_tree(tmp_path / "wf", {"p/greeting.sw.yaml": GREETING})
    wset, _ = load(base)
    assert wset.projects[0].workflows[0].rewritten is None


def test_two_workflow_documents_is_an_error_at_the_second(tmp_path: Path) -> None:
    text = "id: one\nstart: A\nstates: []\n---\n# second\nid: two\nstart: B\nstates: []\n"
    base = build_tree(tmp_path / "wf", {"p/two.sw.yaml": text})
    wset, diag = load(base)

    assert wset.projects[0].workflows == []
    assert len(diag.errors) == 1
    err = diag.errors[0]
    assert "2 workflow documents" in err.message
    assert err.location == Location("wf/p/two.sw.yaml", 6, 1)


SONATAFLOW_CR = """
    apiVersion: sonataflow.org/v1alpha08
    kind: SonataFlow
    metadata:
      name: greeting-cr
      annotations:
        sonataflow.org/description: Says hello
        sonataflow.org/version: "2.0"
    spec:
      flow:
        start: A
        states:
          - name: A
            type: inject
            data: {}
            transition: Missing
"""


def test_sonataflow_custom_resource_is_read_through_spec_flow(tmp_path: Path) -> None:
    base = build_tree(tmp_path / "wf", {"p/greeting.sw.yaml": SONATAFLOW_CR})
    wset, diag = load(base)

    assert diag.errors == []
    [wf] = wset.projects[0].workflows
    assert wf.id == "greeting-cr"
    assert wf.version == "2.0"
    assert wf.description == "Says hello"
    assert wf.from_custom_resource is True
    assert wf.rewritten is not None
    text = wf.rewritten.decode()
    assert "id: greeting-cr" in text.splitlines()
    assert "kind" not in text
    plain = yaml.safe_load(text)
    assert plain["id"] == "greeting-cr"
    assert plain["version"] == "2.0"
    assert plain["specVersion"] == "0.8"
    assert plain["states"][0]["name"] == "A"
    assert "spec" not in plain and "metadata" not in plain

    # positions inside the CR are relative to spec.flow
    validate(wset, diag)
    [err] = [d for d in diag.errors if "goes to 'Missing'" in d.message]
    assert err.location == Location("wf/p/greeting.sw.yaml", 15, 21)


@pytest.mark.parametrize(
    "spec",
    ["spec: {}\n", "spec:\n  flow: [a, b]\n", "spec: just text\n", ""],
    ids=["empty-spec", "flow-list", "spec-text", "no-spec"],
)
def test_custom_resource_without_flow_is_an_error(tmp_path: Path, spec: str) -> None:
    text = "apiVersion: sonataflow.org/v1alpha08\nkind: SonataFlow\nmetadata:\n  name: x\n" + spec
    base = build_tree(tmp_path / "wf", {"p/x.sw.yaml": text})
    wset, diag = load(base)

    assert wset.projects[0].workflows == []
    assert len(diag.errors) == 1
    assert "spec.flow" in diag.errors[0].message
    assert diag.errors[0].location is not None
    assert diag.errors[0].location.path == "wf/p/x.sw.yaml"


# -- positions ----------------------------------------------------------------------------------

JSON_FLOW = """\
{
  "id": "jf",
  "description": "a \\"quoted\\" caf\\u00e9, [not] {a} list",
  "specVersion": "0.8",
  "start": "First",
  "states": [
    {
      "name": "First",
      "type": "inject",
      "data": {"n": 1, "ok": true, "nothing": null, "list": [1, 2.5, "x"]},
      "transition": "Nowhere"
    },
    {"name": "Second", "type": "inject", "data": {}, "end": true}
  ]
}
"""


def test_json_workflow_error_is_located(tmp_path: Path) -> None:
    base = build_tree(tmp_path / "wf", {"p/jf.sw.json": JSON_FLOW})
    wset, diag = load(base)
    assert diag.errors == []

    validate(wset, diag)
    [err] = [d for d in diag.errors if "goes to 'Nowhere'" in d.message]
    assert err.location == Location("wf/p/jf.sw.json", 11, 21)


YAML_TEXT = """\
id: x
states:
  - name: First
    type: inject
  - type: inject
    name: Second
"""

JSON_TEXT = """\
{"id": "x",
 "states": [
   {"name": "First", "type": "inject"},
   {"type": "inject",
      "name": "Second"}
 ]}
"""


@pytest.mark.parametrize(
    ("file_name", "text", "value_at", "key_at"),
    [
        ("w.sw.yaml", YAML_TEXT, (6, 11), (6, 5)),
        ("w.sw.json", JSON_TEXT, (5, 15), (5, 7)),
    ],
)
def test_source_location_of_pointer(
    tmp_path: Path,
    file_name: str,
    text: str,
    value_at: tuple[int, int],
    key_at: tuple[int, int],
) -> None:
    source = SourceFile(tmp_path / file_name, raw=text.encode())
    assert len(source.documents()) == 1

    loc = source.location(0, ("states", 1, "name"))
    assert (loc.line, loc.col) == value_at
    loc = source.location(0, ("states", 1, "name"), key=True)
    assert (loc.line, loc.col) == key_at
    # a list item has no key: its own position
    item = source.location(0, ("states", 1), key=True)
    assert (item.line, item.col) == ((5, 5) if file_name.endswith("yaml") else (4, 4))
    # a missing part: the nearest enclosing value
    assert source.location(0, ("states", 7, "name")) == source.location(0, ("states",))
    assert source.location(0) == Location(source.display, 1, 1)


def test_json_location_counts_characters_after_escapes(tmp_path: Path) -> None:
    text = '{"a": "\\u00e9\\"\\\\", "b": "é", "c": [true, null, -1.5e3], "d": 1}'
    source = SourceFile(tmp_path / "x.json", raw=text.encode())
    assert source.documents()[0]["d"] == 1
    assert source.location(0, ("d",)) == Location(source.display, 1, len(text) - 1)
    assert source.location(0, ("d",), key=True) == Location(source.display, 1, text.index('"d"') + 1)
    assert source.location(0, ("c", 2)) == Location(source.display, 1, text.index("-1.5") + 1)


def test_yaml_location_in_second_document(tmp_path: Path) -> None:
    text = "a: 1\n---\nb:\n  c: 2\n"
    source = SourceFile(tmp_path / "x.yaml", raw=text.encode())
    assert source.location(1, ("b", "c")) == Location(source.display, 4, 6)
    assert source.location(1, ("b", "c"), key=True) == Location(source.display, 4, 3)


# -- wait reasons -------------------------------------------------------------------------------


def test_wait_reasons(tmp_path: Path) -> None:
    text = """
        id: waiter
        specVersion: "0.8"
        start: Nap
        timeouts:
          workflowExecTimeout: PT1H
        events:
          - name: Approved
            type: approved
            source: test
          - name: Done
            type: done
            source: test
        functions:
          - name: log
            type: custom
            operation: sysout
        states:
          - name: Nap
            type: sleep
            duration: PT5S
            transition: Ask
          - name: Ask
            type: callback
            action:
              functionRef: log
            eventRef: Approved
            transition: Wait
          - name: Wait
            type: event
            onEvents:
              - eventRefs: [Done]
            end: true
    """
    base = build_tree(tmp_path / "wf", {"p/waiter.sw.yaml": text})
    wset, diag = load(base)
    assert diag.errors == []
    [wf] = wset.projects[0].workflows
    reasons = wf.wait_reasons
    assert len(reasons) == 4
    assert reasons[0] == "workflowExecTimeout PT1H"
    assert any("'Nap'" in r and "sleeps PT5S" in r for r in reasons)
    assert any("'Ask'" in r and "callback" in r for r in reasons)
    assert any("'Wait'" in r and "waits for events" in r for r in reasons)


def test_no_wait_reasons_for_plain_workflow(tmp_path: Path) -> None:
    base = build_tree(tmp_path / "wf", {"p/greeting.sw.yaml": GREETING})
    wset, _ = load(base)
    assert wset.projects[0].workflows[0].wait_reasons == []


def test_a_double_star_glob_also_matches_at_the_top(tmp_path: Path) -> None:
    """`**/invalid.sw.json` leaves out invalid.sw.json in the workflows folder itself too."""
    base = build_tree(
        tmp_path / "wf", {"k.sw.yaml": flow("k"), "invalid.sw.json": "{}", "p/invalid.sw.json": "{}"}
    )
    wset, diag = load(base, ("**/invalid.sw.json",))
    assert diag.items == []
    assert [w.id for p in wset.projects for w in p.workflows] == ["k"]
