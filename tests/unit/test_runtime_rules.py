"""The rules that mirror what SonataFlow 10.0's build refuses (errors), or builds but cannot do
(warnings): one test per rule, asserting the whole located message. The runtime's own message
each mirrors is in the rule's text; the differential test (tests/runtime) checks the agreement on
real projects."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgen.formats.source import display_path
from testing.trees import GREETING
from tests.unit.test_rules import TWO_STATES, problems

WITH_SCHEMA = GREETING.replace(
    "    start: Greet\n", "    start: Greet\n    dataInputSchema: schemas/in.json\n"
)
OUTPUT_SCHEMA = GREETING.replace(
    "    start: Greet\n",
    "    start: Greet\n    extensions:\n      - extensionid: workflow-output-schema\n        outputSchema: schemas/out.json\n",
)


# -- JSON schemas ----------------------------------------------------------------------------------


def test_a_relative_schema_id_fails_the_build(tmp_path: Path) -> None:
    schema = '{"$id": "contract-approval-input.json", "type": "object"}'
    assert problems(tmp_path, {"p/g.sw.yaml": WITH_SCHEMA, "p/schemas/in.json": schema}) == [
        "p/schemas/in.json:1:9: $id 'contract-approval-input.json' of dataInputSchema schema 'schemas/in.json' is "
        "not an absolute URI: SonataFlow's build fails on it ('contract-approval-input.json: null is an invalid "
        "segment for URI'); remove it, or write '#contract-approval-input' or a URI such as "
        "'https://example.com/contract-approval-input.json'"
    ]


@pytest.mark.parametrize("schema_id", ["#input", "https://acme.example/in.json", "classpath:schemas/in.json"])
def test_an_absolute_or_fragment_schema_id_builds(tmp_path: Path, schema_id: str) -> None:
    schema = f'{{"$id": "{schema_id}", "type": "object"}}'
    assert problems(tmp_path, {"p/g.sw.yaml": WITH_SCHEMA, "p/schemas/in.json": schema}) == []


def test_an_unknown_meta_schema_fails_the_build(tmp_path: Path) -> None:
    schema = '{"$schema": "https://example.com/custom-meta", "type": "object"}'
    assert problems(tmp_path, {"p/g.sw.yaml": WITH_SCHEMA, "p/schemas/in.json": schema}) == [
        "p/schemas/in.json:1:13: $schema 'https://example.com/custom-meta' of dataInputSchema schema "
        "'schemas/in.json' is not a JSON Schema draft SonataFlow knows (draft-04, -06, -07, 2019-09, 2020-12): "
        "its build fails ('Unknown MetaSchema')"
    ]


def test_a_missing_schema_file_fails_the_build(tmp_path: Path) -> None:
    assert problems(tmp_path, {"p/g.sw.yaml": OUTPUT_SCHEMA}) == [
        "p/g.sw.yaml:8:19: outputSchema 'schemas/out.json' of workflow 'greeting' is not a file of project 'p' "
        "(relative to the workflow, or to the resources folder): SonataFlow's build fails reading it "
        "(NoSuchFileException)"
    ]


def test_schema_refs_must_be_project_files(tmp_path: Path) -> None:
    schema = (
        '{"properties": {\n'
        '  "a": {"$ref": "common.json"},\n'
        '  "b": {"$ref": "#/definitions/b"},\n'
        '  "c": {"$ref": "../../shared/result.json"},\n'
        '  "d": {"$ref": "https://schemas.example.com/d.json"}}}\n'
    )
    files = {
        "p/g.sw.yaml": OUTPUT_SCHEMA,
        "p/schemas/out.json": schema,
        "p/schemas/common.json": '{"$ref": "#/x"}',
        "shared/result.json": "{}",
    }
    assert problems(tmp_path, files) == [
        "p/schemas/common.json:1:10: $ref '#/x' points inside the schema, which SonataFlow's build reads as a file "
        "name and fails (NoSuchFileException): move the definition to a file of its own and refer to it",
        "p/schemas/out.json:3:17: $ref '#/definitions/b' points inside the schema, which SonataFlow's build reads "
        "as a file name and fails (NoSuchFileException): move the definition to a file of its own and refer to it",
        "p/schemas/out.json:4:17: $ref '../../shared/result.json' is not a file of the project (relative to "
        f"{display_path(tmp_path / 'p/schemas/out.json')}): SonataFlow's build fails reading it (NoSuchFileException)",
    ]
    assert problems(tmp_path, files, "warning") == [
        "p/schemas/out.json:5:17: $ref 'https://schemas.example.com/d.json' is fetched by SonataFlow's build (a "
        "URL, or relative to an http(s) $id): the build needs the network"
    ]


# -- functions ---------------------------------------------------------------------------------------

JAVA = GREETING.replace("operation: sysout", "operation: service:java:org.acme.PrintService::print")


def test_a_java_service_function_fails_the_build(tmp_path: Path) -> None:
    assert problems(tmp_path, {"p/g.sw.yaml": JAVA}) == [
        "p/g.sw.yaml:9:16: function 'log' calls Java code (service:java:org.acme.PrintService::print): a chart "
        "carries the workflow project's resources, never its classes, so SonataFlow's build of this runtime fails "
        "('class not found'); call the code as a service (an OpenAPI function) instead"
    ]


@pytest.mark.parametrize(
    ("operation", "warning"),
    [
        ("camel:direct:soap", ": custom operation 'camel:' has no handler in the runtime chartgen builds"),
        ("service:python:time::ctime", " calls Python code (service:python:time::ctime)"),
    ],
)
def test_a_custom_operation_without_a_handler_is_a_warning(
    tmp_path: Path, operation: str, warning: str
) -> None:
    wf = GREETING.replace("operation: sysout", f"operation: {operation}")
    assert problems(tmp_path, {"p/g.sw.yaml": wf}) == []
    [said] = problems(tmp_path, {"p/g.sw.yaml": wf}, "warning")
    assert said.startswith(f"p/g.sw.yaml:9:16: function 'log'{warning}")
    assert "every call does nothing" in said


def test_a_sysout_call_needs_a_message(tmp_path: Path) -> None:
    wf = GREETING.replace('              arguments:\n                message: "${ .name }"\n', "")
    assert problems(tmp_path, {"p/g.sw.yaml": wf}) == [
        "p/g.sw.yaml:14:9: state 'Greet' calls sysout function 'log' without arguments.message: SonataFlow's "
        "build refuses it (missing mandatory message argument)"
    ]


def test_an_operation_with_two_hashes_fails_the_build(tmp_path: Path) -> None:
    wf = GREETING.replace(
        "        type: custom\n        operation: sysout\n", "        operation: specs/a.yaml#x#y\n"
    )
    assert problems(tmp_path, {"p/g.sw.yaml": wf, "p/specs/a.yaml": "openapi: 3.0.3\npaths: {}\n"})[:1] == [
        "p/g.sw.yaml:8:16: function 'log': operation 'specs/a.yaml#x#y' must be '<spec file>#<operationId>' "
        "(SonataFlow's build refuses it: it should have just 1 #)"
    ]


def test_an_action_calling_nothing_fails_the_build(tmp_path: Path) -> None:
    wf = GREETING.replace(
        "          - functionRef:\n              refName: log\n", "          - name: nothing\n"
    )
    wf = wf.replace('              arguments:\n                message: "${ .name }"\n', "")
    assert problems(tmp_path, {"p/g.sw.yaml": wf}) == [
        "p/g.sw.yaml:14:9: an action of state 'Greet' has neither functionRef, eventRef nor subFlowRef: "
        "SonataFlow's build refuses it"
    ]


def test_an_expression_calling_an_unknown_function_fails_the_build(tmp_path: Path) -> None:
    wf = TWO_STATES.replace(
        "        data: {}\n        transition: B\n",
        "        data: {}\n        stateDataFilter: {output: '${ fn:double }'}\n        transition: B\n",
    )
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == [
        "p/t.sw.yaml:8:31: an expression calls 'fn:double', which is not an expression function of workflow "
        "'two': SonataFlow's build fails ('Cannot find function double')"
    ]


def test_an_unknown_expression_language_fails_the_build(tmp_path: Path) -> None:
    wf = TWO_STATES.replace("    start: A\n", "    start: A\n    expressionLang: jsonata\n")
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == [
        "p/t.sw.yaml:4:17: expressionLang 'jsonata' of workflow 'two' is not one SonataFlow evaluates (jq, "
        "jsonpath) (did you mean 'jsonpath'?): its build fails ('Unsupported language')"
    ]


def test_two_specs_of_one_file_name_are_a_warning(tmp_path: Path) -> None:
    spec = "openapi: 3.0.3\npaths: {/p: {get: {operationId: op}}}\n"
    wf = GREETING.replace(
        "      - name: log\n",
        "      - name: a\n        operation: specs/v1/api.yaml#op\n      - name: b\n"
        "        operation: specs/v2/api.yaml#op\n      - name: log\n",
    )
    files = {"p/g.sw.yaml": wf, "p/specs/v1/api.yaml": spec, "p/specs/v2/api.yaml": spec}
    assert problems(tmp_path, files, "warning") == [
        "p/g.sw.yaml:10:16: function 'b': specs 'api.yaml' and 'api.yaml' are one to SonataFlow (it names a "
        "spec's client after its file name's letters): the functions of both call the one it reads last; "
        "rename one of the files"
    ]


# -- ids -----------------------------------------------------------------------------------------------


def test_a_workflow_id_must_start_like_a_java_name(tmp_path: Path) -> None:
    wf = GREETING.replace("id: greeting", "id: 1greeting")
    assert problems(tmp_path, {"p/g.sw.yaml": wf}) == [
        "p/g.sw.yaml:1:5: workflow id '1greeting' does not start with a letter, _ or $ (after its last '.'): "
        "SonataFlow's build names a Java class after it and fails ('Process id '1greeting' is not valid')"
    ]
    assert (
        problems(
            tmp_path / "dotted", {"p/g.sw.yaml": GREETING.replace("id: greeting", "id: org.acme.greeting")}
        )
        == []
    )


def test_ids_making_one_java_class_are_a_warning(tmp_path: Path) -> None:
    files = {
        "p/a.sw.yaml": GREETING.replace("id: greeting", "id: my-flow"),
        "p/b.sw.yaml": GREETING.replace("id: greeting", "id: my_flow"),
    }
    assert problems(tmp_path, files, "warning") == [
        "p/b.sw.yaml:1:5: workflow ids 'my-flow' and 'my_flow' make one Java class (My_flowProcess) in "
        "SonataFlow: it builds, and one of the two workflows is silently missing from the runtime; rename one"
    ]


def test_a_dotted_subflow_id_is_a_java_name_after_its_last_dot(tmp_path: Path) -> None:
    parent = TWO_STATES.replace(
        "        type: inject\n        data: {}\n        transition: B\n",
        "        type: operation\n        actions: [{subFlowRef: org.acme.child}]\n        transition: B\n",
    )
    child = TWO_STATES.replace("id: two", "id: org.acme.child")
    assert problems(tmp_path, {"p/t.sw.yaml": parent, "p/subflows/c.sw.yaml": child}) == []


# -- states ----------------------------------------------------------------------------------------------

SWITCH = """
    id: sw
    specVersion: "0.8"
    start: Decide
    states:
      - name: Decide
        type: switch
        dataConditions:
          - condition: "${ .ok }"
            transition: Done
      - name: Done
        type: inject
        data: {}
        end: true
"""


def test_a_switch_with_one_way_out_fails_the_build(tmp_path: Path) -> None:
    assert problems(tmp_path, {"p/s.sw.yaml": SWITCH}) == [
        "p/s.sw.yaml:5:5: switch state 'Decide' has one dataCondition and no defaultCondition: SonataFlow's "
        "build refuses a split with a single way out (add a defaultCondition)"
    ]
    with_default = SWITCH.replace(
        "            transition: Done\n",
        "            transition: Done\n        defaultCondition: {transition: Done}\n",
        1,
    )
    assert problems(tmp_path / "ok", {"p/s.sw.yaml": with_default}) == []


def test_a_switch_without_conditions_fails_the_build(tmp_path: Path) -> None:
    wf = SWITCH.replace(
        '        dataConditions:\n          - condition: "${ .ok }"\n            transition: Done\n',
        "        defaultCondition: {transition: Done}\n",
    )
    assert problems(tmp_path, {"p/s.sw.yaml": wf}) == [
        "p/s.sw.yaml:5:5: switch state 'Decide' has neither dataConditions nor eventConditions: SonataFlow's "
        "build refuses it"
    ]


def test_a_parallel_state_needs_two_branches(tmp_path: Path) -> None:
    wf = TWO_STATES.replace(
        "        type: inject\n        data: {}\n        transition: B\n",
        "        type: parallel\n        branches:\n          - name: only\n            actions: []\n        transition: B\n",
    )
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == [
        "p/t.sw.yaml:5:5: parallel state 'A' has 1 branch: SonataFlow's build refuses a parallel state with "
        "fewer than two"
    ]


def test_a_foreach_needs_an_input_collection(tmp_path: Path) -> None:
    wf = TWO_STATES.replace(
        "        type: inject\n        data: {}\n        transition: B\n",
        "        type: foreach\n        actions: []\n        transition: B\n",
    )
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == [
        "p/t.sw.yaml:5:5: foreach state 'A' has no 'inputCollection': SonataFlow's build refuses it"
    ]


@pytest.mark.parametrize(
    ("duration", "refused"),
    [("PT5M", False), ("P1DT2H", False), ("1d2h30m", False), ("300000", False), ("${ .wait }", False),
     ("P1M", True), ("5 minutes", True), ("PT", True)],
)  # fmt: skip
def test_a_sleep_duration_must_parse(tmp_path: Path, duration: str, refused: bool) -> None:
    wf = TWO_STATES.replace(
        "        type: inject\n        data: {}\n        transition: B\n",
        f"        type: sleep\n        duration: '{duration}'\n        transition: B\n",
    )
    expected = (
        [
            f"p/t.sw.yaml:7:15: state 'A': sleep '{duration}' is not an ISO-8601 duration such as PT30M or P1DT2H "
            "(no months, years or weeks), or a time string such as 1d2h30m: SonataFlow's build fails parsing it"
        ]
        if refused
        else []
    )
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == expected


def test_an_event_timeout_must_be_an_iso_duration(tmp_path: Path) -> None:
    wf = """
        id: cb
        specVersion: "0.8"
        start: Ask
        events: [{name: answer, type: answer, source: /a}]
        functions: [{name: log, type: custom, operation: sysout}]
        states:
          - name: Ask
            type: callback
            eventRef: answer
            action: {functionRef: {refName: log, arguments: {message: asking}}}
            timeouts: {eventTimeout: 1h}
            end: true
    """
    assert problems(tmp_path, {"p/c.sw.yaml": wf}) == [
        "p/c.sw.yaml:11:30: state 'Ask': eventTimeout '1h' is not an ISO-8601 duration such as PT30M or P1DT2H "
        "(no months, years or weeks): SonataFlow's build fails parsing it"
    ]


def test_a_bad_exec_timeout_is_a_warning(tmp_path: Path) -> None:
    wf = TWO_STATES.replace("    start: A\n", "    start: A\n    timeouts: {workflowExecTimeout: 1h}\n")
    assert problems(tmp_path, {"p/t.sw.yaml": wf}) == []
    assert problems(tmp_path, {"p/t.sw.yaml": wf}, "warning") == [
        "p/t.sw.yaml:4:33: workflowExecTimeout '1h' of workflow 'two' is not an ISO-8601 duration (such as PT2H): "
        "the runtime builds and starts, and every instance start fails (DateTimeParseException)"
    ]


def test_on_errors_need_error_definitions_with_codes(tmp_path: Path) -> None:
    handled = TWO_STATES.replace(
        "        transition: B\n",
        "        onErrors: [{errorRef: boom, transition: B}]\n        transition: B\n",
        1,
    )
    assert problems(tmp_path, {"p/t.sw.yaml": handled}) == [
        "p/t.sw.yaml:8:15: state 'A' has onErrors, but workflow 'two' defines no errors: SonataFlow's build refuses "
        "it ('workflow should contain errors property')"
    ]
    codeless = handled.replace("    start: A\n", "    start: A\n    errors: [{name: boom}]\n")
    assert problems(tmp_path / "codeless", {"p/t.sw.yaml": codeless}) == [
        "p/t.sw.yaml:4:17: error 'boom' of workflow 'two' has no 'code': SonataFlow ignores it, and its build then "
        "fails on every onErrors naming it"
    ]
    unknown = handled.replace("    start: A\n", "    start: A\n    errors: [{name: bom, code: '500'}]\n")
    assert problems(tmp_path / "unknown", {"p/t.sw.yaml": unknown}) == [
        "p/t.sw.yaml:9:27: state 'A' handles error 'boom', which workflow 'two' does not define (did you mean "
        "'bom'?)"
    ]
