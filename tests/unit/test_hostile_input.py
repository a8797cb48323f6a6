"""Issue 8, classes 8 and 9: small hostile files are refused quickly, each with a located error.

Class 8: alias expansion (and file size) is bounded, so a few hundred bytes never stall a run.
Class 9: odd input that used to end in an internal error (exit 3) is a located user error (exit 1),
and generate never writes a chart helm would refuse.
"""

from __future__ import annotations

import re
import textwrap
import time
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import yaml

from chartgen.formats.confine import MAX_FILE_BYTES
from chartgen.formats.source import MAX_DEPTH, MAX_VALUES, aliases_excessive
from chartgen.version.semver import NotSemVer, Version
from testing.repo import CliResult, run_cli
from testing.timing import time_limit
from testing.trees import GREETING, PROFILES_BASIC, build_tree

LOCATED = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): error: ", re.MULTILINE)
WORKFLOW = "workflows/greet/greeting.sw.yaml"


PROD = textwrap.dedent(PROFILES_BASIC["profiles/prod.yaml"]).lstrip("\n")
FLOW = textwrap.dedent(GREETING).lstrip("\n")


def line_of(text: str, start: str) -> int:
    """1-based number of the first line of `text` starting with `start`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def after(text: str) -> int:
    """The number of a line added at the end of `text`."""
    return len(text.splitlines()) + 1


def repo(root: Path, extra: dict[str, str | bytes] | None = None) -> Path:
    files: dict[str, str | bytes] = {
        "chartgen.yaml": "name: acme\n",
        WORKFLOW: GREETING,
        "workflows/greet/application.properties": "quarkus.log.level=INFO\n",
        **PROFILES_BASIC,
    }
    return build_tree(root, {**files, **(extra or {})})


def within(seconds: float) -> AbstractContextManager[None]:
    """Fail (instead of hanging CI) when the block runs longer than `seconds`."""
    return time_limit(seconds, TimeoutError(f"still running after {seconds} s"))


def run(command: str, seconds: float = 5.0) -> CliResult:
    with within(seconds):
        return run_cli(command)


def error_at(result: CliResult, path: str, line: int, col: int | None = None) -> str:
    """The first error message located at path:line(:col); fails when there is none."""
    assert result.code == 1, result.err
    assert "internal error" not in result.err
    for m in LOCATED.finditer(result.err):
        if m["path"] == path and int(m["line"]) == line and (col is None or int(m["col"]) == col):
            return result.err[m.end() :].split("\n", 1)[0]
    raise AssertionError(f"no error at {path}:{line}:{col}:\n{result.err}")


def values_in(text: str) -> int:
    """How many values (keys included, the document's own mapping too) `text` holds."""
    stack, count = [yaml.compose(text)], 0
    while stack:
        node = stack.pop()
        count += 1
        if isinstance(node, yaml.MappingNode):
            stack += [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return count


def laughs(before: str = "x: 1\n", indent: str = "  ") -> tuple[str, int, int]:
    """A billion-laughs block (9**9 values from ~400 bytes) to append to the document `before`
    under a key of its own: text, and the line (0-based, within the block) and column of the
    first alias past the share aliases may make of the values so far."""
    lines, sizes, prev = [], {}, None
    repeated, expanded = 0, values_in(before) + 2  # and the key and mapping the block is
    where: tuple[int, int] | None = None
    for i, name in enumerate("abcdefghi"):
        items = ["x"] * 9 if prev is None else [f"*{prev}"] * 9
        head = f"{indent}{name}: &{name} ["
        col = len(head) + 1
        expanded += 2  # the key, the list
        for item in items:
            count = 1 if prev is None else sizes[prev]
            expanded += count
            repeated += 0 if prev is None else count
            if where is None and aliases_excessive(repeated, expanded):
                where = (i, col)
            col += len(item) + 2
        sizes[name] = 1 + 9 * (1 if prev is None else sizes[prev])
        lines.append(head + ", ".join(items) + "]")
        prev = name
    assert where is not None
    return "\n".join(lines) + "\n", where[0], where[1]


# Class 8: alias bombs and big files.


def test_alias_bomb_in_a_workflow_is_refused_at_the_alias(tmp_path: Path) -> None:
    bomb, line, col = laughs(FLOW)
    assert len(bomb) < 617
    flow = FLOW + "metadata:\n" + bomb
    repo(tmp_path, {WORKFLOW: flow})
    for command in ("validate", "generate"):
        message = error_at(run(command), WORKFLOW, line_of(flow, "metadata:") + 1 + line, col)
        assert message.startswith("invalid YAML: alias '*") and "more than the 99% they may make" in message


def test_alias_bomb_in_a_profile_is_refused_at_the_alias(tmp_path: Path) -> None:
    bomb, line, col = laughs(PROD)
    profile = PROD + "affinity:\n" + bomb
    repo(tmp_path, {"profiles/prod.yaml": profile})
    message = error_at(run("generate"), "profiles/prod.yaml", line_of(profile, "affinity:") + 1 + line, col)
    assert message.startswith("invalid YAML: alias '*")


def test_an_alias_inside_what_it_names_is_refused(tmp_path: Path) -> None:
    repo(tmp_path, {"profiles/prod.yaml": PROD + "affinity: &a {x: *a}\n"})
    message = error_at(run("generate"), "profiles/prod.yaml", after(PROD), 18)
    assert "inside the collection it names" in message


def test_a_file_located_before_it_is_parsed_does_not_expand_its_aliases(tmp_path: Path) -> None:
    """A profile with a wrong name is reported at its first line without being loaded: finding
    that line composed the file and walked a cycle forever (found by the fuzzer)."""
    bomb, _, _ = laughs()
    repo(tmp_path, {"profiles/Prod.yaml": "extends: &c [1, *c]\nx:\n" + bomb})
    assert "environment name" in error_at(run("generate"), "profiles/Prod.yaml", 1, 1)


def pyyaml_spec(paths: int) -> str:
    """An OpenAPI spec as PyYAML dumps one whose operations share schema objects: every use
    after the first is an alias (`*id001`), as in the real 1.5 MB spec a user brought."""
    shared = {
        f"schema{k}": {"type": "object", "properties": {f"field{i}": {"type": "string"} for i in range(8)}}
        for k in range(3)
    }
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "big", "version": "1"},
        "paths": {
            f"/items{i}": {
                "get": {
                    "operationId": f"getItem{i}",
                    "description": "Returns the item. " * 20,
                    "responses": {
                        str(code): {
                            "description": "ok",
                            "content": {"application/json": {"schema": shared[f"schema{k}"]}},
                        }
                        for k, code in enumerate((200, 404, 500))
                    },
                }
            }
            for i in range(paths)
        },
    }
    return yaml.dump(doc, Dumper=yaml.SafeDumper, sort_keys=False)


def test_a_large_spec_with_pyyaml_aliases_is_read_and_carried_cut_down(tmp_path: Path) -> None:
    spec = pyyaml_spec(2100)
    assert len(spec) > 1_500_000 and spec.count("*id") > 6000
    flow = FLOW.replace(
        "    type: custom\n    operation: sysout\n", "    operation: specs/big.yaml#getItem7\n"
    )
    repo(tmp_path, {WORKFLOW: flow, "workflows/greet/specs/big.yaml": spec})
    assert run("validate").code == 0
    result = run("generate")
    assert result.code == 0, result.err
    assert "cut down to the 1 operations the project calls" in result.err
    carried = yaml.safe_load((tmp_path / "charts/greet/files/resources/specs/big.yaml").read_text())
    assert list(carried["paths"]) == ["/items7"]


@pytest.mark.parametrize(
    ("repeated", "expanded", "refused"),
    [
        (100, 100_000, False),  # a few aliases: never counted
        (9_800, 10_000, False),  # 98% of a small document
        (9_950, 10_000, True),  # 99.5%
        (1_000_000, 2_000_000, False),  # 50% of 2 million values: under the 59% allowed there
        (500_000, 4_000_000, True),  # 12.5% of 4 million: over 10%
        (387_420_489, 387_420_499, True),  # a billion laughs
    ],
)
def test_aliases_may_make_a_share_of_a_document_that_falls_with_its_size(
    repeated: int, expanded: int, refused: bool
) -> None:
    assert aliases_excessive(repeated, expanded) is refused


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    repo(tmp_path, {WORKFLOW: FLOW + "# " + "x" * MAX_FILE_BYTES + "\n"})
    assert "larger than" in error_at(run("validate"), WORKFLOW, 1, 1)


def test_a_document_of_too_many_values_is_refused(tmp_path: Path) -> None:
    """4 MiB of `x,` is 2 million values: a profile that size took 25 s to generate."""
    profile = PROD + "affinity: {a: [" + ",".join(["x"] * MAX_VALUES) + "]}\n"
    repo(tmp_path, {"profiles/prod.yaml": profile})
    message = error_at(run("generate", 10.0), "profiles/prod.yaml", after(PROD))
    assert f"at most {MAX_VALUES:,} values" in message


# Class 9: located errors instead of internal errors.


def test_properties_key_with_a_profile_marker_and_no_dot(tmp_path: Path) -> None:
    repo(tmp_path, {"workflows/greet/application.properties": "a=1\n%foo=bar\n"})
    for command in ("validate", "generate"):
        message = error_at(run(command), "workflows/greet/application.properties", 2, 1)
        assert "'%foo'" in message


def test_integer_key_in_a_profile(tmp_path: Path) -> None:
    repo(tmp_path, {"profiles/prod.yaml": PROD + "affinity: {x: {1: a}}\n"})
    message = error_at(run("generate"), "profiles/prod.yaml", after(PROD), 16)
    assert "key 1 " in message and "string" in message


@pytest.mark.parametrize("value", ["!!bool maybe", "!!timestamp 2020-13-45", "!!int x1", "!!float 1.2.3"])
def test_explicit_tag_with_a_bad_value(tmp_path: Path, value: str) -> None:
    tag = value.split()[0]
    repo(tmp_path, {"profiles/prod.yaml": PROD + f"podLabels: {{a: {value}}}\n"})
    assert tag in error_at(run("generate"), "profiles/prod.yaml", after(PROD), 16)
    repo(tmp_path, {WORKFLOW: FLOW + f"metadata: {{a: {value}}}\n"})
    assert tag in error_at(run("validate"), WORKFLOW, after(FLOW), 15)


def test_integer_of_more_than_4300_digits(tmp_path: Path) -> None:
    huge = "9" * 5000
    profile = PROD.replace("scaling: {minReplicas: 3,", f"scaling: {{minReplicas: {huge},")
    repo(tmp_path, {"profiles/prod.yaml": profile})
    assert "digits" in error_at(run("generate"), "profiles/prod.yaml", line_of(PROD, "scaling:"), 24)
    flow = '{"id": "j", "version": "1.0", "specVersion": "0.8", "start": "S",\n "n": ' + huge + "}\n"
    Path(WORKFLOW).unlink()
    build_tree(tmp_path, {"workflows/greet/greeting.sw.json": flow})
    assert "digits" in error_at(run("validate"), "workflows/greet/greeting.sw.json", 2, 7)


def test_json_nested_1000_deep(tmp_path: Path) -> None:
    flow = '{"id": "j", "version": "1.0", "specVersion": "0.8",\n "x": ' + "[" * 1000 + "]" * 1000 + "}\n"
    repo(tmp_path, {"workflows/greet/greeting.sw.json": flow})
    Path(WORKFLOW).unlink()
    # The object is level 1; the 100th bracket (column 7 + 99) is the first too deep.
    message = error_at(run("validate"), "workflows/greet/greeting.sw.json", 2, 7 + MAX_DEPTH - 1)
    assert f"more than {MAX_DEPTH} levels" in message


def test_yaml_nested_300_deep_in_generate(tmp_path: Path) -> None:
    # A second document makes generate rewrite the workflow (the flow alone) for the runtime.
    flow = FLOW + "metadata: " + "{a: " * 300 + "1" + "}" * 300 + "\n---\nkind: Note\n"
    repo(tmp_path, {WORKFLOW: flow})
    message = error_at(run("generate"), WORKFLOW, line_of(flow, "metadata:"), 11 + 4 * (MAX_DEPTH - 1))
    assert f"more than {MAX_DEPTH} levels" in message


def test_nul_in_a_file_reference(tmp_path: Path) -> None:
    flow = FLOW + 'dataInputSchema: "schemas/in\\0put.json"\n'
    repo(tmp_path, {WORKFLOW: flow})
    for command in ("validate", "generate"):
        error_at(run(command), WORKFLOW, line_of(flow, "dataInputSchema:"))


def test_control_characters_in_properties_are_refused_not_written(tmp_path: Path) -> None:
    repo(tmp_path, {"workflows/greet/application.properties": b"a=1\nb=x\x7fy\nc=\x01\n"})
    result = run("generate")
    assert "U+007F" in error_at(result, "workflows/greet/application.properties", 2, 4)
    assert "U+0001" in error_at(result, "workflows/greet/application.properties", 3, 3)
    assert not Path("charts").exists()


@pytest.mark.parametrize(
    "version",
    ["1.0.0-01", "1.0.0-a..b", "1.0.0+x..y", "1.0.0\n", "99999999999999999999.1.0", "1.0.0-ä", "1٢.0.0", "v"],
)
def test_a_kept_chart_version_must_be_semver_helm_accepts(version: str) -> None:
    """generate keeps the version a Chart.yaml has: one helm would refuse is refused first."""
    with pytest.raises(NotSemVer):
        Version.parse(version)


def test_hostile_inputs_are_fast(tmp_path: Path) -> None:
    """Every refusal above is cheap: the bombs are refused before anything walks them."""
    bomb, _, _ = laughs()
    repo(tmp_path, {"profiles/prod.yaml": PROD + "x:\n" + bomb})
    start = time.perf_counter()
    assert run("generate").code == 1
    assert time.perf_counter() - start < 1.0


# Found by the fuzzer (testing/fuzz.py).


def test_patterns_match_as_helm_does_no_trailing_newline_no_other_digits(tmp_path: Path) -> None:
    """Python's `$` accepts "name\\n" and its `\\d` accepts "٣"; helm's check of the same pattern in
    values.schema.json refuses both, so chartgen does too, located."""
    repo(tmp_path, {"profiles/prod.yaml": PROD.replace("namespace: wf-prod", 'namespace: "wf-prod\\n"')})
    assert "namespace" in error_at(run("generate"), "profiles/prod.yaml", line_of(PROD, "namespace:"), 12)
    repo(tmp_path, {"profiles/prod.yaml": PROD, "chartgen.yaml": 'name: acme\nkubeVersion: "1.34\\n"\n'})
    assert "kubeVersion" in error_at(run("validate"), "chartgen.yaml", 2, 14)
    Path("chartgen.yaml").write_text('name: acme\nkubeVersion: "1.٣٤"\n')
    assert "kubeVersion" in error_at(run("validate"), "chartgen.yaml", 2, 14)


@pytest.mark.parametrize(("out", "words"), [('"\\0"', "NUL"), ("x" * 300, "longer than 255 bytes")])
def test_settings_paths_no_file_system_takes(tmp_path: Path, out: str, words: str) -> None:
    repo(tmp_path, {"chartgen.yaml": f"name: acme\nout: {out}\n"})
    assert words in error_at(run("generate"), "chartgen.yaml", 2, 6)


def test_json_characters_yaml_cannot_hold_are_located_errors(tmp_path: Path) -> None:
    """JSON takes a raw DEL and an escaped half surrogate pair; YAML (charts, SonataFlow flows)
    cannot hold them: helm refused the chart, and the half pair was an internal error."""
    head = '{"id": "j", "version": "1.0", "specVersion": "0.8",\n "description": '
    for body, col, words in (('"a\x7fb"}', 19, "U+007F"), ('"\\udc00x"}', 18, "surrogate")):
        repo(tmp_path, {"workflows/greet/greeting.sw.json": head + body + "\n"})
        Path(WORKFLOW).unlink(missing_ok=True)
        assert words in error_at(run("generate"), "workflows/greet/greeting.sw.json", 2, col)


def test_a_text_file_yaml_cannot_hold_is_carried_as_binary_data(tmp_path: Path) -> None:
    repo(tmp_path, {"workflows/greet/notes.txt": "a\x7fb\n", "workflows/greet/plain.txt": "ab\n"})
    assert run("generate").code == 0
    data = yaml.safe_load(Path("charts/greet/files/chartgen-data.yaml").read_text())
    (config_map,) = data["configMaps"]
    assert [f["path"] for f in config_map["binary"]] == ["notes.txt"]
    assert "plain.txt" in [f["path"] for f in config_map["text"]]


def test_planned_values_meet_the_charts_own_schema(tmp_path: Path) -> None:
    """The profile's rule for image.repository (placeholders, no spaces) let through a value the
    chart's values.schema.json refuses: helm refused the chart at install."""
    base = textwrap.dedent(PROFILES_BASIC["profiles/base.yaml"]).lstrip("\n")
    odd = base.replace("registry.example.com", "regist'ry.example.com")
    repo(tmp_path, {"profiles/base.yaml": odd})
    message = error_at(run("generate"), "profiles/base.yaml", line_of(odd, "  repository:"), 15)
    assert "'image.repository' must be an image repository" in message
    dev = textwrap.dedent(PROFILES_BASIC["profiles/dev.yaml"]).lstrip("\n")
    repo(tmp_path, {"profiles/dev.yaml": dev + 'devmode: {image: "docker.io/apa\'che/x:1.0"}\n'})
    message = error_at(run("generate"), "profiles/dev.yaml", after(dev), 18)
    assert "'image.repository' must be an image repository" in message


@pytest.mark.parametrize("out", ["workflows", ".", "profiles"])
def test_an_output_folder_holding_the_inputs_is_refused_at_out(tmp_path: Path, out: str) -> None:
    """generate refused to replace the inputs, without saying where 'out' was set (fuzzer)."""
    repo(tmp_path, {"chartgen.yaml": f"name: acme\nout: {out}\n"})
    assert "charts go apart from the inputs" in error_at(run("generate"), "chartgen.yaml", 2, 6)
