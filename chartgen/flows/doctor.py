"""What `chartgen doctor` reports: each external program chartgen runs, its pinned version, where
it was found (or the exact command that gets it) and which commands need it.

The pinned versions are read from the toolchain script chartgen ships, the one place they are
written; the version of a program found is its build stamp in the cache, else its own answer.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from chartgen.errors import ToolError
from chartgen.shipped import shipped
from chartgen.tools.locate import PINNED_TOOLS, cache_dir, find_tool, install_command
from chartgen.tools.processes import find_java, find_maven, postgres_bin_dir
from chartgen.tools.runner import run


def _on_path(name: str) -> Callable[[], Path]:
    def find() -> Path:
        found = shutil.which(name)
        if found is None:
            raise ToolError(f"{name} not found")
        return Path(found)

    return find


# Programs chartgen expects from the system, each looked up the way the command that runs it
# does: (what needs it, the command that installs it, the lookup)
SYSTEM: dict[str, tuple[str, str, Callable[[], Path]]] = {
    "git": ("version check/bump, diff, release", "apt-get install git", _on_path("git")),
    "go": ("building the pinned tools", "install Go 1.26 or later (https://go.dev/dl)", _on_path("go")),
    "java": ("build, run, the runtime tier", "apt-get install openjdk-17-jdk-headless", find_java),
    "mvn": ("build, run, the runtime tier", "apt-get install maven", lambda: Path(find_maven())),
    "initdb": (
        "run with PostgreSQL persistence",
        "apt-get install postgresql",
        lambda: postgres_bin_dir() / "initdb",
    ),
}
# How each pinned program states its version when it was not built by the toolchain script.
_ASK_VERSION = {"helm": ["version", "--short"], "kubectl": ["version", "--client"], "ct": ["version"]}


@dataclass(frozen=True)
class ToolReport:
    name: str
    needed_by: str
    pinned: str  # the version the toolchain builds ("" for system programs)
    path: Path | None  # None: missing
    version: str  # of the program found ("" when missing or it would not say)
    get: str  # the exact command that installs or builds it

    @property
    def found(self) -> bool:
        return self.path is not None


def pinned_versions(script: Path) -> dict[str, str]:
    """`NAME_VERSION=v1.2.3` assignments of the toolchain script, by NAME."""
    return dict(re.findall(r"^([A-Z0-9]+)_VERSION=(\S+)", script.read_text(), re.MULTILINE))


def diagnose() -> Iterator[ToolReport]:
    versions = pinned_versions(shipped("toolchain.sh"))
    for name, tool in PINNED_TOOLS.items():
        try:
            path: Path | None = find_tool(name)
        except ToolError:
            path = None
        pinned = versions.get(tool.version, "?")
        yield ToolReport(name, tool.needed_by, pinned, path, _version(name, path), install_command(name))
    for name, (needed_by, get, lookup) in SYSTEM.items():
        try:
            found: Path | None = lookup()
        except ToolError:
            found = None
        yield ToolReport(name, needed_by, "", found, "", get)


def _version(name: str, path: Path | None) -> str:
    if path is None:
        return ""
    stamp = cache_dir() / "bin" / f".{name}-version"  # toolchain.sh stamps each program it builds
    if path.parent == cache_dir() / "bin" and stamp.is_file():
        return stamp.read_text().strip()
    try:
        answer = run([path, *_ASK_VERSION.get(name, ["--version"])], timeout=10)
    except ToolError:
        return ""
    first = (answer.stdout or answer.stderr).strip().splitlines()
    return first[0][:80] if answer.ok and first else ""
