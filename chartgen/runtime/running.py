"""A program chartgen runs here until its probe answers (a workflow runtime, Maven's dev mode,
the Jobs Service), as the commands and tests hold it: its URL, its log with secret values
masked, and one stop for it and everything started for it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from chartgen.errors import UserError
from chartgen.runtime.postgres import Database
from chartgen.tools.processes import Process, stop_group, wait_http

LOG_LINES = 30
MASK = "***"


def mask(text: str, secrets: Iterable[str]) -> str:
    """Every secret value in `text` replaced by ***, longest first."""
    for value in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


class RuntimeFailed(UserError):
    """The runtime did not become ready: why, and its last log lines (secret values masked)."""

    def __init__(self, problem: str, log_tail: list[str]) -> None:
        lines = "".join(f"\n  | {line}" for line in log_tail)
        super().__init__(f"{problem}; its last log lines:{lines}" if log_tail else problem)
        self.problem = problem
        self.log_tail = log_tail


@dataclass
class RunningRuntime:
    url: str
    process: Process
    root: Path
    log_path: Path
    secret_values: list[str]
    database: Database | None
    placeholders: list[str]
    notes: list[str]
    _cleanup: contextlib.ExitStack
    _log_text: str | None = None
    services: dict[str, str] = field(default_factory=dict)  # platform service -> its URL here

    @property
    def pid(self) -> int:
        return self.process.pid

    def logs(self, last: int | None = None) -> str:
        """The runtime's output so far (secret values masked); `last`: only that many lines."""
        if self._log_text is not None:
            text = self._log_text
        else:
            try:
                text = self.log_path.read_text(errors="replace")
            except OSError:
                text = ""
        lines = mask(text, self.secret_values).splitlines()
        return "\n".join(lines[-last:] if last else lines)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, kill: bool = False, grace: float = 20) -> int:
        """Stop the runtime (SIGTERM, then SIGKILL after `grace` s; `kill`: SIGKILL at once, as
        a crash), then the throwaway database and the temp folder. Returns its exit code."""
        code = stop_group(self.process, kill, grace)
        if self._log_text is None:
            self._log_text = self.log_path.read_text(errors="replace") if self.log_path.is_file() else ""
        self._cleanup.close()
        return code

    def __enter__(self) -> RunningRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_started(running: RunningRuntime, path: str, timeout: float, status: Callable[[str], None]) -> str:
    """ "" once `path` answers 200-399 (a Kubernetes httpGet probe's success), else why not."""
    status(f"waiting for {path} (up to {timeout:.0f} s)")
    return wait_http(running.process, running.url, path, timeout)
