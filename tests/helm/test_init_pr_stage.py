"""A repository `chartgen init` writes passes its own pull-request stage, for real: the CLI as a
subprocess, real git, helm and opa. First on main, then on a branch that changes the workflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testing.repo import REPO, built_tool, pinned_requirements

pytestmark = pytest.mark.helm

HELLO = "hello-world"
GITHUB = REPO / "pipelines" / "github"


@pytest.fixture
def env(tmp_path: Path, helm_binary: Path) -> dict[str, str]:
    """The subprocesses' environment: the pinned tools, a cache of the test's own, a git identity."""
    if not GITHUB.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{GITHUB} is missing: chartgen init --ci github copies it")
        pytest.skip(f"{GITHUB} is not there yet")
    variables = dict(os.environ)
    variables.update(
        CHARTGEN_HELM=str(helm_binary),
        CHARTGEN_OPA=str(built_tool("opa")),
        CHARTGEN_CACHE=str(tmp_path / "cache"),  # generate's records and helm's caches stay here
        GIT_AUTHOR_NAME="chartgen init",
        GIT_AUTHOR_EMAIL="init@example.invalid",
        GIT_COMMITTER_NAME="chartgen init",
        GIT_COMMITTER_EMAIL="init@example.invalid",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    return variables


def chartgen(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "chartgen", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Traceback" not in done.stdout + done.stderr
    return done


def ok(repo: Path, env: dict[str, str], *args: str) -> str:
    done = chartgen(repo, env, *args)
    assert done.returncode == 0, f"chartgen {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def git(repo: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"git {' '.join(args)}:\n{done.stderr}"
    return done.stdout


def test_a_new_repository_passes_its_own_pull_request_stage(tmp_path: Path, env: dict[str, str]) -> None:
    repo = tmp_path / "flows"
    repo.mkdir()
    out = ok(repo, env, "init", "--ci", "github", "--requirements", str(pinned_requirements(tmp_path)))
    assert "✔ .github/workflows/" in out
    copied = sorted(p.name for p in (repo / ".github/workflows").iterdir())
    assert copied == sorted(p.name for p in GITHUB.iterdir() if p.is_file())
    for name in copied:
        assert (repo / ".github/workflows" / name).read_bytes() == (GITHUB / name).read_bytes()

    git(repo, env, "init", "-q", "-b", "main")
    ok(repo, env, "generate")
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "-m", "start the workflows repository")
    assert git(repo, env, "status", "--porcelain") == ""

    # The pull-request stage on main itself.
    ok(repo, env, "validate")
    ok(repo, env, "generate", "--check")
    lint = ok(repo, env, "lint")
    assert "3 of 3 chart/values pairs pass" in lint and "0 violations" in lint, lint
    ok(repo, env, "policy", "check", "--format", "sarif")
    ok(repo, env, "version", "check", "--base", "main")
    assert git(repo, env, "status", "--porcelain") == ""  # the checks left nothing behind

    # A pull request: one more state in hello-world.
    git(repo, env, "checkout", "-q", "-b", "add-state")
    workflow = repo / "workflows" / HELLO / f"{HELLO}.sw.yaml"
    text = workflow.read_text()
    assert text.endswith("    end: true\n")
    workflow.write_text(
        text.removesuffix("    end: true\n")
        + "    transition: Sign\n"
        + "  - name: Sign\n    type: inject\n    data:\n      signature: chartgen\n    end: true\n"
    )
    ok(repo, env, "generate")
    bump = ok(repo, env, "version", "bump", "--base", "main")
    assert f"{HELLO}: 0.1.0 -> 0.2.0 (minor: state 'Sign' added" in bump, bump
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "-m", "hello-world signs its greeting")

    ok(repo, env, "version", "check", "--base", "main")
    ok(repo, env, "generate", "--check")
    markdown = ok(repo, env, "diff", "--base", "main", "--format", "markdown")
    (repo / "chart-diff.md").write_text(markdown)  # what the pipeline posts
    assert f"build/{HELLO}" in ok(repo, env, "build", "--base", "main", "--no-package")
    assert git(repo, env, "status", "--porcelain") == ""  # .gitignore keeps both out of commits
    assert markdown.startswith("## chartgen diff"), markdown
    assert f"| {HELLO} | 0.1.0 → 0.2.0 |" in markdown, markdown
    assert f"ConfigMap/{HELLO}-resources-0" in markdown
    # The production chart that changed is hello-world's alone; the dev chart serves every
    # workflow of the repository, so it changes with any of them.
    result = json.loads(ok(repo, env, "--output", "json", "diff", "--base", "main"))["result"]
    assert {chart["chart"] for chart in result["charts"]} == {HELLO, "flows-dev"}
