"""No test, script or CI step reads outside the repository: a user's clone has nothing beside it.

Static, so it fails on the line that would reach out, not on a machine that happens to have a
folder there: every `Path(__file__)` climb and every `.parent` of the repository root in the
Python files of tests/, testing/, benchmarks/ and scripts/, every `..` in the shell scripts,
and the names of the team folder the data once came from.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = ("tests/corpus", "tests/crds")  # vendored data: read as data, never run
PYTHON = sorted(
    p
    for folder in ("tests", "testing", "benchmarks", "scripts")
    for p in (REPO / folder).rglob("*.py")
    if not str(p.relative_to(REPO)).startswith(DATA) and p != Path(__file__).resolve()  # its probes
)
SHELL = sorted([*(REPO / "scripts").glob("*.sh"), REPO / ".ci" / "run"])
# The team folder the CRDs and the corpus came from, and this machine's work folder. (Other
# strings with `..` are test inputs: the untrusted paths chartgen must refuse.)
OUTSIDE = re.compile(r"\bshared/(?:crds|corpus)\b|(?:^|[\s\"'=])/work/")


def _climb(node: ast.expr, here: Path, roots: dict[str, Path]) -> Path | None:
    """The folder an expression names, when it is `Path(__file__)` or a known root climbed with
    `.parent`, `.parents[k]` and `.resolve()`; None for anything else."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id == "Path" and len(node.args) == 1:
            arg = node.args[0]
            return here if isinstance(arg, ast.Name) and arg.id == "__file__" else None
        if isinstance(func, ast.Attribute) and func.attr in ("resolve", "absolute") and not node.args:
            return _climb(func.value, here, roots)
        return None
    if isinstance(node, ast.Name):
        return roots.get(node.id)
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        base = _climb(node.value, here, roots)
        return base.parent if base is not None else None
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "parents"
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, int)
    ):
        base = _climb(node.value.value, here, roots)
        return base.parents[node.slice.value] if base is not None else None
    return None


def _python_problems(path: Path, repo: Path = REPO) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    roots: dict[str, Path] = {}
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            folder = _climb(node.value, path, roots)
            if folder is not None:
                roots[node.targets[0].id] = folder
    for node in ast.walk(tree):
        if isinstance(node, ast.expr):
            folder = _climb(node, path, roots)
            if folder is not None and not folder.is_relative_to(repo):
                problems.append(
                    f"{path.relative_to(repo)}:{node.lineno}: reaches {folder}, outside the repository"
                )
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and OUTSIDE.search(node.value):
            problems.append(f"{path.relative_to(repo)}:{node.lineno}: names a path outside the repository")
    return sorted(set(problems))  # a climb is reported once per line


def _shell_problems(path: Path, repo: Path = REPO) -> list[str]:
    problems = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        code = line.split("#", 1)[0] if not line.lstrip().startswith("#!") else ""
        # `cd "$(dirname "$0")/.."` is the script's own checkout; any other `..` leaves it.
        code = code.replace('"$(dirname "$0")/.."', "")
        if ".." in re.sub(r"\.\.\.", "", code) or OUTSIDE.search(code):
            problems.append(
                f"{path.relative_to(repo)}:{number}: reaches outside the repository: {line.strip()}"
            )
    return problems


def test_the_checks_see_the_files_they_guard() -> None:
    assert REPO / "tests" / "conftest.py" in PYTHON and REPO / "testing" / "fuzz.py" in PYTHON
    assert REPO / "scripts" / "test.sh" in SHELL


@pytest.mark.parametrize("path", PYTHON, ids=lambda p: str(p.relative_to(REPO)))
def test_python_stays_inside_the_repository(path: Path) -> None:
    assert _python_problems(path) == []


@pytest.mark.parametrize("path", SHELL, ids=lambda p: str(p.relative_to(REPO)))
def test_shell_stays_inside_the_repository(path: Path) -> None:
    assert _shell_problems(path) == []


def test_the_check_catches_a_climb_out_of_the_repository(tmp_path: Path) -> None:
    probe = tmp_path / "tests" / "unit" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text(
        "from pathlib import Path\n"
        "REPO = Path(__file__).resolve().parents[2]\n"
        "CRDS = REPO.parent / 'x'\n"
        "UP = Path(__file__).parents[3]\n"
        "DATA = '../../shared/crds'\n"
    )
    problems = _python_problems(probe, tmp_path)
    assert sorted(p.split(":")[1] for p in problems) == ["3", "4", "5"], problems


def test_the_check_catches_a_shell_step_out_of_the_repository(tmp_path: Path) -> None:
    script = tmp_path / "s.sh"
    script.write_text('#!/bin/sh\ncd "$(dirname "$0")/.."\nls ../shared/crds\necho "..."  # fine\n')
    problems = _shell_problems(script, tmp_path)
    assert len(problems) == 1 and "s.sh:3:" in problems[0], problems
