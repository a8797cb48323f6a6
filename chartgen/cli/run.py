"""`chartgen run CHART --env ENV`: a production chart's runtime on this machine, as the cluster
would run it (see chartgen.runtime.local), until Ctrl-C. On the dev chart: its files in Quarkus
dev mode, as the devmode image runs them (see chartgen.runtime.devmode)."""

from __future__ import annotations

import argparse
import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from chartgen.cli.common import add_charts_folder, settings_from
from chartgen.cli.output import Outcome, Printer
from chartgen.errors import EXIT_OK, EXIT_USER, UserError, escape_text
from chartgen.flows.run import chart_folder, is_dev_chart, render_environment
from chartgen.runtime.devmode import start_devmode
from chartgen.runtime.local import read_secrets_file, start_runtime
from chartgen.runtime.postgres import parse_database_url
from chartgen.runtime.running import LOG_LINES, RunningRuntime, RuntimeFailed

DEFAULT_APP = "build/{chart}/target/quarkus-app/quarkus-run.jar"


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run",
        parents=parents,
        help="run a chart's runtime here, as the cluster would (127.0.0.1, until Ctrl-C)",
        description="Render CHART with ENV's values (helm) and run the built runtime with exactly "
        "its container's env, mounted files and probes, on 127.0.0.1; with persistence, against a "
        "throwaway PostgreSQL or --database. The dev chart runs in Quarkus dev mode (mvn "
        "quarkus:dev), as its devmode pod does: workflow files dropped into the folder it prints "
        "are hot-reloaded. Stops everything on Ctrl-C.",
    )
    p.add_argument("chart", metavar="CHART", help="a chart name in the charts folder, or a chart folder")
    p.add_argument(
        "--env", metavar="ENV", help="the environment (values-ENV.yaml); required for production charts"
    )
    add_charts_folder(p)
    p.add_argument("--app", metavar="JAR", help=f"the built runtime (default: {DEFAULT_APP})")
    p.add_argument(
        "--secrets", metavar="FILE", help="KEY=VALUE lines, keyed by Secret key name (default: test values)"
    )
    p.add_argument(
        "--database",
        metavar="URL",
        help="a running PostgreSQL, postgresql://USER:PASSWORD@HOST:PORT/DB (default: a throwaway one)",
    )
    p.add_argument("--port", metavar="N", type=int, help="the HTTP port on 127.0.0.1 (default: a free one)")


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a supervisor stopping chartgen) stops the runtime like Ctrl-C does."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    settings = settings_from(args)
    if args.port is not None and not 0 < args.port < 65536:
        raise UserError(f"--port {args.port}: not a TCP port")
    database = parse_database_url(args.database) if args.database else None
    secrets = read_secrets_file(Path(args.secrets)) if args.secrets else {}
    folder = chart_folder(args.chart, settings.out)
    if is_dev_chart(folder):
        return _run_dev(args, printer, folder, settings.kube_version, secrets)
    objects, name = render_environment(folder, args.env, settings.kube_version)
    app = Path(args.app) if args.app else Path(DEFAULT_APP.format(chart=name))
    label = f"{name} ({args.env})"
    running: RunningRuntime | None = None
    with _terminate_as_interrupt():
        try:
            with printer.progress(label, log=True) as step:
                running = start_runtime(
                    objects,
                    app,
                    label=label,
                    prefer=name,
                    secrets=secrets,
                    database=database,
                    port=args.port,
                    on_status=step,
                )
            for note in running.notes:
                printer.line(f"  note: {note}")
            if running.placeholders:
                printer.line(
                    f"  test values for secret keys: {', '.join(running.placeholders)} (--secrets FILE)"
                )
            if running.database is not None:
                kind = "throwaway " if args.database is None else ""
                printer.line(f"  database: {kind}{running.database.display()}")
            printer.result(f"{label} on {running.url}")
            printer.line("  Ctrl-C stops it")
            code = running.process.wait()
        except RuntimeFailed as exc:
            _failed(printer, exc.problem, exc.log_tail)
            return Outcome({"chart": name, "env": args.env, "url": None, "log": exc.log_tail}, [], EXIT_USER)
        except KeyboardInterrupt:
            if running is not None:
                running.stop()
            printer.line(f"{label}: stopped")
            return Outcome(
                {"chart": name, "env": args.env, "url": running.url if running else None}, [], EXIT_OK
            )
    running.stop()
    tail = running.logs(LOG_LINES).splitlines()
    _failed(printer, f"{label} exited with {code}", tail)
    return Outcome(
        {"chart": name, "env": args.env, "url": running.url, "exit": code, "log": tail}, [], EXIT_USER
    )


def _run_dev(
    args: argparse.Namespace, printer: Printer, folder: Path, kube_version: str, secrets: dict[str, str]
) -> Outcome:
    """The dev chart in Quarkus dev mode until Ctrl-C (or until Maven exits)."""
    for flag, given in (("--app", args.app), ("--database", args.database)):
        if given:
            raise UserError(f"{flag}: a dev chart runs its files in dev mode, with no built app or database")
    objects, name = render_environment(folder, args.env, kube_version, dev=True)
    label = f"{name} (dev mode)"
    running = None
    with _terminate_as_interrupt():
        try:
            with printer.progress(label, log=True) as step:
                running = start_devmode(
                    objects, label=label, name=name, secrets=secrets, port=args.port, on_status=step
                )
            for note in running.notes:
                printer.line(f"  note: {note}")
            printer.result(f"{label} on {running.url}")
            printer.line(f"  drop workflow files into {running.resources} (hot reload, same JVM)")
            printer.line(
                "  nothing is persisted: a restart or a reload loses every instance; Ctrl-C stops it"
            )
            code = running.process.wait()
        except RuntimeFailed as exc:
            _failed(printer, exc.problem, exc.log_tail)
            return Outcome({"chart": name, "mode": "dev", "url": None, "log": exc.log_tail}, [], EXIT_USER)
        except KeyboardInterrupt:
            if running is not None:
                running.stop()
            printer.line(f"{label}: stopped")
            return Outcome(
                {"chart": name, "mode": "dev", "url": running.url if running else None}, [], EXIT_OK
            )
    running.stop()
    tail = running.logs(LOG_LINES).splitlines()
    _failed(printer, f"{label}: Maven exited with {code}", tail)
    return Outcome(
        {"chart": name, "mode": "dev", "url": running.url, "exit": code, "log": tail}, [], EXIT_USER
    )


def _failed(printer: Printer, problem: str, tail: list[str]) -> None:
    """The problem, then the runtime's last log lines (already masked), each escaped."""
    if printer.json:
        return
    printer.error(f"{problem}; its last log lines:" if tail else problem)
    for line in tail:
        print(f"  | {escape_text(line)}", file=printer.err)
