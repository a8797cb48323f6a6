"""Reading files of an untrusted repository without leaving it.

A workflows repository is pull-request input: a file in it may be a symbolic link to
`/etc/passwd` or to another team's folder. Every input file is read through `read_inside`,
which follows links only while the final target stays inside the folder it was found in
(the workflows folder for project files, the profiles folder for profiles). A link that
leaves it, a special file (a FIFO would block, a device would never end) or a file over
MAX_FILE_BYTES is refused, and nothing of it is read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

# No input file is larger: public API descriptions workflows call run to 6-14 MB (GitHub's,
# Stripe's); a chart carries only what fits 1 MiB ConfigMaps, a spec cut down to what is used.
MAX_FILE_BYTES = 32 * 1024 * 1024


class NotRead(Exception):
    """A file that must not be read; the message says why, without reading it."""


def read_inside(path: Path, root: Path, walked: bool = False) -> bytes:
    """The bytes of `path`, a file under `root`. Raises NotRead or OSError.

    `walked`: `path` was found walking the resolved `root` without following links, so unless
    it is a link itself it is inside: it is opened refusing to follow one (a link is then judged
    by where it leads), with no lookup of its parents."""
    if walked:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a FIFO must not block
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
        else:
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise NotRead("is not a regular file")
                return _bounded(f)
    check_inside(path, root)
    with path.open("rb") as f:
        return _bounded(f)


def _bounded(f: BinaryIO) -> bytes:
    content = f.read(MAX_FILE_BYTES + 1)  # a huge file is never read whole
    if len(content) > MAX_FILE_BYTES:
        raise NotRead(f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, the most chartgen reads")
    return content


def check_inside(path: Path, root: Path) -> None:
    try:
        target = path.resolve()
    except RuntimeError:  # Python 3.11 reports a link loop so (later versions: OSError ELOOP)
        raise NotRead("is a symbolic link loop") from None
    if not target.is_relative_to(root.resolve()):
        raise NotRead(f"is a link to a file outside {root.name}/; links must stay inside it")
    mode = target.stat().st_mode
    if not stat.S_ISREG(mode):
        raise NotRead("is not a regular file")
