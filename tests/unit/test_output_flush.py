"""A long-running command's lines reach a pipe when written: a CI log and `chartgen run`'s
reader see them while the command still runs, whatever PYTHONUNBUFFERED says."""

from __future__ import annotations

import os
import select
import subprocess
import sys

from testing.repo import REPO

# Prints one line through the Printer, then blocks until its stdin closes, as `run` does.
CHILD = "from chartgen.cli.output import Printer; Printer().line('serving'); import sys; sys.stdin.read()"


def test_a_printed_line_reaches_a_pipe_while_the_command_still_runs() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            readable, _, _ = select.select([child.stdout], [], [], 30)
            assert readable, "the line stayed in the child's buffer"
            assert child.stdout.readline() == "serving\n"
        finally:
            child.kill()
