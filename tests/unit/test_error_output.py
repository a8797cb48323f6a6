"""Issue 8, class 10: error output. Every diagnostic is one line at the real place, and no user
text (a file name, an id, a value) can forge a `file:line:col: error:` line or a terminal escape."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from chartgen.errors import escape_text
from testing.repo import run_cli
from testing.trees import GREETING, build_tree

# What a CI problem matcher reads as a located diagnostic (the file is the text before the first ':').
MATCHER = re.compile(r"^([^:]+):(\d+):(\d+): (error|warning): (.*)$")


def located_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if MATCHER.match(line)]


# Bad characters and bytes: the real line and column, one line.


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            'id: greeting\nname: "été\x01"\nstart: A\n',
            "2:11: error: invalid YAML: character U+0001 is not allowed (control characters are not allowed)",
        ),
        (
            "id: greeting\nversion: '1.0'\nname: x\x7f\n",
            "3:8: error: invalid YAML: character U+007F is not allowed (control characters are not allowed)",
        ),
        (
            "id: greeting\n# comment\nname: \u20ac\x85ok \x9b[2J\n",
            "3:12: error: invalid YAML: character U+009B is not allowed (control characters are not allowed)",
        ),
    ],
)
def test_a_control_character_is_reported_where_it_is_on_one_line(
    tmp_path: Path, content: str, expected: str
) -> None:
    build_tree(tmp_path, {"workflows/greet/greeting.sw.yaml": content.encode()})
    result = run_cli("validate")
    assert result.code == 1
    assert result.err == (f"workflows/greet/greeting.sw.yaml:{expected}\nchartgen: error: 1 error\n")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            b"id: greeting\nname: \xc3\xa9t\xff\n",
            "2:9: error: not UTF-8 text: byte 0xff (invalid start byte)",
        ),
        (  # a byte order mark is not a column
            b"\xef\xbb\xbfid: greeting\n\nname: \xe2\x82\xac\xc3(\n",
            "3:8: error: not UTF-8 text: byte 0xc3 (invalid continuation byte)",
        ),
        (b"id: greeting\nname: x\xe2\x82", "2:8: error: not UTF-8 text: byte 0xe2 (unexpected end of data)"),
    ],
)
def test_bytes_that_are_not_utf8_are_reported_where_they_are(
    tmp_path: Path, raw: bytes, expected: str
) -> None:
    build_tree(tmp_path, {"workflows/greet/greeting.sw.yaml": raw})
    result = run_cli("validate")
    assert result.code == 1
    assert result.err.splitlines()[0] == f"workflows/greet/greeting.sw.yaml:{expected}"


def test_a_profile_that_is_not_utf8_is_located_too(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "workflows/greet/greeting.sw.yaml": GREETING,
            "profiles/dev.yaml": b"mode: dev\nnamespace: d\x00v\n",
        },
    )
    result = run_cli("generate")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "profiles/dev.yaml:2:13: error: invalid YAML: character U+0000 is not allowed "
        "(control characters are not allowed)"
    )


# Chart-name collisions: located at the second project's workflow id, naming the first.


def test_a_chart_name_collision_is_located_and_names_both(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "workflows/order-approval/a.sw.yaml": GREETING.replace("greeting", "approve"),
            "workflows/order_approval/b.sw.yaml": GREETING.replace("greeting", "review"),
            "profiles/dev.yaml": "mode: dev\nnamespace: d\n",
        },
    )
    result = run_cli("generate")
    assert result.code == 1
    assert result.err == (
        "workflows/order_approval/b.sw.yaml:1:5: error: chart name 'order-approval' is produced by both "
        "project 'order-approval' (workflows/order-approval/a.sw.yaml:1:5) and project 'order_approval'; "
        "rename one of them\n"
        "chartgen: error: 1 error; nothing was written\n"
    )
    [collision] = json.loads(run_cli("--output", "json", "generate").out)["diagnostics"]
    assert (collision["path"], collision["line"], collision["col"]) == (
        "workflows/order_approval/b.sw.yaml",
        1,
        5,
    )


# User text cannot forge a diagnostic line or reach the terminal as an escape.

FORGED = "workflows/greet/greeting.sw.yaml:1:1: error: forged"


def test_a_newline_or_escape_in_a_file_name_forges_no_line(tmp_path: Path) -> None:
    name = f"x\n{FORGED}\x1b[2K\r\u202e.sw.yaml"
    build_tree(tmp_path, {"workflows/greet/greeting.sw.yaml": GREETING, f"workflows/greet/{name}": "id: [\n"})
    result = run_cli("validate")
    assert result.code == 1
    [line] = located_lines(result.err)
    assert line.startswith(
        r"workflows/greet/x\nworkflows/greet/greeting.sw.yaml:1:1: error: forged\x1b[2K\r\u202e.sw.yaml:2:1: "
        "error: invalid YAML"
    )
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202e]", result.err)


def test_a_newline_or_escape_in_an_id_forges_no_line(tmp_path: Path) -> None:
    wf = (
        f'id: "x\\n{FORGED}\\e[31m\\u2028\\u2066"\nversion: "1.0"\nspecVersion: "0.8"\nstart: A\nstates: []\n'
    )
    build_tree(tmp_path, {"workflows/greet/greeting.sw.yaml": wf})
    result = run_cli("validate")
    assert result.code == 1
    assert result.err.splitlines() == [
        rf"workflows/greet/greeting.sw.yaml:5:1: error: workflow 'x\n{FORGED}\x1b[31m\u2028\u2066' has no states",
        "chartgen: error: 1 error",
    ]


def test_json_output_keeps_the_exact_text_and_no_raw_control_character(tmp_path: Path) -> None:
    wf = 'id: "x\\ny\\e\\u202e"\nversion: "1.0"\nspecVersion: "0.8"\nstart: A\nstates: []\n'
    build_tree(tmp_path, {"workflows/greet/greeting.sw.yaml": wf})
    result = run_cli("--output", "json", "validate")
    assert not re.search("[\x00-\x09\x0b-\x1f\x80-\U0010ffff]", result.out)  # escaped by json
    [diagnostic] = json.loads(result.out)["diagnostics"]
    assert diagnostic["message"] == "workflow 'x\ny\x1b\u202e' has no states"


def test_a_message_without_a_location_is_escaped_too(tmp_path: Path) -> None:
    result = run_cli("validate", "--workflows", f"no\n{FORGED}")
    assert result.code == 1
    assert located_lines(result.err) == []
    assert rf"no\n{FORGED}" in result.err


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain 'text' é € 😀 \\n", "plain 'text' é € 😀 \\n"),
        ("a\nb\r\tc", r"a\nb\r\tc"),
        ("\x00\x1b[31m\x7f", r"\x00\x1b[31m\x7f"),
        ("\x85\x9b", r"\x85\x9b"),  # C1: NEL, CSI
        ("\u2028\u2029", r"\u2028\u2029"),
        (
            "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
            r"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
        ),
        (os.fsdecode(b"caf\xff.yaml"), r"caf\udcff.yaml"),  # a file name that is not UTF-8
    ],
)
def test_escape_text(text: str, escaped: str) -> None:
    assert escape_text(text) == escaped
    assert escape_text(escaped) == escaped


def test_a_message_repeated_in_a_file_is_shown_three_times_then_counted(tmp_path: Path) -> None:
    """20,000 functions without a name: 20,000 located errors, four lines on a terminal."""
    functions = "".join("  - {type: custom, operation: sysout}\n" for _ in range(20_000))
    wf = 'id: many\nspecVersion: "0.8"\nstart: A\nfunctions:\n' + functions
    wf += "states:\n  - {name: A, type: inject, data: {}, end: true}\n"
    build_tree(tmp_path, {"workflows/many/many.sw.yaml": wf})
    result = run_cli("validate")
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if "function has no 'name'" in line]
    assert lines == [
        "workflows/many/many.sw.yaml:5:5: error: function has no 'name'",
        "workflows/many/many.sw.yaml:6:5: error: function has no 'name'",
        "workflows/many/many.sw.yaml:7:5: error: function has no 'name'",
        "workflows/many/many.sw.yaml:8:5: error: the same error 19,997 more times in this file, from here on: "
        "function has no 'name'",
    ]
    assert "chartgen: error: 20,000 errors" in result.err
    as_json = json.loads(run_cli("--output", "json", "validate").out)
    assert len(as_json["diagnostics"]) == 20_000  # machines get every one
