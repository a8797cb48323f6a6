"""The one rule for a chart's environments (chartgen.charts), and writing a chart's files safely."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from chartgen.charts.chart import ChartEnvironment, GeneratedChart, working_files
from chartgen.tools.helm import Helm
from chartgen.tools.runner import Completed
from chartgen.verify.chart_env import render, write_chart
from chartgen.verify.lint import values_files

DATA = b"""\
kind: production
environments:
  prod: {namespace: shop}
  staging: {namespace: shop-staging}
"""


def test_each_values_file_is_an_environment_with_its_namespace() -> None:
    files = {
        "Chart.yaml": b"name: shop\nversion: 0.1.0\n",
        "values.yaml": b"{}\n",
        "values-staging.yaml": b"{}\n",
        "values-prod.yaml": b"{}\n",
        "values-qa.yaml": b"{}\n",  # not in the data: namespace default
        "templates/values-x.yaml": b"",  # not at the chart root
        "files/chartgen-data.yaml": DATA,
    }
    assert chart_environments(files) == [
        ChartEnvironment("prod", ["values-prod.yaml"], "shop"),
        ChartEnvironment("qa", ["values-qa.yaml"], "default"),
        ChartEnvironment("staging", ["values-staging.yaml"], "shop-staging"),
    ]


def test_a_dev_chart_is_named_by_its_annotation_with_values_yaml_alone() -> None:
    files = {
        "Chart.yaml": b"name: shop-dev\nversion: 0.1.0\nannotations:\n  chartgen/environment: dev\n",
        "values.yaml": b"{}\n",
        "files/chartgen-data.yaml": b"kind: dev\nenvironments:\n  dev: {namespace: shop-dev}\n",
    }
    assert chart_environments(files) == [ChartEnvironment("dev", [], "shop-dev")]
    files["files/chartgen-data.yaml"] = b"environments:\n  local: {namespace: mine}\n"
    assert chart_environments(files) == [ChartEnvironment("dev", [], "mine")]  # its one environment


def test_a_chart_without_annotation_or_data_has_one_default_environment() -> None:
    assert chart_environments({"Chart.yaml": b"name: x\n"}) == [ChartEnvironment("default", [], "default")]


def test_unreadable_data_leaves_namespaces_default() -> None:
    files = {
        "Chart.yaml": b"name: x\n",
        "values-prod.yaml": b"",
        "files/chartgen-data.yaml": b"environments: {prod: {namespace: a}, prod: {namespace: b}}\n",
    }
    assert chart_environments(files) == [ChartEnvironment("prod", ["values-prod.yaml"], "default")]
    files["files/chartgen-data.yaml"] = b"environments:\n  prod: {namespace: !!python/name:os.system ''}\n"
    assert chart_environments(files)[0].namespace == "default"


def test_write_chart_never_writes_outside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "chart"
    files = {
        "Chart.yaml": b"name: x\n",
        "templates/a.yaml": b"a: 1\n",
        "../escape.yaml": b"no",
        "templates/../../escape2.yaml": b"no",
        "/tmp/absolute.yaml": b"no",
        "": b"no",
        "templates/a.yaml/b": b"no",  # a file cannot also be a folder
    }
    skipped = write_chart(files, folder)
    assert sorted(skipped) == sorted(
        ["../escape.yaml", "templates/../../escape2.yaml", "/tmp/absolute.yaml", "", "templates/a.yaml/b"]
    )
    assert working_files(folder) == {"Chart.yaml": b"name: x\n", "templates/a.yaml": b"a: 1\n"}
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["Chart.yaml", "a.yaml"]


def test_working_tree_and_files_agree_with_lint(tmp_path: Path) -> None:
    files = {"Chart.yaml": b"name: x\n", "values.yaml": b"", "values-b.yaml": b"", "values-a-b.yaml": b""}
    write_chart(files, tmp_path)
    (tmp_path / "values-dir.yaml").mkdir()  # not a file: not an environment
    envs = chart_environments(working_files(tmp_path))
    assert [e.values for e in envs] == [["values-a-b.yaml"], ["values-b.yaml"]]
    assert GeneratedChart.at(tmp_path).environments == envs
    assert values_files(GeneratedChart.at(tmp_path)) == [
        tmp_path / "values-a-b.yaml",
        tmp_path / "values-b.yaml",
    ]


def chart_environments(files: dict[str, bytes]) -> list[ChartEnvironment]:
    return GeneratedChart.of("x", files).environments


class FakeHelm:
    def __init__(self, returncode: int, stdout: str = "", stderr: str = "") -> None:
        self.done = Completed(("helm",), returncode, stdout, stderr)
        self.calls: list[tuple[str, Path, list[Path], str, str]] = []

    def template(
        self, release: str, chart: Path, values: Sequence[Path], kube_version: str, namespace: str
    ) -> Completed:
        self.calls.append((release, chart, list(values), kube_version, namespace))
        return self.done


def test_render_uses_the_environment_and_parses_safely(tmp_path: Path) -> None:
    env = ChartEnvironment("prod", ["values-prod.yaml"], "shop")
    helm = FakeHelm(0, "---\nkind: ConfigMap\nmetadata: {name: a}\n---\n# empty\n")
    assert render(helm, tmp_path, "x", env, "1.30.0") == (
        [{"kind": "ConfigMap", "metadata": {"name": "a"}}],
        "",
    )
    assert helm.calls == [("x", tmp_path, [tmp_path / "values-prod.yaml"], "1.30.0", "shop")]
    objects, problem = render(FakeHelm(0, "a: !!python/object:os.system x\n"), tmp_path, "x", env, "1.30.0")
    assert (
        objects is None
        and problem.startswith("helm template produced invalid YAML (")
        and "\n" not in problem
    )


def test_a_helm_failure_is_one_line(tmp_path: Path) -> None:
    env = ChartEnvironment("default", [])
    stderr = "walk.go:74: found symbolic link\nError: 1 error occurred:\n\t* template: x: bad\n\n"
    assert render(FakeHelm(1, "", stderr), tmp_path, "x", env, "1.30.0") == (
        None,
        "Error: 1 error occurred: * template: x: bad",
    )
    assert render(FakeHelm(2), tmp_path, "x", env, "1.30.0") == (None, "helm template exited with 2")


def test_renders_run_helm_without_go_garbage_collection_unless_the_user_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A render lives ~50 ms: Go's collector is off for template and lint (a third of their
    CPU), never for release commands; a user's own GOGC wins."""
    script = tmp_path / "helm"
    script.write_text('#!/bin/sh\necho "GOGC=${GOGC:-} GOMEMLIMIT=${GOMEMLIMIT:-}"\n')
    script.chmod(0o755)
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    helm = Helm(script)
    rendered = helm.template("r", tmp_path, [], "1.34", "ns").stdout.strip()
    assert rendered == "GOGC=off GOMEMLIMIT=1GiB"
    assert helm.lint(tmp_path, [], "1.34").stdout.strip() == rendered
    assert helm.release(["status", "r"]).stdout.strip() == "GOGC= GOMEMLIMIT="
    monkeypatch.setenv("GOGC", "50")
    assert helm.template("r", tmp_path, [], "1.34", "ns").stdout.strip() == "GOGC=50 GOMEMLIMIT=1GiB"


def test_write_chart_links_what_the_like_folder_holds_unchanged(tmp_path: Path) -> None:
    head = tmp_path / "head"
    (head / "templates").mkdir(parents=True)
    (head / "templates" / "same.yaml").write_bytes(b"same\n")
    (head / "Chart.yaml").write_bytes(b"version: 0.2.0\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yaml").write_bytes(b"secret\n")
    (head / "linked").symlink_to(outside)  # a folder reached through a symbolic link
    os.mkfifo(head / "pipe")  # never opened: reading it would block
    files = {
        "templates/same.yaml": b"same\n",
        "Chart.yaml": b"version: 0.1.0\n",
        "linked/x.yaml": b"secret\n",
        "pipe": b"",
    }
    base = tmp_path / "base"
    assert write_chart(files, base, like=head) == []
    assert working_files(base) == files
    assert (base / "templates" / "same.yaml").stat().st_ino == (
        head / "templates" / "same.yaml"
    ).stat().st_ino
    assert (base / "Chart.yaml").stat().st_nlink == 1
    assert (base / "linked" / "x.yaml").stat().st_ino != (outside / "x.yaml").stat().st_ino
    assert (base / "pipe").is_file()
