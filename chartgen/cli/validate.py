"""`chartgen validate`: load and check workflow projects; write nothing."""

from __future__ import annotations

import argparse
from typing import Any

from chartgen.cli.common import add_workflow_options, settings_from
from chartgen.cli.output import Outcome, Printer, counted
from chartgen.flows.validate import run_validate


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "validate",
        parents=parents,
        help="check workflow projects (located errors, nothing written)",
        description="Load every workflow project and report every problem, located.",
    )
    add_workflow_options(p)
    p.add_argument("--profiles", metavar="DIR", help="profiles folder (default: profiles, or chartgen.yaml)")


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    settings = settings_from(args)
    with printer.progress("validating") as step:
        result = run_validate(settings, step)
    projects = result.projects
    count = sum(len(p.workflows) for p in projects)
    verb = "is" if count == 1 else "are"
    planned = f"; {counted(len(result.charts), 'chart')} planned" if result.charts else ""
    printer.result(
        f"✔ {counted(count, 'workflow')} in {counted(len(projects), 'project')} {verb} valid{planned}"
    )
    return Outcome(
        {
            "projects": [
                {
                    "project": p.rel,
                    "workflows": [{"id": w.id, "file": w.file, "subflow": w.subflow} for w in p.workflows],
                }
                for p in projects
            ],
            "charts": result.charts,
        },
        result.diagnostics,
    )
