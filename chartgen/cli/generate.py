"""`chartgen generate`: workflows + profiles -> charts (atomic, deterministic)."""

from __future__ import annotations

import argparse
from typing import Any

from chartgen.cli.common import add_workflow_options, settings_from
from chartgen.cli.output import Outcome, Printer
from chartgen.flows.generate import run_generate
from chartgen.formats.source import display_path


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "generate",
        parents=parents,
        help="write the dev chart(s) and one production chart per workflow project",
        description="Generate Helm charts. With no flags, settings come from ./chartgen.yaml.",
    )
    add_workflow_options(p)
    p.add_argument("--profiles", metavar="DIR", help="profiles folder (default: profiles)")
    p.add_argument("--out", metavar="DIR", help="output folder for charts (default: charts)")
    p.add_argument("--name", help="repository name, used for dev charts <name>-<env> (default: folder name)")


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    settings = settings_from(args)
    with printer.progress("generating") as step:
        result = run_generate(settings, step)
    out = display_path(settings.out)
    for plan in result.plans:
        files = (
            [f"values-{e}.yaml" for e in plan.environments] if plan.kind == "production" else ["values.yaml"]
        )
        printer.line(
            f"✔ {out}/{plan.name} ({plan.kind}; {len(plan.workflows)} workflows; {', '.join(files)})"
        )
    removed = result.emitted.removed if result.emitted else []
    for name in removed:
        printer.line(f"- {out}/{name} (stale, removed)")
    printer.result(f"{len(result.plans)} charts written to {out}")
    charts = [
        {
            "name": p.name,
            "kind": p.kind,
            "version": p.chart["version"],
            "workflows": p.workflows,
            "environments": p.environments,
        }
        for p in result.plans
    ]
    return Outcome({"out": str(settings.out), "charts": charts, "removed": removed}, result.diagnostics)
