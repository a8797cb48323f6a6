"""`chartgen lint`: real helm lint + template + strict Kubernetes schemas, per values file."""

from __future__ import annotations

import argparse
from typing import Any

from chartgen.cli.common import add_charts_folder, settings_from
from chartgen.cli.output import Outcome, Printer
from chartgen.cli.policy import report as policy_report
from chartgen.flows.lint import run_lint
from chartgen.verify.lint import LintResult


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "lint",
        parents=parents,
        help="helm lint --strict, helm template and strict schema checks of every chart",
        description="Check every chart with each of its values files; fail at the end.",
    )
    add_charts_folder(p)
    p.add_argument("--kube-version", metavar="X.Y", help="target Kubernetes version (default 1.34)")
    p.add_argument("--jobs", type=int, metavar="N", help="parallel helm runs (default: CPU count)")
    p.add_argument(
        "--crds",
        metavar="DIR",
        action="append",
        help="folder of CustomResourceDefinitions to check custom resources against (repeatable; "
        "default: chartgen.yaml crds)",
    )
    p.add_argument(
        "--no-policy", action="store_true", help="skip the policy check (policies/, `chartgen policy check`)"
    )


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    settings = settings_from(args)

    def show(r: LintResult) -> None:
        """A passing pair is progress (hidden by -q); a failing one is the answer."""
        mark = "✔" if r.ok else "✖"
        note = f"; not checked, no schema: {', '.join(sorted(set(r.unchecked)))}" if r.unchecked else ""
        say = printer.line if r.ok else printer.result
        say(f"{mark} {r.chart} {r.values} ({r.objects} objects{note})")
        for problem in r.problems:
            printer.result(f"    {problem}")

    linted = run_lint(settings, not args.no_policy, args.jobs, show)
    report = linted.report
    failed = [r for r in report.results if not r.ok]
    printer.result(
        f"{len(report.results) - len(failed)} of {len(report.results)} chart/values pairs passed "
        f"(Kubernetes {report.kube_version} schemas)"
    )
    results = [
        {
            "chart": r.chart,
            "values": r.values,
            "ok": r.ok,
            "objects": r.objects,
            "problems": r.problems,
            "unchecked": r.unchecked,
        }
        for r in report.results
    ]
    code = 0 if report.ok else 1
    document: dict[str, Any] = {"kubeVersion": report.kube_version, "results": results}
    if linted.policy is not None:  # one command, one verdict: schemas first (1), then the rules (2)
        policy = policy_report(linted.policy, "text", printer, settings.out, [])
        document["policy"] = policy.result["results"]
        code = code or policy.exit_code
    return Outcome(document, exit_code=code)
