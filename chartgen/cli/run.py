"""`chartgen run CHART --env ENV`: a production chart's runtime on this machine, as the cluster
would run it (see chartgen.runtime.local), until Ctrl-C. On the dev chart: its files in Quarkus
dev mode, as the devmode image runs them (see chartgen.runtime.devmode)."""

from __future__ import annotations

import argparse
import contextlib
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Any

from chartgen.cli.common import add_charts_folder, settings_from
from chartgen.cli.output import Outcome, Printer
from chartgen.errors import EXIT_OK, EXIT_USER, escape_text
from chartgen.flows.run import DEFAULT_APP, prepare_run
from chartgen.runtime.devmode import RunningDevmode
from chartgen.runtime.running import LOG_LINES, RunningRuntime, RuntimeFailed


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
    p.add_argument(
        "--container",
        action="store_true",
        help="run the image `chartgen build --image` built, with podman, as the pod runs it (its user, "
        "read-only root, no capabilities, mounts, limits) instead of the jar with this machine's Java, "
        "on a podman network with PostgreSQL and the platform services it sends to in containers "
        "(--database must then be reachable from it, not 127.0.0.1); on the dev chart, its devmode "
        "image instead of this machine's Maven",
    )


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
    ready = prepare_run(
        settings, args.chart, args.env, args.app, args.secrets, args.database, args.port, args.container
    )
    about: dict[str, Any] = {"chart": ready.name, **({"mode": "dev"} if ready.dev else {"env": args.env})}
    running: RunningRuntime | None = None
    with _terminate_as_interrupt():
        try:
            with printer.progress(ready.label, log=True) as step:
                running = ready.start(step)
            _show_started(printer, ready.label, running, args.database is None)
            code = running.process.wait()
        except RuntimeFailed as exc:
            _failed(printer, exc.problem, exc.log_tail)
            return Outcome({**about, "url": None, "log": exc.log_tail}, [], EXIT_USER)
        except KeyboardInterrupt:
            if running is not None:
                running.stop()
            printer.line(f"{ready.label}: stopped")
            return Outcome({**about, "url": running.url if running else None}, [], EXIT_OK)
    running.stop()
    tail = running.logs(LOG_LINES).splitlines()
    _failed(printer, f"{ready.label}{': Maven' if ready.dev else ''} exited with {code}", tail)
    return Outcome({**about, "url": running.url, "exit": code, "log": tail}, [], EXIT_USER)


def _show_started(printer: Printer, label: str, running: RunningRuntime, throwaway: bool) -> None:
    for note in running.notes:
        printer.line(f"  note: {note}")
    if isinstance(running, RunningDevmode):
        printer.result(f"{label} on {running.url}")
        printer.line(f"  drop workflow files into {running.resources} (hot reload, same JVM)")
        printer.line("  nothing is persisted: a restart or a reload loses every instance; Ctrl-C stops it")
        return
    if running.placeholders:
        printer.line(f"  test values for secret keys: {', '.join(running.placeholders)} (--secrets FILE)")
    if running.database is not None:
        printer.line(f"  database: {'throwaway ' if throwaway else ''}{running.database.display()}")
    for service, url in running.services.items():
        printer.line(f"  {service}: {url}")
    printer.result(f"{label} on {running.url}")
    printer.line("  Ctrl-C stops it")


def _failed(printer: Printer, problem: str, tail: list[str]) -> None:
    """The problem, then the runtime's last log lines (already masked), each escaped."""
    if printer.json:
        return
    printer.error(f"{problem}; its last log lines:" if tail else problem)
    for line in tail:
        print(f"  | {escape_text(line)}", file=printer.err)
