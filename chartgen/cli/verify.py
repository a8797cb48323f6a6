"""`chartgen verify`: check the provenance (signature) of a packaged or released chart."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from chartgen.cli.output import Outcome, Printer
from chartgen.errors import UserError
from chartgen.flows import wiring
from chartgen.release.verify import verify_oci, verify_package, verify_repo_dir


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "verify",
        parents=parents,
        help="check the provenance (signature) of a packaged or released chart",
        description="helm verify a chart: a package with its .prov beside it, a chart in an OCI "
        "registry (pulled with its .prov), or NAME VERSION of a chart repository folder.",
    )
    p.add_argument(
        "chart",
        nargs="+",
        metavar="CHART",
        help="NAME-VERSION.tgz, oci://HOST/PATH/NAME:VERSION, or NAME VERSION with --repo-dir",
    )
    p.add_argument("--repo-dir", metavar="DIR", help="classic chart repository folder")
    p.add_argument(
        "--keyring",
        metavar="FILE",
        help="keyring with the signer's public key: gpg --export KEY > pubring.gpg "
        "(default: CHARTGEN_KEYRING)",
    )


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    keyring = args.keyring or os.environ.get("CHARTGEN_KEYRING")
    if not keyring or not Path(keyring).is_file():
        raise UserError("verify needs --keyring FILE (or CHARTGEN_KEYRING): gpg --export KEY > pubring.gpg")
    helm = wiring.helm()
    words = args.chart
    if args.repo_dir:
        if len(words) != 2:
            raise UserError("with --repo-dir, give NAME VERSION")
        package, signer = verify_repo_dir(helm, Path(args.repo_dir), words[0], words[1], Path(keyring))
    elif len(words) != 1:
        raise UserError("give one chart: NAME-VERSION.tgz or oci://HOST/PATH/NAME:VERSION")
    elif words[0].startswith("oci://"):
        package, signer = verify_oci(helm, words[0], Path(keyring))
    else:
        path = Path(words[0])
        package, signer = path.name, verify_package(helm, path, Path(keyring))
    printer.result(f"✔ {package} signed by {signer}")
    return Outcome({"package": package, "signedBy": signer, "verified": True})
