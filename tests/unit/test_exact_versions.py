"""Exact versions: the digest, kept versions, rewriting only what changed, --check, --chart."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from chartgen.charts.chart import parse_chart_yaml, version_fields, working_files
from chartgen.formats.yaml_out import Literal, dump_yaml
from chartgen.plan.layout import DIGEST_KEY
from chartgen.version.chartfile import write_version
from chartgen.version.digest import chart_digest
from testing.repo import run_cli
from testing.trees import GREETING, PROFILES_BASIC, build_tree

SECOND = GREETING.replace("id: greeting", "id: second").replace("name: Greeting", "name: Second")


def repo(root: Path) -> Path:
    return build_tree(
        root,
        {
            "chartgen.yaml": "name: acme\n",
            "workflows/greet/greeting.sw.yaml": GREETING,
            "workflows/other/second.sw.yaml": SECOND,
            **PROFILES_BASIC,
        },
    )


def inodes(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime in ns) of every file: what 'not rewritten' means."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def digest_of(chart: Path) -> tuple[str, str]:
    """(annotation, digest recomputed from the files)."""
    files = working_files(chart)
    meta = parse_chart_yaml(files["Chart.yaml"], chart / "Chart.yaml")
    return meta["annotations"][DIGEST_KEY], chart_digest(meta, files)


def test_new_charts_start_at_the_documented_version_and_carry_their_digest(tmp_path: Path) -> None:
    repo(tmp_path)
    assert run_cli("generate").code == 0
    for name in ("acme-dev", "greet", "other"):
        chart = yaml.safe_load((tmp_path / f"charts/{name}/Chart.yaml").read_text())
        assert chart["version"] == "0.1.0"
        annotation, recomputed = digest_of(tmp_path / "charts" / name)
        assert annotation == recomputed and annotation.startswith("sha256:")
    assert yaml.safe_load((tmp_path / "charts/greet/Chart.yaml").read_text())["appVersion"] == "1.0"
    assert "check-version-increment: true" in (tmp_path / "charts/ct.yaml").read_text()


def test_a_no_change_regenerate_rewrites_nothing(tmp_path: Path) -> None:
    repo(tmp_path)
    assert run_cli("generate").code == 0
    before = inodes(tmp_path / "charts")
    result = run_cli("generate")
    assert result.code == 0
    assert "0 written" in result.out
    assert inodes(tmp_path / "charts") == before


def test_a_change_rewrites_only_changed_files_and_keeps_the_version(tmp_path: Path) -> None:
    repo(tmp_path)
    assert run_cli("generate").code == 0
    chart = tmp_path / "charts/greet"
    write_version(chart / "Chart.yaml", "1.4.2", "- kind: added\n  description: a state\n")
    before = inodes(tmp_path / "charts")
    old_digest, _ = digest_of(chart)
    wf = tmp_path / "workflows/greet/greeting.sw.yaml"
    wf.write_text(wf.read_text().replace("name: Greeting", "name: Greeting again"))
    assert run_cli("generate").code == 0
    after = inodes(tmp_path / "charts")
    changed = {rel for rel in before if before[rel] != after.get(rel)}
    # The workflow file, the flow and Chart.yaml of greet, and the dev chart that carries it.
    assert "greet/Chart.yaml" in changed and "greet/files/resources/greeting.sw.yaml" in changed
    assert not any(rel.startswith("other/") for rel in changed)
    assert before["greet/values.yaml"] == after["greet/values.yaml"]
    assert before["greet/templates/deployment.yaml"] == after["greet/templates/deployment.yaml"]
    fields = version_fields(yaml.safe_load((chart / "Chart.yaml").read_text()))
    assert fields.version == "1.4.2" and fields.changes == "- kind: added\n  description: a state\n"
    new_digest, recomputed = digest_of(chart)
    assert new_digest != old_digest and new_digest == recomputed
    assert run_cli("generate", "--check").code == 0


def test_the_digest_leaves_out_the_version_fields_only(tmp_path: Path) -> None:
    repo(tmp_path)
    assert run_cli("generate").code == 0
    chart = tmp_path / "charts/greet"
    annotation, _ = digest_of(chart)
    write_version(chart / "Chart.yaml", "9.9.9", "- kind: changed\n  description: x\n")
    assert digest_of(chart) == (annotation, annotation)
    (chart / "values.yaml").write_text((chart / "values.yaml").read_text() + "# edited\n")
    assert digest_of(chart)[1] != annotation


def test_check_lists_every_difference_and_writes_nothing(tmp_path: Path) -> None:
    repo(tmp_path)
    assert run_cli("generate").code == 0
    assert run_cli("generate", "--check").code == 0
    charts = tmp_path / "charts"
    (charts / "greet/values.yaml").write_text("edited: true\n")
    (charts / "greet/templates/service.yaml").unlink()
    (charts / "other/extra.txt").write_text("mine\n")
    wf = tmp_path / "workflows/other/second.sw.yaml"
    wf.write_text(wf.read_text().replace("name: Second", "name: Second edition"))
    before = inodes(charts)
    result = run_cli("generate", "--check")
    assert result.code == 1
    for line in (
        "charts/greet/values.yaml: differs",
        "charts/greet/templates/service.yaml: missing",
        "charts/other/extra.txt: not generated",
        "charts/other/Chart.yaml: differs",
    ):
        assert line in result.out
    assert "run chartgen generate" in result.out
    assert inodes(charts) == before
    assert run_cli("generate").code == 0
    assert run_cli("generate", "--check").code == 0


def test_check_names_a_stale_chart_and_a_missing_output(tmp_path: Path) -> None:
    repo(tmp_path)
    assert run_cli("generate", "--check").code == 1  # nothing generated yet
    assert run_cli("generate").code == 0
    (tmp_path / "workflows/other/second.sw.yaml").unlink()
    result = run_cli("generate", "--check")
    assert result.code == 1 and "charts/other/: stale" in result.out


def test_chart_selection_reads_and_writes_only_those_charts(tmp_path: Path) -> None:
    repo(tmp_path)
    assert run_cli("generate").code == 0
    before = inodes(tmp_path / "charts")
    # Another project is broken: a selection without it is not blocked by it.
    (tmp_path / "workflows/other/second.sw.yaml").write_text("id: second\nstates: [\n")
    wf = tmp_path / "workflows/greet/greeting.sw.yaml"
    wf.write_text(wf.read_text().replace("name: Greeting", "name: Greeting again"))
    result = run_cli("generate", "--chart", "greet")
    assert result.code == 0, result.err
    after = inodes(tmp_path / "charts")
    assert {r for r in before if before[r] != after.get(r) and not r.startswith("greet/")} == set()
    assert (tmp_path / "charts/other").is_dir()  # not removed: it was not chosen
    assert run_cli("generate", "--check", "--chart", "greet").code == 0
    assert run_cli("generate").code == 1  # the whole repository still fails, as before


def test_an_unknown_chart_is_named_with_the_known_ones(tmp_path: Path) -> None:
    repo(tmp_path)
    result = run_cli("generate", "--chart", "nope")
    assert result.code == 1
    assert "--chart nope: no such chart (charts: acme-dev, greet, other)" in result.err
    assert not (tmp_path / "charts").exists()


def test_a_kept_version_that_is_not_semver_is_a_located_error(tmp_path: Path) -> None:
    repo(tmp_path)
    assert run_cli("generate").code == 0
    chart = tmp_path / "charts/greet/Chart.yaml"
    chart.write_text(chart.read_text().replace('version: "0.1.0"', 'version: "one"'))
    before = inodes(tmp_path / "charts")
    result = run_cli("generate")
    assert result.code == 1
    assert "charts/greet/Chart.yaml: version: 'one' is not a SemVer 2 version" in result.err
    assert inodes(tmp_path / "charts") == before


@pytest.mark.parametrize(
    "text, literal",
    [
        ("- kind: added\n  description: x\n", True),
        ("one line\n", True),
        ("no final newline", False),
        ("blank\n\nline\n", False),
        (" leading space\n", False),
        ("tab\there\n", False),
        ("two\n\n", False),
    ],
)
def test_literal_blocks_read_back_as_the_same_text(text: str, literal: bool) -> None:
    out = dump_yaml({"annotations": {"artifacthub.io/changes": Literal(text)}}).decode()
    assert ("changes: |\n" in out) == literal
    assert yaml.safe_load(out)["annotations"]["artifacthub.io/changes"] == text


def test_unchanged_files_survive_as_the_same_inode_when_links_work(tmp_path: Path) -> None:
    """The old chart folder is replaced as a whole (atomic switch); its unchanged files live on."""
    repo(tmp_path)
    assert run_cli("generate").code == 0
    values = tmp_path / "charts/greet/values.yaml"
    ino = values.stat().st_ino
    prod = tmp_path / "profiles/prod.yaml"
    prod.write_text(prod.read_text().replace("maxReplicas: 8", "maxReplicas: 9"))
    assert run_cli("generate").code == 0
    assert values.stat().st_ino == ino
    assert os.stat(tmp_path / "charts/greet/values-prod.yaml").st_nlink == 1


def test_a_workflow_without_version_is_said_not_silent(tmp_path: Path) -> None:
    repo(tmp_path)
    wf = tmp_path / "workflows/greet/greeting.sw.yaml"
    wf.write_text(wf.read_text().replace('version: "1.0"\n', ""))
    result = run_cli("generate")
    assert result.code == 0
    assert (
        "workflows/greet/greeting.sw.yaml:1:1: warning: workflow 'greeting' has no version: "
        "chart 'greet' gets appVersion 0.0.0"
    ) in result.err


def test_a_repeat_with_nothing_changed_skips_planning_and_repeats_the_report(tmp_path: Path) -> None:
    repo(tmp_path)
    wf = tmp_path / "workflows/greet/greeting.sw.yaml"
    wf.write_text(wf.read_text().replace('version: "1.0"\n', ""))  # a warning to repeat
    first = run_cli("generate")
    assert first.code == 0 and "has no version" in first.err
    again = run_cli("generate")
    assert again.code == 0
    assert "as the last generate left them" in again.out and "0 written" in again.out
    assert again.err == first.err  # the same warnings, from the record
    assert "= charts/greet 0.1.0 (unchanged; production" in again.out


@pytest.mark.parametrize("edit", ["input", "output", "selection"])
def test_any_change_since_the_record_makes_a_normal_run(tmp_path: Path, edit: str) -> None:
    repo(tmp_path)
    assert run_cli("generate").code == 0
    values = tmp_path / "charts/greet/values.yaml"
    if edit == "input":
        prod = tmp_path / "profiles/prod.yaml"
        prod.write_text(prod.read_text().replace("maxReplicas: 8", "maxReplicas: 9"))
    elif edit == "output":
        values.write_text("edited: by hand\n")
    else:  # a --chart run drops the record: it no longer describes the whole folder
        assert run_cli("generate", "--chart", "greet").code == 0
    result = run_cli("generate")
    assert result.code == 0
    assert "as the last generate left them" not in result.out
    assert "edited: by hand" not in values.read_text()
    assert run_cli("generate", "--check").code == 0
