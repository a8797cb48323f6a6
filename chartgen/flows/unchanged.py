"""A regenerate with nothing changed costs no more than reading the inputs.

After a successful full `generate`, a record is kept outside the repository (in the set-up's
cache folder, keyed by the output folder): a fingerprint of every input and of the generator,
the state of the output tree it left (path, size, mtime, inode of every entry), and what the run
reported. The next `generate` hashes the inputs and stats the output tree; when both match the
record, the charts there are exactly what generating again would write, so it writes nothing and
repeats the report (warnings included). Anything else, and the run is a normal one.

What the fingerprint covers: every file discovery walks under the workflows folder and every
entry of the profiles folder (a link by its target text: nothing outside the repository is
read), chartgen.yaml, the settings
after flags and CHARTGEN_* variables, the working directory (messages are relative to it), the
git HEAD when a profile uses {git_sha}, and chartgen's own code and templates. A file too large
to be read counts by size and mtime (generate refuses it anyway).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import chartgen
from chartgen.config import Settings
from chartgen.errors import Diagnostic, Location
from chartgen.formats.confine import MAX_FILE_BYTES
from chartgen.tools.locate import cache_dir
from chartgen.workflow.discover import walk

RECORD_VERSION = 1


@dataclass
class ChartSummary:
    name: str
    kind: str
    version: str
    written: bool
    workflows: list[str]
    environments: list[str]


@dataclass
class Record:
    inputs: str
    tree: str
    charts: list[ChartSummary]
    diagnostics: list[Diagnostic]


def input_fingerprint(settings: Settings) -> str:
    h = hashlib.sha256()
    h.update(f"{RECORD_VERSION}\0{_generator()}\0{os.getcwd()}\0{settings!r}\0".encode())
    if _hash_files(h, _inputs(settings)):
        h.update(_git_head(settings.workflows).encode())
    return h.hexdigest()


def tree_state(out: Path) -> str:
    """Path, type, size, mtime and inode of every entry under `out`: any write changes it."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(out):
        dirnames.sort()
        for name in sorted(filenames + dirnames):
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            h.update(f"{path}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode())
    return h.hexdigest()


def unchanged(settings: Settings, inputs: str) -> Record | None:
    """The record of the last full generate into `settings.out`, when the inputs and the output
    tree are still what they were then."""
    record = _read(settings.out)
    if record is None or record.inputs != inputs or not settings.out.is_dir():
        return None
    return record if record.tree == tree_state(settings.out) else None


def remember(
    settings: Settings, inputs: str, charts: list[ChartSummary], diagnostics: list[Diagnostic]
) -> None:
    """Record a successful full generate (best effort: without a record the next run is a normal one)."""
    record = {
        "version": RECORD_VERSION,
        "inputs": inputs,
        "tree": tree_state(settings.out),
        "charts": [asdict(c) for c in charts],
        "diagnostics": [asdict(d) for d in diagnostics],
    }
    path = _path(settings.out)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record), encoding="utf-8")
        tmp.replace(path)


def forget(out: Path) -> None:
    """After a partial generate (--chart) the record no longer describes the folder."""
    with contextlib.suppress(OSError):
        _path(out).unlink()


def _read(out: Path) -> Record | None:
    try:
        data = json.loads(_path(out).read_text(encoding="utf-8"))
        if data.get("version") != RECORD_VERSION:
            return None
        return Record(
            data["inputs"],
            data["tree"],
            [ChartSummary(**c) for c in data["charts"]],
            [_diagnostic(d) for d in data["diagnostics"]],
        )
    except (OSError, ValueError, KeyError, TypeError):  # no record, or not one of ours
        return None


def _diagnostic(data: dict[str, Any]) -> Diagnostic:
    loc = data.get("location")
    return Diagnostic(data["severity"], data["message"], Location(**loc) if loc else None, data["policy"])


def records_dir() -> Path:
    return cache_dir() / "generate"


def _path(out: Path) -> Path:
    key = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:32]
    return records_dir() / f"{key}.json"


def _inputs(settings: Settings) -> list[Path]:
    """The files generate may read: what discovery walks (links to folders are not followed),
    the profiles folder's entries, and the settings file."""
    files = (
        walk(settings.workflows, settings.exclude) if settings.workflows.is_dir() else [settings.workflows]
    )
    if settings.profiles.is_dir():
        files += sorted(settings.profiles.iterdir())
    if settings.config_file is not None:
        files.append(settings.config_file)
    return files


def _hash_files(h: Any, files: list[Path]) -> bool:
    """Hash each file (a link by its target text) into `h`; whether any mentions {git_sha}."""
    git_sha = False
    for path in files:
        try:
            st = os.lstat(path)
        except OSError:
            h.update(f"{path}\0missing\n".encode())
            continue
        h.update(f"{path}\0{st.st_mode}\0".encode())
        if stat.S_ISLNK(st.st_mode):
            h.update(os.readlink(path).encode(errors="surrogateescape"))
        elif stat.S_ISREG(st.st_mode) and st.st_size <= MAX_FILE_BYTES:
            content = path.read_bytes()
            git_sha |= b"{git_sha}" in content
            h.update(hashlib.sha256(content).digest())
        else:  # too large to read, or not a file: its size and mtime
            h.update(f"{st.st_size}\0{st.st_mtime_ns}".encode())
    return git_sha


def _git_head(folder: Path) -> str:
    from chartgen.version.git import head_commit  # GitPython loads only when a profile asks

    return head_commit(folder) or "no commit"


@cache
def _generator() -> str:
    """chartgen's own code and templates: a new chartgen may write other charts."""
    h = hashlib.sha256(chartgen.__version__.encode())
    root = Path(chartgen.__file__).parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix != ".pyc":
            h.update(f"{path.relative_to(root)}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()
