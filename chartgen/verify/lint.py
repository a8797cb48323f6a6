"""lint: every chart with each of its values files through real helm and strict schemas.

Each (chart, values file) pair gets one result; the run fails at the end, not at the
first problem.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from chartgen.charts.chart import GeneratedChart
from chartgen.formats.source import FastLoader
from chartgen.plan.layout import VALUES_FILE
from chartgen.tools.runner import Completed
from chartgen.verify.crd_schema import CrdSchemas
from chartgen.verify.kube_schema import KubeSchemas


class Renderer(Protocol):
    """What lint needs of helm."""

    def lint(self, chart: Path, values: Sequence[Path], kube_version: str) -> Completed: ...

    def template(
        self, release: str, chart: Path, values: Sequence[Path], kube_version: str, namespace: str
    ) -> Completed: ...


@dataclass
class LintResult:
    chart: str
    values: str  # "values.yaml" or "values-<env>.yaml"
    problems: list[str] = field(default_factory=list)
    objects: int = 0
    unchecked: list[str] = field(default_factory=list)  # kinds with no schema at hand

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class LintReport:
    kube_version: str
    results: list[LintResult]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


def lint_charts(
    charts: Sequence[GeneratedChart],
    kube_version: str,
    helm: Renderer,
    on_result: Callable[[LintResult], None] | None = None,
    jobs: int | None = None,
    crds: CrdSchemas | None = None,
) -> LintReport:
    """Every environment of every chart (folders: settled_charts), helm-linted, rendered and
    checked against the Kubernetes and CRD schemas."""
    schemas = KubeSchemas(kube_version)
    custom = crds or CrdSchemas()
    pairs = [(chart.folder, values) for chart in charts if chart.folder for values in values_files(chart)]

    def one(pair: tuple[Path, Path | None]) -> LintResult:
        return lint_one(pair[0], pair[1], kube_version, helm, schemas, custom)

    results: list[LintResult] = []
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        for result in pool.map(one, pairs):
            results.append(result)
            if on_result:
                on_result(result)
    return LintReport(schemas.version, results)


def values_files(chart: GeneratedChart) -> list[Path | None]:
    """The environments to check: each values-<env>.yaml over values.yaml.

    A chart with environment files is checked with each of them: its values.yaml holds
    only what every environment shares and is not an environment of its own (settings
    such as the database host are required, and differ). A chart without them is
    checked with its values.yaml alone (None). The environments of `chartgen.charts`;
    lint renders every environment in namespace "default".
    """
    assert chart.folder is not None
    return [chart.folder / env.values[0] if env.values else None for env in chart.environments]


def lint_one(
    chart: Path,
    values: Path | None,
    kube_version: str,
    helm: Renderer,
    schemas: KubeSchemas,
    crds: CrdSchemas,
) -> LintResult:
    result = LintResult(chart.name, values.name if values else VALUES_FILE)
    extra = [values] if values else []
    linted = helm.lint(chart, extra, kube_version)
    if not linted.ok:
        result.problems += _helm_problems(linted.stdout + linted.stderr)
    rendered = helm.template(chart.name, chart, extra, kube_version, "default")
    if not rendered.ok:
        result.problems.append(f"helm template failed: {rendered.stderr.strip()}")
        return result
    try:
        docs = [d for d in yaml.load_all(rendered.stdout, Loader=FastLoader) if d]
    except yaml.YAMLError as exc:
        result.problems.append(f"helm template produced invalid YAML: {exc}")
        return result
    result.objects = len(docs)
    for obj in docs:
        api_version, kind = str(obj.get("apiVersion")), str(obj.get("kind"))
        if schemas.knows(api_version, kind):
            result.problems += [f"{_name(obj)}: {p}" for p in schemas.errors(obj)]
        elif crds.knows(api_version, kind):
            result.problems += [f"{_name(obj)}: {p}" for p in crds.errors(obj)]
        else:
            result.unchecked.append(f"{api_version}/{kind}")
    return result


def _helm_problems(output: str) -> list[str]:
    lines = [
        ln.strip() for ln in output.splitlines() if "[ERROR]" in ln or "[WARNING]" in ln or "Error:" in ln
    ]
    return lines or [output.strip() or "helm lint failed"]


def _name(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')}/{meta.get('name')}"
