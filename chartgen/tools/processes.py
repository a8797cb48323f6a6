"""Long-running programs chartgen starts and stops itself (the workflow runtime, Maven's dev
mode, the Jobs Service): found, started in a process group of their own with their output in
a log file, waited for over HTTP, and stopped as a group. One start-up for all of them; the
reaper stops them if chartgen dies first."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from chartgen.errors import ToolError
from chartgen.tools.reaper import REAPER
from chartgen.tools.runner import run

MAVEN_MISSING = (
    "mvn is not installed: install Maven 3.8+ and a JDK 17 "
    "(Debian: apt-get install maven openjdk-17-jdk-headless)"
)
Process = subprocess.Popen[bytes]  # a started program, for those who hold one
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1: never a proxy


def find_java() -> Path:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return Path(home) / "bin" / "java"
    found = shutil.which("java")
    if found:
        return Path(found)
    raise ToolError(
        "java not found: install a JDK 17 (Debian: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME"
    )


def find_maven() -> str:
    found = shutil.which("mvn")
    if found is None:
        raise ToolError(MAVEN_MISSING)
    return found


def start_group(argv: Sequence[str | Path], cwd: Path, env: Mapping[str, str], log_path: Path) -> Process:
    """`argv` in a session (process group) of its own, so Ctrl-C reaches chartgen, which stops
    it in order, and Maven and the JVM it forks stop together; stdin closed, output to
    `log_path`. The reaper stops the group if chartgen is killed first."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(a) for a in argv],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    REAPER.watch("group", process.pid)
    return process


def stop_group(process: Process, kill: bool = False, grace: float = 20) -> int:
    """SIGTERM to the group (`kill`: SIGKILL at once, as a crash), SIGKILL after `grace` s, then
    whatever of the group outlived its leader (Maven's forked JVM). Returns the exit code."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    REAPER.forget("group", process.pid)
    return int(process.returncode)


def stop_process(process: subprocess.Popen[Any], kill: bool = False, grace: float = 10) -> None:
    """One process (not a group): SIGTERM (`kill`: SIGKILL at once), SIGKILL after `grace` s,
    then reaped. A process that already ended is only reaped."""
    if process.poll() is None:
        if kill:
            process.kill()
        else:
            process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_http(process: Process, base_url: str, path: str, timeout: float) -> str:
    """ "" once `path` answers 200-399 (a Kubernetes httpGet probe's success), else why not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            return f"exited with {code} before {path} answered"
        try:
            with _DIRECT.open(base_url + path, timeout=3) as answer:
                if 200 <= answer.status < 400:
                    return ""
        except urllib.error.HTTPError as exc:
            exc.close()
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    return f"did not answer {path} within {timeout:.0f} s"


def postgres_bin_dir() -> Path:
    """The PostgreSQL server programs: CHARTGEN_PG_BINDIR, `pg_config --bindir` when it has
    initdb, else the newest /usr/lib/postgresql/<version>/bin."""
    explicit = os.environ.get("CHARTGEN_PG_BINDIR")
    if explicit:
        if not (Path(explicit) / "initdb").is_file():
            raise ToolError(f"CHARTGEN_PG_BINDIR={explicit} has no initdb")
        return Path(explicit)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(ToolError):
            done = run([pg_config, "--bindir"], timeout=30)
            folder = Path(done.stdout.strip())
            if done.ok and (folder / "initdb").is_file():
                return folder
    versions = []
    for folder in Path("/usr/lib/postgresql").glob("*/bin"):
        with contextlib.suppress(ValueError):
            if (folder / "initdb").is_file():
                versions.append((int(folder.parent.name.split(".")[0]), folder))
    if versions:
        return max(versions)[1]
    raise ToolError(
        "PostgreSQL server programs not found (initdb, pg_ctl): install PostgreSQL "
        "(Debian: apt-get install postgresql), "
        "set CHARTGEN_PG_BINDIR, or give a running server with --database"
    )


def find_psql() -> Path:
    """psql beside the server programs (the same version), else the one on PATH."""
    with contextlib.suppress(ToolError):
        beside = postgres_bin_dir() / "psql"
        if beside.is_file():
            return beside
    return Path(shutil.which("psql") or "psql")
