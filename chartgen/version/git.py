"""The previous committed version of a chart, for upgrade tests."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import git


@dataclass
class OldChart:
    path: Path

    def cleanup(self) -> None:
        shutil.rmtree(self.path.parent, ignore_errors=True)


def previous_version(chart: Path) -> tuple[str, OldChart] | None:
    """(commit, chart folder) of the newest committed version that differs from `chart`."""
    try:
        repo = git.Repo(chart, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    root = Path(str(repo.working_tree_dir)).resolve()
    rel = chart.resolve().relative_to(root).as_posix()
    current = {p.relative_to(chart).as_posix(): p.read_bytes() for p in chart.rglob("*") if p.is_file()}
    try:
        commits = list(repo.iter_commits(paths=rel, max_count=20))
    except (git.GitCommandError, ValueError):
        return None
    for commit in commits:
        try:
            tree = commit.tree / rel
        except KeyError:
            continue
        files = {
            str(item.path)[len(rel) + 1 :]: item.data_stream.read()
            for item in tree.traverse()
            if isinstance(item, git.Blob)
        }
        if files != current:
            folder = Path(tempfile.mkdtemp(prefix="chartgen-previous-")) / chart.name
            for name, content in files.items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(content)
            return commit.hexsha, OldChart(folder)
    return None
