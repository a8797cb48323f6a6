"""`chartgen test`: install, test, upgrade, roll back and uninstall every chart on a cluster."""

from __future__ import annotations

import argparse
from typing import Any

from chartgen.cli.common import add_charts_folder, add_cluster_options, settings_from
from chartgen.cli.output import Outcome, Printer, counted
from chartgen.flows.chart_tests import prepare_chart_tests, run_chart_tests
from chartgen.formats.source import display_path
from chartgen.verify.lifecycle import LifecycleResult


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "test",
        parents=parents,
        help="install, helm test, upgrade, roll back and uninstall every chart on a cluster",
        description="Each chart in its own namespace enforcing Pod Security 'restricted': "
        "helm install --wait, helm upgrade (from the previous committed version when git has one, "
        "else with changed values), helm test, helm rollback, helm uninstall leaving nothing. "
        "Waits are each chart's own startup allowance plus a margin.",
    )
    add_charts_folder(p)
    p.add_argument("--values-env", metavar="ENV", help="environment to install (default: each chart's first)")
    add_cluster_options(p)
    p.add_argument("--crds", metavar="DIR", action="append", help="CRDs to install first (repeatable)")


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    settings = settings_from(args)
    prepared = prepare_chart_tests(settings, args.values_env, args.kubeconfig, args.context)
    cluster, crds = prepared.cluster, prepared.crds
    printer.line(f"cluster: {cluster.describe()}")
    if crds.installed:
        printer.line(
            f"installed {len(crds.installed)} CRDs from {', '.join(map(display_path, settings.crds))}"
        )
    if crds.stubs:
        printer.line(
            f"installed stub CRDs (any spec accepted, nothing checked) for {', '.join(crds.stubs)}: "
            "pass --crds with the real ones to check those resources"
        )

    def show(r: LifecycleResult) -> None:
        timings = ", ".join(f"{k} {v}s" for k, v in r.phases.items())
        printer.result(
            f"{'✔' if r.ok else '✖'} {r.chart} {r.values} (upgrade from {r.upgrade_from}; {timings})"
        )
        for problem in r.problems:
            printer.result(f"    {problem}")

    with printer.progress("testing", log=True) as step:
        results = run_chart_tests(prepared, show, step)
    failed = [r for r in results if not r.ok]
    printer.result(f"{len(results) - len(failed)} of {counted(len(results), 'chart')} passed on the cluster")
    report = [
        {
            "chart": r.chart,
            "values": r.values,
            "ok": r.ok,
            "phases": r.phases,
            "upgradeFrom": r.upgrade_from,
            "problems": r.problems,
        }
        for r in results
    ]
    crd_report = {"installed": crds.installed, "stubs": crds.stubs}
    result = {"cluster": cluster.describe(), "crds": crd_report, "results": report}
    return Outcome(result, exit_code=1 if failed else 0)
