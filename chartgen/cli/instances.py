"""`chartgen instances --env ENV`: the workflow instances of an environment, from its Data Index."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from chartgen.cli.common import add_chart_choice, add_charts_folder, add_cluster_options, settings_from
from chartgen.cli.output import Outcome, Printer
from chartgen.deploy.data_index import MAX_INSTANCES, STATUSES
from chartgen.flows import wiring
from chartgen.flows.instances import run_instances

COLUMNS = ("INSTANCE", "WORKFLOW", "VERSION", "STATUS", "WAITING IN", "STARTED", "UPDATED")


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "instances",
        parents=parents,
        help="the workflow instances of an environment, from its Data Index: status and where each waits",
        description="Ask the environment's Data Index (dataIndex.url of its charts, or --data-index) "
        "for the instances of the workflows its charts run: each with workflow, version, status, "
        f"the states it waits in, start and last update (oldest first, at most {MAX_INSTANCES:,}).",
    )
    p.add_argument("--env", required=True, metavar="ENV", help="the environment (values-ENV.yaml)")
    add_chart_choice(p, "only the workflows of this chart (repeatable)")
    p.add_argument("--workflow", metavar="ID", help="only this workflow (its id)")
    p.add_argument("--state", metavar="NAME", help="only instances waiting in this state")
    p.add_argument("--status", choices=STATUSES, help="only instances in this status")
    p.add_argument(
        "--data-index",
        metavar="URL",
        help="the Data Index to ask (default: the charts' dataIndex.url); an in-cluster address "
        "(<service>.<namespace>.svc) is reached through a port-forward on the chosen cluster",
    )
    add_charts_folder(p)
    add_cluster_options(p)


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    settings = settings_from(args)
    found = run_instances(
        settings,
        args.env,
        tuple(dict.fromkeys(args.only)),
        args.workflow,
        args.state,
        args.status,
        args.data_index,
        lambda: wiring.cluster(args.kubeconfig, args.context).kubectl(),
    )
    printer.line(f"Data Index: {found.data_index}")
    rows = [
        (i.id, i.workflow, i.version, i.status, ", ".join(i.waiting_in) or "-", i.started, i.updated)
        for i in found.instances
    ]
    if rows:
        widths = [max(len(str(r[c])) for r in [COLUMNS, *rows]) for c in range(len(COLUMNS))]
        for row in [COLUMNS, *rows]:
            printer.line("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    waiting = sum(1 for i in found.instances if i.waiting_in)
    printer.result(f"{args.env}: {len(found.instances)} instances ({waiting} waiting in a state)")
    document = {
        "environment": found.environment,
        "dataIndex": found.data_index,
        "workflows": found.workflows,
        "instances": [{**dataclasses.asdict(i), "waiting_in": list(i.waiting_in)} for i in found.instances],
    }
    return Outcome(document)
