"""What `chartgen run` starts ends with it, however chartgen ends.

The runtimes, the Jobs Service, Maven's dev mode and PostgreSQL run in sessions of their own,
so Ctrl-C reaches chartgen only, which stops them in order. A SIGKILL (alone, or of chartgen's
process group: an out-of-memory kill, a cancelled CI job) gives chartgen no such chance. So a
small watcher process, in a session of its own too and started on first use, holds the read
end of a pipe whose write end only chartgen holds. The kernel closes that end when chartgen
dies, whatever killed it; the watcher then stops every process group and PostgreSQL server it
was told about, runs the commands it was given (removing a container: podman's containers
belong to its monitor, not to chartgen's process groups) and removes their folders. chartgen
tells it to forget what it has stopped itself, so a normal exit leaves nothing for it to do.

The watcher is this module run as a program (`python -m chartgen.tools.reaper`); it imports
nothing else of chartgen.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

GRACE_SECONDS = 10.0  # SIGTERM (or PostgreSQL's immediate shutdown), then SIGKILL
_KINDS = ("group", "postgres", "path", "command")


class Reaper:
    """chartgen's side: tell the watcher what to stop if chartgen dies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watcher: subprocess.Popen[bytes] | None = None

    def watch(self, kind: str, what: str | int | Path) -> None:
        self._send(f"{kind} {what}")

    def forget(self, kind: str, what: str | int | Path) -> None:
        self._send(f"forget {kind} {what}")

    def watch_command(self, argv: list[str]) -> None:
        """Run `argv` if chartgen dies before it calls forget_command(argv)."""
        self.watch("command", _encode(argv))

    def forget_command(self, argv: list[str]) -> None:
        self.forget("command", _encode(argv))

    def temp_folder(self, prefix: str, stack: contextlib.ExitStack, parent: Path | None = None) -> Path:
        """A new temp folder that `stack` removes, and the watcher too if chartgen dies first."""
        folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        self.watch("path", folder)
        stack.callback(self.forget, "path", folder)
        stack.callback(shutil.rmtree, folder, True)
        return folder

    def _send(self, line: str) -> None:
        with self._lock:
            if self._watcher is None or self._watcher.poll() is not None:
                self._watcher = subprocess.Popen(
                    [sys.executable, "-m", __name__],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,  # outlives a kill of chartgen's process group
                )
                atexit.register(self._close, self._watcher)
            assert self._watcher.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                self._watcher.stdin.write(line.encode() + b"\n")
                self._watcher.stdin.flush()

    @staticmethod
    def _close(watcher: subprocess.Popen[bytes]) -> None:
        """At a normal exit: close the pipe (what is still held is stopped) and let it finish."""
        assert watcher.stdin is not None
        with contextlib.suppress(OSError):
            watcher.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            watcher.wait(GRACE_SECONDS + 5)


REAPER = Reaper()


# -- the watcher ---------------------------------------------------------------------------------


def watch(stream: int) -> None:
    """Read what to watch until chartgen's end of the pipe closes, then stop all of it."""
    held: dict[str, list[str]] = {kind: [] for kind in _KINDS}
    buffered = b""
    while chunk := os.read(stream, 4096):
        buffered += chunk
        *lines, buffered = buffered.split(b"\n")
        for line in lines:
            words = line.decode(errors="replace").split(" ", 2)
            if len(words) == 2 and words[0] in _KINDS:
                held[words[0]].append(words[1])
            elif len(words) == 3 and words[0] == "forget" and words[2] in held.get(words[1], []):
                held[words[1]].remove(words[2])
    for command in held["command"]:
        with contextlib.suppress(OSError, ValueError, subprocess.SubprocessError):
            subprocess.run(_decode(command), timeout=60, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for group in held["group"]:
        _stop_group(int(group))
    for data in held["postgres"]:
        _stop_postgres(Path(data))
    for path in held["path"]:
        shutil.rmtree(path, ignore_errors=True)


def _encode(argv: list[str]) -> str:
    """One word (the pipe's lines are split at spaces)."""
    return base64.urlsafe_b64encode(json.dumps(argv).encode()).decode()


def _decode(word: str) -> list[str]:
    argv = json.loads(base64.urlsafe_b64decode(word))
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise ValueError(word)
    return argv


def _stop_group(pgid: int) -> None:
    _signal_group(pgid, signal.SIGTERM)
    if not _gone(lambda: _signal_group(pgid, 0)):
        _signal_group(pgid, signal.SIGKILL)


def _stop_postgres(data: Path) -> None:
    """The postmaster's pid is the first line of postmaster.pid; SIGQUIT is its immediate stop."""
    try:
        pid = int((data / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return
    _signal(pid, signal.SIGQUIT)
    if not _gone(lambda: _signal(pid, 0)):
        _signal(pid, signal.SIGKILL)


def _gone(alive: Callable[[], bool]) -> bool:
    """Whether `alive()` reports nothing left within the grace period."""
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        if not alive():
            return True
        time.sleep(0.1)
    return False


def _signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _signal(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is chartgen's to handle
    watch(sys.stdin.fileno())
