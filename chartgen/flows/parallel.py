"""Run independent jobs on the machine's cores: each job but the last in a forked child, the
last in this process. A child starts with this process' memory (nothing is sent to it) and
sends back only its job's result, pickled."""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from chartgen.errors import ChartgenError, UserError

T = TypeVar("T")
MAX_PROCESSES = 4
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def processes(jobs: int, smallest: int) -> int:
    """How many processes `jobs` units of work deserve: at most one per core (of those this
    process may use) and per `smallest` units, so a small run never pays for a fork."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, MAX_PROCESSES, jobs // smallest))


def in_parallel(jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Every job's result, in order. A job's ChartgenError is raised here as itself, anything
    else as an internal error carrying the child's traceback."""
    if len(jobs) <= 1 or not hasattr(os, "fork"):
        return [job() for job in jobs]
    pending = [_fork(job) for job in jobs[:-1]]
    try:
        mine = jobs[-1]()
        results = []
        while pending:
            results.append(_collect(*pending.pop(0)))
        return [*results, mine]
    finally:
        for pid, fd in pending:  # this process failed first: its children are of no use
            os.kill(pid, signal.SIGKILL)
            _collect(pid, fd, wanted=False)


def _fork(job: Callable[[], object]) -> tuple[int, int]:
    read_fd, write_fd = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: run, send, and leave without running the parent's cleanup
        code = 0
        try:
            _die_with(parent)
            # Only the pipe is the child's: the output folder's lock (a descriptor this process
            # holds) must end with the parent, whatever happens to the child.
            os.closerange(3, write_fd)
            os.closerange(write_fd + 1, os.sysconf("SC_OPEN_MAX"))
            try:
                outcome: tuple[Any, ...] = ("ok", job())
            except ChartgenError as exc:
                outcome = ("error", type(exc), exc.args[0] if exc.args else "", exc.diagnostics)
            except BaseException:
                outcome = ("crash", traceback.format_exc())
            with os.fdopen(write_fd, "wb") as pipe:
                pickle.dump(outcome, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    return pid, read_fd


def _die_with(parent: int) -> None:
    """A child outliving a killed parent would go on writing into its staging folder and hold
    the output folder's lock (its descriptor is inherited): the kernel kills it with the
    parent (Linux's PR_SET_PDEATHSIG), and it leaves at once if the parent is already gone."""
    import ctypes  # only a forked child needs it: not on every command's start-up

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _collect(pid: int, fd: int, wanted: bool = True) -> Any:
    with os.fdopen(fd, "rb") as pipe:
        try:
            outcome = pickle.load(pipe) if wanted else None
        except (EOFError, pickle.UnpicklingError):
            outcome = ("crash", "the process ended without a result")
    os.waitpid(pid, 0)
    if outcome is None:
        return None
    if outcome[0] == "ok":
        return outcome[1]
    if outcome[0] == "error":
        _, kind, message, diagnostics = outcome
        same = kind.__init__ is ChartgenError.__init__  # else its own arguments: keep what it said
        raise kind(message, diagnostics) if same else UserError(message, diagnostics)
    raise RuntimeError(f"in a child process: {outcome[1]}")
