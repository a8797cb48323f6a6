from __future__ import annotations

import contextlib
import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chartgen.cli.main import main

REPO = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden from the current generator output"
    )


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads the user's settings or writes outside its own folder."""
    for key in list(os.environ):
        if key.startswith("CHARTGEN_") and key not in ("CHARTGEN_HELM", "CHARTGEN_CACHE"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("CHARTGEN_NO_BUILD", "1")  # a missing tool fails the test, never builds it
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("VAULT_ADDR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("chartgen.flows.unchanged.records_dir", lambda: tmp_path / ".generate-records")
    yield


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*args: str) -> CliResult:
    """Run `chartgen ...` in-process, capturing stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    cwd = Path.cwd()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    os.chdir(cwd)  # -C changes directory; give the test its folder back
    return CliResult(code, out.getvalue(), err.getvalue())


def built_tool(name: str) -> Path:
    """A tool scripts/toolchain.sh builds: missing fails the test in CI, skips it elsewhere."""
    from chartgen.errors import ToolError
    from chartgen.tools.locate import find_tool

    try:
        return find_tool(name)
    except ToolError:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: scripts/toolchain.sh builds it")
        pytest.skip(f"{name} is not built (scripts/toolchain.sh {name})")


def helm_available() -> bool:
    from chartgen.errors import ToolError
    from chartgen.tools.locate import find_helm

    try:
        find_helm()
    except ToolError:
        return False
    return True


@pytest.fixture(scope="session")
def helm_binary() -> Path:
    from chartgen.tools.locate import find_helm

    if not helm_available():
        if os.environ.get("CI"):
            pytest.fail("helm is not installed: scripts/setup.sh must run first")
        pytest.skip("helm not installed (run scripts/setup.sh)")
    return find_helm()


def copy_examples(dest: Path) -> Path:
    target = dest / "examples"
    shutil.copytree(REPO / "examples", target, ignore=shutil.ignore_patterns("charts"))
    return target


def pinned_requirements(folder: Path) -> Path:
    """A chartgen-requirements.txt of the form `init --ci` takes: this chartgen and one dependency,
    each with a sha256 (made up: only scripts/package.sh's real one installs, in the wheel tier)."""
    from chartgen import __version__

    path = folder / "chartgen-requirements.txt"
    path.write_text(
        f"# test lock\nchartgen=={__version__} \\\n    --hash=sha256:{'a' * 64}\n"
        f"PyYAML==6.0.2 --hash=sha256:{'b' * 64} --hash=sha256:{'c' * 64}\n"
    )
    return path
