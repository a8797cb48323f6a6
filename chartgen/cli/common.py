"""Options several commands share, and turning them into Settings."""

from __future__ import annotations

import argparse
from pathlib import Path

from chartgen.config import Settings, load_settings


def add_workflow_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workflows", metavar="DIR", help="workflows folder (default: workflows, or chartgen.yaml)"
    )
    p.add_argument(
        "--exclude",
        metavar="GLOB",
        action="append",
        help="leave out paths matching GLOB, relative to the workflows folder (repeatable)",
    )


def add_charts_folder(p: argparse.ArgumentParser) -> None:
    p.add_argument("--charts", metavar="DIR", help="charts folder (default: the generate output folder)")


def add_chart_choice(p: argparse.ArgumentParser, description: str = "only this chart (repeatable)") -> None:
    """--chart NAME, repeatable, into `args.only`: the charts a command limits its work to."""
    p.add_argument("--chart", dest="only", metavar="NAME", action="append", default=[], help=description)


def settings_from(args: argparse.Namespace) -> Settings:
    keys = ("workflows", "profiles", "out", "name", "exclude", "config", "crds")
    flags = {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}
    if getattr(args, "kube_version", None):
        flags["kubeVersion"] = args.kube_version
    if getattr(args, "charts", None):
        flags["out"] = args.charts
    return load_settings(flags, Path.cwd())


def add_cluster_options(p: argparse.ArgumentParser) -> None:
    """The one cluster rule: --kubeconfig > KUBECONFIG > `chartgen cluster up`'s > ~/.kube/config."""
    p.add_argument(
        "--kubeconfig",
        metavar="FILE",
        help="cluster to use (default: KUBECONFIG, else the running `chartgen cluster up`, "
        "else ~/.kube/config)",
    )
    p.add_argument("--context", help="kubeconfig context (default: the kubeconfig's current one)")
