"""What chartgen starts ends with it, even when chartgen is killed with SIGKILL, alone or with its
process group (the runtime tier checks the same with real runtimes and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

# A stand-in for `chartgen run`: a "runtime" and a "postgres" in sessions of their own, each
# given to the watcher, and a third process the watcher is told to forget.
PARENT = """
import contextlib, subprocess, sys, time
from chartgen.tools.reaper import REAPER
stack = contextlib.ExitStack()
folder = REAPER.temp_folder("chartgen-reaper-test-", stack)
def session(code):
    return subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
runtime = session("import time; time.sleep(300)")
REAPER.watch("group", runtime.pid)
postgres = session("import signal, sys, time; signal.signal(signal.SIGQUIT, lambda *a: sys.exit(0)); time.sleep(300)")
(folder / "data").mkdir()
(folder / "data" / "postmaster.pid").write_text(f"{postgres.pid}\\n/data\\n")
REAPER.watch("postgres", folder / "data")
kept = session("import time; time.sleep(300)")
REAPER.watch("group", kept.pid)
REAPER.forget("group", kept.pid)
# commands (podman rm of a container): the watched one runs, the forgotten one does not
write = lambda name: [sys.executable, "-c", f"open({str(sys.argv[1] + '/' + name)!r}, 'w').write('ran')"]
REAPER.watch_command(write("watched"))
REAPER.watch_command(write("forgotten"))
REAPER.forget_command(write("forgotten"))
print(runtime.pid, postgres.pid, kept.pid, folder, flush=True)
time.sleep(300)
"""


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def eventually(done: Callable[[], bool], within: float = 20) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("kill", ["the process", "its process group"])
def test_children_end_when_chartgen_is_killed(kill: str, tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert parent.stdout is not None
    runtime, postgres, kept, folder = parent.stdout.readline().split()
    watched = [int(runtime), int(postgres)]
    try:
        assert all(alive(p) for p in [*watched, int(kept)])
        if kill == "the process":
            os.kill(parent.pid, signal.SIGKILL)
        else:
            os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()
        assert eventually(lambda: not any(alive(p) for p in watched)), "a watched process outlived chartgen"
        assert eventually(lambda: not Path(folder).exists()), "its temp folder was left behind"
        assert alive(int(kept)), "a process the watcher was told to forget was stopped"
        assert eventually(lambda: (tmp_path / "watched").is_file()), "a watched command did not run"
        assert not (tmp_path / "forgotten").exists(), "a forgotten command ran"
    finally:
        parent.stdout.close()
        for pid in [*watched, int(kept)]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
