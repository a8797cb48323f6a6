"""The hash-pinned requirements file pipelines install chartgen from (`chartgen-requirements.txt`).

Each requirement is `name==version` with one or more `--hash=sha256:<64 hex>` (pip's
`--require-hashes` form, continuation lines allowed); comments and blank lines pass. Nothing else:
no unpinned name, no option line (an `--index-url` in it would move where pip looks), no URL.
"""

from __future__ import annotations

import re
from pathlib import Path

from chartgen.errors import UserError
from chartgen.formats.source import display_path

# The file every pipeline installs chartgen from, pinned by hash (scripts/package.sh makes it).
REQUIREMENTS = "chartgen-requirements.txt"
MAX_BYTES = 1_000_000
_PINNED = re.compile(r"(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==(?P<version>[A-Za-z0-9.+!_-]+)")
_HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_requirements(path: Path, package: str, version: str) -> bytes:
    """The file's bytes when every requirement is pinned by hash and `package` is pinned at
    `version`; else a UserError at the first line that is not."""
    where = display_path(path)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UserError(f"--requirements {where}: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise UserError(f"{where}: over {MAX_BYTES:,} bytes: not a requirements file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{where}: not UTF-8 text") from None
    pinned: dict[str, str] = {}
    for words in _requirements(text):
        name, pinned_version = _check(words, where)
        pinned[normalized(name)] = pinned_version
    found = pinned.get(normalized(package))
    if found != version:
        what = f"pins {package}=={found}" if found else f"does not pin {package}"
        raise UserError(
            f"{where}: {what}; this is {package} {version}: use the {REQUIREMENTS} "
            f"released with it (scripts/package.sh writes it beside the wheel)"
        )
    return data


Word = tuple[int, int, str]  # line, column, text


def _requirements(text: str) -> list[list[Word]]:
    """The words of each requirement with where each stands: backslash continuations joined,
    comments dropped."""
    found: list[list[Word]] = []
    current: list[Word] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        continued = line.endswith("\\")
        current += [(number, m.start() + 1, m.group()) for m in re.finditer(r"\S+", line.removesuffix("\\"))]
        if not continued and current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def _check(words: list[Word], where: str) -> tuple[str, str]:
    line, column, first = words[0]
    pin = _PINNED.fullmatch(first)
    if pin is None:
        raise UserError(
            f"{where}:{line}:{column}: '{first[:80]}' is not a pinned requirement: each line must be "
            "name==version with --hash=sha256:... (no options, URLs or version ranges)"
        )
    bad = next((w for w in words[1:] if not _HASH.fullmatch(w[2])), None)
    if bad is not None:
        raise UserError(
            f"{where}:{bad[0]}:{bad[1]}: {pin['name']}: '{bad[2][:80]}' is not --hash=sha256:<64 hex digits>"
        )
    if len(words) == 1:
        raise UserError(
            f"{where}:{line}:{column}: {pin['name']}: no --hash (pipelines install with --require-hashes)"
        )
    return pin["name"], pin["version"]
