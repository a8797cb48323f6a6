"""`chartgen generate`: workflows + profiles -> charts (atomic, deterministic)."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from chartgen.cli.common import add_chart_choice, add_workflow_options, settings_from
from chartgen.cli.output import Outcome, Printer, counted
from chartgen.errors import EXIT_OK, EXIT_USER
from chartgen.flows.generate import run_generate
from chartgen.formats.source import display_path
from chartgen.plan.layout import VALUES_FILE, values_file


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "generate",
        parents=parents,
        help="write the dev chart(s) and one production chart per workflow project",
        description="Generate Helm charts. With no flags, settings come from ./chartgen.yaml. "
        "Only files whose bytes change are rewritten; each chart keeps the version its "
        "Chart.yaml already has (a new chart starts at 0.1.0: see `chartgen version bump`).",
    )
    add_workflow_options(p)
    p.add_argument("--profiles", metavar="DIR", help="profiles folder (default: profiles)")
    p.add_argument("--out", metavar="DIR", help="output folder for charts (default: charts)")
    p.add_argument("--name", help="repository name, used for dev charts <name>-<env> (default: folder name)")
    add_chart_choice(p, "generate only this chart, reading only its project (repeatable; others are kept)")
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing the files that differ from what generate would write",
    )


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    settings = settings_from(args)
    charts = tuple(dict.fromkeys(args.only))
    with printer.progress("checking" if args.check else "generating") as step:
        result = run_generate(settings, step, charts=charts, check=args.check)
    out = display_path(settings.out)
    if args.check:
        for line in result.drift:
            printer.line(f"✖ {line}")
        if result.drift:
            differing = counted(len(result.drift), "file")
            verb = "differs" if len(result.drift) == 1 else "differ"
            printer.result(f"{differing} {verb} from what generate writes: run chartgen generate")
        else:
            verb = "is" if len(result.charts) == 1 else "are"
            printer.result(f"{counted(len(result.charts), 'chart')} in {out} {verb} what generate writes")
        for name in result.refused:
            printer.result(f"✖ {out}/{name}: refused (its errors above); not compared")
        code = EXIT_USER if result.drift or result.refused else EXIT_OK
        document = {"out": str(settings.out), "drift": result.drift, "refused": result.refused}
        return Outcome(document, result.diagnostics, code)
    for chart in result.charts:
        files = [values_file(e) for e in chart.environments] if chart.kind != "dev" else [VALUES_FILE]
        mark, state = ("✔", "written") if chart.written else ("=", "unchanged")
        printer.line(
            f"{mark} {out}/{chart.name} {chart.version} ({state}; {chart.kind}; "
            f"{counted(len(chart.workflows), 'workflow')}; {', '.join(files)})"
        )
    for name in result.removed:
        printer.line(f"- {out}/{name} (stale, removed)")
    for name in result.refused:
        printer.result(f"✖ {out}/{name}: refused (its errors above): not written, left as it was")
    written = sum(c.written for c in result.charts)
    summary = (
        f"{counted(len(result.charts), 'chart')} in {out}: {written} written, {len(result.removed)} removed"
    )
    if result.unchanged:
        summary += " (inputs and charts as the last generate left them)"
    if result.refused:
        summary += f", {len(result.refused)} refused"
    printer.result(summary)
    charts_json = [asdict(c) for c in result.charts]
    return Outcome(
        {
            "out": str(settings.out),
            "charts": charts_json,
            "removed": result.removed,
            "unchanged": result.unchanged,
            "refused": result.refused,
        },
        result.diagnostics,
        EXIT_USER if result.refused else EXIT_OK,
    )
