"""From pull request to release, end to end: a bare `origin`, a clone holding examples/, a real
OCI registry on 127.0.0.1 and real helm. One story, in the order CI runs it."""

from __future__ import annotations

import json
import re
import shutil
import tarfile
from pathlib import Path

import git
import pytest

from chartgen.charts.chart import parse_chart_yaml, version_fields, working_files
from chartgen.tools.helm import Helm
from chartgen.tools.locate import find_tool
from chartgen.version.digest import chart_digest
from chartgen.version.git import tree_files
from chartgen.version.semver import Version
from testing.registry import Registry
from testing.repo import REPO, CliResult, run_cli

pytestmark = pytest.mark.helm

CHANGED = "invoice-sync"
DEV = "acme-workflows-dev"
UNTOUCHED = {"order-approval", "shipment-tracker"}


def chartgen(repo: git.Repo, *args: str) -> CliResult:
    result = run_cli("-C", str(repo.working_tree_dir), *args)
    assert "Traceback" not in result.out + result.err
    return result


def commit_all(repo: git.Repo, message: str) -> None:
    repo.git.add("-A")
    repo.git.commit("-q", "-m", message)


def version_of(repo: git.Repo, chart: str) -> str:
    path = Path(str(repo.working_tree_dir)) / "charts" / chart / "Chart.yaml"
    return version_fields(parse_chart_yaml(path.read_bytes(), path)).version


def add_state(repo: git.Repo) -> None:
    """A new state in invoice-sync: a minor change by the bump rules."""
    wf = Path(str(repo.working_tree_dir)) / "workflows" / CHANGED / f"{CHANGED}.sw.yaml"
    text = wf.read_text()
    assert "\nstates:\n" in text and "\nstart: CreateInvoice\n" in text
    audit = (
        "  - name: Audit\n    type: inject\n    data:\n      audited: true\n    transition: CreateInvoice\n"
    )
    text = text.replace("\nstart: CreateInvoice\n", "\nstart: Audit\n", 1)  # reachable: the build wants it
    wf.write_text(text.replace("\nstates:\n", "\nstates:\n" + audit, 1))


def released(registry_path: str, chart: str, version: str, into: Path) -> dict[str, bytes]:
    """The files of a released chart, pulled back from the registry."""
    into.mkdir(parents=True, exist_ok=True)
    pulled = Helm(find_tool("helm")).pull(f"{registry_path}/{chart}", version, into)
    assert pulled.ok, pulled.stderr
    with tarfile.open(into / f"{chart}-{version}.tgz") as archive:
        archive.extractall(into / "x", filter="data")
    return working_files(into / "x" / chart)


def digest(files: dict[str, bytes]) -> str:
    return chart_digest(parse_chart_yaml(files["Chart.yaml"], Path("Chart.yaml")), files)


def test_pull_request_to_release(tmp_path: Path, registry: Registry, helm_binary: Path) -> None:
    origin = tmp_path / "origin.git"
    git.Repo.init(origin, bare=True, initial_branch="main").close()
    repo = git.Repo.clone_from(str(origin), tmp_path / "clone")
    with repo.config_writer() as config:
        config.set_value("user", "name", "chartgen flow")
        config.set_value("user", "email", "flow@example.invalid")
    shutil.copytree(
        REPO / "examples", tmp_path / "clone", ignore=shutil.ignore_patterns("charts"), dirs_exist_ok=True
    )
    to = registry.oci("flow")
    try:
        # v1: everything generated, committed, released.
        assert chartgen(repo, "generate").code == 0
        commit_all(repo, "workflows and their charts")
        repo.git.checkout("-q", "-B", "main")
        repo.git.push("-q", "origin", "main")
        first = chartgen(repo, "release", "--to", to)
        assert first.code == 0, first.out + first.err
        assert f"✔ {CHANGED} 0.1.0 released to {to} (tag {CHANGED}-0.1.0)" in first.out

        # A pull request changes one workflow.
        repo.git.checkout("-q", "-b", "add-audit")
        add_state(repo)
        drift = chartgen(repo, "generate", "--check")
        assert drift.code == 1
        assert f"charts/{CHANGED}/Chart.yaml: differs" in drift.out
        assert not any(f"charts/{name}/" in drift.out for name in UNTOUCHED)
        assert chartgen(repo, "generate").code == 0
        assert chartgen(repo, "generate", "--check").code == 0

        # diff names only the changed chart (and the dev chart, which serves every workflow).
        diff = chartgen(repo, "--output", "json", "diff", "--base", "origin/main")
        assert diff.code == 0, diff.err
        result = json.loads(diff.out)["result"]
        named = {chart["chart"] for chart in result["charts"]}
        assert named == {CHANGED, DEV}
        markdown = chartgen(repo, "diff", "--base", "origin/main", "--format", "markdown").out
        assert f"ConfigMap/{CHANGED}-resources-0" in markdown and "<details>" in markdown
        assert re.search(r"^\+.*name: Audit", markdown, re.MULTILINE), markdown

        # version check fails until version bump raised the changed charts.
        check = chartgen(repo, "version", "check", "--base", "origin/main")
        assert check.code == 1 and CHANGED in check.out + check.err
        bump = chartgen(repo, "version", "bump", "--base", "origin/main")
        assert bump.code == 0, bump.err
        assert f"{CHANGED}: 0.1.0 -> 0.2.0 (minor: state 'Audit' added" in bump.out
        assert chartgen(repo, "version", "check", "--base", "origin/main").code == 0
        assert chartgen(repo, "generate", "--check").code == 0
        commit_all(repo, "invoice-sync: audit state")

        # A PR build's prerelease sorts below the release that follows it.
        pr = chartgen(repo, "--output", "json", "version", "bump", "--base", "origin/main", "--pr", "7")
        assert pr.code == 0, pr.err
        pr_version = version_of(repo, CHANGED)
        assert pr_version.startswith("0.2.0-pr.7.")
        assert Version.parse(pr_version) < Version.parse("0.2.0") < Version.parse("0.2.1-pr.1.a")
        repo.git.checkout("--", "charts")

        # Merged: release pushes only what changed, and tags it.
        repo.git.checkout("-q", "main")
        repo.git.merge("-q", "--no-ff", "-m", "Merge add-audit", "add-audit")
        repo.git.push("-q", "origin", "main")
        second = chartgen(repo, "release", "--to", to)
        assert second.code == 0, second.out + second.err
        assert {line.split()[1] for line in second.out.splitlines() if line.startswith("✔ ")} == {
            CHANGED,
            DEV,
        }
        assert f"✔ {CHANGED} 0.2.0 released to {to} (tag {CHANGED}-0.2.0)" in second.out
        assert f"refs/tags/{CHANGED}-0.2.0" in str(repo.git.ls_remote("--tags", "origin"))
        again = chartgen(repo, "release", "--to", to)
        assert again.code == 0 and "✔" not in again.out  # a second release is a no-op

        # Each released version pulls back as the chart committed at its tag.
        for chart, version in [(CHANGED, "0.1.0"), (CHANGED, "0.2.0"), ("order-approval", "0.1.0")]:
            files = released(to, chart, version, tmp_path / f"pull-{chart}-{version}")
            committed = tree_files(repo.commit(f"{chart}-{version}").tree / "charts" / chart)
            assert (
                digest(files)
                == digest(committed)
                == version_fields(parse_chart_yaml(committed["Chart.yaml"], Path("Chart.yaml"))).digest
            )

        # New content under a released version is refused, naming the chart.
        props = Path(str(repo.working_tree_dir)) / "workflows" / CHANGED / "application.properties"
        props.write_text(props.read_text() + "flow.test=again\n")
        assert chartgen(repo, "generate").code == 0
        commit_all(repo, "invoice-sync changed, version not bumped")
        refused = chartgen(repo, "release", "--to", to)
        assert refused.code == 1
        assert (
            f"✖ {CHANGED} 0.2.0: 0.2.0 is already released with other content: bump the version"
            in refused.out
        )
    finally:
        repo.close()
