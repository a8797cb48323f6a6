"""`chartgen vault plan|apply|check`: what Vault must grant each production chart, made so,
and checked before a deploy."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

from chartgen.cli.common import add_chart_choice, add_charts_folder, settings_from
from chartgen.cli.output import Outcome, Printer, counted
from chartgen.errors import EXIT_OK, EXIT_USER, Diagnostic, UserError
from chartgen.flows.vault import planned_accesses, vault_for
from chartgen.vault.access import VaultAccess, describe
from chartgen.vault.client import VaultApi
from chartgen.vault.presence import check_presence
from chartgen.vault.reconcile import Change, apply


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "vault",
        parents=parents,
        help="plan, apply and check what Vault must grant each production chart",
        description="plan: per production chart and environment, the policy (read its secret, "
        "nothing else), the Kubernetes auth role (its ServiceAccount, namespace and audience) and the "
        "secret keys, read from the generated charts. apply: write them to Vault (VAULT_ADDR, "
        "VAULT_TOKEN; idempotent; only names with chartgen.yaml's vault.prefix). check: every key "
        "every chart needs is in Vault (key names only; values are never shown).",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    plan = actions.add_parser("plan", parents=parents, help="print (and --write) the policies and roles")
    plan.add_argument("--format", choices=("text", "json", "hcl"), default="text", help="output format")
    plan.add_argument("--write", metavar="DIR", help="also write <DIR>/<env>/<chart>.hcl and .json")
    do = actions.add_parser("apply", parents=parents, help="write the planned policies and roles to Vault")
    do.add_argument(
        "--enable-mounts",
        action="store_true",
        help="enable a missing kv-v2 mount or kubernetes auth method (otherwise: an error)",
    )
    check = actions.add_parser("check", parents=parents, help="every key every chart needs exists in Vault")
    for action in (plan, do, check):
        action.add_argument("--env", action="append", default=[], metavar="ENV", help="only this environment")
        add_chart_choice(action)
        add_charts_folder(action)
    for action in (do, check):
        action.add_argument("--address", help="Vault address (default: VAULT_ADDR; one of them is required)")


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    settings = settings_from(args)
    if args.action == "check" and not args.env:
        raise UserError("vault check needs --env: the environment about to be deployed")
    write = args.write if args.action == "plan" else None
    accesses = planned_accesses(settings, args.env, args.only, write)
    if not accesses:
        where = f" in environment {', '.join(args.env)}" if args.env else " in this selection"
        printer.result(f"no chart reads a secret from Vault{where}: nothing to {args.action}")
        return Outcome({"plan": [], "changes": [], "charts": []})
    if args.action == "plan":
        return _plan(args, printer, accesses)
    api = vault_for(args.address, accesses)
    if args.action == "apply":
        return _apply(args, printer, api, accesses)
    return _check(printer, api, accesses)


def _plan(args: argparse.Namespace, printer: Printer, accesses: list[VaultAccess]) -> Outcome:
    documents = [a.as_dict() for a in accesses]
    if args.format == "json":
        printer.result(json.dumps(documents, indent=2), multiline=True)
    elif args.format == "hcl":
        printer.result("\n".join(f"# policy {a.policy}\n{a.policy_hcl()}" for a in accesses), multiline=True)
    else:
        lines = [line for a in accesses for line in (*describe(a), "")]
        lines.append(f"{counted(len(accesses), 'policy', 'policies')} and roles ({_summary(accesses)})")
        printer.result("\n".join(lines), multiline=True)
    return Outcome({"plan": documents})


def _apply(args: argparse.Namespace, printer: Printer, api: VaultApi, accesses: list[VaultAccess]) -> Outcome:
    def show(change: Change) -> None:
        whose = f" ({change.chart}/{change.env})" if change.chart else ""
        printer.line(f"{change.action:9} {change.kind} {change.name}{whose}")

    report = apply(api, accesses, args.enable_mounts, show)
    counts = {a: report.count(a) for a in ("enabled", "created", "updated", "unchanged")}
    summary = ", ".join(f"{n} {a}" for a, n in counts.items() if n or a != "enabled")
    changes = [dataclasses.asdict(c) for c in report.changes]
    if report.error is not None:
        printer.line(f"stopped after {len(report.changes)} objects ({summary})")
        diagnostic = Diagnostic("error", str(report.error))
        return Outcome({"changes": changes, "address": api.address}, [diagnostic], EXIT_USER)
    printer.result(f"✔ Vault at {api.address}: {summary}")
    return Outcome({"changes": changes, "address": api.address})


def _check(printer: Printer, api: VaultApi, accesses: list[VaultAccess]) -> Outcome:
    results = check_presence(api, accesses)
    for r in results:
        a = r.access
        if r.ok:
            printer.line(f"✔ {a.chart} {a.env}: {len(a.keys)} keys at {a.kv_mount}/{a.path}")
        elif r.problem:
            printer.line(f"✖ {a.chart} {a.env}: {r.problem} (needs keys: {', '.join(a.keys)})")
        else:
            printer.line(
                f"✖ {a.chart} {a.env}: missing keys at {a.kv_mount}/{a.path}: {', '.join(r.missing)}"
            )
    failed = [r for r in results if not r.ok]
    printer.result(
        f"{counted(len(results), 'chart')} checked in Vault at {api.address}: {len(failed)} with missing keys"
    )
    charts = [
        {"chart": r.access.chart, "environment": r.access.env, "missing": r.missing, "problem": r.problem}
        for r in results
    ]
    return Outcome({"charts": charts, "address": api.address}, [], EXIT_USER if failed else EXIT_OK)


def _summary(accesses: list[VaultAccess]) -> str:
    charts = len({a.chart for a in accesses})
    envs = ", ".join(sorted({a.env for a in accesses})) or "none"
    return f"{counted(charts, 'chart')}; environments: {envs}"
