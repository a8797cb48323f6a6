"""Ctrl-C and SIGTERM while chartgen changes a cluster: passed on, waited for, never a kill.

A cancelled CI job sends SIGTERM, a terminal SIGINT. Killing helm mid-operation is what leaves a
release half-done, so while `forwarding()` is active a signal does not stop chartgen: it is
passed to the running program (helm cleans up: waits end, a failed install is undone), which is
waited for up to GRACE_SECONDS, and the flow asks `received()` to stop before the next step. A
second signal kills the program at once. Children run in sessions of their own (a terminal's
Ctrl-C reaches chartgen only, which passes it on once) and die with chartgen if it is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType

from chartgen.errors import EXIT_INTERRUPTED, ChartgenError

GRACE_SECONDS = 90.0  # how long a program may clean up after the signal was passed on
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_HANDLED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(ChartgenError):
    exit_code = EXIT_INTERRUPTED


class _State:
    active = False
    received: int | None = None
    count = 0
    child: subprocess.Popen[str] | None = None
    deadline = 0.0


_state = _State()


def active() -> bool:
    return _state.active


def received() -> str:
    """The name of the signal received in the current `forwarding()` ("" when none was)."""
    return signal.Signals(_state.received).name if _state.received else ""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _state.received, _state.count = signum, _state.count + 1
    child = _state.child
    if child is None or child.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        if _state.count == 1:
            _state.deadline = time.monotonic() + GRACE_SECONDS
            os.kill(child.pid, signum)
        else:
            os.kill(child.pid, signal.SIGKILL)


@contextlib.contextmanager
def forwarding() -> Iterator[None]:
    """SIGINT and SIGTERM recorded and passed to the running program while inside."""
    previous = {s: signal.signal(s, _on_signal) for s in _HANDLED}
    _state.active, _state.received, _state.count = True, None, 0
    try:
        yield
    finally:
        _state.active, _state.received, _state.count = False, None, 0  # asked only while inside
        for s, handler in previous.items():
            signal.signal(s, handler)


def _die_with_parent() -> None:
    import ctypes  # here, in the child: no start-up cost for every command

    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def run_forwarded(
    argv: Sequence[str],
    timeout: float,
    env: Mapping[str, str] | None,
    input_text: str | None,
    pass_signals: bool,
    cwd: Path | None = None,
) -> tuple[int, str, str]:
    """Run `argv` in a session of its own; (exit code, stdout, stderr). With `pass_signals`
    (helm changing a release) the signals are passed to it; other programs (the reads that
    say what the cluster holds afterwards) finish untouched. A program past its `timeout` (or
    past the grace after a signal) is killed and reported as exit code -9."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    _state.child = proc if pass_signals else None
    deadline = time.monotonic() + timeout
    pending_input = input_text
    out, err = "", ""
    try:
        while True:
            try:
                more_out, more_err = proc.communicate(pending_input, timeout=0.5)
                out, err = out + (more_out or ""), err + (more_err or "")
                break
            except subprocess.TimeoutExpired:
                pending_input = None
                limit = _state.deadline if _state.count and pass_signals else deadline
                if time.monotonic() > limit:
                    proc.kill()
    finally:
        _state.child = None
    return proc.returncode, out, err
