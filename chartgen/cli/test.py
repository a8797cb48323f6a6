"""`chartgen test`: install, test, upgrade, roll back and uninstall every chart on a cluster."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chartgen.cli.common import settings_from
from chartgen.cli.output import Printer
from chartgen.errors import UserError
from chartgen.formats.source import display_path
from chartgen.tools.helm import Helm
from chartgen.tools.kubectl import Kubectl
from chartgen.tools.kwok import DEFAULT_NAME, Cluster, kubeconfig_path
from chartgen.tools.locate import find_helm, find_tool
from chartgen.verify.lifecycle import LifecycleResult, install_crds, run_lifecycles
from chartgen.verify.lint import find_charts


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "test",
        parents=parents,
        help="install, helm test, upgrade, roll back and uninstall every chart on a cluster",
        description="Each chart in its own namespace enforcing Pod Security 'restricted': "
        "helm install --wait, helm test, helm upgrade (from the previous committed version when "
        "git has one, else with changed values), helm rollback, helm uninstall leaving nothing.",
    )
    p.add_argument("--charts", metavar="DIR", help="charts folder (default: the generate output folder)")
    p.add_argument("--values-env", metavar="ENV", help="environment values file to use (default: the first)")
    p.add_argument("--kubeconfig", metavar="FILE", help="cluster to use (default: `chartgen cluster up`'s)")
    p.add_argument("--crds", metavar="DIR", action="append", help="CRDs to install first (repeatable)")


def run(args: argparse.Namespace, printer: Printer) -> int:
    settings = settings_from(args)
    if not find_charts(settings.out):
        raise UserError(f"no charts found in {display_path(settings.out)}")
    kubeconfig = Path(args.kubeconfig) if args.kubeconfig else kubeconfig_path(DEFAULT_NAME)
    if not kubeconfig.is_file():
        raise UserError(f"no cluster: {kubeconfig} not found (run `chartgen cluster up`)")
    cluster = Cluster(DEFAULT_NAME, kubeconfig)
    installed = install_crds(Kubectl(find_tool("kubectl"), kubeconfig), list(settings.crds))
    if installed:
        printer.line(f"installed {installed} CRDs")

    def show(r: LifecycleResult) -> None:
        timings = ", ".join(f"{k} {v}s" for k, v in r.phases.items())
        printer.result(
            f"{'✔' if r.ok else '✖'} {r.chart} {r.values} (upgrade from {r.upgrade_from}; {timings})"
        )
        for problem in r.problems:
            printer.result(f"    {problem}")

    results = run_lifecycles(settings.out, cluster, Helm(find_helm()), args.values_env, show)
    failed = [r for r in results if not r.ok]
    printer.result(f"{len(results) - len(failed)} of {len(results)} charts passed on the cluster")
    printer.document(
        {
            "ok": not failed,
            "results": [
                {
                    "chart": r.chart,
                    "values": r.values,
                    "ok": r.ok,
                    "phases": r.phases,
                    "upgradeFrom": r.upgrade_from,
                    "problems": r.problems,
                }
                for r in results
            ],
        }
    )
    return 1 if failed else 0
