"""`chartgen release`: publish each chart version once, immutably; `chartgen verify`: its signature.

For one chart, every step is a reason to stop before anything is published:
1. the chart folder is what HEAD committed, its name is its folder's (a valid chart name: it
   becomes a git tag, a registry path and a file name), and its `chartgen/digest` is its
   content's digest;
2. the target already has NAME VERSION: the same digest is skipped, another one is an error;
3. the version is claimed by the git tag NAME-VERSION, created only when absent and pushed to
   `origin` without force: of two runs releasing one version, git lets exactly one claim it;
4. `helm package` (signed when a key is configured) into a temporary folder, then `helm push`
   (OCI) or a copy plus a merged index.yaml under an exclusive lock (chart repository folder).
A chart that fails is reported, its claim taken back, and the others are still released.
Failure messages do not repeat the chart's name: the report line (and the JSON entry) carries it.

A claim that could not be taken back (origin went away) stays on the chart's commit: a retry of
the same content re-uses it; other content under that version is refused (bump the version).
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

from chartgen.charts.chart import parse_chart_yaml, version_fields, working_files
from chartgen.emit.switch import settled_charts
from chartgen.errors import ChartgenError, ToolError, UserError, os_error_text
from chartgen.formats.source import display_path
from chartgen.plan.layout import CHART_FILE, DIGEST_KEY
from chartgen.tools.helm import Helm, helm_reason
from chartgen.tools.runner import Completed
from chartgen.version.digest import chart_digest
from chartgen.version.git import changed_since, open_repo, tree_files
from chartgen.version.semver import NotSemVer, Version
from chartgen.workflow.names import is_valid_name

State = Literal["released", "skipped", "failed"]
GIT_TIMEOUT = 120  # seconds for one git push / fetch / ls-remote
MAX_CHART_YAML = 1 << 20  # a released Chart.yaml read back is at most this many bytes
MAX_INDEX = 64 << 20  # a chart repository's index.yaml (thousands of versions take megabytes)
INDEX = "index.yaml"
SAME_DIGEST = "already released (same digest)"
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
    def released_digest(self, helm: Helm, name: str, version: str) -> str | None: ...
    def publish(self, helm: Helm, package: Path, name: str, version: str, digest: str) -> State: ...


def redact(text: str) -> str:
    """`text` with any `user:secret@` of a URL removed (git and helm may echo remote URLs)."""
    return _CREDENTIALS.sub("***@", text)


def helm_error(result: Completed) -> str:
    """helm's own one-line reason, without credentials."""
    return redact(helm_reason(result))


def _load_mapping(data: str | bytes, what: str, limit: int) -> dict[str, Any]:
    if len(data) > limit:
        raise ToolError(f"{what} is larger than {limit} bytes")
    try:
        loaded = yaml.safe_load(data)
    except yaml.YAMLError:
        raise ToolError(f"{what} is not YAML") from None
    return loaded if isinstance(loaded, dict) else {}


def _digest_of(meta: dict[str, Any]) -> str:
    annotations = meta.get("annotations")
    return str(annotations.get(DIGEST_KEY, "")) if isinstance(annotations, dict) else ""


def _refuse_other(version: str, released: str, digest: str) -> None:
    if released != digest:
        raise ReleaseError(f"{version} is already released with other content: bump the version")


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
            return _digest_of(_load_mapping(result.stdout, f"{self.url}/{name}:{version}", MAX_CHART_YAML))
        if re.search(r":\s*not found\s*$", helm_error(result)):
            return None
        raise ToolError(f"cannot read {self.url}/{name}:{version}: {helm_error(result)}")

    def publish(self, helm: Helm, package: Path, name: str, version: str, digest: str) -> State:
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

    def entry(self, name: str, version: str) -> dict[str, Any] | None:
        index = self.folder / INDEX
        if not index.is_file():
            return None
        if index.stat().st_size > MAX_INDEX:  # checked before reading it whole
            raise ToolError(f"{display_path(index)} is larger than {MAX_INDEX} bytes")
        entries = _load_mapping(index.read_bytes(), display_path(index), MAX_INDEX).get("entries")
        versions = entries.get(name) if isinstance(entries, dict) else None
        for item in versions if isinstance(versions, list) else []:
            if isinstance(item, dict) and str(item.get("version")) == version:
                return item
        return None

    def released_digest(self, helm: Helm, name: str, version: str) -> str | None:
        item = self.entry(name, version)
        return None if item is None else _digest_of(item)

    def publish(self, helm: Helm, package: Path, name: str, version: str, digest: str) -> State:
        """Copy the package (and its .prov) in, then merge index.yaml, under an exclusive lock on
        the folder: a concurrent release waits, then sees this one's entry. The index says what
        is released: files it does not name are leftovers of an interrupted run, replaced."""
        with _locked(self.folder):
            released = self.released_digest(helm, name, version)
            if released is not None:
                _refuse_other(version, released, digest)
                return "skipped"
            index = self.folder / INDEX
            merged = helm.repo_index(package.parent, merge=index if index.is_file() else None, url=self.url)
            if not merged.ok:
                raise ToolError(f"helm repo index failed: {helm_error(merged)}")
            prov = package.with_name(package.name + ".prov")
            _install(package, self.folder / package.name)
            if prov.is_file():
                _install(prov, self.folder / prov.name)
            else:  # a signed attempt's leftover would not match this package
                (self.folder / prov.name).unlink(missing_ok=True)
            _install(package.parent / INDEX, index)  # last: the release is visible once complete
        return "released"


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _install(source: Path, dest: Path) -> None:
    """Copy `source` to `dest` durably, in one step: readers see the old file or the new one."""
    tmp = dest.with_name(f".{dest.name}.chartgen-tmp")
    with source.open("rb") as src, tmp.open("wb") as out:
        shutil.copyfileobj(src, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, dest)


def parse_target(to: str | None, repo_dir: str | None, repo_url: str | None) -> Target:
    if bool(to) == bool(repo_dir):
        raise UserError("give one target: --to oci://HOST/PATH or --repo-dir DIR")
    if repo_url and not repo_dir:
        raise UserError("--repo-url goes with --repo-dir")
    if repo_dir:
        folder = Path(repo_dir)
        if not folder.is_dir():
            raise UserError(f"--repo-dir {repo_dir}: no such folder")
        url = _checked_url("--repo-url", repo_url, ("http", "https")) if repo_url else ""
        return RepoDirTarget(folder, url)
    assert to is not None
    return OciTarget(_checked_url("--to", to, ("oci",)))


def _checked_url(flag: str, url: str, schemes: tuple[str, ...]) -> str:
    """`url` without its trailing slash, or a UserError that does not show its credentials."""
    try:
        parts = urlsplit(url)
        ok = parts.scheme in schemes and bool(parts.hostname) and not parts.query and not parts.fragment
    except ValueError:  # a malformed [IPv6] host
        ok = False
    if not ok:
        raise UserError(f"{flag} {redact(url)}: expected {schemes[0]}://HOST[:PORT]/PATH")
    if parts.username or parts.password:
        raise UserError(
            f"{flag}: credentials do not belong in the URL (they would be logged or published): "
            "use `helm registry login HOST`"
        )
    return url.rstrip("/")


# --- one chart ---------------------------------------------------------------------------


@dataclass
class Context:
    repo: git.Repo
    top: Path
    target: Target
    helm: Helm
    signing: Signing | None
    origin: bool  # the repository has a remote `origin` to claim versions on
    origin_down: str = ""  # why origin could not be reached: the next charts fail at once


def release_chart(ctx: Context, folder: Path, out: ChartRelease) -> None:
    """Release one chart folder, recording what happened in `out` (named after the folder);
    a ChartgenError stops only this chart."""
    try:
        rel = folder.resolve().relative_to(ctx.top).as_posix()
    except ValueError:
        raise ReleaseError(f"{display_path(folder)} is not inside the git repository") from None
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
    out.version, out.changes = fields.version, _changes(fields.changes)
    _check_name_and_version(meta.get("name"), out)
    digest = chart_digest(meta, files)
    if fields.digest != digest:
        raise ReleaseError(
            f"Chart.yaml's {DIGEST_KEY} does not match the chart's content "
            "(edited by hand?): run chartgen generate and commit"
        )
    released = ctx.target.released_digest(ctx.helm, out.name, out.version)
    if released is not None:
        _refuse_other(out.version, released, digest)
        out.state, out.message = "skipped", SAME_DIGEST
        return
    # The tag goes on the commit that last changed the chart: unrelated later commits do not
    # move it, so re-running a release after a failure claims the same version again.
    source = next(ctx.repo.iter_commits(head, paths=rel, max_count=1))
    tag = f"{out.name}-{out.version}"
    claim = claim_tag(ctx, tag, source, rel)
    try:
        with tempfile.TemporaryDirectory(prefix="chartgen-release-") as tmp:
            package = _package(ctx, folder, Path(tmp), out.name, out.version)
            out.state = ctx.target.publish(ctx.helm, package, out.name, out.version, digest)
    except BaseException:
        claim.undo()  # nothing was published: the version is free again
        raise
    out.tag, out.commit = tag, str(source.hexsha)
    out.signed = ctx.signing is not None and out.state == "released"
    out.message = f"released to {ctx.target} (tag {tag})" if out.state == "released" else SAME_DIGEST


def _check_name_and_version(name: object, out: ChartRelease) -> None:
    if name != out.name or not is_valid_name(out.name):
        raise ReleaseError(
            f"Chart.yaml's name {str(name)[:60]!r} is not its folder's name, or not a valid chart "
            "name (lowercase letters, digits and '-')"
        )
    try:
        Version.parse(out.version)
    except NotSemVer as exc:
        raise ReleaseError(str(exc)) from None


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
        """Give the version back, each step on its own: a failing push leaves no local tag."""
        if self.pushed:
            with contextlib.suppress(git.GitCommandError):
                self.repo.git.push("origin", f":refs/tags/{self.tag}", kill_after_timeout=GIT_TIMEOUT)
        if self.created:
            with contextlib.suppress(git.GitCommandError):
                self.repo.git.tag("-d", self.tag)


def claim_tag(ctx: Context, tag: str, commit: git.Commit, rel: str) -> Claim:
    """Create tag `tag` on `commit` unless it exists, locally and then on origin (no force).
    A tag already on another commit with other chart files means another release owns it."""
    if ctx.origin_down:
        raise ReleaseError(ctx.origin_down)
    claim = Claim(ctx.repo, tag)
    try:
        ctx.repo.git.tag(tag, commit.hexsha)  # git refuses a tag that exists: create-only
        claim.created = True
    except git.GitCommandError as exc:
        existing = _local_tag(ctx.repo, tag)
        if existing is None:
            raise ReleaseError(f"cannot create tag {tag}: {_git_reason(exc)}") from None
        if not _same_chart(ctx.repo, existing, commit, rel):
            raise ReleaseError(_owned_by(tag, existing)) from None
    if ctx.origin:
        try:
            claim.pushed = _push_tag(ctx, tag, commit, rel)
        except BaseException:
            claim.undo()
            raise
    return claim


def _push_tag(ctx: Context, tag: str, commit: git.Commit, rel: str) -> bool:
    """Push the tag to origin (no force); whether origin did not have it yet."""
    repo = ctx.repo
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
        ctx.origin_down = f"cannot reach origin to claim the version: {reason}"
        raise ReleaseError(ctx.origin_down) from None
    if remote is None:
        raise ReleaseError(f"cannot push tag {tag} to origin: {reason}")
    if not _same_chart(repo, remote, commit, rel):
        raise ReleaseError(_owned_by(tag, remote))
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


# --- the whole run -----------------------------------------------------------------------


def owned_charts(charts: Path) -> dict[str, Path]:
    """Chart folders chartgen generated (their Chart.yaml carries `chartgen/generated`)."""
    return {chart.name: chart.folder for chart in settled_charts(charts) if chart.generated and chart.folder}


def run_release(
    charts: Path,
    target: Target,
    helm: Helm,
    only: tuple[str, ...] = (),
    base: str | None = None,
    signing: Signing | None = None,
    on_chart: Callable[[ChartRelease], None] | None = None,
) -> list[ChartRelease]:
    # Closing the Repo ends the `git cat-file` processes gitpython keeps.
    with open_repo(charts if charts.exists() else charts.parent) as repo:
        repo.git.update_environment(GIT_TERMINAL_PROMPT="0")  # fail, never wait for a password
        try:
            repo.head.commit  # noqa: B018 - raises on a repository without commits
        except ValueError:
            raise UserError("the repository has no commit yet: commit the charts first") from None
        owned = owned_charts(charts)
        names = list(only) or sorted(owned)
        if base:
            changed = changed_since(charts, base)
            names = [n for n in names if n in changed]
        top = Path(str(repo.working_tree_dir)).resolve()
        has_origin = any(r.name == "origin" for r in repo.remotes)
        ctx = Context(repo, top, target, helm, signing, has_origin)
        results = []
        for name in names:
            outcome = ChartRelease(name)
            folder = owned.get(name)
            if folder is None:
                outcome.message = f"no such chart generated in {display_path(charts)}"
            else:
                _guarded(ctx, folder, outcome)
            results.append(outcome)
            if on_chart:
                on_chart(outcome)
        return results


def _guarded(ctx: Context, folder: Path, out: ChartRelease) -> None:
    """release_chart, with any failure turned into this chart's one-line message."""
    try:
        release_chart(ctx, folder, out)
        return
    except ChartgenError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    except OSError as exc:
        message = os_error_text(exc)
    except git.GitCommandError as exc:
        message = f"git: {_git_reason(exc)}"
    out.state, out.message = "failed", redact(message)


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
    package = folder / Path(urlsplit(str(urls[0])).path).name  # the file name only: in `folder`
    return package.name, verify_package(helm, package, keyring)
