"""Charts in git: the base a pull request is compared with, and the charts there and here.

The head is always the working tree (what CI checked out, or what a developer just generated);
the base is the merge-base of HEAD and `--base REF`, so commits merged into the target branch
after the PR branched off do not show up as the PR's changes.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import git

from chartgen.charts.chart import working_files
from chartgen.errors import UserError
from chartgen.formats.source import display_path


@dataclass
class OldChart:
    path: Path

    def cleanup(self) -> None:
        shutil.rmtree(self.path.parent, ignore_errors=True)


@dataclass
class Base:
    """The repository, the base commit, and where the charts folder is inside the repository."""

    repo: git.Repo
    commit: git.Commit
    charts_rel: str  # the output folder, relative to the repository's top (posix)
    charts: Path  # the output folder in the working tree

    @property
    def sha(self) -> str:
        return str(self.commit.hexsha)

    def changed_charts(self) -> set[str]:
        """Names of the charts whose files differ between the base commit and the working tree
        (committed or not, new files included). Git's index makes this cheap for 1,000 charts."""
        prefix = self.charts_rel + "/" if self.charts_rel else ""
        diff = self.repo.git.diff("--name-only", "--no-renames", self.sha, "--", self.charts_rel or ".")
        untracked = self.repo.git.ls_files("--others", "--exclude-standard", "--", self.charts_rel or ".")
        names = set()
        for line in (diff + "\n" + untracked).splitlines():
            rel = line.strip()
            if rel.startswith(prefix) and "/" in rel[len(prefix) :]:
                names.add(rel[len(prefix) :].split("/", 1)[0])
        return names

    def chart_names(self) -> set[str]:
        """Folders of the charts folder at the base commit."""
        tree = self.tree()
        return {t.name for t in tree.trees} if tree is not None else set()

    def tree(self) -> git.Tree | None:
        try:
            return self.commit.tree / self.charts_rel if self.charts_rel else self.commit.tree
        except KeyError:
            return None

    def files(self, chart: str) -> dict[str, bytes] | None:
        """Every file of the chart at the base commit, by path inside the chart (None: absent)."""
        tree = self.tree()
        try:
            sub = tree / chart if tree is not None else None
        except KeyError:
            return None
        if not isinstance(sub, git.Tree):
            return None
        return tree_files(sub)


def tree_files(tree: git.Tree) -> dict[str, bytes]:
    prefix = len(str(tree.path)) + 1
    return {
        str(item.path)[prefix:]: item.data_stream.read()
        for item in tree.traverse()
        if isinstance(item, git.Blob)
    }


def head_commit(folder: Path) -> str | None:
    """The commit HEAD names in the repository holding `folder` (None: no repository, or no
    commit yet)."""
    try:
        repo = git.Repo(folder, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    with repo:
        try:
            return str(repo.head.commit.hexsha)
        except ValueError:  # a repository without a commit
            return None


def open_repo(folder: Path) -> git.Repo:
    try:
        return git.Repo(folder, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UserError(f"{display_path(folder)} is not in a git repository") from None


def find_base(charts: Path, ref: str) -> Base:
    """The merge-base of HEAD and `ref` (a branch, tag or commit), for the charts folder `charts`."""
    repo = open_repo(charts if charts.exists() else charts.parent)
    top = Path(str(repo.working_tree_dir)).resolve()
    try:
        rel = charts.resolve().relative_to(top).as_posix()
    except ValueError:
        raise UserError(
            f"{display_path(charts)} is not inside the git repository {display_path(top)}"
        ) from None
    try:
        head = repo.head.commit
    except ValueError:
        raise UserError(f"{display_path(top)}: the repository has no commit yet") from None
    try:
        other = repo.commit(ref)
    except (git.BadName, ValueError, git.GitCommandError):
        raise UserError(
            f"--base {ref}: no such branch, tag or commit in {display_path(top)} "
            "(in CI, fetch it first: git fetch origin <branch>, and check out with full history)"
        ) from None
    bases = repo.merge_base(head, other)
    if not bases:
        raise UserError(
            f"--base {ref}: no common history with HEAD (a shallow clone? fetch with --unshallow)"
        )
    return Base(repo, bases[0], "" if rel == "." else rel, charts)


def changed_since(charts: Path, ref: str) -> set[str]:
    """Names of the charts that changed since the merge-base of HEAD and `ref`."""
    found = find_base(charts, ref)
    with found.repo:  # closing it ends the `git cat-file` processes gitpython keeps
        return found.changed_charts()


def previous_version(chart: Path) -> tuple[str, OldChart] | None:
    """(commit, chart folder) of the newest committed version that differs from `chart`."""
    try:
        repo = git.Repo(chart, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    root = Path(str(repo.working_tree_dir)).resolve()
    rel = chart.resolve().relative_to(root).as_posix()
    current = working_files(chart)
    try:
        commits = list(repo.iter_commits(paths=rel, max_count=20))
    except (git.GitCommandError, ValueError):
        return None
    for commit in commits:
        try:
            files = tree_files(commit.tree / rel)
        except KeyError:
            continue
        if files != current:
            folder = Path(tempfile.mkdtemp(prefix="chartgen-previous-")) / chart.name
            for name, content in files.items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(content)
            return commit.hexsha, OldChart(folder)
    return None
