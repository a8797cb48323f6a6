"""`chartgen`: the single error boundary and the command dispatch.

Exit codes: 0 ok, 1 user error or failed checks, 2 policy failure, 3 bug, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

from chartgen import __version__
from chartgen.cli import cluster, dev, generate, lint, test, validate
from chartgen.cli.output import Printer, diagnostics_json
from chartgen.errors import EXIT_BUG, ChartgenError

COMMANDS = {
    "validate": validate,
    "generate": generate,
    "lint": lint,
    "cluster": cluster,
    "test": test,
    "dev": dev,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chartgen",
        description="Serverless Workflow projects + environment profiles -> Helm charts "
        "(one dev pod for the repository, one production chart per workflow project).",
    )
    parser.add_argument("--version", action="version", version=f"chartgen {__version__}")
    parser.add_argument("-C", dest="directory", metavar="DIR", help="run as if started in DIR")
    parser.add_argument("--config", metavar="FILE", help="settings file (default: ./chartgen.yaml)")
    parser.add_argument("--output", choices=("text", "json"), default="text", help="output format")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors and results")
    # The same options after the command name (`chartgen lint --output json`).
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--output", choices=("text", "json"), default=argparse.SUPPRESS, help="output format")
    shared.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="less output")
    shared.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help="settings file")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS.values():
        module.add_parser(sub, [shared])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    printer = Printer(args.output, args.quiet)
    try:
        if args.directory:
            os.chdir(args.directory)
        return int(COMMANDS[args.command].run(args, printer))
    except ChartgenError as exc:
        if printer.json:
            printer.document(
                {
                    "ok": False,
                    "error": str(exc) if not exc.diagnostics else None,
                    "diagnostics": diagnostics_json(exc.diagnostics),
                }
            )
        elif exc.diagnostics:
            printer.diagnostics(exc.diagnostics)
            errors = sum(1 for d in exc.diagnostics if d.severity == "error")
            printer.error(f"{errors} error{'s' if errors != 1 else ''}; nothing was written")
        else:
            printer.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        printer.error("interrupted")
        return 130
    except OSError as exc:
        printer.error(f"{exc.filename or ''}: {exc.strerror}" if exc.strerror else str(exc))
        return 1
    except Exception:  # the boundary: a bug, reported with where to find the details
        log = Path(tempfile.gettempdir()) / "chartgen-crash.log"
        log.write_text(f"chartgen {__version__}\n{' '.join(sys.argv)}\n{traceback.format_exc()}")
        printer.error(f"unexpected internal error (a bug); details in {log}")
        return EXIT_BUG
