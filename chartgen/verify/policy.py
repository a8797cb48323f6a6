"""Policies as code: every chart, rendered with each environment's values by the real helm,
evaluated against the Rego rules in policies/ (production or dev, by the chart's mode) plus
any organisation folders, with a real opa.

Rules live in the .rego files only: each file starts with `# rule <id>: <rationale>`, read
here for the report's rule list (and SARIF), never restated in Python.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chartgen.emit.writer import chart_mode
from chartgen.errors import UserError
from chartgen.formats.source import display_path
from chartgen.tools.opa import Opa, Verdict
from chartgen.verify.chart_env import ChartEnvironment, Renderer, chart_environments, render
from chartgen.verify.lint import find_charts
from chartgen.version.git import working_files

# The built-in rule sets, beside the package in a checkout (CHARTGEN_POLICIES moves them).
BUILTIN = Path(os.environ.get("CHARTGEN_POLICIES") or Path(__file__).resolve().parents[2] / "policies")
MODES = ("production", "dev")
_RULE_LINE = re.compile(r"^# rule (\S+): (.+)$", re.MULTILINE)
_MESSAGE = re.compile(r"^(\S+) (\S+/\S+): (.*)$", re.DOTALL)
_ALLOWED = re.compile(r"^allowed (\S+) (\S+/\S+): (.*)$", re.DOTALL)


@dataclass(frozen=True)
class Rule:
    id: str
    rationale: str
    file: Path


@dataclass(frozen=True)
class Finding:
    """A violation (rule denies) or an allowance (an exception the chart declares)."""

    rule: str
    object: str  # Kind/name
    message: str  # what is wrong, or the exception's reason


@dataclass
class PolicyResult:
    chart: str
    values: str  # the values file over values.yaml ("values.yaml" alone for a dev chart)
    mode: str
    violations: list[Finding] = field(default_factory=list)
    allowed: list[Finding] = field(default_factory=list)
    error: str = ""  # the chart did not render

    @property
    def ok(self) -> bool:
        return not self.violations and not self.error


def rule_sets(mode: str, extra: Sequence[Path] = ()) -> list[Path]:
    """What a chart of `mode` is evaluated against: the shared helpers, the mode's rules,
    then the organisation's folders."""
    lib, own = BUILTIN / "lib", BUILTIN / mode
    if not own.is_dir() or not lib.is_dir():
        raise UserError(
            f"the built-in policies are missing at {display_path(BUILTIN)} (set CHARTGEN_POLICIES)"
        )
    return [lib, own, *extra]


def rules(folders: Sequence[Path]) -> list[Rule]:
    """Every `# rule <id>: <rationale>` of the .rego files (tests excluded), by id."""
    found: dict[str, Rule] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*.rego")) if folder.is_dir() else [folder]:
            if path.name.endswith("_test.rego"):
                continue
            for m in _RULE_LINE.finditer(path.read_text(encoding="utf-8", errors="replace")):
                found.setdefault(m.group(1), Rule(m.group(1), m.group(2).strip(), path))
    return sorted(found.values(), key=lambda r: r.id)


def as_input(objects: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """conftest's --combine shape: each object as its own document."""
    return [{"path": f"{i:04d}.json", "contents": obj} for i, obj in enumerate(objects)]


def check_policies(
    charts: Path,
    helm: Renderer,
    opa: Opa,
    kube_version: str,
    envs: Sequence[str] = (),
    extra: Sequence[Path] = (),
    data: Sequence[Path] = (),
    jobs: int | None = None,
) -> list[PolicyResult]:
    """Render every chart x environment (in parallel), then evaluate each mode's batch with
    one opa run."""
    targets = [
        (folder, mode, env)
        for folder in find_charts(charts)
        for mode in [chart_mode((folder / "Chart.yaml").read_bytes())]
        if mode in MODES
        for env in chart_environments(working_files(folder))
        if not envs or env.name in envs
    ]

    def one(target: tuple[Path, str, ChartEnvironment]) -> tuple[PolicyResult, list[dict[str, Any]] | None]:
        folder, mode, env = target
        values = env.values[0] if env.values else "values.yaml"
        objects, error = render(helm, folder, folder.name, env, kube_version)
        return PolicyResult(folder.name, values, mode, error=error), objects

    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        rendered = list(pool.map(one, targets))
    for mode in MODES:
        batch = [
            (result, objects) for result, objects in rendered if result.mode == mode and objects is not None
        ]
        verdicts = (
            opa.evaluate(rule_sets(mode, extra), [as_input(o) for _, o in batch], data) if batch else []
        )
        for (result, _), verdict in zip(batch, verdicts, strict=True):
            _read_verdict(result, verdict)
    return [result for result, _ in rendered]


def _read_verdict(result: PolicyResult, verdict: Verdict) -> None:
    for message in verdict.deny:
        m = _MESSAGE.match(message)
        result.violations.append(Finding(*m.groups()) if m else Finding("policy", "-", message))
    for message in verdict.warn:
        m = _ALLOWED.match(message)
        if m:
            result.allowed.append(Finding(*m.groups()))
