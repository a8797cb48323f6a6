"""What `chartgen doctor` reports: each external program chartgen runs, its pinned version, where
it was found (or the exact command that gets it) and which commands need it.

The pinned versions are read from the toolchain script chartgen ships, the one place they are
written; the version of a program found is its build stamp in the cache, else its own answer.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from chartgen.errors import ToolError
from chartgen.shipped import shipped
from chartgen.tools.locate import PINNED_TOOLS, cache_dir, find_tool, install_command
from chartgen.tools.runner import run

# Programs chartgen expects from the system: (what needs it, the Debian package that has it)
SYSTEM = {
    "git": ("version check/bump, diff, release", "git"),
    "go": ("building the pinned tools", "golang (1.26 or later: https://go.dev/dl)"),
    "java": ("build, run, the runtime tier", "openjdk-17-jdk-headless"),
    "mvn": ("build, run, the runtime tier", "maven"),
    "initdb": ("run with PostgreSQL persistence", "postgresql"),
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
    for name, (needed_by, package) in SYSTEM.items():
        found = shutil.which(name) or _postgres_program(name)
        get = f"apt-get install {package}" if " " not in package else f"install {package}"
        yield ToolReport(name, needed_by, "", Path(found) if found else None, "", get)


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


def _postgres_program(name: str) -> str | None:
    """initdb lives in PostgreSQL's versioned bin folder on Debian, off PATH."""
    if name != "initdb":
        return None
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return str(found[-1]) if found else None
