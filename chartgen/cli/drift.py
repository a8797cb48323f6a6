"""`chartgen drift --env ENV`: live objects that differ from what each release's chart renders."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from chartgen.cli.common import add_chart_choice, add_charts_folder, add_cluster_options, settings_from
from chartgen.cli.output import Outcome, Printer
from chartgen.errors import EXIT_OK, EXIT_USER
from chartgen.flows import wiring
from chartgen.flows.drift import run_drift

MARKS = {"in sync": "=", "out of date": "~", "drifted": "✖"}


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "drift",
        parents=parents,
        help="compare each release's live objects with what its chart renders (exit 1 on drift)",
        description="For each chart that has ENV: read its release and the live objects it names; "
        "report each field that differs from what the chart renders (images, env, volumes, "
        "security context, NetworkPolicy, RBAC), each object missing, and each field someone else "
        "set. Fields the cluster defaults are not drift. `chartgen deploy` repairs drift.",
    )
    p.add_argument("--env", required=True, metavar="ENV", help="the environment (values-ENV.yaml)")
    add_chart_choice(p)
    add_charts_folder(p)
    add_cluster_options(p)


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    settings = settings_from(args)
    cluster = wiring.cluster(args.kubeconfig, args.context)
    printer.line(f"cluster: {cluster.describe()}")
    found = run_drift(settings, args.env, tuple(dict.fromkeys(args.only)), wiring.releases_on(cluster))
    for r in found:
        version = f" {r.version}" if r.version else ""
        line = f"{MARKS.get(r.status, '✖')} {r.name}{version} ({r.namespace}): {r.status}"
        printer.line(f"{line}; {r.note}" if r.note else line)
        for drift in r.drift:
            printer.line(f"    {drift.line()}")
    bad = [r for r in found if not r.ok]
    fields = sum(len(r.drift) for r in found)
    verdict = (
        f"{len(bad)} of {len(found)} releases need a deploy ({fields} drifted fields)"
        if bad
        else (f"{len(found)} releases match their charts")
    )
    printer.result(f"{args.env}: {verdict}")
    releases = [{**dataclasses.asdict(r), "drift": [d.shown() for d in r.drift]} for r in found]
    document = {"environment": args.env, "releases": releases}
    return Outcome(document, [], EXIT_USER if bad else EXIT_OK)
