"""`chartgen`: the single error boundary and the command dispatch.

Exit codes: 0 ok; 1 bad input (a bad command line too) or failed checks; 2 a policy refusal
(well-formed input a production rule does not allow); 3 a bug; 130 interrupted; 141 the output
was closed (`chartgen ... | head -1`: nothing more is printed, no traceback). With
`--output json` every outcome, usage errors included, is one JSON envelope on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import re
import shlex
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any, NoReturn

from chartgen import __version__
from chartgen.cli.output import Outcome, Printer, counted, envelope
from chartgen.errors import (
    EXIT_BUG,
    EXIT_INTERRUPTED,
    EXIT_PIPE,
    EXIT_USER,
    ChartgenError,
    UserError,
    escape_text,
    os_error_text,
)

# Command modules are imported only when their command runs: startup stays cheap.
COMMANDS = (
    "validate",
    "generate",
    "lint",
    "version",
    "diff",
    "graph",
    "release",
    "verify",
    "build",
    "run",
    "cluster",
    "test",
    "dev",
    "schema",
    "vault",
    "policy",
    "deploy",
    "drift",
    "instances",
    "promote",
    "init",
    "doctor",
)
WRITING_COMMANDS = ("generate", "init")  # whose refusal leaves the files as they were
HELP = {
    "validate": "check workflow projects (located errors, nothing written)",
    "generate": "write the dev chart(s) and one production chart per workflow project",
    "lint": "helm lint --strict, helm template and strict schema checks of every chart",
    "version": "check or bump chart versions against a base branch (exact, immutable versions)",
    "diff": "what a pull request changes in each chart and environment (rendered by helm)",
    "graph": "draw each workflow's states and transitions (Mermaid, DOT, JSON); with --base, what changed",
    "release": "package and publish charts whose version is not released yet (OCI or a chart repo)",
    "build": "write and build the runtime each production chart deploys (Maven project, Containerfile)",
    "run": "run a production chart's runtime here, as the cluster would (127.0.0.1, until Ctrl-C)",
    "verify": "check the provenance (signature) of a packaged or released chart",
    "cluster": "start or stop a local Kubernetes control plane (real API server, simulated nodes)",
    "test": "install, helm test, upgrade, roll back and uninstall every chart on a cluster",
    "dev": "work with a running dev pod (hot deploy)",
    "schema": "print the JSON Schema of profiles or chart values",
    "vault": "plan, apply and check what Vault must grant each production chart",
    "policy": "check every rendered chart against the production or dev policies (Rego, opa)",
    "deploy": "helm upgrade --install each chart into an environment: checks, wait, roll back on failure",
    "drift": "compare each release's live objects with what its chart renders (exit 1 on drift)",
    "instances": "the workflow instances of an environment, from its Data Index: status and where each waits",
    "promote": "deploy to one environment exactly the chart versions and image digests running in another",
    "init": "start a workflows repository: chartgen.yaml, example profiles and a CI pipeline",
    "doctor": "list the external programs chartgen runs: version, where found, how to get what is missing",
}


class UsageError(Exception):
    """A bad command line: exit 1 (never argparse's own 2, which means a policy refusal here)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def command_module(name: str) -> ModuleType:
    return importlib.import_module(f"chartgen.cli.{name}")


def build_parser(command: str | None) -> argparse.ArgumentParser:
    """The parser; only the chosen command's module is imported to describe its options."""
    parser = _Parser(
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
    shared = _Parser(add_help=False)
    shared.add_argument("--output", choices=("text", "json"), default=argparse.SUPPRESS, help="output format")
    shared.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="less output")
    shared.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help="settings file")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for name in COMMANDS:
        if name == command:
            command_module(name).add_parser(sub, [shared])
        else:
            sub.add_parser(name, help=HELP[name], add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every outcome is an exit code and printed text, never a traceback."""
    try:
        try:
            code = _run(list(sys.argv[1:] if argv is None else argv))
        except SystemExit:  # --help and --version: argparse printed, then exits
            _flush_stdout()
            raise
        _flush_stdout()  # a reader that went away shows here, not at interpreter exit
        return code
    except BrokenPipeError:  # the reader of stdout or stderr went away: stop quietly
        _discard_output()
        return EXIT_PIPE


def _run(args_list: list[str]) -> int:
    command = _command_of(args_list)
    printer = Printer(_output_format(args_list), "-q" in args_list or "--quiet" in args_list)
    parser: argparse.ArgumentParser | None = None
    try:
        parser = build_parser(command)
        args = parser.parse_args(args_list)
        printer = Printer(args.output, args.quiet)
        if args.directory:
            _change_directory(args.directory)
        outcome: Outcome = command_module(args.command).run(args, printer)
    except UsageError as exc:
        return _fail(printer, command, EXIT_USER, str(exc) + _suggestion(str(exc), parser), usage=True)
    except ChartgenError as exc:
        if exc.diagnostics:
            printer.diagnostics(exc.diagnostics)
            errors = sum(1 for d in exc.diagnostics if d.severity == "error")
            written = "; nothing was written" if command in WRITING_COMMANDS else ""
            message = f"{counted(errors, 'error')}{written}"
        else:
            message = str(exc)
        return _fail(printer, command, exc.exit_code, message, exc.diagnostics)
    except KeyboardInterrupt:
        return _fail(printer, command, EXIT_INTERRUPTED, "interrupted")
    except BrokenPipeError:  # our own output is closed: nothing more can be said (main)
        raise
    except OSError as exc:  # a file or folder the user named that cannot be used
        return _fail(printer, command, EXIT_USER, os_error_text(exc))
    except Exception:  # the boundary: a bug, reported with where to find the details
        return _fail(printer, command, EXIT_BUG, _crash_report(args_list))
    with _signals_held() as came:  # the report of what was done is printed whole
        printer.diagnostics(outcome.diagnostics)
        printer.document(envelope(command, outcome.exit_code, outcome.result, outcome.diagnostics))
    return 128 + came[0] if came else outcome.exit_code


@contextlib.contextmanager
def _signals_held() -> Iterator[list[int]]:
    """SIGINT and SIGTERM noted, not acted on, while inside (a Ctrl-C pressed as the report
    prints would cut it and print a traceback); the caller exits with the first one's code."""
    came: list[int] = []
    handled = (signal.SIGINT, signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread():  # only it may handle signals
        yield came
        return
    previous = {s: signal.signal(s, lambda signum, _frame: came.append(signum)) for s in handled}
    try:
        yield came
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _suggestion(message: str, parser: argparse.ArgumentParser | None) -> str:
    """` (did you mean 'x'?)` for a mistyped command, choice or option (argparse of Python 3.11
    names neither)."""
    from chartgen.schema.check import did_you_mean

    choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if choice:
        return did_you_mean(choice.group(1), re.findall(r"'([^']*)'", choice.group(2)))
    unknown = re.search(r"unrecognized arguments: (.*)", message)
    if unknown and parser is not None:
        options = _option_strings(parser)
        for word in unknown.group(1).split():
            hint = did_you_mean(word.split("=", 1)[0], options) if word.startswith("--") else ""
            if hint:
                return hint
    return ""


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every long option of `parser` and of the command parsers under it."""
    found: set[str] = set()
    for action in parser._actions:
        found.update(o for o in action.option_strings if o.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _option_strings(sub)
    return found


def _change_directory(directory: str) -> None:
    try:
        os.chdir(directory)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise UserError(f"-C {directory}: cannot run in this folder: {reason}") from None


def _crash_report(args_list: list[str]) -> str:
    """Write the traceback to a new private file (mkstemp: a unique name, created with O_EXCL
    and mode 0600, so a name planted in the shared temp folder is never followed); the message
    says where it is."""
    details = f"chartgen {__version__}\n{shlex.join(['chartgen', *args_list])}\n{traceback.format_exc()}"
    try:
        fd, log = tempfile.mkstemp(prefix="chartgen-crash-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(details)
    except OSError as exc:  # no crash log: the details go to stderr, or the bug is lost
        print("\n".join(escape_text(line) for line in details.rstrip("\n").split("\n")), file=sys.stderr)
        return f"unexpected internal error (a bug); no crash log ({os_error_text(exc)}), details above"
    return f"unexpected internal error (a bug); details in {log}"


def _flush_stdout() -> None:
    if sys.stdout is not None:
        sys.stdout.flush()


def _discard_output() -> None:
    """Point stdout and stderr at the null device, so text still buffered for a closed pipe is
    dropped at exit instead of failing again ("Exception ignored ... BrokenPipeError")."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(AttributeError, OSError, ValueError):  # not a real file (a test's)
                os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)


def _fail(
    printer: Printer, command: str | None, code: int, message: str, diagnostics: Any = (), usage: bool = False
) -> int:
    if printer.json:
        printer.document(envelope(command, code, None, list(diagnostics), message))
    else:
        printer.error(message, "(chartgen --help lists the commands and options)" if usage else "")
    return code


def _command_of(argv: list[str]) -> str | None:
    """The command named on the command line: the first word that is not a global option."""
    words = iter(argv)
    for arg in words:
        if arg in ("-C", "--config", "--output"):
            next(words, None)
        elif not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def _output_format(argv: list[str]) -> str:
    """--output as written, before parsing (a usage error is reported in the format asked for)."""
    for i, arg in enumerate(argv):
        if arg == "--output" and i + 1 < len(argv):
            return argv[i + 1] if argv[i + 1] in ("text", "json") else "text"
        if arg.startswith("--output="):
            return arg.split("=", 1)[1] if arg.split("=", 1)[1] in ("text", "json") else "text"
    return "text"
