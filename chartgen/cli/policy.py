"""`chartgen policy check`: every chart x environment, rendered by helm, against the Rego rules."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from chartgen.cli.common import add_charts_folder, settings_from
from chartgen.cli.output import Outcome, Printer
from chartgen.emit.switch import settled_charts
from chartgen.errors import EXIT_OK, EXIT_POLICY, EXIT_USER, UserError
from chartgen.flows import wiring
from chartgen.formats.source import display_path
from chartgen.verify.policy import MODES, PolicyResult, check_policies, rule_sets, rules, violation_line
from chartgen.verify.sarif import sarif


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "policy",
        parents=parents,
        help="check every rendered chart against the production or dev policies (Rego, opa)",
        description="Render each chart with each environment's values (real helm) and evaluate "
        "policies/production or policies/dev (by the chart's mode), plus organisation folders, "
        "with opa. Exit 2 when a rule is violated.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", parents=parents, help="evaluate the policies")
    add_charts_folder(check)
    check.add_argument("--env", action="append", default=[], metavar="ENV", help="only this environment")
    check.add_argument(
        "--policies",
        action="append",
        default=[],
        metavar="DIR",
        help="organisation rules, added (repeatable)",
    )
    check.add_argument(
        "--data", action="append", default=[], metavar="FILE", help="data for the rules (JSON/YAML)"
    )
    check.add_argument("--format", choices=("text", "json", "sarif"), default="text", help="output format")
    check.add_argument("--kube-version", metavar="X.Y", help="target Kubernetes version (default 1.34)")
    check.add_argument("--jobs", type=int, metavar="N", help="parallel helm runs (default: CPU count)")
    check.add_argument(
        "--mode",
        choices=MODES,
        help="rules for charts chartgen did not generate (no chartgen/mode annotation; refused without it)",
    )


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    settings = settings_from(args)
    charts = settled_charts(settings.out)
    if not charts:
        raise UserError(f"no charts found in {display_path(settings.out)}")
    extra = [_existing(p, "--policies") for p in args.policies]
    data = [_existing(p, "--data") for p in args.data]
    with wiring.renderer() as helm:
        results = check_policies(
            charts, helm, wiring.opa(), settings.kube_version, args.env, extra, data, args.jobs, args.mode
        )
    return report(results, args.format, printer, settings.out, extra)


def report(
    results: list[PolicyResult], fmt: str, printer: Printer, charts: Path, extra: list[Path]
) -> Outcome:
    """Print the results in `fmt`; exit 2 on a violation, 1 on a chart that does not render."""
    known = rules([f for mode in MODES for f in rule_sets(mode, extra)])
    by_id = {r.id: r for r in known}
    documents = [_document(r) for r in results]
    if fmt == "sarif":
        printer.result(json.dumps(sarif(results, known, display_path(charts)), indent=2), multiline=True)
    elif fmt == "json":
        printer.result(json.dumps(documents, indent=2), multiline=True)
    else:
        for r in results:
            where = f"{r.chart} {r.values}"
            if r.error:
                printer.result(f"{where}: does not render: {r.error}")
            if r.skipped:
                printer.result(
                    f"{where}: not checked: no chartgen/mode annotation (policy check --mode chooses)"
                )
            for f in r.violations:
                printer.result(violation_line(where, f, by_id))
            for f in r.allowed:
                printer.result(f"{where} {f.object} allowed {f.rule}: {f.message}")
        count = sum(len(r.violations) for r in results)
        allowed = sum(len(r.allowed) for r in results)
        passed = sum(1 for r in results if r.ok)
        checked = sum(1 for r in results if not r.skipped)
        printer.result(
            f"{passed} of {checked} chart/values pairs pass {len(known)} rules: "
            f"{count} violations, {allowed} exceptions"
        )
    failed_render = any(r.error for r in results)
    violated = any(r.violations for r in results)
    code = EXIT_USER if failed_render else EXIT_POLICY if violated else EXIT_OK
    return Outcome({"results": documents}, [], code)


def _document(r: PolicyResult) -> dict[str, Any]:
    return {
        "chart": r.chart,
        "values": r.values,
        "mode": r.mode,
        "violations": [dataclasses.asdict(f) for f in r.violations],
        "allowed": [dataclasses.asdict(f) for f in r.allowed],
        "error": r.error or None,
        "checked": not r.skipped,
    }


def _existing(text: str, flag: str) -> Path:
    path = Path(text)
    if not path.exists():
        raise UserError(f"{flag} {text}: no such file or folder")
    return path.resolve()
