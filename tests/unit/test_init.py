"""`chartgen init`: the files of a new repository, refusals that write nothing, identical output,
and CI pipelines copied byte for byte (from a fake pipelines folder: CHARTGEN_PIPELINES)."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from chartgen.emit.writer import write_file
from chartgen.flows import init as init_flow
from testing.repo import pinned_requirements, run_cli

OWN_FILES = [
    ".gitignore",
    "chartgen.yaml",
    "profiles/base.yaml",
    "profiles/dev.yaml",
    "profiles/prod.yaml",
    "profiles/staging.yaml",
    "workflows/hello-world/hello-world.sw.yaml",
]
PIPELINES = {
    "README.md": b"# how the pipelines work (not copied)\n",
    "github/chartgen-pr.yml": b"name: pr\non: pull_request\n# ${{ secrets.X }} stays as it is\n",
    "github/chartgen-release.yml": b"name: release\non: {push: {branches: [main]}}\n",
    "gitlab/.gitlab-ci.yml": b"stages: [pr]\n# $CI_VAR {{ untouched }}\n",
    "gitlab/README.md": b"# documentation of chartgen's pipeline: not copied either\n",
    "tekton/pull-request.yaml": b"kind: PipelineRun\n# {{ body.pull_request.number }}\n",
    "tekton/push.yaml": b"kind: PipelineRun\n",
}
COPIED = {
    "github": {
        ".github/workflows/chartgen-pr.yml": "github/chartgen-pr.yml",
        ".github/workflows/chartgen-release.yml": "github/chartgen-release.yml",
    },
    "gitlab": {".gitlab-ci.yml": "gitlab/.gitlab-ci.yml"},
    "tekton": {
        ".tekton/pull-request.yaml": "tekton/pull-request.yaml",
        ".tekton/push.yaml": "tekton/push.yaml",
    },
}


@pytest.fixture
def pipelines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "fake-pipelines"
    for rel, content in PIPELINES.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(content)
    monkeypatch.setenv("CHARTGEN_PIPELINES", str(folder))
    return folder


@pytest.fixture
def lock(tmp_path: Path) -> str:
    return str(pinned_requirements(tmp_path))


def tree(folder: Path) -> dict[str, bytes]:
    """Every file and folder under `folder` (folders as b"<dir>")."""
    found: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        found[rel] = b"<dir>" if path.is_dir() else path.read_bytes()
    return found


def files_of(folder: Path) -> list[str]:
    return sorted(rel for rel, content in tree(folder).items() if content != b"<dir>")


def test_writes_a_repository_that_generates(tmp_path: Path) -> None:
    result = run_cli("init", "flows")
    assert result.code == 0, result.err
    repo = tmp_path / "flows"
    assert files_of(repo) == OWN_FILES
    config = (repo / "chartgen.yaml").read_text()
    assert '\nname: "flows"\n' in config
    assert "\nvault: {prefix: chartgen-}\n" in config and "\nout: charts\n" in config
    assert "build/" in (repo / ".gitignore").read_text()
    for rel in OWN_FILES:
        assert f"✔ {rel}\n" in result.out
    assert "7 files written in flows (repository name 'flows')" in result.out
    assert "cd flows" in result.out and "chartgen generate" in result.out
    assert "git add -A && git commit" in result.out
    assert result.err == ""
    # It is a repository at once: valid, and generate writes the dev chart and hello-world's chart.
    assert run_cli("-C", "flows", "validate").code == 0
    generated = run_cli("-C", "flows", "generate")
    assert generated.code == 0, generated.err
    assert generated.err == ""  # no warning either: a clean start
    assert sorted(p.name for p in (repo / "charts").iterdir() if p.is_dir()) == ["flows-dev", "hello-world"]
    assert sorted(p.name for p in (repo / "charts/hello-world").glob("values-*.yaml")) == [
        "values-prod.yaml",
        "values-staging.yaml",
    ]


def test_default_folder_is_here_and_name_is_its_name(tmp_path: Path) -> None:
    (tmp_path / "acme-flows").mkdir()
    (tmp_path / "acme-flows/README.md").write_text("mine\n")
    result = run_cli("-C", "acme-flows", "init")
    assert result.code == 0, result.err
    assert files_of(tmp_path / "acme-flows") == sorted([*OWN_FILES, "README.md"])
    assert (tmp_path / "acme-flows/README.md").read_text() == "mine\n"  # other files untouched
    assert '\nname: "acme-flows"\n' in (tmp_path / "acme-flows/chartgen.yaml").read_text()
    assert "cd " not in result.out  # already there


def test_name_option_wins_over_the_folder(tmp_path: Path) -> None:
    assert run_cli("init", "Some_Folder", "--name", "orders").code == 0
    assert '\nname: "orders"\n' in (tmp_path / "Some_Folder/chartgen.yaml").read_text()


def test_refuses_listing_every_existing_file_and_writes_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "flows"
    (repo / "profiles").mkdir(parents=True)
    (repo / "profiles/dev.yaml").write_text("mode: dev\n")
    (repo / ".gitignore").write_text("*.log\n")
    (repo / "workflows").write_text("a file where a folder goes\n")
    before = tree(repo)
    result = run_cli("init", "flows")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert result.err.startswith("chartgen: error: flows already has 3 of the files chartgen init writes: ")
    assert ".gitignore, profiles/dev.yaml, workflows (a file where init needs a folder)" in result.err
    assert "nothing was written" in result.err
    assert tree(repo) == before
    assert result.out == ""


def test_refuses_an_existing_pipeline_file(tmp_path: Path, pipelines: Path, lock: str) -> None:
    (tmp_path / "flows/.github/workflows").mkdir(parents=True)
    (tmp_path / "flows/.github/workflows/chartgen-pr.yml").write_text("mine\n")
    before = tree(tmp_path / "flows")
    result = run_cli("init", "flows", "--ci", "github", "--requirements", lock)
    assert result.code == 1
    assert "1 of the files chartgen init writes: .github/workflows/chartgen-pr.yml;" in result.err
    assert tree(tmp_path / "flows") == before


def test_refuses_to_write_through_a_symlinked_folder(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows/profiles").symlink_to(tmp_path / "elsewhere")
    result = run_cli("init", "flows")
    assert result.code == 1
    assert "profiles (a symlink: init writes only into plain folders)" in result.err
    assert tree(tmp_path / "elsewhere") == {}
    assert sorted(tree(tmp_path / "flows")) == ["profiles"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--name", "Bad_Name"],
            "--name 'Bad_Name' is not a valid repository name (lowercase letters, digits and '-', starting with a letter and ending with a letter or digit): choose one with --name, e.g. --name bad-name",
        ),
        (["--name", "9lives"], "--name '9lives' is not a valid repository name"),
        (
            ["--name", "x" * 54],
            "--name '" + "x" * 54 + "' is not a valid repository name (at most 53 characters)",
        ),
        (["--name", ""], "e.g. --name my-workflows"),
    ],
)
def test_bad_name_is_refused(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cli("init", "flows", *args)
    assert result.code == 1
    assert message in result.err
    assert "Traceback" not in result.err
    assert not (tmp_path / "flows").exists()


def test_a_folder_name_that_is_no_valid_name_asks_for_one(tmp_path: Path) -> None:
    result = run_cli("init", "My_Flows")
    assert result.code == 1
    assert "the folder's name 'My_Flows' is not a valid repository name" in result.err
    assert "e.g. --name my-flows" in result.err
    assert not (tmp_path / "My_Flows").exists()


def test_a_file_as_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "flows").write_text("x\n")
    result = run_cli("init", "flows")
    assert result.code == 1
    assert "flows exists and is not a folder: nothing was written" in result.err


def test_same_input_same_bytes(tmp_path: Path, pipelines: Path, lock: str) -> None:
    for folder in ("one", "two"):
        assert run_cli("init", folder, "--name", "same", "--ci", "tekton", "--requirements", lock).code == 0
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    assert len(files_of(tmp_path / "one")) == len(OWN_FILES) + 3


@pytest.mark.parametrize("ci", sorted(COPIED))
def test_ci_pipeline_is_copied_unchanged(tmp_path: Path, pipelines: Path, ci: str, lock: str) -> None:
    result = run_cli("init", "flows", "--ci", ci, "--requirements", lock)
    assert result.code == 0, result.err
    repo = tmp_path / "flows"
    assert files_of(repo) == sorted([*OWN_FILES, *COPIED[ci], "chartgen-requirements.txt"])
    assert (repo / "chartgen-requirements.txt").read_bytes() == Path(lock).read_bytes()
    for target, source in COPIED[ci].items():
        assert (repo / target).read_bytes() == PIPELINES[source], target
        assert f"✔ {target}\n" in result.out
    assert not any(p.name == "README.md" for p in repo.rglob("*"))
    assert f"CI ({ci}):" in result.out


def test_json_result_lists_the_files(tmp_path: Path, pipelines: Path, lock: str) -> None:
    result = run_cli("--output", "json", "init", "flows", "--ci", "gitlab", "--requirements", lock)
    assert result.code == 0
    document = json.loads(result.out)
    assert document["ok"] is True and document["command"] == "init"
    assert document["result"]["files"] == sorted([*OWN_FILES, ".gitlab-ci.yml", "chartgen-requirements.txt"])
    assert document["result"]["ciFiles"] == [".gitlab-ci.yml", "chartgen-requirements.txt"]
    assert document["result"]["name"] == "flows"


def test_missing_pipelines_folder_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTGEN_PIPELINES", str(tmp_path / "nowhere"))
    result = run_cli("init", "flows", "--ci", "github")
    assert result.code == 1
    assert "the CI pipelines are missing: no folder nowhere (set CHARTGEN_PIPELINES" in result.err
    assert not (tmp_path / "flows").exists()


def test_missing_pipeline_of_one_ci_is_a_clear_error(tmp_path: Path, pipelines: Path, lock: str) -> None:
    for path in sorted((pipelines / "tekton").iterdir()):
        path.unlink()
    result = run_cli("init", "flows", "--ci", "tekton", "--requirements", lock)
    assert result.code == 1
    assert "no tekton pipeline in fake-pipelines/tekton: the folder is missing or empty" in result.err
    assert not (tmp_path / "flows").exists()


def test_pipelines_default_to_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHARTGEN_PIPELINES", raising=False)
    assert init_flow.pipelines_dir() == Path(init_flow.__file__).resolve().parents[2] / "pipelines"


def test_a_pipeline_without_pinned_requirements_is_refused(tmp_path: Path, pipelines: Path) -> None:
    result = run_cli("init", "flows", "--ci", "github")
    assert result.code == 1
    assert (
        "--ci github: the pipelines install chartgen pinned by hash from chartgen-requirements.txt: "
        "give --requirements FILE" in result.err
    )
    assert not (tmp_path / "flows").exists()


HASH = "--hash=sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("chartgen\n", "bad.txt:1:1: 'chartgen' is not a pinned requirement"),
        (f"chartgen>=0.1 {HASH}\n", "bad.txt:1:1: 'chartgen>=0.1' is not a pinned requirement"),
        (
            f"# c\n\n--index-url https://evil.example/simple\nchartgen==0.1.0 {HASH}\n",
            "bad.txt:3:1: '--index-url'",
        ),
        ("x==1\n", "bad.txt:1:1: x: no --hash (pipelines install with --require-hashes)"),
        (
            "x==1 \\\n  --hash=md5:abc\n",
            "bad.txt:2:3: x: '--hash=md5:abc' is not --hash=sha256:<64 hex digits>",
        ),
        (f"PyYAML==6.0.2 {HASH}\n", "bad.txt: does not pin chartgen; this is chartgen 0.1.0"),
        (f"chartgen==0.0.9 {HASH}\n", "bad.txt: pins chartgen==0.0.9; this is chartgen 0.1.0"),
    ],
)
def test_requirements_that_are_not_pinned_by_hash_are_refused(
    tmp_path: Path, pipelines: Path, content: str, message: str
) -> None:
    (tmp_path / "bad.txt").write_text(content)
    result = run_cli("init", "flows", "--ci", "github", "--requirements", "bad.txt")
    assert result.code == 1
    assert message in result.err, result.err
    assert "Traceback" not in result.err
    assert not (tmp_path / "flows").exists()


def test_unknown_ci_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("init", "flows", "--ci", "jenkins")
    assert result.code == 1
    assert "argument --ci: invalid choice: 'jenkins'" in result.err
    assert "chartgen --help lists the commands and options" in result.err
    assert not (tmp_path / "flows").exists()


def test_a_failure_while_placing_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_link = os.link
    calls = []

    def link(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(dst)
        if len(calls) == 4:
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        real_link(src, dst)

    monkeypatch.setattr("os.link", link)
    result = run_cli("init", "flows")
    assert result.code == 1
    assert "no space left on device: nothing was written" in result.err
    assert len(calls) == 4
    assert not (tmp_path / "flows").exists()  # the folder init made is gone too


def test_a_failure_while_staging_leaves_an_existing_folder_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows/notes.txt").write_text("mine\n")
    real_write = write_file
    calls = []

    def write(path: Path, content: bytes) -> None:
        calls.append(path)
        if len(calls) == 5:
            raise OSError(errno.EIO, "Input/output error", str(path))
        real_write(path, content)

    monkeypatch.setattr("chartgen.flows.init.write_file", write)
    result = run_cli("init", "flows")
    assert result.code == 1 and "nothing was written" in result.err
    assert tree(tmp_path / "flows") == {"notes.txt": b"mine\n"}


def test_an_interrupt_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_link = os.link
    calls = []

    def link(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(dst)
        if len(calls) == 6:
            raise KeyboardInterrupt
        real_link(src, dst)

    monkeypatch.setattr("os.link", link)
    result = run_cli("init", "flows")
    assert result.code == 130
    assert not (tmp_path / "flows").exists()


def test_a_file_system_without_hard_links_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_link(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr("os.link", no_link)
    assert run_cli("init", "flows").code == 0
    assert files_of(tmp_path / "flows") == OWN_FILES
