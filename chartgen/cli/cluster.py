"""`chartgen cluster up|down|kubeconfig`: the local control plane (kwok, no Docker)."""

from __future__ import annotations

import argparse
from typing import Any

from chartgen.cli.output import Outcome, Printer
from chartgen.flows import wiring


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "cluster",
        parents=parents,
        help="start or stop a local Kubernetes control plane (real API server, simulated nodes)",
        description="kube-apiserver, etcd, controller-manager and scheduler as local processes "
        "(kwokctl --runtime binary), with kwok simulating the nodes. Binaries: scripts/toolchain.sh.",
    )
    p.add_argument("action", choices=("up", "down", "kubeconfig"))
    p.add_argument(
        "--name",
        default=wiring.LOCAL_CLUSTER_NAME,
        help=f"cluster name (default {wiring.LOCAL_CLUSTER_NAME})",
    )
    p.add_argument(
        "--nodes", type=int, default=wiring.LOCAL_CLUSTER_NODES, help="simulated nodes (default 3)"
    )


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    if args.action == "up":
        with printer.progress("cluster") as step:
            cluster = wiring.local_cluster_up(args.name, args.nodes, step)
        printer.result(f"✔ cluster {cluster.name} is up; kubeconfig: {cluster.kubeconfig}")
        return Outcome({"name": cluster.name, "kubeconfig": str(cluster.kubeconfig)})
    if args.action == "down":
        wiring.local_cluster_down(args.name)
        printer.result(f"✔ cluster {args.name} is down")
        return Outcome({"name": args.name})
    kubeconfig = wiring.local_kubeconfig(args.name)
    printer.result(str(kubeconfig))
    return Outcome({"name": args.name, "kubeconfig": str(kubeconfig)})
