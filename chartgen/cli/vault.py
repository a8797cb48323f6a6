"""`chartgen vault plan|apply|check`: what Vault must grant each production chart, made so,
and checked before a deploy."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from chartgen.cli.common import add_chart_choice, add_charts_folder, settings_from
from chartgen.cli.output import Outcome, Printer, counted
from chartgen.errors import EXIT_OK, EXIT_USER, Diagnostic, UserError
from chartgen.flows.vault import planned_accesses, vault_for
from chartgen.vault.access import VaultAccess, describe
from chartgen.vault.check import check_accesses
from chartgen.vault.client import VaultApi
from chartgen.vault.reconcile import Change, KubernetesAuth, apply

HTTP_URL = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+(/[A-Za-z0-9._~/-]*)?")
MAX_CA_BYTES = 1024 * 1024


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "vault",
        parents=parents,
        help="plan, apply and check what Vault must grant each production chart",
        description="plan: per production chart and environment, the policy (read its secret, "
        "nothing else), the Kubernetes auth role (its ServiceAccount, namespace and audience) and the "
        "secret keys, read from the generated charts. apply: write them to Vault (VAULT_ADDR, "
        "VAULT_TOKEN; idempotent; only names with chartgen.yaml's vault.prefix); an auth mount "
        "with no API server configured is refused (--kubernetes-host configures it). check: what "
        "each chart's pods need: a configured kubernetes auth mount, the role binding exactly the "
        "chart's ServiceAccount and namespace, the policy reading its path, every key (key names "
        "only; values are never shown).",
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
    do.add_argument(
        "--kubernetes-host",
        metavar="URL",
        help="the cluster's API server, which the kubernetes auth mount reviews pod tokens with",
    )
    do.add_argument("--kubernetes-ca", metavar="FILE", help="with --kubernetes-host: its CA (PEM)")
    check = actions.add_parser(
        "check", parents=parents, help="auth mount, role, policy and every key each chart's pods need"
    )
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

    report = apply(api, accesses, args.enable_mounts, show, _kubernetes_auth(args))
    counts = {a: report.count(a) for a in ("enabled", "created", "updated", "unchanged")}
    summary = ", ".join(f"{n} {a}" for a, n in counts.items() if n or a != "enabled")
    changes = [dataclasses.asdict(c) for c in report.changes]
    if report.error is not None:
        printer.line(f"stopped after {len(report.changes)} objects ({summary})")
        diagnostic = Diagnostic("error", str(report.error))
        return Outcome({"changes": changes, "address": api.address}, [diagnostic], EXIT_USER)
    printer.result(f"✔ Vault at {api.address}: {summary}")
    return Outcome({"changes": changes, "address": api.address})


def _kubernetes_auth(args: argparse.Namespace) -> KubernetesAuth | None:
    if args.kubernetes_ca and not args.kubernetes_host:
        raise UserError("--kubernetes-ca goes with --kubernetes-host URL")
    if not args.kubernetes_host:
        return None
    if not HTTP_URL.fullmatch(args.kubernetes_host):
        raise UserError(
            f"--kubernetes-host '{args.kubernetes_host}' is not a URL like https://api.example:6443"
        )
    ca = ""
    if args.kubernetes_ca:
        path = Path(args.kubernetes_ca)
        if not path.is_file() or path.stat().st_size > MAX_CA_BYTES:
            raise UserError(f"--kubernetes-ca {args.kubernetes_ca}: not a CA file (PEM, at most 1 MiB)")
        ca = path.read_text(encoding="utf-8", errors="replace")
        if "BEGIN CERTIFICATE" not in ca:
            raise UserError(f"--kubernetes-ca {args.kubernetes_ca}: no PEM certificate in it")
    return KubernetesAuth(args.kubernetes_host, ca)


def _check(printer: Printer, api: VaultApi, accesses: list[VaultAccess]) -> Outcome:
    results = check_accesses(api, accesses)
    for r in results:
        a = r.access
        if r.ok:
            printer.line(f"✔ {a.chart} {a.env}: role {a.role}, policy {a.policy}, {len(a.keys)} keys at "
                         f"{a.kv_mount}/{a.path}")  # fmt: skip
        for line in r.lines():
            printer.line(f"✖ {a.chart} {a.env}: {line}")
    failed = [r for r in results if not r.ok]
    printer.result(
        f"{counted(len(results), 'chart')} checked in Vault at {api.address}: {len(failed)} not ready"
    )
    charts = [
        {"chart": r.access.chart, "environment": r.access.env, "missing": r.missing, "problems": r.lines()}
        for r in results
    ]
    return Outcome({"charts": charts, "address": api.address}, [], EXIT_USER if failed else EXIT_OK)


def _summary(accesses: list[VaultAccess]) -> str:
    charts = len({a.chart for a in accesses})
    envs = ", ".join(sorted({a.env for a in accesses})) or "none"
    return f"{counted(charts, 'chart')}; environments: {envs}"
