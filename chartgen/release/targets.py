"""Where released charts go: an OCI registry, or a classic chart repository folder; what each
says was released already, and how a package is published there."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import yaml

from chartgen.errors import ChartgenError, ToolError, UserError
from chartgen.formats.redact import redact
from chartgen.formats.source import display_path
from chartgen.plan.layout import DIGEST_KEY
from chartgen.tools.helm import Helm, helm_reason
from chartgen.tools.runner import Completed

State = Literal["released", "skipped", "failed"]
MAX_CHART_YAML = 1 << 20  # a released Chart.yaml read back is at most this many bytes
MAX_INDEX = 64 << 20  # a chart repository's index.yaml (thousands of versions take megabytes)
INDEX = "index.yaml"


class ReleaseError(ChartgenError):
    """One chart cannot be released (the others still are)."""


class Target(Protocol):
    def released_digest(self, helm: Helm, name: str, version: str) -> str | None: ...
    def publish(self, helm: Helm, package: Path, name: str, version: str, digest: str) -> State: ...


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


def refuse_other(version: str, released: str, digest: str) -> None:
    if released != digest:
        raise ReleaseError(f"{version} is already released with other content: bump the version")


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
                refuse_other(version, released, digest)
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
