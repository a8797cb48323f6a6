"""`chartgen dev sync`: push changed workflows into the running dev pod (no restart)."""

from __future__ import annotations

import argparse
from typing import Any

from chartgen.cli.common import add_cluster_options, add_workflow_options, settings_from
from chartgen.cli.output import Outcome, Printer
from chartgen.flows import wiring
from chartgen.flows.dev import dev_sync


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "dev",
        parents=parents,
        help="work with a running dev pod",
        description="Hot deploy: regenerate the dev chart's ConfigMaps and apply them server-side "
        "(field manager chartgen) to the running release: no Helm upgrade, no pod restart.",
    )
    p.add_argument("action", choices=("sync",))
    p.add_argument("--env", required=True, help="the dev profile (environment) of the release")
    add_workflow_options(p)
    p.add_argument("--profiles", metavar="DIR", help="profiles folder (default: profiles)")
    p.add_argument("--name", help="repository name (dev chart <name>-<env>)")
    add_cluster_options(p)
    p.add_argument("-n", "--namespace", help="namespace (default: the profile's)")
    p.add_argument("--release", help="Helm release name (default: the dev chart's name)")
    p.add_argument("--dry-run", action="store_true", help="show what would change; apply nothing")


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    settings = settings_from(args)
    cluster = wiring.cluster(args.kubeconfig, args.context)
    printer.line(f"cluster: {cluster.describe()}")
    result = dev_sync(
        settings, args.env, wiring.helm(), cluster.kubectl(), args.namespace, args.release, args.dry_run
    )
    for label, mark, files in (("added", "+", result.added), ("changed", "~", result.changed),
                               ("removed", "-", result.removed)):  # fmt: skip
        for path in files:
            printer.line(f"{mark} {path} ({label})")
    verb = "would apply" if args.dry_run else "applied"
    printer.result(
        f"✔ {result.release} in {result.namespace}: {len(result.added)} added, "
        f"{len(result.changed)} changed, {len(result.removed)} removed workflows, "
        f"{result.other_files} other files; {verb} "
        f"{len(result.applied) if not args.dry_run else 'no'} ConfigMaps, no restart"
    )
    return Outcome(
        {
            "cluster": cluster.describe(),
            "release": result.release,
            "namespace": result.namespace,
            "added": result.added,
            "changed": result.changed,
            "removed": result.removed,
            "otherFiles": result.other_files,
            "applied": result.applied,
        },
        result.diagnostics,
    )
