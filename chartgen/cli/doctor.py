"""`chartgen doctor`: each external program chartgen runs, where it was found, and for what is
missing, the exact command that gets it. Exit 1 when anything is missing."""

from __future__ import annotations

import argparse
from typing import Any

from chartgen.cli.output import Outcome, Printer
from chartgen.errors import EXIT_OK, EXIT_USER
from chartgen.flows.doctor import diagnose


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    sub.add_parser(
        "doctor",
        parents=parents,
        help="list the external programs chartgen runs: version, where found, how to get what is missing",
        description="Each program chartgen runs (helm, opa, the control plane, ...): the pinned "
        "version, the one found and where (CHARTGEN_<TOOL>, the cache, PATH), and for each missing "
        "one the command that installs or builds it. Exit 1 when any is missing.",
    )


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    reports = list(diagnose())
    for r in reports:
        if r.path is None:
            pinned = f" {r.pinned}" if r.pinned else ""
            printer.line(f"✖ {r.name}{pinned}: missing (for {r.needed_by}): {r.get}")
            continue
        version = f" {r.version}" if r.version else ""
        if r.pinned and r.pinned not in r.version:
            version += f" (not the pinned {r.pinned}: {r.get} builds it)"
        printer.line(f"✔ {r.name}{version}: {r.path}")
    missing = [r.name for r in reports if not r.found]
    printer.result(
        f"{len(reports) - len(missing)} of {len(reports)} programs found"
        + (f"; missing: {', '.join(missing)}" if missing else "")
    )
    result = {
        "tools": [
            {
                "name": r.name,
                "pinned": r.pinned or None,
                "version": r.version or None,
                "path": str(r.path) if r.path else None,
                "neededBy": r.needed_by,
                "get": None if r.found else r.get,
            }
            for r in reports
        ]
    }
    return Outcome(result, exit_code=EXIT_USER if missing else EXIT_OK)
