"""Claiming a chart version with a git tag NAME-VERSION: created only when absent and pushed to
`origin` without force, so of two runs releasing one version, git lets exactly one claim it.
A claim is taken back when nothing was published."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import git

from chartgen.errors import ChartgenError, UserError
from chartgen.formats.redact import redact
from chartgen.version.git import open_repo, tree_files

GIT_TIMEOUT = 120  # seconds for one git push / fetch / ls-remote


class TagError(ChartgenError):
    """A version cannot be claimed, or git failed (its reason, without credentials)."""


class Tags:
    """The repository a release claims versions in, at its HEAD. A context manager: leaving it
    ends the `git cat-file` processes GitPython keeps."""

    def __init__(self, folder: Path) -> None:
        self.repo = open_repo(folder)
        self.repo.git.update_environment(GIT_TERMINAL_PROMPT="0")  # fail, never wait for a password
        try:
            self.head = self.repo.head.commit
        except ValueError:
            self.repo.close()
            raise UserError("the repository has no commit yet: commit the charts first") from None
        self.top = Path(str(self.repo.working_tree_dir)).resolve()
        self.origin = any(r.name == "origin" for r in self.repo.remotes)  # versions claimed there too
        self.origin_down = ""  # why origin could not be reached: the next claims fail at once

    def __enter__(self) -> Tags:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.repo.close()

    def committed(self, rel: str) -> dict[str, bytes] | None:
        """The files HEAD holds under `rel` (a folder of the repository), None when none."""
        with _git_failures():
            try:
                return tree_files(self.head.tree / rel)
            except KeyError:
                return None

    def claim(self, tag: str, rel: str) -> tuple[Claim, str]:
        """Claim `tag` on the commit that last changed `rel` (unrelated later commits do not move
        it, so re-running a release after a failure claims the same version again); returns
        the claim and that commit."""
        with _git_failures():
            source = next(self.repo.iter_commits(self.head, paths=rel, max_count=1))
            return _claim(self, tag, source, rel), str(source.hexsha)


@contextlib.contextmanager
def _git_failures() -> Iterator[None]:
    try:
        yield
    except git.GitCommandError as exc:
        raise TagError(f"git: {_git_reason(exc)}") from None


@dataclass
class Claim:
    repo: git.Repo
    tag: str
    created: bool = False  # this run created the local tag
    pushed: bool = False  # this run created the tag on origin

    def undo(self) -> None:
        """Give the version back, each step on its own: a failing push leaves no local tag."""
        if self.pushed:
            with contextlib.suppress(git.GitCommandError):
                self.repo.git.push("origin", f":refs/tags/{self.tag}", kill_after_timeout=GIT_TIMEOUT)
        if self.created:
            with contextlib.suppress(git.GitCommandError):
                self.repo.git.tag("-d", self.tag)


def _claim(tags: Tags, tag: str, commit: git.Commit, rel: str) -> Claim:
    """Create tag `tag` on `commit` unless it exists, locally and then on origin (no force).
    A tag already on another commit with other chart files means another release owns it."""
    if tags.origin_down:
        raise TagError(tags.origin_down)
    claim = Claim(tags.repo, tag)
    try:
        tags.repo.git.tag(tag, commit.hexsha)  # git refuses a tag that exists: create-only
        claim.created = True
    except git.GitCommandError as exc:
        existing = _local_tag(tags.repo, tag)
        if existing is None:
            raise TagError(f"cannot create tag {tag}: {_git_reason(exc)}") from None
        if not _same_chart(tags.repo, existing, commit, rel):
            raise TagError(_owned_by(tag, existing)) from None
    if tags.origin:
        try:
            claim.pushed = _push_tag(tags, tag, commit, rel)
        except BaseException:
            claim.undo()
            raise
    return claim


def _push_tag(tags: Tags, tag: str, commit: git.Commit, rel: str) -> bool:
    """Push the tag to origin (no force); whether origin did not have it yet."""
    repo = tags.repo
    try:
        output = repo.git.push(
            "--porcelain", "origin", f"refs/tags/{tag}:refs/tags/{tag}", kill_after_timeout=GIT_TIMEOUT
        )
        return "[up to date]" not in output
    except git.GitCommandError as exc:
        reason = _git_reason(exc)
    try:
        remote = _remote_tag(repo, tag)
    except git.GitCommandError:
        tags.origin_down = f"cannot reach origin to claim the version: {reason}"
        raise TagError(tags.origin_down) from None
    if remote is None:
        raise TagError(f"cannot push tag {tag} to origin: {reason}")
    if not _same_chart(repo, remote, commit, rel):
        raise TagError(_owned_by(tag, remote))
    return False  # origin has it for the same chart content: released by a twin run


def _owned_by(tag: str, sha: str) -> str:
    return (
        f"tag {tag} is on commit {sha[:12]} with other chart content: this version is being or "
        "already released from there: bump the version"
    )


def _local_tag(repo: git.Repo, tag: str) -> str | None:
    try:
        return str(repo.git.rev_parse("--verify", "--quiet", f"refs/tags/{tag}^{{commit}}"))
    except git.GitCommandError:
        return None


def _remote_tag(repo: git.Repo, tag: str) -> str | None:
    """The commit of `tag` on origin (None: absent); GitCommandError when origin cannot be read."""
    line = str(repo.git.ls_remote("origin", f"refs/tags/{tag}", kill_after_timeout=GIT_TIMEOUT))
    return line.split()[0] if line.strip() else None


def _same_chart(repo: git.Repo, sha: str, commit: git.Commit, rel: str) -> bool:
    """Whether commit `sha` holds the same chart files as `commit` (fetched when not local)."""
    if sha == commit.hexsha:
        return True
    try:
        other = repo.commit(sha)
    except (ValueError, git.BadName):
        with contextlib.suppress(git.GitCommandError):
            repo.git.fetch("--no-tags", "origin", sha, kill_after_timeout=GIT_TIMEOUT)
        try:
            other = repo.commit(sha)
        except (ValueError, git.BadName):
            return False
    try:
        return bool((other.tree / rel).hexsha == (commit.tree / rel).hexsha)
    except KeyError:
        return False


def _git_reason(exc: git.GitCommandError) -> str:
    """git's own reason (its first `fatal:` or `error:` line, else its last), without credentials."""
    text = exc.stderr if isinstance(exc.stderr, str) else ""
    text = text.strip().removeprefix("stderr:").strip().strip("'")  # gitpython's wrapping
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    reasons = [line for line in lines if line.startswith(("fatal:", "error:"))] or lines[-1:]
    return redact(reasons[0] if reasons else f"git exit code {exc.status}")
