"""`chartgen version check|bump`: chart versions against a base branch (exact, immutable)."""

from __future__ import annotations

import argparse
from typing import Any

from chartgen.cli.common import add_chart_choice, add_charts_folder, settings_from
from chartgen.cli.output import Outcome, Printer
from chartgen.errors import EXIT_OK, EXIT_USER, UserError
from chartgen.flows.version import ChartVersion, VersionReport, bump_versions, check_versions, default_ref


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "version",
        parents=parents,
        help="check or bump chart versions against a base branch (exact, immutable versions)",
        description="Compare each chart that changed since the merge-base of HEAD and --base REF.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        parents=parents,
        help="exit 1 when a changed chart's version was not raised, went backwards or changed alone",
        description="Fail, naming each chart, when its content changed without a version increase, "
        "its version went backwards, its version changed without its content, or its chartgen/digest "
        "annotation is stale.",
    )
    bump = actions.add_parser(
        "bump",
        parents=parents,
        help="write the version each changed chart needs (major, minor or patch, with the reasons)",
        description="major: a values key removed or narrowed, a selector or object name changed, a "
        "workflow, state, function or event removed; minor: a workflow, state, function, event or "
        "optional value added; patch: anything else. Running it twice changes nothing.",
    )
    for q in (check, bump):
        q.add_argument(
            "--base", metavar="REF", help="branch, tag or commit (default: origin/main, else main)"
        )
        add_charts_folder(q)
        add_chart_choice(q)
    bump.add_argument("--pr", type=int, metavar="N", help="write the pull-request build X.Y.Z-pr.N.SHA")
    bump.add_argument("--sha", metavar="SHA", help="commit of the pull-request build (default: HEAD)")


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    settings = settings_from(args)
    ref = args.base or default_ref(settings.out)
    if args.action == "check":
        report = check_versions(settings, ref, args.only)
        for chart in report.charts:
            _show(printer, chart, _CHECK_LINES)
        problems = sum(len(c.problems) for c in report.charts)
        verdict = (
            f"{problems} problem{'s' if problems != 1 else ''}" if problems else "versions are consistent"
        )
    else:
        from chartgen.flows import wiring

        if args.sha and args.pr is None:
            raise UserError("--sha goes with --pr N (the pull request's number)")
        pr = None
        if args.pr is not None:
            pr = (args.pr, args.sha or _head_sha(settings.out))
        with wiring.renderer() as helm:
            report = bump_versions(settings, ref, helm, args.only, pr)
        for chart in report.charts:
            _show(printer, chart, _BUMP_LINES)
        bumped = sum(1 for c in report.charts if c.status == "bumped")
        verdict = f"{bumped} version{'s' if bumped != 1 else ''} written"
    count = f"{len(report.charts)} chart{'s' if len(report.charts) != 1 else ''}"
    printer.result(f"{count} changed since {report.base[:12]} (merge-base with {ref}): {verdict}")
    return Outcome(_json(report), exit_code=EXIT_OK if report.ok else EXIT_USER)


def _head_sha(charts: Any) -> str:
    from chartgen.flows import wiring

    return wiring.git_head(charts if charts.exists() else charts.parent)


# One line per chart status and action: (said as a result, text); "" is every other status.
_CHECK_LINES = {
    "new": (False, "+ {c.name} {c.version} (new chart)"),
    "removed": (False, "- {c.name} (removed; was {c.base_version})"),
    "unchanged": (False, "= {c.name} {c.version} (content unchanged)"),
    "": (False, "✔ {c.name} {c.base_version} -> {c.version}"),
}
_BUMP_LINES = {
    "bumped": (True, "{c.name}: {c.base_version} -> {c.version} {why}"),
    "kept": (True, "{c.name}: {c.version} already over {c.base_version} {why}"),
    "new": (False, "{c.name}: {c.version} (new chart, nothing to bump)"),
    "removed": (False, "{c.name}: removed (was {c.base_version})"),
    "": (False, "{c.name}: {c.version} (content unchanged)"),
}


def _show(printer: Printer, c: ChartVersion, lines: dict[str, tuple[bool, str]]) -> None:
    for problem in c.problems:
        printer.result(f"✖ {problem}")
    if not c.problems:
        loud, text = lines.get(c.status, lines[""])
        line = text.format(c=c, why=f"({c.kind}: {'; '.join(c.reasons)})")
        (printer.result if loud else printer.line)(line)
    for note in c.notes:
        printer.line(f"    {c.name}: {note}")


def _json(report: VersionReport) -> dict[str, Any]:
    return {
        "ref": report.ref,
        "base": report.base,
        "charts": [
            {
                "name": c.name,
                "status": c.status,
                "baseVersion": c.base_version,
                "version": c.version,
                "kind": c.kind,
                "reasons": c.reasons,
                "problems": c.problems,
                "notes": c.notes,
            }
            for c in report.charts
        ],
    }
