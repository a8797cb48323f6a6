"""`chartgen diff --base REF`: what a pull request changes in each chart and environment."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from chartgen.cli.common import add_chart_choice, add_charts_folder, settings_from
from chartgen.cli.output import Outcome, Printer
from chartgen.errors import EXIT_OK, EXIT_USER, UserError
from chartgen.flows import wiring
from chartgen.flows.diff import run_diff
from chartgen.formats.replace import replace_file
from chartgen.profile.environment import is_env_name
from chartgen.verify.diff_report import DEFAULT_COMMENT_BUDGET, LINK, to_json, to_markdown, to_text

DATA_INDEXES_VARIABLE = "CHARTGEN_DATA_INDEXES"


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "diff",
        parents=parents,
        help="what a pull request changes in each chart and environment (rendered by helm)",
        description="Render every chart whose files changed since the merge-base of HEAD and REF, "
        "at the base and in the working tree, with each environment's values; report the objects "
        "added, removed and changed, the version change, and whether the pods roll. Secret values "
        "are never shown. Exit 1 when a chart could not be rendered.",
    )
    p.add_argument("--base", required=True, metavar="REF", help="branch, tag or commit to compare with")
    p.add_argument(
        "--env",
        dest="envs",
        metavar="ENV",
        action="append",
        default=[],
        help="only this environment (repeatable)",
    )
    add_chart_choice(p)
    p.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="text, markdown (a pull request comment) or json (default: text)",
    )
    p.add_argument(
        "--max-chars",
        type=int,
        default=DEFAULT_COMMENT_BUDGET,
        metavar="N",
        help=f"markdown: the comment's size in characters at most (default {DEFAULT_COMMENT_BUDGET:,})",
    )
    p.add_argument("--full-report", metavar="FILE", help="markdown: also write the whole report, unshortened")
    p.add_argument(
        "--full-report-link",
        metavar="URL",
        help="markdown: where a shortened comment says the full report is",
    )
    p.add_argument(
        "--data-index",
        dest="data_indexes",
        metavar="ENV=URL",
        action="append",
        default=[],
        help="the Data Index of ENV, asked which live instances wait in what a chart removes "
        f"(repeatable; default: ${DATA_INDEXES_VARIABLE}, ENV=URL pairs separated by spaces; never "
        "read from the pull request's own files)",
    )
    add_charts_folder(p)
    p.add_argument("--kube-version", metavar="X.Y", help="Kubernetes version to render for (default 1.34)")
    p.add_argument("--jobs", type=int, metavar="N", help="parallel helm runs (default: CPU count)")


def data_indexes(given: list[str]) -> dict[str, str]:
    """ENV=URL pairs as environment -> URL; a UserError names one that is not."""
    found: dict[str, str] = {}
    for pair in given:
        env, _, url = pair.partition("=")
        if not is_env_name(env) or not LINK.fullmatch(url):
            raise UserError(f"--data-index '{pair}': give ENV=URL (an environment name, an http(s) URL)")
        found[env] = url
    return found


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    if args.full_report_link and not LINK.fullmatch(args.full_report_link):
        raise UserError(f"--full-report-link '{args.full_report_link}' is not an http(s) URL")
    settings = settings_from(args)
    # A pipeline's variable (never a file of the pull request) when no option names one.
    indexes = data_indexes(args.data_indexes or os.environ.get(DATA_INDEXES_VARIABLE, "").split())
    with wiring.renderer() as helm:
        result = run_diff(
            settings, helm, args.base, tuple(dict.fromkeys(args.only)), tuple(args.envs), args.jobs, indexes
        )
    data = to_json(result)
    if args.format == "json":
        printer.result(json.dumps(data, indent=2), multiline=True)
    elif args.format == "markdown":
        if args.full_report:
            replace_file(Path(args.full_report), to_markdown(result).encode())
        link = args.full_report_link or (args.full_report or "")
        printer.result(to_markdown(result, max(args.max_chars, 1000), link), multiline=True)
    else:
        printer.result(to_text(result), multiline=True)
    return Outcome(data, exit_code=EXIT_OK if result.ok else EXIT_USER)
