"""One test per validation rule: the message names the item and points at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgen.errors import Diagnostics
from chartgen.workflow.loader import load_workflows
from chartgen.workflow.resolve import resolve
from chartgen.workflow.validate import validate
from testing.trees import GREETING, build_tree


def problems(root: Path, files: dict[str, str], severity: str = "error") -> list[str]:
    """Diagnostics of one severity, with paths relative to `root`."""
    build_tree(root, files)
    diag = Diagnostics()
    wset = load_workflows(root, diag)
    resolve(wset, diag)
    validate(wset, diag)
    out = []
    for d in diag.sorted():
        if d.severity == severity:
            loc = d.location
            where = (
                f"{Path(loc.path).resolve().relative_to(root.resolve())}:{loc.line}:{loc.col}" if loc else "-"
            )
            out.append(f"{where}: {d.message}")
    return out


def test_valid_workflow_has_no_problems(tmp_path: Path) -> None:
    assert problems(tmp_path, {"greet/greeting.sw.yaml": GREETING}) == []


def test_start_state_must_exist(tmp_path: Path) -> None:
    wf = GREETING.replace("start: Greet", "start: Hello")
    assert problems(tmp_path, {"p/g.sw.yaml": wf}) == [
        "p/g.sw.yaml:5:8: start state 'Hello' does not exist in workflow 'greeting'"
    ]


def test_start_is_required(tmp_path: Path) -> None:
    wf = GREETING.replace("    start: Greet\n", "")
    assert problems(tmp_path, {"p/g.sw.yaml": wf}) == [
        "p/g.sw.yaml:1:1: workflow 'greeting' has no 'start' state"
    ]


def test_start_as_object(tmp_path: Path) -> None:
    wf = GREETING.replace("start: Greet", "start: {stateName: Nope}")
    assert problems(tmp_path, {"p/g.sw.yaml": wf}) == [
        "p/g.sw.yaml:5:20: start state 'Nope' does not exist in workflow 'greeting'"
    ]


TWO_STATES = """
    id: two
    specVersion: "0.8"
    start: A
    states:
      - name: A
        type: inject
        data: {}
        transition: B
      - name: B
        type: inject
        data: {}
        end: true
"""


def test_transition_target_must_exist(tmp_path: Path) -> None:
    wf = TWO_STATES.replace("transition: B", "transition: C")
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == [
        "p/t.sw.yaml:8:17: state 'A' goes to 'C', which is not a state of workflow 'two'"
    ]


def test_transition_object_next_state_must_exist(tmp_path: Path) -> None:
    wf = TWO_STATES.replace("transition: B", "transition: {nextState: Z}")
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == [
        "p/t.sw.yaml:8:29: state 'A' goes to 'Z', which is not a state of workflow 'two'"
    ]


SWITCH = """
    id: sw
    specVersion: "0.8"
    start: Decide
    states:
      - name: Decide
        type: switch
        dataConditions:
          - condition: "${ .ok }"
            transition: Approve
        defaultCondition:
          transition: Reject
      - name: Approve
        type: inject
        data: {}
        end: true
      - name: Reject
        type: inject
        data: {}
        end: true
"""


def test_switch_conditions_and_default_targets_must_exist(tmp_path: Path) -> None:
    wf = SWITCH.replace("transition: Approve", "transition: Maybe").replace(
        "transition: Reject", "transition: Never"
    )
    assert problems(tmp_path, {"p/s.sw.yaml": wf}) == [
        "p/s.sw.yaml:9:21: state 'Decide' goes to 'Maybe', which is not a state of workflow 'sw'",
        "p/s.sw.yaml:11:19: state 'Decide' goes to 'Never', which is not a state of workflow 'sw'",
    ]


def test_on_errors_target_must_exist(tmp_path: Path) -> None:
    wf = TWO_STATES.replace(
        "        transition: B\n",
        "        onErrors:\n          - errorRef: boom\n            transition: Recover\n        transition: B\n",
    ).replace("    start: A\n", "    start: A\n    errors: [{name: boom, code: '500'}]\n")
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == [
        "p/t.sw.yaml:11:21: state 'A' goes to 'Recover', which is not a state of workflow 'two'"
    ]


def test_compensated_by_must_exist(tmp_path: Path) -> None:
    wf = TWO_STATES.replace("        transition: B\n", "        compensatedBy: Undo\n        transition: B\n")
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == [
        "p/t.sw.yaml:8:20: state 'A' is compensated by 'Undo', which is not a state of workflow 'two'"
    ]


def test_state_names_are_unique(tmp_path: Path) -> None:
    wf = TWO_STATES.replace("name: B", "name: A").replace("transition: B", "transition: A")
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == [
        "p/t.sw.yaml:9:11: duplicate state name 'A' in workflow 'two' (first at line 5)"
    ]


def test_function_refs_resolve(tmp_path: Path) -> None:
    wf = GREETING.replace("refName: log", "refName: print")
    assert problems(tmp_path, {"p/g.sw.yaml": wf}) == [
        "p/g.sw.yaml:15:20: state 'Greet' calls function 'print', which workflow 'greeting' does not define"
    ]


def test_function_ref_as_string_resolves(tmp_path: Path) -> None:
    wf = GREETING.replace(
        "          - functionRef:\n              refName: log\n",
        "          - functionRef: missing\n",
    ).replace('              arguments:\n                message: "${ .name }"\n', "")
    assert problems(tmp_path, {"p/g.sw.yaml": wf}) == [
        "p/g.sw.yaml:14:22: state 'Greet' calls function 'missing', which workflow 'greeting' does not define"
    ]


def test_a_function_without_operation_is_one_error(tmp_path: Path) -> None:
    """The Kogito 1.x form (no `operation`) is refused once: the states calling it are not
    also told the function is undefined."""
    wf = GREETING.replace("        type: custom\n        operation: sysout\n", "        type: custom\n")
    assert problems(tmp_path, {"p/g.sw.yaml": wf}) == ["p/g.sw.yaml:7:5: function 'log' has no 'operation'"]


REST = """
    id: rest
    specVersion: "0.8"
    start: Call
    functions:
      - name: getPet
        operation: {operation}
    states:
      - name: Call
        type: operation
        actions:
          - functionRef: getPet
        end: true
"""
SPEC = """
    openapi: 3.0.3
    info: {title: pets, version: "1"}
    paths:
      /pets/{id}:
        get:
          operationId: getPetById
          responses: {"200": {description: ok}}
"""


def test_rest_spec_file_must_exist(tmp_path: Path) -> None:
    wf = REST.replace("{operation}", "specs/pets.yaml#getPetById")
    assert problems(tmp_path, {"p/r.sw.yaml": wf}) == [
        "p/r.sw.yaml:6:16: function 'getPet': spec file 'specs/pets.yaml' not found in project 'p': "
        "SonataFlow's build fails reading it (NoSuchFileException)"
    ]


def test_an_undefined_rest_operation_id_is_a_warning(tmp_path: Path) -> None:
    """SonataFlow builds and starts it; each call fails: said, not refused."""
    wf = REST.replace("{operation}", "specs/pets.yaml#getPet")
    files = {"p/r.sw.yaml": wf, "p/specs/pets.yaml": SPEC}
    assert problems(tmp_path, files) == []
    assert problems(tmp_path, files, "warning") == [
        "p/r.sw.yaml:6:16: function 'getPet': operationId 'getPet' is not defined in 'specs/pets.yaml' (did you "
        "mean 'getPetById'?): the runtime builds and starts, and every call fails (no work item handler)"
    ]


def test_rest_operation_found_in_json_spec(tmp_path: Path) -> None:
    spec = '{"openapi": "3.0.3", "paths": {"/p": {"post": {"operationId": "getPetById"}}}}'
    wf = REST.replace("{operation}", "specs/pets.json#getPetById")
    assert problems(tmp_path, {"p/r.sw.yaml": wf, "p/specs/pets.json": spec}) == []


def test_rest_operation_must_name_an_operation(tmp_path: Path) -> None:
    wf = REST.replace("{operation}", "specs/pets.yaml")
    assert problems(tmp_path, {"p/r.sw.yaml": wf, "p/specs/pets.yaml": SPEC}) == [
        "p/r.sw.yaml:6:16: function 'getPet': operation 'specs/pets.yaml' must be '<spec file>#<operationId>' "
        "(SonataFlow's build refuses it: it should have just 1 #)"
    ]


def test_subflow_spec_path_relative_to_subflow(tmp_path: Path) -> None:
    wf = REST.replace("{operation}", "../specs/pets.yaml#getPetById").replace("id: rest", "id: sub")
    files = {"p/main.sw.yaml": GREETING, "p/subflows/sub.sw.yaml": wf, "p/specs/pets.yaml": SPEC}
    assert problems(tmp_path, files) == []


def test_spec_outside_the_project_is_refused(tmp_path: Path) -> None:
    wf = REST.replace("{operation}", "../shared/pets.yaml#getPetById")
    assert problems(tmp_path, {"p/r.sw.yaml": wf, "shared/pets.yaml": SPEC}) == [
        "p/r.sw.yaml:6:16: function 'getPet': spec file '../shared/pets.yaml' not found in project 'p': "
        "SonataFlow's build fails reading it (NoSuchFileException)"
    ]


def test_broken_spec_is_reported_in_the_spec(tmp_path: Path) -> None:
    wf = REST.replace("{operation}", "specs/pets.yaml#getPetById")
    assert problems(tmp_path, {"p/r.sw.yaml": wf, "p/specs/pets.yaml": "paths: [\n"}) == [
        "p/specs/pets.yaml:2:1: cannot parse spec: invalid YAML: did not find expected node content"
    ]


def test_remote_spec_and_uri_alias_are_warnings(tmp_path: Path) -> None:
    wf = REST.replace("{operation}", "https://api.example.com/pets.yaml#getPetById")
    alias = (
        REST.replace("{operation}", "petstore#getPetById")
        .replace("id: rest", "id: rest2")
        .replace(
            "    functions:",
            "    extensions:\n      - extensionid: workflow-uri-definitions\n        definitions:\n"
            "          petstore: https://api.example.com/pets.yaml\n    functions:",
        )
    )
    files = {"p/r.sw.yaml": wf, "p/a.sw.yaml": alias}
    assert problems(tmp_path, files) == []
    warnings = problems(tmp_path, files, "warning")
    assert any("spec 'petstore' (https://api.example.com/pets.yaml) is remote" in w for w in warnings)
    assert any("spec 'https://api.example.com/pets.yaml' is remote" in w for w in warnings)


EVENTS = """
    id: ev
    specVersion: "0.8"
    start: Wait
    events:
      - name: orderPlaced
        type: order.placed
        kind: consumed
    states:
      - name: Wait
        type: event
        onEvents:
          - eventRefs: [orderPlaced]
        end: true
"""


def test_event_refs_resolve(tmp_path: Path) -> None:
    wf = EVENTS.replace("eventRefs: [orderPlaced]", "eventRefs: [orderPlaced, orderPaid]")
    assert problems(tmp_path, {"p/e.sw.yaml": wf}) == [
        "p/e.sw.yaml:12:34: state 'Wait' refers to event 'orderPaid', which workflow 'ev' does not define (did you mean 'orderPlaced'?)"
    ]


def test_callback_and_produced_event_refs_resolve(tmp_path: Path) -> None:
    wf = """
        id: cb
        specVersion: "0.8"
        start: Ask
        states:
          - name: Ask
            type: callback
            eventRef: answer
            action: {name: noop}
            transition:
              nextState: Done
              produceEvents:
                - eventRef: asked
          - name: Done
            type: inject
            data: {}
            end: true
    """
    assert problems(tmp_path, {"p/c.sw.yaml": wf}) == [
        "p/c.sw.yaml:7:15: state 'Ask' refers to event 'answer', which workflow 'cb' does not define",
        "p/c.sw.yaml:8:13: an action of state 'Ask' has neither functionRef, eventRef nor subFlowRef: "
        "SonataFlow's build refuses it",
        "p/c.sw.yaml:12:21: state 'Ask' refers to event 'asked', which workflow 'cb' does not define",
    ]


def test_subflow_ref_resolves_in_the_project(tmp_path: Path) -> None:
    parent = """
        id: parent
        specVersion: "0.8"
        start: Call
        states:
          - name: Call
            type: operation
            actions:
              - subFlowRef: child
              - subFlowRef: {workflowId: greeting, version: "1.0"}
            end: true
    """
    files = {"p/parent.sw.yaml": parent, "q/greeting.sw.yaml": GREETING}
    # `greeting` exists, but in another project: a runtime only serves its own project.
    assert problems(tmp_path, files) == [
        "p/parent.sw.yaml:8:21: state 'Call' calls subflow 'child', which is not a workflow id of project 'p'",
        "p/parent.sw.yaml:9:34: state 'Call' calls subflow 'greeting', which is not a workflow id of project 'p'",
    ]
    assert (
        problems(
            tmp_path / "ok",
            {
                "p/parent.sw.yaml": parent,
                "p/subflows/child.sw.yaml": GREETING.replace("id: greeting", "id: child"),
                "p/greeting.sw.yaml": GREETING,
            },
        )
        == []
    )


SECRETS = """
    id: sec
    specVersion: "0.8"
    start: Call
    secrets: [api_token]
    functions:
      - name: log
        type: custom
        operation: sysout
    states:
      - name: Call
        type: operation
        actions:
          - functionRef:
              refName: log
              arguments:
                message: "${ $SECRET.api_token }"
                other: "${ $SECRET.api_key + $SECRET.api_token }"
        end: true
"""


def test_secret_used_but_not_declared_is_a_warning(tmp_path: Path) -> None:
    """SonataFlow never reads `secrets`: a use not declared there is likely a typo, not a refusal."""
    assert problems(tmp_path, {"p/s.sw.yaml": SECRETS}) == []
    assert problems(tmp_path, {"p/s.sw.yaml": SECRETS}, "warning") == [
        "p/s.sw.yaml:17:20: secret 'api_key' is used but not declared in 'secrets' of workflow 'sec' (did you "
        "mean 'api_token'?) (the chart provides it anyway)"
    ]


def test_secret_uses_need_no_declaration_without_secrets_list(tmp_path: Path) -> None:
    wf = SECRETS.replace("    secrets: [api_token]\n", "")
    assert problems(tmp_path, {"p/s.sw.yaml": wf}) == []


def test_duplicate_workflow_ids_in_one_project(tmp_path: Path) -> None:
    """One runtime per project: SonataFlow refuses "Duplicated item found with id greeting"."""
    assert problems(tmp_path, {"p/g.sw.yaml": GREETING, "p/h.sw.yaml": GREETING}) == [
        "p/h.sw.yaml:1:5: duplicate workflow id 'greeting' in project 'p': also defined in p/g.sw.yaml "
        "(one runtime serves a project's workflows)"
    ]
    assert problems(tmp_path / "apart", {"a/g.sw.yaml": GREETING, "b/g.sw.yaml": GREETING}) == []


def test_workflow_without_states(tmp_path: Path) -> None:
    wf = '{\n  "id": "empty",\n  "specVersion": "0.8",\n  "start": "A",\n  "states": []\n}\n'
    assert problems(tmp_path, {"p/e.sw.json": wf}) == ["p/e.sw.json:5:3: workflow 'empty' has no states"]


def test_unknown_state_type(tmp_path: Path) -> None:
    wf = TWO_STATES.replace("type: inject\n        data: {}\n        end", "type: delay\n        end")
    assert (
        problems(tmp_path, {"p/t.sw.yaml": wf})
        == [
            "p/t.sw.yaml:10:11: state 'B' has unknown type 'delay' "
            "(one of operation, switch, event, callback, sleep, inject, parallel, foreach)",
            "p/t.sw.yaml:8:17: state 'A' goes to 'B', which is not a state of workflow 'two'",
        ][::-1]
    )


def test_unknown_keys_fail_the_build_where_sonataflow_reads_strictly(tmp_path: Path) -> None:
    """Its parser refuses a key a workflow, state or action does not have ("Unrecognized field");
    keys in metadata are free; a functionRef (read leniently) drops an unknown one."""
    wf = GREETING.replace(
        "name: Greeting", "name: Greeting\n    owner: team-a\n    metadata: {owner: team-a}"
    )
    wf = wf.replace("              refName: log\n", "              refName: log\n              mode: fast\n")
    files = {"p/g.sw.yaml": wf}
    assert problems(tmp_path, files) == [
        "p/g.sw.yaml:5:1: unknown key 'owner' in workflow: SonataFlow's build refuses it (Unrecognized field)"
    ]
    assert problems(tmp_path, files, "warning") == [
        "p/g.sw.yaml:18:11: unknown key 'mode' in functionRef: SonataFlow ignores it"
    ]


def test_a_mapping_where_sonataflow_reads_one_value_is_an_error(tmp_path: Path) -> None:
    wf = GREETING.replace("name: Greeting", "name: Greeting\n    metadata: {owner: {team: a}}")
    assert problems(tmp_path, {"p/g.sw.yaml": wf}) == [
        "p/g.sw.yaml:5:19: 'metadata.owner' of workflow holds a mapping where SonataFlow reads one value: its "
        "parser then misreads what follows (the build fails, or keys after it are dropped)"
    ]


def test_an_extension_sonataflow_does_not_know_fails_the_build(tmp_path: Path) -> None:
    wf = GREETING.replace("name: Greeting", "name: Greeting\n    extensions: [{extensionid: workflow-kpi}]")
    assert problems(tmp_path, {"p/g.sw.yaml": wf}) == [
        "p/g.sw.yaml:5:28: extension 'workflow-kpi' is not one SonataFlow knows (workflow-uri-definitions, "
        "workflow-function-namespaces, workflow-output-schema): its build fails ('Extension handler not "
        "registered')"
    ]


def test_missing_id_is_reported_with_the_other_errors(tmp_path: Path) -> None:
    wf = '{"specVersion": "0.8", "states": [{"name": "A", "type": "inject", "end": true}]}'
    assert problems(tmp_path, {"p/x.sw.json": wf}) == [
        "p/x.sw.json:1:1: workflow 'x' has no 'start' state",
        "p/x.sw.json:1:1: workflow has no 'id'",
    ]


@pytest.mark.parametrize("bad", ["states: {}", "states: [1]", "functions: 3"])
def test_wrong_shapes_are_errors_not_crashes(tmp_path: Path, bad: str) -> None:
    wf = f'id: x\nspecVersion: "0.8"\nstart: A\n{bad}\n'
    found = problems(tmp_path, {"p/x.sw.yaml": wf})
    assert found and all(line.startswith("p/x.sw.yaml:") for line in found)


def test_all_errors_of_a_run_are_reported_together(tmp_path: Path) -> None:
    files = {
        "a/one.sw.yaml": GREETING.replace("start: Greet", "start: Nope"),
        "b/two.sw.yaml": TWO_STATES.replace("transition: B", "transition: C"),
    }
    assert len(problems(tmp_path, files)) == 2


# -- paths through a workflow, written keys -------------------------------------------------------


def test_a_state_with_neither_transition_nor_end_is_an_error(tmp_path: Path) -> None:
    """A `transtion:` typo used to be only a warning: the instance would stop in that state."""
    wf = TWO_STATES.replace("transition: B", "transtion: B")
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == [
        "p/t.sw.yaml:5:5: state 'A' of workflow 'two' has neither 'transition' nor 'end'",
        "p/t.sw.yaml:8:5: unknown key 'transtion' in inject state 'A' (did you mean 'transition'?): SonataFlow's "
        "build refuses it (Unrecognized field)",
    ]


def test_end_false_is_no_end(tmp_path: Path) -> None:
    wf = TWO_STATES.replace("end: true", "end: false")
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == [
        "p/t.sw.yaml:9:5: state 'B' of workflow 'two' has neither 'transition' nor 'end'"
    ]


OPEN_BRANCH = """
    id: sw
    specVersion: "0.8"
    start: S
    states:
      - name: S
        type: switch
        dataConditions:
          - condition: "${ .a }"
            transition: Done
          - condition: "${ .b }"
        defaultCondition:
          end: true
      - name: Done
        type: inject
        data: {}
        end: true
"""


def test_a_switch_branch_without_transition_or_end_is_an_error(tmp_path: Path) -> None:
    assert problems(tmp_path, {"p/s.sw.yaml": OPEN_BRANCH}) == [
        "p/s.sw.yaml:10:9: branch of switch state 'S' of workflow 'sw' has neither 'transition' nor 'end'"
    ]


def test_compensation_states_need_no_transition_and_count_as_reachable(tmp_path: Path) -> None:
    wf = TWO_STATES.replace(
        "        transition: B\n", "        transition: B\n        compensatedBy: Undo\n"
    ) + ("      - name: Undo\n        type: inject\n        data: {}\n        usedForCompensation: true\n")
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == []
    assert problems(tmp_path, {"p/t.sw.yaml": wf}, "warning") == []


def test_an_unreachable_state_is_an_error(tmp_path: Path) -> None:
    """SonataFlow's build: "Node 'Orphan' [5] Has no connection to the start node"."""
    wf = TWO_STATES + "      - name: Orphan\n        type: inject\n        data: {}\n        end: true\n"
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == [
        "p/t.sw.yaml:13:11: state 'Orphan' of workflow 'two' is unreachable: no transition leads to it, and "
        "SonataFlow's build refuses a state with no connection to the start"
    ]


def test_a_key_written_twice_keeps_the_last_with_a_warning_yaml(tmp_path: Path) -> None:
    """SonataFlow's parser keeps the last value of a key written twice; chartgen reads it the same
    way, and says so (a profile, chartgen's own, still refuses it)."""
    wf = TWO_STATES.replace("        end: true\n", "        end: false\n        end: true\n")
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == []
    assert problems(tmp_path, {"p/t.sw.yaml": wf}, "warning") == [
        "p/t.sw.yaml:13:5: key 'end' is written twice in one mapping (first at line 12): SonataFlow keeps this "
        "one and drops the first"
    ]


def test_a_key_written_twice_keeps_the_last_with_a_warning_json(tmp_path: Path) -> None:
    wf = '{"id": "j", "specVersion": "0.8",\n "start": "B",\n "start": "A",\n'
    wf += ' "states": [{"name": "A", "type": "inject", "data": {}, "end": true}]}\n'
    assert problems(tmp_path, {"p/j.sw.json": wf}) == []
    assert problems(tmp_path, {"p/j.sw.json": wf}, "warning") == [
        "p/j.sw.json:3:2: key 'start' is written twice in one mapping (first at line 2): SonataFlow keeps this "
        "one and drops the first"
    ]


def test_references_suggest_the_name_meant(tmp_path: Path) -> None:
    wf = TWO_STATES.replace("transition: B", "transition: b")
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == [
        "p/t.sw.yaml:8:17: state 'A' goes to 'b', which is not a state of workflow 'two' (did you mean 'B'?)"
    ]
