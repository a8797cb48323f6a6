"""Switching an output folder from the old charts to the new ones: all of them, or none.

POSIX has no rename of many folders at once, and `charts/<name>/` must stay plain folders that
git sees (a symlinked tree would not be), so the switch is made safe by a lock, a journal and
recovery rather than by one system call:

1. **One writer.** A run takes an exclusive `flock` on the output folder itself (a descriptor
   of the directory: no lock file to leave behind or commit), waiting at most 2 s for it. The
   kernel releases it when the process ends, however it ends. A second run stops before
   changing anything: "another chartgen generate is writing <dir>" (exit 1).
2. **Recovery first.** Holding the lock, a run first finishes a switch an earlier run left
   (step 4), then deletes every `.chartgen-new-*` / `.chartgen-old-*` entry, which can only be
   leftovers (of this version or an older one). `generate` does this before it loads anything,
   so even a run that then fails validation repairs the folder.
3. **Write beside.** The new charts (and ct.yaml) are written in `<out>/.chartgen-new-XXXXXXXX/`
   (same file system: every later move is a rename). Nothing visible changes; on any failure or
   interrupt that folder is deleted and the old tree stands.
4. **Commit, then move.** The intent, `<out>/.chartgen-switch.json` (both temporary folders, the
   entries to install and to remove), appears whole by one rename: from then on the switch goes
   forward. Each old entry moves to `<out>/.chartgen-old-XXXXXXXX/`, each new one into its
   place; the journal is deleted (the new tree is complete), then both temporary folders.
   Every step is decided by what is where, so finishing a switch twice, or finishing a
   half-finished finish, gives the same tree. SIGINT, SIGTERM and SIGHUP are held while the
   journal exists: Ctrl-C ends the run after the switch, not in the middle of it.
5. **Failure.** If a move fails (full disk, permissions), the moves made are undone and the
   journal deleted: the old tree stands. If undoing fails too, the journal stays and the next run
   finishes the switch.

Guarantee: whatever moment a run is stopped at (kill -9, out of memory, a crash, Ctrl-C), once
the next `chartgen generate` on that folder has started (it recovers before it reads anything,
even if it then fails), the visible entries of the output folder are exactly the complete old
tree or the complete new one, and no `.chartgen-*` entry is left. After Ctrl-C, SIGTERM or SIGHUP
this holds at once (the switch is never left half done; only leftovers can remain); after
kill -9 in step 4 the folder is mixed until that next run, and says so: the journal is there.
Not covered: a power loss or kernel crash (files are not fsynced; git shows any damage), several
hosts writing one folder over a network file system (flock there is only as good as the
server's locking), and people editing the folder meanwhile. Readers other than `generate`
(`lint`) should call `settle_output` first, or they may read a mixed tree after a kill -9.

The journal is read as untrusted: it names only entries directly inside the output folder.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chartgen.charts.chart import GeneratedChart, charts_at
from chartgen.errors import UserError
from chartgen.formats.source import display_path

JOURNAL = ".chartgen-switch.json"
NEW_PREFIX = ".chartgen-new-"
OLD_PREFIX = ".chartgen-old-"
LEFTOVER = re.compile(r"\.chartgen-(new|old)-[A-Za-z0-9_]+")
ENTRY = re.compile(r"[^/\\\0.][^/\\\0]*")  # one plain name: no path, not hidden
UNCHANGED = "nothing was changed: the previous charts are intact"
_HELD = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
_REASONS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "read-only file system",
    errno.EMFILE: "too many open files",
    errno.EIO: "input/output error",
}


@dataclass
class OutputFolder:
    """An output folder this process holds the lock of (see `open_output`)."""

    path: Path
    notes: list[str] = field(default_factory=list)
    doing: str = "reading the charts"

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A temporary folder to write the new tree in; deleted at the end unless a switch from
        it is still pending (a crash mid-switch: the next run needs it)."""
        self.doing = "writing the new charts"
        folder = Path(tempfile.mkdtemp(prefix=NEW_PREFIX, dir=self.path))
        try:
            yield folder
        finally:
            if not self.pending():
                remove_tree(folder)

    def switch(self, staging: Path, install: list[str], remove: list[str]) -> None:
        """Every entry of `install` (inside `staging`) replaces or joins its namesake in the
        folder; every entry of `remove` goes. All of them, or, on failure, none."""
        self.doing = "switching the charts in"
        backup = Path(tempfile.mkdtemp(prefix=OLD_PREFIX, dir=self.path))
        plan = Switch(staging.name, backup.name, install, remove)
        try:
            with signals_held():
                plan.write(self.path)
                try:
                    plan.forward(self.path)
                except (OSError, UserError) as exc:
                    raise self._undo(plan, exc) from None
                (self.path / JOURNAL).unlink()
        finally:
            if not self.pending():
                remove_tree(backup)

    def pending(self) -> bool:
        """A switch was committed and is not complete (nor undone)."""
        return _exists(self.path / JOURNAL)

    def _undo(self, plan: Switch, exc: OSError | UserError) -> UserError:
        what = str(exc) if isinstance(exc, UserError) else self.reason(exc)
        try:
            plan.backward(self.path)
            (self.path / JOURNAL).unlink()
        except OSError as again:
            return UserError(
                f"{what}; putting the previous charts back failed too ({_why(again)}): "
                f"the next chartgen generate finishes the switch (leave {display_path(self.path)} "
                "as it is until then)"
            )
        return UserError(f"{what}; {UNCHANGED}")

    def failure(self, exc: OSError) -> UserError:
        return UserError(f"{self.reason(exc)}; {UNCHANGED}")

    def reason(self, exc: OSError) -> str:
        """`<out>: <reason> while <doing>`, naming the entry when it is one people can see."""
        reason = _why(exc)
        where = ""
        if exc.filename:
            target = Path(os.fsdecode(exc.filename))
            inside = os.path.relpath(target, self.path)
            if not inside.startswith("."):  # not the folder itself, nor a temporary entry
                where = f" (at {display_path(target)})"
        return f"{display_path(self.path)}: {reason} while {self.doing}{where}"


@dataclass(frozen=True)
class Switch:
    """The journal: what a switch moves. Each step looks at what is where, so running `forward`
    again after any interruption (of `forward` or `backward`) completes the same switch."""

    staging: str
    backup: str
    install: list[str]
    remove: list[str]

    def write(self, out: Path) -> None:
        draft = out / self.staging / ".switch.json"
        draft.write_text(json.dumps(asdict(self), indent=1) + "\n")
        os.rename(draft, out / JOURNAL)  # the commit point: it appears whole

    @classmethod
    def read(cls, out: Path) -> Switch:
        """The journal in `out`, checked: it may only name entries directly inside `out`."""
        path = out / JOURNAL
        try:
            data = json.loads(path.read_text())
            folders = [data["staging"], data["backup"]]
            entries = [data["install"], data["remove"]]
            if not all(isinstance(f, str) and LEFTOVER.fullmatch(f) for f in folders):
                raise ValueError("temporary folders")
            if not all(
                isinstance(e, list) and all(isinstance(n, str) and ENTRY.fullmatch(n) for n in e)
                for e in entries
            ):
                raise ValueError("entries")
        except (OSError, ValueError, KeyError, TypeError) as exc:  # JSONDecodeError, UnicodeError too
            why = _why(exc) if isinstance(exc, OSError) else str(exc)
            raise UserError(
                f"{display_path(path)}: the record of an interrupted chartgen generate is not readable "
                f"({why}); compare {display_path(out)} with git, then delete this file"
            ) from None
        return cls(*folders, *entries)

    def forward(self, out: Path) -> None:
        new, old = out / self.staging, out / self.backup
        old.mkdir(exist_ok=True)
        for name in self.install:
            if not _exists(new / name):
                continue  # already in place
            if _exists(out / name):
                if _exists(old / name):
                    raise UserError(
                        f"{display_path(out / name)}: cannot finish the switch of an interrupted "
                        f"chartgen generate: this entry was added meanwhile (move it away)"
                    )
                os.rename(out / name, old / name)
            os.rename(new / name, out / name)
        for name in self.remove:
            if _exists(out / name) and not _exists(old / name):
                os.rename(out / name, old / name)

    def backward(self, out: Path) -> None:
        new, old = out / self.staging, out / self.backup
        for name in reversed(self.remove):
            if _exists(old / name) and not _exists(out / name):
                os.rename(old / name, out / name)
        for name in reversed(self.install):
            if not _exists(new / name) and _exists(out / name):
                os.rename(out / name, new / name)
            if _exists(old / name) and not _exists(out / name):
                os.rename(old / name, out / name)


@contextmanager
def open_output(out: Path) -> Iterator[OutputFolder]:
    """The output folder, created if missing, locked, and recovered: what an interrupted run left
    is finished and its leftovers deleted. OSErrors become located messages (exit 1)."""
    _make_folder(out)
    folder = OutputFolder(out)
    try:
        with _locked(out) as locked:
            if not locked:
                raise UserError(
                    f"another chartgen generate is writing {display_path(out)}: this run changed "
                    "nothing (run it again when the other one has ended)"
                )
            folder.notes = _recover(out)
            yield folder
    except OSError as exc:
        raise folder.failure(exc) from None


def settle_output(out: Path) -> list[str]:
    """For the start of a run: finish what an interrupted run left in `out` (see the module
    docstring), unless another run holds the folder (it finishes it). Returns what was done."""
    try:
        if not out.is_dir() or not any(n == JOURNAL or LEFTOVER.fullmatch(n) for n in os.listdir(out)):
            return []
        with _locked(out) as locked:
            return _recover(out) if locked else []
    except OSError as exc:
        raise OutputFolder(out, doing="finishing an interrupted chartgen generate").failure(exc) from None


def settled_charts(path: Path) -> list[GeneratedChart]:
    """The chart `path` is, or the charts in it, once a `generate` interrupted there is
    finished (never a mixed tree): what every command that reads charts starts from."""
    settle_output(path)
    return charts_at(path)


def _recover(out: Path) -> list[str]:
    notes = []
    shown = display_path(out)
    if _exists(out / JOURNAL):
        plan = Switch.read(out)
        try:
            with signals_held():
                plan.forward(out)
                (out / JOURNAL).unlink()
        except OSError as exc:
            folder = OutputFolder(out, doing="finishing the switch of an interrupted chartgen generate")
            raise UserError(
                f"{folder.reason(exc)}: the charts there are part old, part new until a run "
                "finishes it (the next chartgen generate tries again)"
            ) from None
        notes.append(
            f"{shown}: an earlier chartgen generate was interrupted while switching the charts in; "
            "its switch is now complete"
        )
    stale = sorted(n for n in os.listdir(out) if LEFTOVER.fullmatch(n))
    for name in stale:
        remove_tree(out / name)
    if stale and not notes:
        notes.append(f"{shown}: removed what an interrupted chartgen generate left: {', '.join(stale)}")
    return notes


def _make_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        kind = "a file" if out.is_file() else "not a folder"
        raise UserError(
            f"{display_path(out)}: is {kind}, not a folder: the charts need a folder "
            "(move the file away or choose another --out)"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in [out, *out.parents] if _exists(p) and not p.is_dir()), None)
        if blocker is not None and blocker != out:
            detail = f"{display_path(blocker)} is a file, not a folder (move it away or choose another --out)"
        elif blocker is not None:
            detail = "it is a broken link (remove it or choose another --out)"
        else:
            detail = _why(exc)
        raise UserError(f"{display_path(out)}: cannot create the output folder: {detail}") from None


@contextmanager
def _locked(out: Path) -> Iterator[bool]:
    """An exclusive lock on the folder (True), or False when another process holds it."""
    fd = os.open(out, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        yield _take_lock(fd)
    finally:
        os.close(fd)


def _take_lock(fd: int) -> bool:
    """The lock, waiting up to LOCK_WAIT_SECONDS: a run killed a moment ago may leave a forked
    worker that holds it until the kernel has ended it (a few milliseconds)."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        except OSError as exc:  # a file system without locks: run unguarded rather than not at all
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                raise
            return True


LOCK_WAIT_SECONDS = 2.0


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP until the block ends, then deliver the first one."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous: dict[int, Callable[[int, Any], Any] | int | None] = {}
    for sig in _HELD:
        previous[sig] = signal.signal(sig, lambda num, _frame: caught.append(num))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        if caught:
            signal.raise_signal(caught[0])


def _exists(path: Path) -> bool:
    return os.path.lexists(path)


def remove_tree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(OSError):
            path.unlink()


def _why(exc: OSError) -> str:
    """What went wrong, in words (no errno number, no temporary path)."""
    text = _REASONS.get(exc.errno or 0) or exc.strerror or type(exc).__name__
    return text[:1].lower() + text[1:]
