"""`chartgen doctor`: what is found where, and for what is missing, a command that gets it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from chartgen.tools.doctor import pinned_versions
from chartgen.tools.locate import PINNED_TOOLS
from tests.conftest import REPO, run_cli

TOOLCHAIN = REPO / "scripts" / "toolchain.sh"


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache and a PATH with nothing but a fake `git`."""
    monkeypatch.setenv("CHARTGEN_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "path"
    path.mkdir()
    git = path / "git"
    git.write_text("#!/bin/sh\necho 'git version 2.0'\n")
    git.chmod(0o755)
    monkeypatch.setenv("PATH", str(path))
    for tool in PINNED_TOOLS:
        monkeypatch.delenv(f"CHARTGEN_{tool.upper().replace('-', '_')}", raising=False)
    return path


def test_missing_tools_are_named_with_the_command_that_builds_them(bare: Path) -> None:
    result = run_cli("doctor")
    assert result.code == 1
    lines = result.out.splitlines()
    assert (
        f"✖ helm v4.3.1: missing (for generate --check, lint, diff, release, deploy, test): bash {TOOLCHAIN} helm"
        in lines
    )
    assert (
        f"✖ kubectl v1.34.4: missing (for cluster, test, deploy, vault check): bash {TOOLCHAIN} kube" in lines
    )
    assert f"✔ git: {bare / 'git'}" in lines
    assert re.match(r"\d+ of 18 programs found; missing: helm, opa, conftest, kube-apiserver", lines[-1])


def test_a_tool_given_by_its_variable_is_reported_where_it_is(
    bare: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    helm = bare / "my-helm"
    helm.write_text("#!/bin/sh\necho v9.9.9\n")
    helm.chmod(0o755)
    monkeypatch.setenv("CHARTGEN_HELM", str(helm))
    result = run_cli("--output", "json", "doctor")
    tools = {t["name"]: t for t in json.loads(result.out)["result"]["tools"]}
    assert tools["helm"]["path"] == str(helm)
    assert tools["helm"]["version"] == "v9.9.9"
    assert tools["helm"]["get"] is None
    assert tools["opa"]["path"] is None and tools["opa"]["get"] == f"bash {TOOLCHAIN} opa"


def test_every_build_command_names_a_tool_the_toolchain_script_builds() -> None:
    script = TOOLCHAIN.read_text()
    case = re.search(r"case \$tool in\n(.*?)\n  esac", script, re.DOTALL)
    assert case is not None
    known = set(re.findall(r"[a-z]+", " ".join(re.findall(r"^\s+([a-z|]+)\)", case.group(1), re.MULTILINE))))
    assert {tool.build for tool in PINNED_TOOLS.values()} <= known
    # An unknown one is refused by the script itself: the check above is not vacuous.
    done = subprocess.run(["bash", str(TOOLCHAIN), "nope"], capture_output=True, text=True)
    assert done.returncode == 2 and "unknown tool: nope" in done.stderr


def test_pinned_versions_are_the_toolchain_script_s() -> None:
    versions = pinned_versions(TOOLCHAIN)
    assert versions["HELM"] == "v4.3.1"
    assert {tool.version for tool in PINNED_TOOLS.values()} <= set(versions)
