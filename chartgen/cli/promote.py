"""`chartgen promote --from staging --to prod`: the versions and images staging runs, deployed to prod."""

from __future__ import annotations

import argparse
from typing import Any

from chartgen.cli.common import add_chart_choice, add_charts_folder, add_cluster_options, settings_from
from chartgen.cli.deploy import add_check_options, checks_from, report_outcome, show_result
from chartgen.cli.output import Outcome, Printer
from chartgen.flows import wiring
from chartgen.flows.deploy import check_registry, run_promote


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "promote",
        parents=parents,
        help="deploy to one environment exactly the chart versions and image digests running in another",
        description="Read each chart's release in the --from environment (chart version, image "
        "digest); refuse unless every one is healthy (deployed, not a rollback); then deploy exactly "
        "those packages, pulled from --registry, to the --to environment with its values file, as "
        "`chartgen deploy` does (policy and vault checks first, wait, roll back on failure).",
    )
    p.add_argument("--from", dest="source", required=True, metavar="ENV", help="the environment to copy")
    p.add_argument("--to", dest="env", required=True, metavar="ENV", help="the environment to deploy")
    p.add_argument(
        "--registry", required=True, metavar="oci://HOST/PATH", help="where the charts are released"
    )
    add_chart_choice(p)
    add_check_options(p)
    add_charts_folder(p)
    add_cluster_options(p)
    p.add_argument(
        "--from-kubeconfig",
        metavar="FILE",
        help="the --from environment's cluster (default: the same cluster)",
    )
    p.add_argument("--from-context", metavar="CTX", help="kubeconfig context of the --from cluster")


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    settings = settings_from(args)
    registry = check_registry(args.registry)
    cluster = wiring.cluster(args.kubeconfig, args.context)
    source = cluster
    if args.from_kubeconfig or args.from_context:
        source = wiring.cluster(args.from_kubeconfig or args.kubeconfig, args.from_context)
    printer.line(f"{args.env}: {cluster.describe()}")
    report = run_promote(
        settings, args.source, args.env, tuple(dict.fromkeys(args.only)), registry,
        wiring.releases_on(source),
        source.kubectl(), checks_from(args), wiring.deploy_tools(cluster),
        lambda r: show_result(printer, r), printer.line,
    )  # fmt: skip
    return report_outcome(printer, report)
