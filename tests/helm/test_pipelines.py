"""pipelines/: the CI definitions `chartgen init --ci` copies, checked with real tools.

GitHub Actions with actionlint (and GitHub's workflow schema), GitLab CI with GitLab's published
schema (check-jsonschema's vendored copy), and every chartgen call in the three systems parsed
by chartgen's own command line: a command or flag chartgen does not have fails here.
(pipelines/tekton is applied to a real API server in tests/e2e/test_tekton.py.)"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.cli.main import COMMANDS, UsageError, build_parser
from chartgen.errors import ToolError
from chartgen.formats.requirements import REQUIREMENTS
from chartgen.tools.locate import find_tool
from chartgen.tools.runner import Completed, run
from testing.gitlab import GITLAB, gitlab_jobs
from testing.repo import REPO

pytestmark = pytest.mark.helm
PIPELINES = REPO / "pipelines"
GITHUB = sorted((PIPELINES / "github").glob("*.yaml"))
TEKTON = sorted((PIPELINES / "tekton").glob("*.yaml"))
# Each stage, in each system: the command and the flags it must be called with.
STAGES = {
    "validate": set(),
    "generate": {"--check"},
    "lint": {"--no-policy"},
    "policy": {"check", "--format"},
    "version": {"check", "--base"},
    "diff": {"--base", "--format", "--full-report"},
    "test": {"--kubeconfig"},
    "build": {"--base"},
    "release": {"--to", "--base"},
    "deploy": {"--env", "--version-from", "--image-digests"},
    "promote": {"--from", "--to", "--registry"},
}


def tool(name: str) -> Path:
    """find_tool, else a console script of this virtualenv (check-jsonschema: the dev extras)."""
    try:
        return find_tool(name)
    except ToolError:
        beside = Path(sys.executable).parent / name
        if beside.is_file() and os.access(beside, os.X_OK):
            return beside
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: scripts/test.sh helm builds it")
        pytest.skip(f"{name} is not built (scripts/test.sh helm)")


def actionlint(*files: Path) -> Completed:
    return run([tool("actionlint"), "-no-color", *files], timeout=120)


def check_jsonschema(schema: str, *files: Path) -> Completed:
    transform = ["--data-transform", "gitlab-ci"] if schema == "vendor.gitlab-ci" else []
    return run([tool("check-jsonschema"), "--builtin-schema", schema, *transform, *files], timeout=120)


def broken_copy(source: Path, tmp_path: Path, old: str, new: str) -> Path:
    text = source.read_text()
    assert old in text, f"{source.name} no longer has {old!r}: choose another breakage"
    copy = tmp_path / source.name
    copy.write_text(text.replace(old, new, 1))
    return copy


# --- GitHub Actions ----------------------------------------------------------------------------


def test_github_workflows_pass_actionlint() -> None:
    assert [f.name for f in GITHUB] == ["chartgen-main.yaml", "chartgen-pr.yaml"]
    done = actionlint(*GITHUB)
    shellcheck = shutil.which("shellcheck")
    print(f"\nactionlint: shellcheck of run: scripts: {shellcheck or 'no (no shellcheck on PATH)'}")
    assert done.ok, done.stdout + done.stderr


@pytest.mark.parametrize(
    "old, new, complaint",
    [
        ("    runs-on: ubuntu-latest", "    runs_on: ubuntu-latest", 'unexpected key "runs_on"'),
        ("fetch-depth: 0 # version check", "fetch-dept: 0 #", 'input "fetch-dept" is not defined'),
        (
            "steps.control-plane.outputs",
            "steps.control-plan.outputs",
            'property "control-plan" is not defined',
        ),
    ],
)
def test_actionlint_refuses_a_broken_workflow(tmp_path: Path, old: str, new: str, complaint: str) -> None:
    done = actionlint(broken_copy(PIPELINES / "github" / "chartgen-pr.yaml", tmp_path, old, new))
    assert not done.ok and complaint in done.stdout, done.stdout + done.stderr


def test_actionlint_runs_shellcheck_on_run_scripts(tmp_path: Path) -> None:
    if not shutil.which("shellcheck"):
        if os.environ.get("CI"):
            pytest.fail("shellcheck is missing: scripts/test.sh helm installs it (Debian package)")
        pytest.skip("shellcheck is not on PATH: actionlint leaves run: scripts unchecked")
    copy = broken_copy(PIPELINES / "github" / "chartgen-pr.yaml", tmp_path, '--base "$BASE"', "--base $BASE")
    done = actionlint(copy)
    assert not done.ok and "SC2086" in done.stdout, done.stdout


def test_github_workflows_match_githubs_schema(tmp_path: Path) -> None:
    done = check_jsonschema("vendor.github-workflows", *GITHUB)
    assert done.ok, done.stdout + done.stderr
    main = PIPELINES / "github" / "chartgen-main.yaml"
    broken = broken_copy(main, tmp_path, "contents: write", "contents: all")
    refused = check_jsonschema("vendor.github-workflows", broken)
    assert not refused.ok and "contents" in refused.stdout, refused.stdout


# --- GitLab CI ---------------------------------------------------------------------------------


def test_gitlab_ci_matches_gitlabs_schema() -> None:
    done = check_jsonschema("vendor.gitlab-ci", GITLAB)
    assert done.ok, done.stdout + done.stderr


@pytest.mark.parametrize(
    "old, new",
    [
        ("  script:\n    - !reference [.install, opa]", "  scirpt:\n    - !reference [.install, opa]"),
        ("when: manual", "when: sometimes"),
        ("resource_group: chartgen-prod", "resource_group: [chartgen-prod]"),
    ],
)
def test_gitlab_schema_refuses_a_broken_file(tmp_path: Path, old: str, new: str) -> None:
    done = check_jsonschema("vendor.gitlab-ci", broken_copy(GITLAB, tmp_path, old, new))
    assert not done.ok and "Schema validation errors" in done.stdout, done.stdout + done.stderr


# --- every chartgen call, parsed by chartgen -----------------------------------------------------


SCRIPT_KEYS = ("script", "before_script", "after_script")


def scripts(system: str) -> list[tuple[str, str]]:
    """(where, shell text) of every script the system runs."""
    found: list[tuple[str, str]] = []
    if system == "github":
        for path in GITHUB:
            for job_name, job in yaml.safe_load(path.read_text())["jobs"].items():
                found += [(f"{path.name}:{job_name}", s["run"]) for s in job["steps"] if "run" in s]
    elif system == "gitlab":
        for name, body in gitlab_jobs(GITLAB).items():
            for key, lines in body.items() if isinstance(body, dict) else ():
                if isinstance(lines, list) and (key in SCRIPT_KEYS or name.startswith(".")):
                    texts = [line for line in lines if isinstance(line, str)]
                    found += [(f".gitlab-ci.yml:{name}.{key}", text) for text in texts]
    else:
        for path in TEKTON:
            steps = yaml.safe_load(path.read_text())["spec"].get("steps", [])
            found += [(f"{path.name}:{s['name']}", s["script"]) for s in steps if "script" in s]
    return found


def chartgen_calls(script: str) -> list[list[str]]:
    """The argv of each `chartgen ...` in a shell script; $(...), ${...} and $VAR become X."""
    text = script.replace("\\\n", " ")
    inner = [f"chartgen {m}" for m in re.findall(r"\$\(\s*chartgen\s+([^()]*)\)", text)]
    text = re.sub(r"\$\([^()]*\)", "X", text)
    text = re.sub(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*", "X", text)
    calls = []
    for line in [*text.splitlines(), *inner]:
        line = re.sub(r"(^|\s)#.*$", "", line)
        for segment in re.split(r"&&|\|\||[;|>]", line):
            words = shlex.split(segment)
            if "chartgen" in words:
                calls.append(words[words.index("chartgen") + 1 :])
    return calls


def command_of(argv: list[str]) -> str:
    words = iter(argv)
    for word in words:
        if word in ("-C", "--config", "--output"):
            next(words, None)
        elif not word.startswith("-"):
            return word
    return ""


@pytest.mark.parametrize("system", ["github", "gitlab", "tekton"])
def test_every_chartgen_call_parses_and_every_stage_is_there(system: str) -> None:
    calls = [(where, argv) for where, text in scripts(system) for argv in chartgen_calls(text)]
    assert calls, f"no chartgen call found in {system}"
    for where, argv in calls:
        command = command_of(argv)
        assert command in COMMANDS, f"{where}: chartgen {shlex.join(argv)}: no command {command!r}"
        try:
            build_parser(command).parse_args(argv)
        except (UsageError, SystemExit) as exc:
            pytest.fail(f"{where}: chartgen {shlex.join(argv)}: {exc}")
    for command, flags in STAGES.items():
        used = [set(argv) for _, argv in calls if command_of(argv) == command]
        assert any(flags <= words for words in used), f"{system}: no chartgen {command} {sorted(flags)}"


def test_the_call_parser_finds_what_it_should() -> None:
    found = chartgen_calls(
        'chartgen test --kubeconfig "$(chartgen cluster kubeconfig)"\n'
        "chartgen policy check --format sarif > policy.sarif  # chartgen says why\n"
        'pip install -r chartgen-requirements.txt && chartgen -q deploy --env "$ENV" \\\n  --image-digests digests/\n'
    )
    assert found == [
        ["test", "--kubeconfig", "X"],
        ["policy", "check", "--format", "sarif"],
        ["-q", "deploy", "--env", "X", "--image-digests", "digests/"],
        ["cluster", "kubeconfig"],
    ]
    with pytest.raises(UsageError):
        build_parser("deploy").parse_args(["deploy", "--env", "X", "--no-such-flag"])


def job(system: str, name: str) -> Any:
    if system == "github":
        return yaml.safe_load((PIPELINES / "github" / "chartgen-main.yaml").read_text())["jobs"][name]
    return gitlab_jobs(GITLAB)[name]


def test_prod_waits_for_an_approval_and_deploys_never_overlap() -> None:
    pr = yaml.safe_load((PIPELINES / "github" / "chartgen-pr.yaml").read_text())
    assert pr["jobs"]["checks"]["permissions"]["security-events"] == "write"
    assert pr["jobs"]["diff"]["permissions"]["pull-requests"] == "write"
    sarif = next(s for s in pr["jobs"]["checks"]["steps"] if "upload-sarif" in s.get("uses", ""))
    assert sarif["if"].startswith("always()")
    assert job("github", "release")["permissions"]["contents"] == "write"
    staging, prod = job("github", "staging"), job("github", "prod")
    assert (staging["environment"], prod["environment"], prod["needs"]) == ("staging", "prod", ["staging"])
    concurrency = [job("github", name)["concurrency"] for name in ("release", "staging", "prod")]
    assert len({c["group"] for c in concurrency}) == 3  # one deploy per environment at a time
    assert not any(c["cancel-in-progress"] for c in concurrency)  # a started deploy finishes
    lab = job("gitlab", "prod")
    assert lab["environment"]["name"] == "prod" and lab["rules"][0]["when"] == "manual"
    assert lab["needs"] == ["staging"]
    assert {job("gitlab", n)["resource_group"] for n in ("staging", "prod")} == {
        "chartgen-staging",
        "chartgen-prod",
    }


# The one way a pipeline installs anything with pip: chartgen and its dependencies, each pinned by
# sha256 in the repository's chartgen-requirements.txt, wheels only (no setup.py runs).
PINNED_INSTALL = re.compile(
    r'pip install (--quiet )?--require-hashes --no-deps --only-binary :all: -r (chartgen-requirements\.txt|"\$CHARTGEN_REQUIREMENTS")'
)


def unpinned_installs(text: str) -> list[str]:
    lines = text.replace("\\\n", " ").splitlines()
    return [line.strip() for line in lines if "pip install" in line and not PINNED_INSTALL.search(line)]


@pytest.mark.parametrize("system", ["github", "gitlab", "tekton"])
def test_every_install_step_pins_chartgen_by_hash(system: str) -> None:
    texts = scripts(system)
    installs = [where for where, text in texts if "pip install" in text]
    assert installs, f"{system}: no install step found"
    assert [(where, bad) for where, text in texts for bad in unpinned_installs(text)] == []
    if system == "tekton":  # each Task runs in its own pods: one that runs chartgen installs it
        for where, text in texts:
            if chartgen_calls(text):
                task = where.split(":")[0]
                assert any(w.startswith(f"{task}:") for w in installs), where


def test_the_pin_check_refuses_what_it_should() -> None:
    assert unpinned_installs('pip install "$CHARTGEN_PACKAGE"') == ['pip install "$CHARTGEN_PACKAGE"']
    assert unpinned_installs("pip install chartgen==0.1.0") != []
    assert unpinned_installs("pip install --no-deps -r chartgen-requirements.txt") != []
    assert (
        unpinned_installs(
            "pip install --require-hashes --no-deps --only-binary :all: -r chartgen-requirements.txt"
        )
        == []
    )


def test_tekton_tasks_install_from_the_file_init_writes() -> None:
    for path in TEKTON:
        params = yaml.safe_load(path.read_text())["spec"].get("params", [])
        for param in params:
            if param["name"] == "chartgen-requirements":
                assert param["default"] == REQUIREMENTS, path.name
