"""One chart's release: checked against what HEAD committed and its own digest, its version
claimed with a git tag, packaged (signed when a key is given) and published to the target."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chartgen.charts.chart import parse_chart_yaml, version_fields, working_files
from chartgen.errors import ToolError
from chartgen.formats.source import display_path
from chartgen.plan.layout import CHART_FILE, DIGEST_KEY
from chartgen.release.targets import ReleaseError, State, Target, helm_error, refuse_other
from chartgen.tools.helm import Helm
from chartgen.version.digest import chart_digest
from chartgen.version.semver import NotSemVer, Version
from chartgen.version.tags import Tags
from chartgen.workflow.names import is_valid_name

SAME_DIGEST = "already released (same digest)"


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


@dataclass
class Context:
    tags: Tags  # the repository, where versions are claimed
    target: Target
    helm: Helm
    signing: Signing | None


def release_chart(ctx: Context, folder: Path, out: ChartRelease) -> None:
    """Release one chart folder, recording what happened in `out` (named after the folder);
    a ChartgenError stops only this chart."""
    try:
        rel = folder.resolve().relative_to(ctx.tags.top).as_posix()
    except ValueError:
        raise ReleaseError(f"{display_path(folder)} is not inside the git repository") from None
    files = working_files(folder)
    if ctx.tags.committed(rel) != files:
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
        refuse_other(out.version, released, digest)
        out.state, out.message = "skipped", SAME_DIGEST
        return
    tag = f"{out.name}-{out.version}"
    claim, source = ctx.tags.claim(tag, rel)
    try:
        with tempfile.TemporaryDirectory(prefix="chartgen-release-") as tmp:
            package = _package(ctx, folder, Path(tmp), out.name, out.version)
            out.state = ctx.target.publish(ctx.helm, package, out.name, out.version, digest)
    except BaseException:
        claim.undo()  # nothing was published: the version is free again
        raise
    out.tag, out.commit = tag, source
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
