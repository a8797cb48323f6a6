"""`chartgen deploy --env ENV`: helm upgrade --install each chart, checked first, rolled back on failure."""

from __future__ import annotations

import argparse
import dataclasses
import signal
from pathlib import Path
from typing import Any

from chartgen.cli.common import add_chart_choice, add_charts_folder, add_cluster_options, settings_from
from chartgen.cli.output import Outcome, Printer
from chartgen.deploy.stranded import check_reason
from chartgen.deploy.upgrade import DeployResult
from chartgen.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_POLICY, EXIT_USER, UserError
from chartgen.flows import wiring
from chartgen.flows.deploy import Checks, DeployReport, check_registry, run_deploy

MARKS = {
    "installed": "✔",
    "upgraded": "✔",
    "repaired": "✔",
    "unchanged": "=",
    "rolled back": "↩",
    "failed": "✖",
    "refused": "✖",
}


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "deploy",
        parents=parents,
        help="helm upgrade --install each chart into an environment: checks, wait, roll back on failure",
        description="For each chart that has ENV: policy check and vault check for ENV first (nothing "
        "is deployed when either fails), then a preflight per chart (namespace, CRDs, access, "
        "placeholders: a chart that fails it is refused), then helm upgrade --install (release = "
        "chart name, the environment's namespace and values file) --wait, with a timeout of the "
        "chart's startup allowance plus a margin, rolled back on failure. A release a killed helm "
        "left half-done is recovered first; a release already running this chart and these values "
        "is left alone unless its objects drifted, which are then put back (repaired). Ctrl-C and "
        "SIGTERM are passed to helm and waited for. A production chart whose new version removes a "
        "workflow, state or event that live instances wait in (asked of the Data Index) is refused "
        "unless --allow-stranded REASON. Exit 1 when a chart failed or was refused, 2 when one was "
        "refused because instances would be stranded.",
    )
    p.add_argument("--env", required=True, metavar="ENV", help="the environment (values-ENV.yaml)")
    add_chart_choice(p)
    p.add_argument(
        "--version-from",
        metavar="charts|oci://HOST/PATH",
        default="charts",
        help="charts: the charts folder (default); oci://...: the released package of each chart's "
        "version, which must hold the same content",
    )
    p.add_argument(
        "--image-digests",
        metavar="DIR",
        help="<image>.digest files (sha256:...) the image stage writes, one per build context (a "
        "chart's runtime, a platform service): the image each runs",
    )
    add_check_options(p)
    add_charts_folder(p)
    add_cluster_options(p)


def add_check_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--skip-vault-check", action="store_true", help="do not check Vault first (printed in the report)"
    )
    p.add_argument(
        "--skip-policy-check", action="store_true", help="do not check the policies first (printed)"
    )
    p.add_argument("--vault-address", metavar="URL", help="Vault for the check (default: VAULT_ADDR)")
    p.add_argument(
        "--create-namespace",
        action="store_true",
        help="create a missing namespace, labelled for Pod Security level restricted",
    )
    p.add_argument(
        "--data-index",
        metavar="URL",
        help="the Data Index to ask which instances wait in what a new version removes (default: "
        "the charts' dataIndex.url for ENV)",
    )
    p.add_argument(
        "--allow-stranded",
        metavar="REASON",
        help="deploy a chart even when live instances wait in a workflow, state or event its new "
        "version removes (or when that cannot be asked); REASON is printed and recorded as the "
        "revision's description (helm history)",
    )


def checks_from(args: argparse.Namespace) -> Checks:
    if args.allow_stranded is not None and (problem := check_reason(args.allow_stranded)):
        raise UserError(problem)
    return Checks(
        args.skip_vault_check, args.skip_policy_check, args.vault_address, args.create_namespace,
        args.data_index, args.allow_stranded,
    )  # fmt: skip


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    settings = settings_from(args)
    registry = "" if args.version_from == "charts" else check_registry(args.version_from)
    cluster = wiring.cluster(args.kubeconfig, args.context)
    printer.line(f"cluster: {cluster.describe()}")
    digests = Path(args.image_digests) if args.image_digests else None
    report = run_deploy(
        settings, args.env, tuple(dict.fromkeys(args.only)), registry, digests, checks_from(args),
        wiring.deploy_tools(cluster), lambda r: show_result(printer, r), printer.line,
    )  # fmt: skip
    return report_outcome(printer, report)


def show_result(printer: Printer, r: DeployResult) -> None:
    if r.recovered:
        printer.line(f"  {r.name}: {r.recovered}")
    line = f"{MARKS[r.result]} {r.name} {r.result}"
    printer.line(f"{line}: {r.message}" if r.message else line)
    for repaired in r.repaired:
        printer.line(f"    {repaired}")
    for instance in r.stranded:
        printer.line(f"    stranded: {instance}")


def report_outcome(printer: Printer, report: DeployReport) -> Outcome:
    """A summary table (chart, namespace, version from -> to, revision, result, time) and one
    verdict (the checks were printed as they ran); exit 1 when a chart failed."""
    rows = [("CHART", "NAMESPACE", "VERSION", "REVISION", "RESULT", "TIME")]
    rows += [
        (r.name, r.namespace, _change(r.version_from, r.version), _change(r.revision_from, r.revision),
         r.result, f"{r.seconds:.1f}s")
        for r in report.results
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    printer.result("\n".join(lines), multiline=True)
    failed = [r.name for r in report.results if not r.ok]
    counts = {k: sum(1 for r in report.results if r.result == k) for k in MARKS}
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    failures = f"; failed: {', '.join(failed)}" if failed else ""
    stopped = f"; stopped by {report.interrupted}" if report.interrupted else ""
    printer.result(f"{report.env} from {report.source}: {summary}{failures}{stopped}")
    document = {
        "environment": report.env,
        "source": report.source,
        "checks": report.checks,
        "charts": [dataclasses.asdict(r) for r in report.results],
        "interrupted": report.interrupted,
    }
    code = EXIT_USER if failed else EXIT_OK
    if any(r.result == "refused" and r.stranded for r in report.results):
        code = EXIT_POLICY  # refused to strand instances: the same verdict as a policy
    if report.interrupted:  # 128 + the signal, as a shell reports a program the signal stopped
        code = EXIT_INTERRUPTED - signal.SIGINT + signal.Signals[report.interrupted]
    return Outcome(document, [], code)


def _change(before: object, after: object) -> str:
    """`after`, or `before -> after` when it moved ("-" for none at all): what ran before the
    command and what runs after it, read back from the cluster."""
    if before in ("", 0, after):
        return str(after or "-")
    return f"{before} -> {after or '-'}"
