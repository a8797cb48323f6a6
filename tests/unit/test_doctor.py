"""`chartgen doctor`: what is found where, and for what is missing, a command that gets it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from chartgen.errors import ToolError
from chartgen.flows.doctor import pinned_versions
from chartgen.tools.locate import PINNED_TOOLS, find_tool
from testing.repo import REPO, run_cli

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


def fake_toolchain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, works: bool) -> Path:
    """A toolchain script that 'builds' etcd into the cache the way the real one does, or fails."""
    script = tmp_path / "toolchain.sh"
    body = (
        'mkdir -p "$CHARTGEN_CACHE/bin"; printf "#!/bin/sh\\necho etcd\\n" > "$CHARTGEN_CACHE/bin/etcd"\n'
        'chmod +x "$CHARTGEN_CACHE/bin/etcd"; echo "etcd v3.6.14: built in 1s"\n'
        if works
        else 'echo "go: module lookup disabled" >&2; echo "etcd: build failed" >&2; exit 1\n'
    )
    script.write_text("#!/bin/bash\n" + body)
    monkeypatch.setattr("chartgen.tools.locate.shipped", lambda name: script)
    go = tmp_path / "path" / "go"
    go.write_text("#!/bin/sh\nexit 0\n")
    go.chmod(0o755)
    monkeypatch.delenv("CHARTGEN_NO_BUILD")
    monkeypatch.setenv("PATH", f"{go.parent}:/usr/bin:/bin")  # bash and coreutils for the script
    assert not any((Path(d) / "etcd").exists() for d in ("/usr/bin", "/bin"))
    return script


def test_a_missing_tool_is_built_on_first_use(
    bare: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = fake_toolchain(tmp_path, monkeypatch, works=True)
    found = find_tool("etcd")
    assert found == tmp_path / "cache" / "bin" / "etcd"
    err = capsys.readouterr().err
    assert f"chartgen: etcd is missing: building it (bash {script} etcd)" in err
    assert "etcd v3.6.14: built in 1s" in err
    assert find_tool("etcd") == found  # cached now: no second build
    assert "building" not in capsys.readouterr().err


def test_a_failed_build_says_why_and_the_tests_never_build(
    bare: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_toolchain(tmp_path, monkeypatch, works=False)
    with pytest.raises(
        ToolError, match=r"(?s)building etcd failed \(bash .*toolchain.sh etcd\):\n.*etcd: build failed"
    ):
        find_tool("etcd")
    monkeypatch.setenv("CHARTGEN_NO_BUILD", "1")
    with pytest.raises(
        ToolError, match=r"etcd not found: bash .* etcd builds the pinned one, or set CHARTGEN_ETCD"
    ):
        find_tool("etcd")
