"""`chartgen release`: publish each chart version once, immutably; `chartgen verify`: its signature.

For one chart, every step is a reason to stop before anything is published:
1. the chart folder is what HEAD committed, and its `chartgen/digest` is its content's digest;
2. the target already has NAME VERSION: the same digest is skipped, another one is an error;
3. the version is claimed by the git tag NAME-VERSION, created only when absent and pushed to
   `origin` without force: of two runs releasing one version, git lets exactly one claim it;
4. `helm package` (signed when a key is configured) into a temporary folder, then `helm push`
   (OCI) or a copy plus a merged index.yaml under an exclusive lock (chart repository folder).
A chart that fails is reported and the others are still released. Failure messages do not
repeat the chart's name: the report line (and the JSON entry) carries it.

Without an `origin` remote, a tag claims the version in this clone only: two clones releasing
one version to the same OCI registry at once could both push (OCI tags are mutable); a chart
repository folder is still arbitrated by its lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import git
import yaml

from chartgen.emit.writer import OWNERSHIP_MARK
from chartgen.errors import ChartgenError, ToolError, UserError, os_error_text
from chartgen.formats.source import display_path
from chartgen.tools.helm import Helm
from chartgen.tools.runner import Completed
from chartgen.verify.lint import find_charts
from chartgen.version.chartfile import parse_chart_yaml, version_fields
from chartgen.version.digest import CHART_FILE, DIGEST_KEY, chart_digest
from chartgen.version.git import find_base, open_repo, tree_files, working_files
from chartgen.version.semver import NotSemVer, Version

State = Literal["released", "skipped", "failed"]
GIT_TIMEOUT = 120  # seconds for one git push / fetch / ls-remote
MAX_METADATA = 1 << 20  # a released Chart.yaml or index.yaml read back is at most this many bytes
INDEX = "index.yaml"
_CREDENTIALS = re.compile(r"(?<=//)[^/@\s]+@")  # user:secret@ in a URL


class ReleaseError(ChartgenError):
    """One chart cannot be released (the others still are)."""


@dataclass(frozen=True)
class Signing:
    key: str  # the key's name (user id), as `helm package --key` wants it
    keyring: Path  # a legacy secret keyring: gpg --export-secret-keys > secring.gpg
    passphrase_file: Path | None = None


@dataclass
class ChartRelease:
    name: str
    version: str = ""
    state: State = "failed"
    message: str = ""
    tag: str = ""
    commit: str = ""
    changes: list[Any] = field(default_factory=list)  # artifacthub.io/changes, as written by bump
    signed: bool = False


class Target(Protocol):
    def __str__(self) -> str: ...
    def released_digest(self, helm: Helm, name: str, version: str) -> str | None: ...
    def publish(self, helm: Helm, package: Path, digest: str) -> State: ...


def redact(text: str) -> str:
    """`text` with any `user:secret@` of a URL removed (git and helm may echo remote URLs)."""
    return _CREDENTIALS.sub("***@", text)


def helm_error(result: Completed) -> str:
    """helm's own one-line reason (its last `Error:` line), without credentials."""
    lines = [line.strip() for line in (result.stderr or result.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error:")]
    text = (errors or lines or [f"exit code {result.returncode}"])[-1]
    return redact(text.removeprefix("Error:").strip())


def _load_mapping(text: str, what: str) -> dict[str, Any]:
    if len(text) > MAX_METADATA:
        raise ToolError(f"{what} is larger than {MAX_METADATA} bytes")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ToolError(f"{what} is not YAML") from None
    return data if isinstance(data, dict) else {}


def _digest_of(meta: dict[str, Any]) -> str:
    annotations = meta.get("annotations")
    return str(annotations.get(DIGEST_KEY, "")) if isinstance(annotations, dict) else ""


# --- targets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OciTarget:
    url: str  # oci://HOST/PATH, no trailing slash

    def __str__(self) -> str:
        return self.url

    def released_digest(self, helm: Helm, name: str, version: str) -> str | None:
        """The digest NAME VERSION was released with ("" without one), or None: not released."""
        result = helm.show_chart(f"{self.url}/{name}", version)
        if result.ok:
            return _digest_of(_load_mapping(result.stdout, f"{self.url}/{name}:{version}"))
        if re.search(r":\s*not found\s*$", helm_error(result)):
            return None
        raise ToolError(f"cannot read {self.url}/{name}:{version}: {helm_error(result)}")

    def publish(self, helm: Helm, package: Path, digest: str) -> State:
        result = helm.push(package, self.url)
        if not result.ok:
            raise ToolError(f"helm push to {self.url} failed: {helm_error(result)}")
        return "released"


@dataclass(frozen=True)
class RepoDirTarget:
    folder: Path  # a classic chart repository: index.yaml and the packages beside it
    url: str = ""  # the URL the folder is served at (index entries then name absolute URLs)

    def __str__(self) -> str:
        return display_path(self.folder)

    def entries(self) -> dict[str, Any]:
        index = self.folder / INDEX
        if not index.is_file():
            return {}
        entries = _load_mapping(index.read_text(encoding="utf-8"), display_path(index)).get("entries")
        return entries if isinstance(entries, dict) else {}

    def entry(self, name: str, version: str) -> dict[str, Any] | None:
        for item in self.entries().get(name) or []:
            if isinstance(item, dict) and str(item.get("version")) == version:
                return item
        return None

    def released_digest(self, helm: Helm, name: str, version: str) -> str | None:
        item = self.entry(name, version)
        return None if item is None else _digest_of(item)

    def publish(self, helm: Helm, package: Path, digest: str) -> State:
        """Copy the package (and its .prov) in and merge index.yaml, under an exclusive lock on
        the folder: a concurrent release waits, then sees this one's entry."""
        name, version = _name_version(package)
        with _locked(self.folder):
            released = self.released_digest(helm, name, version)
            if released is not None:
                _refuse_other(name, version, released, digest)
                return "skipped"
            index = self.folder / INDEX
            merged = helm.repo_index(package.parent, merge=index if index.is_file() else None, url=self.url)
            if not merged.ok:
                raise ToolError(f"helm repo index failed: {helm_error(merged)}")
            for item in (package, package.with_name(package.name + ".prov")):
                if item.is_file():
                    _copy_new(item, self.folder / item.name)
            tmp = self.folder / f".{INDEX}.chartgen-tmp"
            shutil.copyfile(package.parent / INDEX, tmp)
            os.replace(tmp, index)  # readers see the old index or the new one, never half of one
        return "released"


def _name_version(package: Path) -> tuple[str, str]:
    """NAME, VERSION of `NAME-VERSION.tgz` (a version holds no '-' before its prerelease)."""
    stem = package.name.removesuffix(".tgz")
    match = re.fullmatch(r"(.+?)-(\d+\.\d+\.\d+(?:[-+].*)?)", stem)
    if not match:
        raise ToolError(f"{package.name}: not a NAME-VERSION.tgz package")
    return match.group(1), match.group(2)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _copy_new(source: Path, dest: Path) -> None:
    """Copy, never overwriting: a package in a repository is immutable."""
    try:
        with source.open("rb") as src, dest.open("xb") as out:
            shutil.copyfileobj(src, out)
    except FileExistsError:
        raise ReleaseError(f"{display_path(dest)} already exists and is never overwritten") from None


def parse_target(to: str | None, repo_dir: str | None, repo_url: str | None) -> Target:
    if bool(to) == bool(repo_dir):
        raise UserError("give one target: --to oci://HOST/PATH or --repo-dir DIR")
    if repo_dir:
        folder = Path(repo_dir)
        if not folder.is_dir():
            raise UserError(f"--repo-dir {repo_dir}: no such folder")
        return RepoDirTarget(folder, (repo_url or "").rstrip("/"))
    assert to is not None
    parts = urlsplit(to)
    if parts.scheme != "oci" or not parts.hostname or parts.query or parts.fragment:
        raise UserError(f"--to {redact(to)}: expected oci://HOST[:PORT]/PATH")
    if parts.username or parts.password:
        raise UserError("--to: credentials do not belong in the URL: run `helm registry login HOST` first")
    return OciTarget(to.rstrip("/"))


# --- one chart ---------------------------------------------------------------------------


def _refuse_other(name: str, version: str, released: str, digest: str) -> None:
    if released != digest:
        raise ReleaseError(f"{version} is already released with other content: bump the version")


@dataclass
class Context:
    repo: git.Repo
    top: Path
    target: Target
    helm: Helm
    signing: Signing | None
    origin: bool  # the repository has a remote `origin` to claim versions on


def release_chart(ctx: Context, folder: Path) -> ChartRelease:
    """Release one chart folder; a ReleaseError (or any chartgen error) stops only this chart."""
    rel = folder.resolve().relative_to(ctx.top).as_posix()
    head = ctx.repo.head.commit
    files = working_files(folder)
    try:
        committed = tree_files(head.tree / rel)
    except KeyError:
        committed = None
    if committed != files:
        raise ReleaseError(f"{rel} differs from the last commit: commit the chart first")
    meta = parse_chart_yaml(files[CHART_FILE], folder / CHART_FILE)
    fields = version_fields(meta)
    name = str(meta.get("name") or folder.name)
    out = ChartRelease(name, fields.version, changes=_changes(fields.changes))
    try:
        Version.parse(fields.version)
    except NotSemVer as exc:
        raise ReleaseError(str(exc)) from None
    digest = chart_digest(meta, files)
    if fields.digest != digest:
        raise ReleaseError(
            f"Chart.yaml's {DIGEST_KEY} does not match the chart's content "
            "(edited by hand?): run chartgen generate and commit"
        )
    released = ctx.target.released_digest(ctx.helm, name, fields.version)
    if released is not None:
        _refuse_other(name, fields.version, released, digest)
        out.state, out.message = "skipped", "already released (same digest)"
        return out
    # The tag goes on the commit that last changed the chart: unrelated later commits do not
    # move it, so re-running a release after a failure claims the same version again.
    source = next(ctx.repo.iter_commits(head, paths=rel, max_count=1))
    out.tag, out.commit = f"{name}-{fields.version}", str(source.hexsha)
    claim = claim_tag(ctx, out.tag, source, rel)
    try:
        with tempfile.TemporaryDirectory(prefix="chartgen-release-") as tmp:
            package = _package(ctx, folder, Path(tmp), name, fields.version)
            out.state = ctx.target.publish(ctx.helm, package, digest)
    except BaseException:
        claim.undo()  # nothing was published: the version is free again
        raise
    out.signed = ctx.signing is not None and out.state == "released"
    out.message = (
        f"released to {ctx.target} (tag {out.tag})"
        if out.state == "released"
        else "already released (same digest)"
    )
    return out


def _package(ctx: Context, folder: Path, dest: Path, name: str, version: str) -> Path:
    sign = ctx.signing
    result = ctx.helm.package(
        folder,
        dest,
        sign.key if sign else None,
        sign.keyring if sign else None,
        sign.passphrase_file if sign else None,
    )
    package = dest / f"{name}-{version}.tgz"
    if not result.ok or not package.is_file():
        raise ToolError(f"helm package {name} failed: {helm_error(result)}")
    return package


def _changes(text: str) -> list[Any]:
    if not text:
        return []
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return [text]
    return data if isinstance(data, list) else [data]


# --- claiming a version with a git tag ---------------------------------------------------


@dataclass
class Claim:
    repo: git.Repo
    tag: str
    created: bool = False  # this run created the local tag
    pushed: bool = False  # this run created the tag on origin

    def undo(self) -> None:
        with contextlib.suppress(git.GitCommandError):
            if self.pushed:
                self.repo.git.push("origin", f":refs/tags/{self.tag}", kill_after_timeout=GIT_TIMEOUT)
            if self.created:
                self.repo.git.tag("-d", self.tag)


def claim_tag(ctx: Context, tag: str, commit: git.Commit, rel: str) -> Claim:
    """Create tag `tag` on `commit` unless it exists, locally and then on origin (no force).
    A tag already on another commit with other chart files means another release owns it."""
    repo = ctx.repo
    claim = Claim(repo, tag)
    existing = _local_tag(repo, tag)
    if existing is None:
        try:
            repo.git.tag(tag, commit.hexsha)  # git refuses a tag that exists: create-only
            claim.created = True
        except git.GitCommandError:
            existing = _local_tag(repo, tag)  # another run in this clone just created it
    if existing is not None and not _same_chart(repo, existing, commit, rel):
        raise ReleaseError(_owned_by(tag, existing))
    if not ctx.origin:
        return claim
    try:
        output = repo.git.push(
            "--porcelain", "origin", f"refs/tags/{tag}:refs/tags/{tag}", kill_after_timeout=GIT_TIMEOUT
        )
        claim.pushed = "[up to date]" not in output
        return claim
    except git.GitCommandError as exc:
        reason = _git_reason(exc)
    remote = _remote_tag(repo, tag)
    if remote is not None and (remote == commit.hexsha or _same_chart(repo, remote, commit, rel)):
        return claim  # origin has it for the same chart content: released by a twin run
    claim.undo()
    if remote is not None:
        raise ReleaseError(_owned_by(tag, remote))
    raise ReleaseError(f"cannot push tag {tag} to origin: {reason}")


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
    try:
        line = str(repo.git.ls_remote("origin", f"refs/tags/{tag}", kill_after_timeout=GIT_TIMEOUT))
    except git.GitCommandError:
        return None
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
    text = exc.stderr if isinstance(exc.stderr, str) else str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip() and "stderr:" not in line]
    return redact(lines[-1].strip("'") if lines else "git failed")


# --- the whole run -----------------------------------------------------------------------


def owned_charts(charts: Path) -> dict[str, Path]:
    """Chart folders chartgen generated (their Chart.yaml carries `chartgen/generated`)."""
    return {
        folder.name: folder
        for folder in find_charts(charts)
        if OWNERSHIP_MARK.search((folder / CHART_FILE).read_bytes())
    }


def run_release(
    charts: Path,
    target: Target,
    helm: Helm,
    only: tuple[str, ...] = (),
    base: str | None = None,
    signing: Signing | None = None,
    on_chart: Callable[[ChartRelease], None] | None = None,
) -> list[ChartRelease]:
    repo = open_repo(charts if charts.exists() else charts.parent)
    try:  # gitpython keeps `git cat-file` processes per Repo: closed when done
        return _release_all(repo, charts, target, helm, only, base, signing, on_chart)
    finally:
        repo.close()


def _release_all(
    repo: git.Repo,
    charts: Path,
    target: Target,
    helm: Helm,
    only: tuple[str, ...],
    base: str | None,
    signing: Signing | None,
    on_chart: Callable[[ChartRelease], None] | None,
) -> list[ChartRelease]:
    try:
        repo.head.commit  # noqa: B018 - raises on a repository without commits
    except ValueError:
        raise UserError("the repository has no commit yet: commit the charts first") from None
    owned = owned_charts(charts)
    names = list(only) or sorted(owned)
    if base:
        found = find_base(charts, base)
        try:
            names = [n for n in names if n in found.changed_charts()]
        finally:
            found.repo.close()
    ctx = Context(
        repo,
        Path(str(repo.working_tree_dir)).resolve(),
        target,
        helm,
        signing,
        any(r.name == "origin" for r in repo.remotes),
    )
    results = []
    for name in names:
        folder = owned.get(name)
        if folder is None:
            outcome = ChartRelease(name, message=f"no such chart generated in {display_path(charts)}")
        else:
            outcome = _guarded(ctx, folder)
        results.append(outcome)
        if on_chart:
            on_chart(outcome)
    return results


def _guarded(ctx: Context, folder: Path) -> ChartRelease:
    """release_chart, with any failure turned into this chart's one-line message."""
    try:
        return release_chart(ctx, folder)
    except ChartgenError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    except OSError as exc:
        message = os_error_text(exc)
    except git.GitCommandError as exc:
        message = f"git: {_git_reason(exc)}"
    return ChartRelease(folder.name, _version_of(folder), message=redact(message))


def _version_of(folder: Path) -> str:
    with contextlib.suppress(ChartgenError, OSError):
        return version_fields(parse_chart_yaml((folder / CHART_FILE).read_bytes(), folder)).version
    return ""


# --- chartgen verify ---------------------------------------------------------------------


def verify_package(helm: Helm, package: Path, keyring: Path) -> str:
    """Who signed `package` (helm verify with `keyring`), or a one-line UserError."""
    if not package.is_file():
        raise UserError(f"{display_path(package)}: no such chart package")
    if not Path(f"{package}.prov").is_file():
        raise UserError(f"{package.name} is not signed: no {package.name}.prov beside it")
    result = helm.verify(package, keyring)
    if not result.ok:
        raise UserError(f"{package.name}: signature check failed: {helm_error(result)}")
    signer = [line for line in result.stdout.splitlines() if line.startswith("Signed by:")]
    return signer[0].removeprefix("Signed by:").strip() if signer else "a key of the keyring"


def verify_oci(helm: Helm, ref: str, keyring: Path) -> tuple[str, str]:
    """(package name, signer) of `oci://HOST/PATH/NAME:VERSION`, pulled with its .prov."""
    remote, _, version = ref.rpartition(":")
    if not remote.startswith("oci://") or "/" in version or not version:
        raise UserError(f"{redact(ref)}: expected oci://HOST/PATH/NAME:VERSION")
    with tempfile.TemporaryDirectory(prefix="chartgen-verify-") as tmp:
        pulled = helm.pull(remote, version, Path(tmp), prov=True)
        if not pulled.ok:
            raise UserError(f"cannot pull {redact(ref)}: {helm_error(pulled)}")
        packages = sorted(Path(tmp).glob("*.tgz"))
        if not packages:
            raise UserError(f"cannot pull {redact(ref)}: no package")
        return packages[0].name, verify_package(helm, packages[0], keyring)


def verify_repo_dir(helm: Helm, folder: Path, name: str, version: str, keyring: Path) -> tuple[str, str]:
    """(package name, signer) of NAME VERSION in the chart repository folder `folder`."""
    item = RepoDirTarget(folder).entry(name, version)
    if item is None:
        raise UserError(f"{name} {version} is not in {display_path(folder / INDEX)}")
    urls = item.get("urls") or [f"{name}-{version}.tgz"]
    package = folder / Path(urlsplit(str(urls[0])).path).name
    return package.name, verify_package(helm, package, keyring)
