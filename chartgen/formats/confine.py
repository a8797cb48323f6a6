"""Reading files of an untrusted repository without leaving it.

A workflows repository is pull-request input: a file in it may be a symbolic link to
`/etc/passwd` or to another team's folder. Every input file is read through `read_inside`,
which follows links only while the final target stays inside the folder it was found in
(the workflows folder for project files, the profiles folder for profiles). A link that
leaves it, or a special file (a FIFO would block, a device would never end), is refused.
"""

from __future__ import annotations

import stat
from pathlib import Path


class OutsideRoot(Exception):
    """A file that must not be read; the message says why, without reading it."""


def read_inside(path: Path, root: Path) -> bytes:
    """The bytes of `path`, a file under `root` (itself resolved). Raises OutsideRoot or OSError."""
    check_inside(path, root)
    return path.read_bytes()


def check_inside(path: Path, root: Path) -> None:
    try:
        target = path.resolve()
    except RuntimeError:  # Python 3.11 reports a link loop so (later versions: OSError ELOOP)
        raise OutsideRoot("is a symbolic link loop") from None
    if not target.is_relative_to(root.resolve()):
        raise OutsideRoot(f"is a link to a file outside {root.name}/; links must stay inside it")
    mode = target.stat().st_mode
    if not stat.S_ISREG(mode):
        raise OutsideRoot("is not a regular file")
