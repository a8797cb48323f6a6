"""`chartgen init`: start a workflows repository, all of it or nothing.

The files are static: chartgen's own (settings, example profiles, one workflow, .gitignore) live
under `chartgen/templates/init/`; a CI pipeline is copied byte for byte from the checkout's
`pipelines/<ci>/` folder (CHARTGEN_PIPELINES moves it, as CHARTGEN_POLICIES moves the policies).
Only the repository name is substituted, into chartgen.yaml, after it was checked.

Nothing is replaced: when any file init would write exists already, init lists them all and
writes nothing. Otherwise every file is written to a temporary folder inside the target first,
then linked into place one by one (a link never replaces a file that appeared meanwhile); a
failure or an interrupt removes what was placed and the folders init created.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from chartgen import __version__
from chartgen.emit.writer import write_file
from chartgen.errors import UserError, os_error_text
from chartgen.formats.requirements import REQUIREMENTS, read_requirements
from chartgen.formats.source import display_path
from chartgen.shipped import shipped
from chartgen.workflow.names import MAX_NAME, dns_name, is_valid_name

# Where each CI system reads its pipeline, relative to the repository root.
CI_TARGETS = {"github": ".github/workflows", "gitlab": "", "tekton": ".tekton"}
CONFIG = "chartgen.yaml"
NAME_PLACEHOLDER = '"__NAME__"'
# Files kept in the package under another name (a `.gitignore` there would apply to chartgen).
_RENAMED = {"gitignore": ".gitignore"}
_STAGING_PREFIX = ".chartgen-init-"
_DOCS = "README.md"  # in pipelines/: how chartgen's pipelines work, not part of a repository


@dataclass(frozen=True)
class InitResult:
    root: Path  # the repository folder
    name: str
    files: list[str]  # written, relative to root, sorted
    ci: str | None
    ci_files: list[str]  # the pipeline's files among `files`


def pipelines_dir() -> Path:
    """The pipeline definitions chartgen ships (CHARTGEN_PIPELINES moves them)."""
    return shipped("pipelines")


def init_repository(
    folder: Path, name: str | None = None, ci: str | None = None, requirements: Path | None = None
) -> InitResult:
    """Write a new workflows repository into `folder` (created when missing). Refuses, writing
    nothing, when the name is not valid, any file it would write exists, or a pipeline is asked
    for without the hash-pinned requirements it installs chartgen from."""
    root = Path(os.path.abspath(folder))
    chosen = name if name is not None else root.name
    check_name(chosen, given=name is not None)
    if ci is not None and ci not in CI_TARGETS:
        raise UserError(f"--ci {ci}: unknown CI system (one of: {', '.join(CI_TARGETS)})")
    files = chartgen_files(chosen)
    ci_files = pipeline_files(ci) if ci else {}
    if ci and requirements is None:
        raise UserError(
            f"--ci {ci}: the pipelines install chartgen pinned by hash from {REQUIREMENTS}: give "
            f"--requirements FILE, the {REQUIREMENTS} released with chartgen {__version__} "
            "(scripts/package.sh writes it beside the wheel); nothing was written"
        )
    if requirements is not None:
        ci_files[REQUIREMENTS] = read_requirements(requirements, "chartgen", __version__)
    clash = sorted(files.keys() & ci_files.keys())
    if clash:
        raise UserError(f"the {ci} pipeline has files chartgen init writes itself: {', '.join(clash)}")
    files.update(ci_files)
    _refuse_existing(root, files)
    _write_all(root, files)
    return InitResult(root, chosen, sorted(files), ci, sorted(ci_files))


def check_name(name: str, given: bool) -> None:
    """The repository name: a DNS-1123 label chart names are built from (dev charts <name>-<env>)."""
    if is_valid_name(name):
        return
    why = (
        f"at most {MAX_NAME} characters"
        if len(name) > MAX_NAME
        else "lowercase letters, digits and '-', starting with a letter and ending with a letter or digit"
    )
    source = "--name" if given else "the folder's name"
    suggestion = dns_name(name) if name else "my-workflows"
    raise UserError(
        f"{source} '{name}' is not a valid repository name ({why}): "
        f"choose one with --name, e.g. --name {suggestion}"
    )


def chartgen_files(name: str) -> dict[str, bytes]:
    """chartgen's own files of a new repository, by relative path, with the name substituted."""
    packaged = _collect(resources.files("chartgen") / "templates" / "init", "")
    files = {_RENAMED.get(rel, rel): content for rel, content in packaged}
    config = files[CONFIG].decode()
    if config.count(NAME_PLACEHOLDER) != 1:  # the packaged file is ours: a broken one is a bug
        raise AssertionError(f"templates/init/{CONFIG} must hold {NAME_PLACEHOLDER} once")
    files[CONFIG] = config.replace(NAME_PLACEHOLDER, f'"{name}"').encode()
    return files


def pipeline_files(ci: str) -> dict[str, bytes]:
    """The pipeline of one CI system, by the path it gets in the repository, bytes unchanged."""
    source = pipelines_dir()
    if not source.is_dir():
        raise UserError(
            f"the CI pipelines are missing: no folder {display_path(source)} "
            "(set CHARTGEN_PIPELINES to chartgen's pipelines/ folder)"
        )
    folder = source / ci
    target = CI_TARGETS[ci]
    copied = _collect(folder, f"{target}/" if target else "") if folder.is_dir() else iter(())
    found = {rel: content for rel, content in copied if rel.rsplit("/", 1)[-1] != _DOCS}
    if not found:
        raise UserError(
            f"no {ci} pipeline in {display_path(folder)}: the folder is missing or empty "
            "(set CHARTGEN_PIPELINES to chartgen's pipelines/ folder)"
        )
    return found


def _collect(node: Traversable, prefix: str) -> Iterator[tuple[str, bytes]]:
    """Every file under `node`, by relative path (sorted; Python caches left out)."""
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name == "__pycache__" or child.name.endswith(".pyc"):
            continue
        if child.is_dir():
            yield from _collect(child, f"{prefix}{child.name}/")
        elif child.is_file():
            yield f"{prefix}{child.name}", child.read_bytes()


def _refuse_existing(root: Path, files: dict[str, bytes]) -> None:
    """Every path in the way, listed at once: an existing file, or a parent that is not a plain folder."""
    if os.path.lexists(root) and (root.is_symlink() or not root.is_dir()):
        raise UserError(f"{display_path(root)} exists and is not a folder: nothing was written")
    in_the_way: dict[str, str] = {}
    for rel in sorted(files):
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            path = root / parent
            if path.is_symlink():
                in_the_way[parent] = f"{parent} (a symlink: init writes only into plain folders)"
            elif os.path.lexists(path) and not path.is_dir():
                in_the_way[parent] = f"{parent} (a file where init needs a folder)"
        if os.path.lexists(root / rel):
            in_the_way.setdefault(rel, rel)
    if in_the_way:
        listed = ", ".join(in_the_way[k] for k in sorted(in_the_way))
        raise UserError(
            f"{display_path(root)} already has {len(in_the_way)} of the files chartgen init writes: "
            f"{listed}; nothing was written (move them away, or init another folder)"
        )


def _write_all(root: Path, files: dict[str, bytes]) -> None:
    """Stage every file, then link each into place; on any failure undo everything."""
    created: list[Path] = []  # folders init made, parents first
    placed: list[Path] = []
    try:
        _make_folders(root, created)
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=root))
        try:
            order = sorted(files)
            for i, rel in enumerate(order):
                write_file(staging / str(i), files[rel])
            for i, rel in enumerate(order):
                target = root / rel
                _make_folders(target.parent, created)
                _place(staging / str(i), target, rel)
                placed.append(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException as exc:
        _undo(placed, created)
        if isinstance(exc, OSError):
            raise UserError(f"{os_error_text(exc)}: nothing was written") from None
        raise


def _make_folders(folder: Path, created: list[Path]) -> None:
    """Create `folder` and its missing parents, adding each to `created` (outermost first)."""
    missing: list[Path] = []
    current = folder
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            if not path.is_dir():
                raise
            continue
        created.append(path)


def _place(staged: Path, target: Path, rel: str) -> None:
    """Link the staged file at `target`, never replacing what is there."""
    try:
        os.link(staged, target)
        return
    except FileExistsError:
        raise UserError(f"{rel} appeared while chartgen init was writing: nothing was written") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
            raise
    if os.path.lexists(target):  # a file system without hard links: check, then rename
        raise UserError(f"{rel} appeared while chartgen init was writing: nothing was written")
    os.rename(staged, target)


def _undo(placed: list[Path], created: list[Path]) -> None:
    for path in reversed(placed):
        with suppress(OSError):
            path.unlink()
    for folder in reversed(created):
        with suppress(OSError):
            folder.rmdir()
