"""The command line: help everywhere, exit codes, errors without tracebacks."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from chartgen.cli.main import COMMANDS
from testing.repo import run_cli
from testing.trees import GREETING, build_tree


@pytest.mark.parametrize("command", [[], *[[c] for c in COMMANDS]])
def test_help_everywhere(command: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "chartgen", *command, "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: chartgen")


def test_validate_ok_and_exit_zero(tmp_path: Path) -> None:
    build_tree(tmp_path, {"workflows/greet/greeting.sw.yaml": GREETING})
    result = run_cli("validate")
    assert result.code == 0
    assert result.out == "✔ 1 workflow in 1 project is valid\n"


def test_user_error_exit_one_located_no_traceback(tmp_path: Path) -> None:
    build_tree(tmp_path, {"workflows/greet/greeting.sw.yaml": "id: x\nstates: [\n"})
    proc = subprocess.run(
        [sys.executable, "-m", "chartgen", "validate"], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("workflows/greet/greeting.sw.yaml:3:1: error: invalid YAML")
    assert proc.stderr.rstrip().endswith("chartgen: error: 1 error")


def test_bad_settings_file_is_located(tmp_path: Path) -> None:
    build_tree(tmp_path, {"chartgen.yaml": "name: x\nworkflow: wf\n"})
    result = run_cli("generate")
    assert result.code == 1
    assert result.err.startswith("chartgen.yaml:2:1: error: unknown key 'workflow' in chartgen.yaml")


def test_missing_helm_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_tree(tmp_path / "charts/c", {"Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n"})
    monkeypatch.setenv("CHARTGEN_HELM", str(tmp_path / "no-helm"))
    result = run_cli("lint")
    assert result.code == 1
    assert "CHARTGEN_HELM=" in result.err and "is not an executable file" in result.err


def test_lint_without_charts_fails(tmp_path: Path) -> None:
    result = run_cli("lint", "--charts", "empty")
    assert result.code == 1
    assert "no charts found in empty" in result.err


def test_unexpected_error_exit_three(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("chartgen.cli.validate.run_validate", boom)
    result = run_cli("validate")
    assert result.code == 3
    assert "unexpected internal error (a bug)" in result.err
    assert "Traceback" not in result.err


def test_the_crash_log_is_a_new_private_file_never_a_planted_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temp folder is shared: a fixed name there could be a link planted by another user."""

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("bug")

    temp = tmp_path / "tmp"
    temp.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("KEEP\n")
    (temp / "chartgen-crash.log").symlink_to(victim)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setattr("chartgen.cli.validate.run_validate", boom)
    first, second = run_cli("validate"), run_cli("validate")
    assert victim.read_text() == "KEEP\n"
    logs = []
    for result in (first, second):
        assert result.code == 3
        prefix = "chartgen: error: unexpected internal error (a bug); details in "
        assert result.err.startswith(prefix)
        logs.append(Path(result.err.removeprefix(prefix).rstrip("\n")))
    assert logs[0] != logs[1]
    for log in logs:
        assert log.parent == temp and log.name.startswith("chartgen-crash-") and log.suffix == ".log"
        info = log.lstat()
        assert stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
        assert log.read_text().splitlines()[1] == "chartgen validate"
        assert "RuntimeError: bug" in log.read_text()


def test_without_a_crash_log_the_details_go_to_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("bug\x1b[2J")

    def no_temp(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied", "/tmp")

    monkeypatch.setattr("chartgen.cli.validate.run_validate", boom)
    monkeypatch.setattr(tempfile, "mkstemp", no_temp)
    result = run_cli("validate")
    assert result.code == 3
    assert "RuntimeError: bug\\x1b[2J\n" in result.err and "\x1b" not in result.err
    assert result.err.endswith(
        "chartgen: error: unexpected internal error (a bug); no crash log (/tmp: permission denied), "
        "details above\n"
    )


def test_dash_c_at_a_file_or_nowhere_is_a_clear_error(tmp_path: Path) -> None:
    Path("afile").write_text("")
    result = run_cli("-C", "afile", "validate")
    assert (result.code, result.err) == (
        1,
        "chartgen: error: -C afile: cannot run in this folder: not a directory\n",
    )
    result = run_cli("-C", "nowhere", "validate")
    assert result.err == "chartgen: error: -C nowhere: cannot run in this folder: no such file or directory\n"
    doc = json.loads(run_cli("--output", "json", "-C", "afile", "validate").out)
    assert (doc["exitCode"], doc["error"]) == (1, "-C afile: cannot run in this folder: not a directory")


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (PermissionError(13, "Permission denied", "profiles"), "profiles: permission denied"),
        (OSError(28, "No space left on device"), "no space left on device"),
        (OSError(18, "Invalid cross-device link", "a", None, "b"), "a -> b: invalid cross-device link"),
    ],
)
def test_an_os_error_is_one_clear_line_exit_one(
    monkeypatch: pytest.MonkeyPatch, error: OSError, message: str
) -> None:
    def fail(*_: object, **__: object) -> None:
        raise error

    monkeypatch.setattr("chartgen.cli.validate.run_validate", fail)
    result = run_cli("validate")
    assert (result.code, result.err) == (1, f"chartgen: error: {message}\n")


def test_a_link_loop_is_a_located_error_not_a_bug(tmp_path: Path) -> None:
    build_tree(tmp_path, {"workflows/greet/greeting.sw.yaml": GREETING})
    Path("workflows/greet/loop.sw.yaml").symlink_to("loop.sw.yaml")
    result = run_cli("validate")
    assert result.code == 1
    assert result.err.startswith(
        "workflows/greet/loop.sw.yaml:1:1: error: workflow file not read: it is a symbolic link loop\n"
    )


def run_into_closed_pipe(
    cwd: Path, args: list[str], closed: str = "stdout"
) -> subprocess.CompletedProcess[str]:
    """Run chartgen with stdout (or stderr) a pipe nobody reads any more (`| head -0`)."""
    read, write = os.pipe()
    os.close(read)
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, closed: write}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "chartgen", *args],
            cwd=cwd,
            text=True,
            timeout=60,
            stdout=streams["stdout"],
            stderr=streams["stderr"],
        )
    finally:
        os.close(write)
    return proc


@pytest.mark.parametrize(
    "args",
    [
        ["--output", "json", "validate"],
        ["validate"],
        ["--output", "json", "validate", "--workflows", "nowhere"],
        ["schema", "profile"],
    ],
)
def test_a_closed_stdout_ends_quietly(tmp_path: Path, args: list[str]) -> None:
    build_tree(tmp_path, {"workflows/greet/greeting.sw.yaml": GREETING})
    proc = run_into_closed_pipe(tmp_path, args)
    assert (proc.returncode, proc.stderr) == (141, "")


def test_help_into_a_closed_pipe_prints_no_error(tmp_path: Path) -> None:
    assert run_into_closed_pipe(tmp_path, ["--help"]).stderr == ""


def test_a_closed_stderr_ends_quietly(tmp_path: Path) -> None:
    build_tree(tmp_path, {"workflows/greet/greeting.sw.yaml": "id: [\n"})
    proc = run_into_closed_pipe(tmp_path, ["validate"], closed="stderr")
    assert (proc.returncode, proc.stdout) == (141, "")


def test_usage_error_exits_one_and_json_asks_get_json(tmp_path: Path) -> None:
    """2 means a policy refusal: a bad command line is bad input (1), in the format asked for."""
    text = run_cli("generate", "--no-such-flag")
    assert text.code == 1
    assert "unrecognized arguments: --no-such-flag" in text.err
    as_json = run_cli("--output", "json", "generate", "--no-such-flag")
    assert as_json.code == 1
    doc = json.loads(as_json.out)
    assert doc == {
        "command": "generate",
        "ok": False,
        "exitCode": 1,
        "result": None,
        "diagnostics": [],
        "error": doc["error"],
    }
    assert "unrecognized arguments" in doc["error"]
    assert json.loads(run_cli("--output=json", "nosuchcommand").out)["command"] is None


def test_policy_refusal_exits_two(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "workflows/greet/greeting.sw.yaml": GREETING,
            "profiles/prod.yaml": "mode: production\nnamespace: p\nimage: {repository: r/x, tag: latest}\n",
        },
    )
    result = run_cli("--output", "json", "generate")
    assert result.code == 2
    doc = json.loads(result.out)
    assert (doc["ok"], doc["exitCode"]) == (False, 2)
    [refusal] = doc["diagnostics"]
    assert refusal["policy"] is True
    assert refusal["message"].startswith("'image.tag' must not be 'latest'")
    assert (refusal["path"], refusal["line"]) == ("profiles/prod.yaml", 3)


@pytest.mark.parametrize("args", [["validate"], ["generate"], ["validate", "--workflows", "nowhere"]])
def test_one_json_envelope_for_every_outcome(tmp_path: Path, args: list[str]) -> None:
    build_tree(tmp_path, {"workflows/greet/greeting.sw.yaml": GREETING, "profiles/.keep": ""})
    doc = json.loads(run_cli("--output", "json", *args).out)
    assert set(doc) == {"command", "ok", "exitCode", "result", "diagnostics", "error"}
    assert doc["command"] == args[0]


def test_profile_json_schema_for_editors() -> None:
    result = run_cli("schema", "profile")
    schema = json.loads(result.out)
    assert result.code == 0
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    tag = schema["properties"]["image"]["properties"]["tag"]
    assert tag["not"] == {"enum": ["latest"]}
    values = json.loads(run_cli("schema", "production-values").out)
    assert values["properties"]["tolerations"] == schema["properties"]["tolerations"]


def test_a_mistyped_command_choice_or_option_gets_a_suggestion() -> None:
    for args, hint in (
        (["genrate"], "(did you mean 'generate'?)"),
        (["policy", "chek"], "(did you mean 'check'?)"),
        (["validate", "--exlude", "x"], "(did you mean '--exclude'?)"),
        (["lint", "--no-polcy"], "(did you mean '--no-policy'?)"),
    ):
        result = run_cli(*args)
        assert result.code == 1
        assert hint in result.err, (args, result.err)


def test_settings_are_found_from_inside_a_project_folder(tmp_path: Path) -> None:
    """chartgen.yaml in a folder above (up to the repository's root) is the one used."""
    build_tree(
        tmp_path,
        {
            "repo/chartgen.yaml": "workflows: flows\n",
            "repo/flows/greet/greeting.sw.yaml": GREETING,
            "chartgen.yaml": "workflows: elsewhere\n",  # above the repository: never read
        },
    )
    (tmp_path / "repo" / ".git").mkdir()
    result = run_cli("-C", str(tmp_path / "repo" / "flows" / "greet"), "validate")
    assert result.code == 0, result.err
    assert result.out == "✔ 1 workflow in 1 project is valid\n"
    (tmp_path / "repo" / "chartgen.yaml").unlink()
    outside = run_cli("-C", str(tmp_path / "repo" / "flows" / "greet"), "validate")
    assert outside.code == 1
    assert "workflows folder not found: workflows" in outside.err
