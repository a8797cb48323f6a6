"""Helpers every test tier shares: the checkout, running `chartgen` in-process, the tools the
toolchain builds, and the examples copied. Fixtures live in the tiers' conftest.py files."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chartgen.cli.main import main

REPO = Path(__file__).resolve().parent.parent
CRDS = REPO / "tests" / "crds"  # the vendored CRDs of the custom resources charts contain
Render = Callable[..., list[dict[str, Any]]]  # the helm tier's `render` fixture


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


def require(what: str, present: bool) -> None:
    """Skip a test whose programs are missing; in CI, fail: the set-up must install them."""
    if not present:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is not installed: scripts/test.sh runtime installs it")
        pytest.skip(f"{what} is not installed")


def replace_placeholders(repo: Path) -> None:
    """What a team does after `chartgen init`: the example registry and Vault address (which
    deploy's preflight refuses) replaced with their own."""
    base = repo / "profiles" / "base.yaml"
    text = base.read_text().replace("registry.example.com", "registry.acme.internal")
    base.write_text(text.replace("vault.example.com", "vault.acme.internal"))
