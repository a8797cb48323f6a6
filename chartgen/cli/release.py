"""`chartgen release`: package and publish the chart versions not released yet (OCI or a chart repo)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from chartgen.cli.common import add_chart_choice, add_charts_folder, settings_from
from chartgen.cli.output import Outcome, Printer, counted
from chartgen.errors import EXIT_OK, EXIT_USER, UserError
from chartgen.flows import wiring
from chartgen.flows.release import run_release
from chartgen.release.chart import ChartRelease, Signing
from chartgen.release.targets import parse_target

MARKS = {"released": "✔", "skipped": "=", "failed": "✖"}


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "release",
        parents=parents,
        help="package and publish charts whose version is not released yet (OCI or a chart repo)",
        description="Release every generated chart of the charts folder whose version is not in the "
        "target yet: helm package (signed with --sign-key), then helm push to an OCI registry or a "
        "merged index.yaml in a chart repository folder, and the git tag NAME-VERSION on the commit "
        "the chart comes from. A released version is immutable: the same content is skipped, other "
        "content is an error. Registry credentials come from `helm registry login`.",
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--to", metavar="oci://HOST/PATH", help="OCI registry (plain HTTP only on loopback)")
    where.add_argument("--repo-dir", metavar="DIR", help="classic chart repository folder (index.yaml)")
    p.add_argument("--repo-url", metavar="URL", help="with --repo-dir: the URL it is served at")
    add_charts_folder(p)
    add_chart_choice(p)
    p.add_argument("--base", metavar="REF", help="only charts changed since the merge-base with REF")
    p.add_argument("--sign-key", metavar="NAME", help="sign with this key (default: CHARTGEN_SIGN_KEY)")
    p.add_argument(
        "--keyring",
        metavar="FILE",
        help="secret keyring holding the key, legacy format: gpg --export-secret-keys > secring.gpg "
        "(default: CHARTGEN_KEYRING)",
    )
    p.add_argument("--passphrase-file", metavar="FILE", help="the key's passphrase (if it has one)")


def signing_from(args: argparse.Namespace) -> Signing | None:
    key = args.sign_key or os.environ.get("CHARTGEN_SIGN_KEY")
    keyring = args.keyring or os.environ.get("CHARTGEN_KEYRING")
    if not key:
        return None
    if not keyring or not Path(keyring).is_file():
        raise UserError(
            "signing needs --keyring FILE (or CHARTGEN_KEYRING): a secret keyring, "
            "gpg --export-secret-keys > secring.gpg"
        )
    passphrase = Path(args.passphrase_file) if args.passphrase_file else None
    if passphrase and not passphrase.is_file():
        raise UserError(f"--passphrase-file {args.passphrase_file}: no such file")
    return Signing(key, Path(keyring), passphrase)


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    target = parse_target(args.to, args.repo_dir, args.repo_url)
    signing = signing_from(args)
    settings = settings_from(args)
    helm = wiring.helm()

    def show(r: ChartRelease) -> None:
        where = f"{r.name} {r.version}".strip() + (":" if r.state == "failed" else "")
        printer.result(f"{MARKS[r.state]} {where} {r.message}")
        if r.state == "released" and r.changes:
            printer.line(f"    changes: {summary(r.changes)}")

    only = tuple(dict.fromkeys(args.only))
    results = run_release(settings.out, target, helm, only, args.base, signing, show)
    counts = {state: sum(1 for r in results if r.state == state) for state in MARKS}
    printer.result(
        f"{counted(len(results), 'chart')} for {target}: {counts['released']} released, "
        f"{counts['skipped']} already released, {counts['failed']} failed"
    )
    charts_json = [
        {
            "name": r.name,
            "version": r.version,
            "state": r.state,
            "message": r.message,
            "tag": r.tag or None,
            "commit": r.commit or None,
            "signed": r.signed,
            "changes": r.changes,
        }
        for r in results
    ]
    code = EXIT_USER if counts["failed"] else EXIT_OK
    return Outcome({"target": str(target), "charts": charts_json}, [], code)


def summary(changes: list[Any]) -> str:
    """`kind: description; ...` of artifacthub.io/changes entries (or their text)."""
    parts = []
    for item in changes:
        if isinstance(item, dict):
            kind, text = item.get("kind"), item.get("description", "")
            parts.append(f"{kind}: {text}" if kind else str(text))
        else:
            parts.append(str(item))
    return "; ".join(parts)
