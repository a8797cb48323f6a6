"""`mvn package` of a build context: the runnable app, or the build's own error lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from chartgen.tools.processes import find_maven
from chartgen.tools.runner import run

APP_JAR = Path("target/quarkus-app/quarkus-run.jar")
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # Quarkus colours some lines even under -B
_FRAME = re.compile(r"^\[ERROR\]\s+(\\t)?\s*(at |\.\.\. \d+ more)")  # stack frames, not messages
_NOISE = re.compile(
    r"^\[ERROR\] *(->.*|To see the full stack trace.*|Re-run Maven.*|For more information.*|\[Help \d+\].*)?$"
)


@dataclass
class Packaged:
    ok: bool
    app: Path | None
    problems: list[str]  # the build's own messages (ERROR lines), when it failed
    seconds: float = 0.0


def package(context: Path, offline: bool = False, timeout: float = 1200) -> Packaged:
    """`mvn -B package` in `context` (tests skipped: the runtime tier runs the app instead)."""
    mvn = find_maven()
    argv = [mvn, "-B", "-q", "-DskipTests", *(["-o"] * offline), "package"]
    done = run(argv, timeout=timeout, cwd=context)
    if done.ok and (context / APP_JAR).is_file():
        return Packaged(True, context / APP_JAR, [])
    lines = [_COLOUR.sub("", line).rstrip() for line in (done.stdout + "\n" + done.stderr).splitlines()]
    errors = [
        line
        for line in lines
        if line.startswith("[ERROR]") and not _NOISE.match(line) and not _FRAME.match(line)
    ]
    return Packaged(False, None, errors[:20] or lines[-20:] or [f"mvn exited with {done.returncode}"])
