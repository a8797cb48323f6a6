"""`chartgen lint`: every chart's environments through helm lint, helm template and the
Kubernetes and CRD schemas, then (unless asked not to) the policy rules: one verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chartgen.config import Settings
from chartgen.emit.switch import settled_charts
from chartgen.errors import UserError
from chartgen.flows import wiring
from chartgen.formats.source import display_path
from chartgen.verify.crd_schema import CrdSchemas
from chartgen.verify.lint import LintReport, LintResult, lint_charts
from chartgen.verify.policy import PolicyResult, check_policies


@dataclass
class Linted:
    report: LintReport
    policy: list[PolicyResult] | None  # None: not checked (--no-policy)


def run_lint(
    settings: Settings,
    policy: bool = True,
    jobs: int | None = None,
    on_result: Callable[[LintResult], None] | None = None,
) -> Linted:
    charts = settled_charts(settings.out)
    if not charts:
        raise UserError(f"no charts found in {display_path(settings.out)}")
    helm = wiring.helm()
    crds = CrdSchemas()
    for folder in settings.crds:
        crds.add_folder(folder)
    report = lint_charts(charts, settings.kube_version, helm, on_result, jobs, crds)
    checked = (
        check_policies(charts, helm, wiring.opa(), settings.kube_version, jobs=jobs, skip_unknown=True)
        if policy
        else None
    )
    return Linted(report, checked)
