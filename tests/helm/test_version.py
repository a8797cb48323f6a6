"""version check and bump on a real git repository of generated charts, rendered by real helm."""

from __future__ import annotations

import json
import time
from pathlib import Path

import git
import pytest
import yaml

from chartgen.config import load_settings
from chartgen.flows.version import check_versions
from testing.repo import CliResult, copy_examples, run_cli

pytestmark = pytest.mark.helm

WORKFLOW = "workflows/order-approval/order-approval.sw.yaml"
# A state on the way to OrderRejected (a state nothing leads to fails SonataFlow's build).
WAIT_STATE = "  - name: Wait\n    type: sleep\n    duration: PT1M\n    transition: OrderRejected\n"


def init_repo(folder: Path) -> git.Repo:
    repo = git.Repo.init(folder, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "test")
        config.set_value("user", "email", "test@example.com")
        config.set_value("commit", "gpgsign", "false")
    commit(repo, "base")
    repo.git.checkout("-b", "pr")
    return repo


def commit(repo: git.Repo, message: str) -> None:
    repo.git.add("-A")
    repo.git.commit("-q", "-m", message)


@pytest.fixture
def examples(tmp_path: Path, helm_binary: Path) -> Path:
    """examples/ generated and committed on main, with a branch `pr` checked out."""
    folder = copy_examples(tmp_path)
    assert run_cli("-C", str(folder), "generate").code == 0
    init_repo(folder)
    return folder


def cli(folder: Path, *args: str) -> CliResult:
    return run_cli("-C", str(folder), "version", *args)


def chart_yaml(folder: Path, name: str) -> dict[str, object]:
    data = yaml.safe_load((folder / "charts" / name / "Chart.yaml").read_text())
    assert isinstance(data, dict)
    return data


def add_wait_state(folder: Path) -> None:
    path = folder / WORKFLOW
    text = path.read_text()
    text = text.replace("        transition: OrderRejected\n", "        transition: Wait\n", 1)
    path.write_text(text.replace("  - name: OrderApproved\n", WAIT_STATE + "  - name: OrderApproved\n", 1))
    assert run_cli("-C", str(folder), "generate").code == 0


def test_check_passes_on_an_unchanged_repository(examples: Path) -> None:
    result = cli(examples, "check", "--base", "main")
    assert result.code == 0, result.out + result.err
    assert "0 charts changed since" in result.out
    assert "versions are consistent" in result.out


def test_added_state_fails_check_then_bump_writes_a_minor_version(examples: Path) -> None:
    add_wait_state(examples)
    failed = cli(examples, "check", "--base", "main")
    assert failed.code == 1
    assert (
        "✖ order-approval: content changed but the version is still 0.1.0: run chartgen version bump"
        in failed.out
    )
    assert "✖ acme-workflows-dev:" in failed.out  # the dev chart carries every workflow

    bumped = cli(examples, "bump")  # default base: main (no origin here)
    assert bumped.code == 0, bumped.out + bumped.err
    assert (
        "order-approval: 0.1.0 -> 0.2.0 (minor: state 'Wait' added to workflow 'order-approval')"
        in bumped.out
    )
    meta = chart_yaml(examples, "order-approval")
    assert meta["version"] == "0.2.0"
    annotations = meta["annotations"]
    assert isinstance(annotations, dict)
    assert yaml.safe_load(annotations["artifacthub.io/changes"]) == [
        {"kind": "added", "description": "state 'Wait' added to workflow 'order-approval'"}
    ]
    assert "artifacthub.io/changes: |\n" in (examples / "charts/order-approval/Chart.yaml").read_text()

    before = (examples / "charts/order-approval/Chart.yaml").read_bytes()
    again = cli(examples, "bump", "--base", "main")
    assert again.code == 0 and "0 versions written" in again.out  # bump twice = bump once
    assert (examples / "charts/order-approval/Chart.yaml").read_bytes() == before

    assert cli(examples, "check", "--base", "main").code == 0
    clean = run_cli("-C", str(examples), "generate", "--check")
    assert clean.code == 0, clean.out + clean.err  # the ruamel round trip is what generate writes


def test_narrowed_values_schema_is_major(examples: Path) -> None:
    path = examples / "charts/order-approval/values.schema.json"
    schema = json.loads(path.read_text())
    schema["properties"]["autoscaling"]["properties"]["maxReplicas"]["minimum"] = 3
    del schema["properties"]["autoscaling"]["properties"]["targetCPUUtilizationPercentage"]
    path.write_text(json.dumps(schema, indent=2))
    result = cli(examples, "bump", "--base", "main", "--chart", "order-approval")
    assert result.code == 0, result.out + result.err
    assert "order-approval: 0.1.0 -> 1.0.0 (major: " in result.out
    assert "values schema: 'autoscaling.maxReplicas' minimum raised to 3" in result.out
    assert "values schema: key 'autoscaling.targetCPUUtilizationPercentage' removed" in result.out
    # Edited by hand: the digest annotation no longer matches, and check says so.
    stale = cli(examples, "check", "--base", "main")
    assert stale.code == 1
    assert (
        "chartgen/digest does not match the content (edited by hand or stale): run chartgen generate"
        in stale.out
    )


def test_changed_selector_is_major_from_what_helm_renders(examples: Path) -> None:
    data = examples / "charts/order-approval/files/chartgen-data.yaml"
    data.write_text(data.read_text().replace("component: workflow-runtime", "component: runtime"))
    result = cli(examples, "bump", "--base", "main", "--chart", "order-approval")
    assert result.code == 0, result.out + result.err
    assert (
        "order-approval: 0.1.0 -> 1.0.0 (major: selector of Deployment/order-approval changed" in result.out
    )


def test_a_version_that_went_backwards_or_changed_alone_fails_check(examples: Path) -> None:
    path = examples / "charts/invoice-sync/Chart.yaml"
    path.write_text(path.read_text().replace('version: "0.1.0"', 'version: "1.0.0"'))
    commit(git.Repo(examples), "release 1.0.0")
    git.Repo(examples).git.branch("-f", "main", "HEAD")  # main now has 1.0.0
    path.write_text(path.read_text().replace('version: "1.0.0"', 'version: "0.9.0"'))
    result = cli(examples, "check", "--base", "main")
    assert result.code == 1
    assert "✖ invoice-sync: version went backwards, 1.0.0 -> 0.9.0" in result.out

    path.write_text(path.read_text().replace('version: "0.9.0"', 'version: "1.0.1"'))
    result = cli(examples, "check", "--base", "main", "--output", "json")
    assert result.code == 1
    [chart] = json.loads(result.out)["result"]["charts"]
    assert chart["name"] == "invoice-sync" and chart["status"] == "problem"
    assert chart["problems"] == [
        "invoice-sync: version changed 1.0.0 -> 1.0.1 but the content did not (set it back to 1.0.0)"
    ]


def test_pull_request_builds_get_a_prerelease(examples: Path) -> None:
    add_wait_state(examples)
    result = cli(
        examples,
        "bump",
        "--base",
        "main",
        "--chart",
        "order-approval",
        "--pr",
        "17",
        "--sha",
        "0a1b2c3d4e5f6",
    )
    assert result.code == 0, result.out + result.err
    assert chart_yaml(examples, "order-approval")["version"] == "0.2.0-pr.17.0a1b2c3d4e5f"
    assert cli(examples, "check", "--base", "main", "--chart", "order-approval").code == 0
    # The release bump after the PR build: the prerelease becomes the release.
    assert cli(examples, "bump", "--base", "main", "--chart", "order-approval").code == 0
    assert chart_yaml(examples, "order-approval")["version"] == "0.2.0"


def test_new_and_removed_charts_are_reported_not_failed(examples: Path) -> None:
    import shutil

    shutil.copytree(examples / "charts/invoice-sync", examples / "charts/copy")
    shutil.rmtree(examples / "charts/shipment-tracker")
    result = cli(examples, "check", "--base", "main")
    assert "+ copy 0.1.0 (new chart)" in result.out
    assert "- shipment-tracker (removed; was 0.1.0)" in result.out
    # The copy's Chart.yaml names invoice-sync, but its digest still matches its content.
    assert result.code == 0, result.out


def test_bad_base_is_one_line_user_error(examples: Path) -> None:
    result = cli(examples, "check", "--base", "no-such-branch")
    assert result.code == 1
    assert "--base no-such-branch: no such branch, tag or commit" in result.err
    assert "Traceback" not in result.err


def test_one_changed_chart_in_a_thousand_is_checked_fast(tmp_path: Path) -> None:
    charts = tmp_path / "charts"
    for i in range(1000):
        chart = charts / f"chart-{i:04d}"
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(f'apiVersion: v2\nname: chart-{i:04d}\nversion: "1.0.0"\n')
        (chart / "values.yaml").write_text(f"replicas: {i}\n")
        (chart / "templates/cm.yaml").write_text("kind: ConfigMap\n")
    repo = init_repo(tmp_path)
    (charts / "chart-0500/values.yaml").write_text("replicas: 1\n")
    commit(repo, "change one")
    settings = load_settings({"out": str(charts)}, tmp_path)
    start = time.perf_counter()
    report = check_versions(settings, "main")
    elapsed = time.perf_counter() - start
    assert [c.name for c in report.charts] == ["chart-0500"]
    assert (
        report.charts[0].problems[0].startswith("chart-0500: content changed but the version is still 1.0.0")
    )
    assert elapsed < 1.0, elapsed  # about 0.1 s on a laptop; CI machines are busier


def test_a_hand_set_version_too_small_for_the_change_is_raised(examples: Path) -> None:
    add_wait_state(examples)
    path = examples / "charts/order-approval/Chart.yaml"
    path.write_text(path.read_text().replace('version: "0.1.0"', 'version: "0.1.1"'))
    result = cli(examples, "bump", "--base", "main", "--chart", "order-approval")
    assert "order-approval: 0.1.0 -> 0.2.0 (minor: " in result.out
    assert chart_yaml(examples, "order-approval")["version"] == "0.2.0"
