"""`chartgen graph`: each workflow's state graph as Mermaid, DOT or JSON; with --base REF, base
and head merged (added, removed and changed states and transitions marked)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chartgen.cli.output import Outcome, Printer
from chartgen.flows.graph import workflow_graphs
from chartgen.graph.render import as_json, comment_text, dot, mermaid


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "graph",
        parents=parents,
        help="draw each workflow's states and transitions (Mermaid, DOT, JSON); with --base, what changed",
        description="The state graph of a workflow file, or of every workflow in a folder: states by "
        "type (waiting states as hexagons), transitions with their conditions, error transitions, "
        "compensation, end and terminate, subflow calls. With --base REF, one graph per workflow of "
        "the merge-base of HEAD and REF and the working tree merged: added, removed (dashed) and "
        "changed states and transitions marked, with a legend.",
    )
    p.add_argument(
        "target", metavar="WORKFLOW|FOLDER", help="a workflow file, a project or a workflows folder"
    )
    p.add_argument("--format", choices=("mermaid", "dot", "json"), default="mermaid", dest="graph_format")
    p.add_argument("--base", metavar="REF", help="branch, tag or commit to compare with")


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    found = workflow_graphs(Path(args.target), args.base)
    if args.graph_format == "json":
        text = ""
    else:
        draw = mermaid if args.graph_format == "mermaid" else dot
        comment = "%%" if args.graph_format == "mermaid" else "//"
        text = "\n".join(
            f"{comment} {comment_text(g.graph.workflow)} ({comment_text(g.file)})\n{draw(g.graph)}"
            for g in found
        )
    if text:
        printer.result(text.rstrip("\n"), multiline=True)
    return Outcome({"graphs": [{"file": g.file, **as_json(g.graph)} for g in found]})
