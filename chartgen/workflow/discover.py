"""Finding workflow projects under a folder.

A project is one folder. Its workflow files (`*.sw.json|yaml|yml`) live either in the
folder itself (flat layout, subflows in `subflows/`) or in `src/main/resources`
(Quarkus layout; then only that folder belongs to the project). `manifests/` folders
hold generated Kubernetes objects and are skipped.

A file whose name says it holds secrets is never packaged. `secret.properties` and its
misspellings (`secrets.properties`, any case) give key names only; other such files are
refused: a name whose last word is secret(s) or credential(s) (`db.secret.yaml`,
`credentials.json`, `app-secrets.env`), or that ends in .env, .key, .p12 or .pfx. Dot-files
(`.env`) are skipped like every hidden file. Certificates (.pem, .crt) are public and may
be packaged; a file holding a private key is refused by its content when planning.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

WORKFLOW_SUFFIXES = (".sw.json", ".sw.yaml", ".sw.yml")
SKIPPED_DIRS = frozenset({"manifests", "target", "node_modules", "build", "dist"})
# Files that sit in project folders but are not runtime resources.
SKIPPED_FILES = frozenset({"argfile.conf", "pom.xml", "Dockerfile"})
RESOURCES = ("src", "main", "resources")
SECRET_PROPERTIES = frozenset({"secret.properties", "secrets.properties"})  # compared lowercase
_SECRET_WORDS = frozenset({"secret", "secrets", "credential", "credentials"})
_SECRET_SUFFIXES = (".env", ".key", ".p12", ".pfx")


def is_workflow_file(name: str) -> bool:
    return name.lower().endswith(WORKFLOW_SUFFIXES)


def is_secret_properties(name: str) -> bool:
    return name.lower() in SECRET_PROPERTIES


def says_secret(name: str) -> bool:
    """A file name that says the file holds secrets (see the module's description)."""
    lower = name.lower()
    stem = lower.rsplit(".", 1)[0] if "." in lower.lstrip(".") else lower
    words = [w for w in re.split(r"[^a-z0-9]+", stem) if w]
    return lower.endswith(_SECRET_SUFFIXES) or (bool(words) and words[-1] in _SECRET_WORDS)


@dataclass
class FoundProject:
    root: Path
    resources: Path
    workflow_files: list[Path] = field(default_factory=list)
    asset_files: list[Path] = field(default_factory=list)
    secret_files: list[Path] = field(default_factory=list)  # secret.properties: keys only
    refused_files: list[Path] = field(default_factory=list)  # other names that say "secret"


@dataclass
class Discovery:
    projects: list[FoundProject]
    ignored: list[tuple[Path, str]]  # workflow files left out, and why


def discover(base: Path, exclude: tuple[str, ...] = ()) -> Discovery:
    """Every project under `base`, in a stable order."""
    files = walk(base, exclude)
    quarkus_roots = {p.parent.parent.parent for p in _dirs_of(files) if p.parts[-3:] == RESOURCES}
    by_root: dict[Path, FoundProject] = {}
    ignored: list[tuple[Path, str]] = []
    for path in files:
        if not is_workflow_file(path.name):
            continue
        root, resources = _project_of(path, base)
        outer = _enclosing_quarkus_root(path, quarkus_roots)
        if outer is not None and resources != outer.joinpath(*RESOURCES):
            ignored.append((path, f"outside {outer.name}/src/main/resources, the project's files"))
            continue
        project = by_root.setdefault(root, FoundProject(root, resources))
        project.workflow_files.append(path)
    projects = sorted(by_root.values(), key=lambda p: p.root.as_posix())
    _assign_assets(projects, files)
    return Discovery(projects, ignored)


def walk(base: Path, exclude: tuple[str, ...]) -> list[Path]:
    """Every file discovery looks at under `base` (not hidden, not skipped, not excluded)."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(base):
        here = Path(dirpath)
        rel = here.relative_to(base).as_posix()
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and d not in SKIPPED_DIRS and not _excluded(_join(rel, d), exclude)
        )
        found.extend(
            here / f
            for f in sorted(filenames)
            if not f.startswith(".") and not _excluded(_join(rel, f), exclude)
        )
    return found


def _join(rel: str, name: str) -> str:
    return name if rel == "." else f"{rel}/{name}"


def _excluded(rel: str, patterns: tuple[str, ...]) -> bool:
    return any(project_matches(rel, p) for p in patterns)


def project_matches(rel: str, pattern: str) -> bool:
    """Whether a path relative to the workflows folder matches a glob, as `exclude` matches
    (`**/x` matching `x` at the top too, as in .gitignore)."""
    if pattern.startswith("**/") and project_matches(rel, pattern[3:]):
        return True
    return fnmatch.fnmatchcase(rel, pattern) or PurePosixPath(rel).match(pattern)


def _dirs_of(files: list[Path]) -> set[Path]:
    dirs: set[Path] = set()
    for f in files:
        dirs.update(f.parents)
    return dirs


def _project_of(path: Path, base: Path) -> tuple[Path, Path]:
    """(project folder, resources folder) of a workflow file."""
    parts = path.parent.parts
    for i in range(len(parts) - 3, -1, -1):
        if parts[i : i + 3] == RESOURCES:
            resources = Path(*parts[: i + 3])
            return resources.parent.parent.parent, resources
    folder = path.parent
    for ancestor in [path.parent, *path.parent.parents]:
        if ancestor == base or base not in ancestor.parents:
            break
        if ancestor.name == "subflows":
            folder = ancestor.parent  # the outermost subflows folder wins
    return folder, folder


def _enclosing_quarkus_root(path: Path, roots: set[Path]) -> Path | None:
    for parent in path.parents:
        if parent in roots:
            return parent
    return None


def _assign_assets(projects: list[FoundProject], files: list[Path]) -> None:
    """Each non-workflow file goes to the innermost project whose resources hold it.

    A file inside another project's folder but outside its resources (a Quarkus
    project's README or Java sources) belongs to no project.
    """
    by_resources = {p.resources: p for p in projects}
    roots = {p.root for p in projects}
    for path in files:
        if is_workflow_file(path.name):
            continue
        for parent in path.parents:
            owner = by_resources.get(parent)
            if owner is None:
                if parent in roots:
                    break
                continue
            if is_secret_properties(path.name):
                owner.secret_files.append(path)
            elif says_secret(path.name):
                owner.refused_files.append(path)
            elif path.name not in SKIPPED_FILES:
                owner.asset_files.append(path)
            break
