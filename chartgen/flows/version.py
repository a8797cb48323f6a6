"""`chartgen version check` and `chartgen version bump`: chart versions against a base commit.

Only the charts git sees as changed since the merge-base are read (a repository of 1,000
charts where one changed reads one). Digests are recomputed on both sides: an annotation can
be stale or edited, and charts at the base may predate it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chartgen.charts.chart import GeneratedChart, parse_chart_yaml, version_fields, working_files
from chartgen.config import Settings
from chartgen.errors import UserError
from chartgen.formats.source import display_path
from chartgen.plan.layout import CHART_FILE
from chartgen.verify.chart_env import Renderer, render, write_chart
from chartgen.version.chartfile import write_version
from chartgen.version.digest import chart_digest
from chartgen.version.git import Base, find_base, open_repo
from chartgen.version.rules import ChartSnapshot, bump_kind, changes_text
from chartgen.version.semver import NotSemVer, Version


@dataclass
class ChartVersion:
    """What check or bump found for one chart. status: ok | new | removed | unchanged |
    bumped | kept | problem."""

    name: str
    status: str
    base_version: str | None = None
    version: str | None = None
    kind: str | None = None  # bump: the kind the change needs
    reasons: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line each, naming the chart
    notes: list[str] = field(default_factory=list)


@dataclass
class VersionReport:
    ref: str
    base: str  # the merge-base commit
    charts: list[ChartVersion]

    @property
    def ok(self) -> bool:
        return not any(c.problems for c in self.charts)


@dataclass
class _Side:
    """One side of a chart: its files, its Chart.yaml data and the version that names."""

    files: dict[str, bytes]
    meta: dict[str, Any]
    version: Version | None
    text: str  # the version as written


def default_ref(charts: Path) -> str:
    """origin/main when the repository has it, else main."""
    repo = open_repo(charts if charts.exists() else charts.parent)
    return "origin/main" if "origin/main" in {r.name for r in repo.refs} else "main"


def check_versions(settings: Settings, ref: str, only: Sequence[str] = ()) -> VersionReport:
    base = find_base(settings.out, ref)
    results = []
    for name in _selected(base, only):
        head, old = _head(base, name), _base(base, name)
        result = _compare(name, old, head)
        if head is not None and result.status != "removed":
            result.problems += _digest_problems(name, head, settings.out)
        if result.problems:
            result.status = "problem"
        results.append(result)
    return VersionReport(ref, base.sha, results)


def _compare(name: str, old: _Side | None, head: _Side | None) -> ChartVersion:
    if head is None:
        return ChartVersion(name, "removed", old.text if old else None)
    result = ChartVersion(name, "ok", old.text if old else None, head.text)
    if head.version is None:
        result.problems.append(f"{name}: version '{head.text}' is not SemVer 2 (MAJOR.MINOR.PATCH)")
        return result
    if old is None:
        result.status = "new"
        return result
    if old.version is None:  # history is not the pull request's fault: any valid version will do
        result.notes.append(f"the base version '{old.text}' is not SemVer; not compared")
        return result
    changed = _digest_of(old) != _digest_of(head)
    if head.version < old.version:
        result.problems.append(f"{name}: version went backwards, {old.text} -> {head.text}")
    elif changed and not head.version > old.version:
        result.problems.append(
            f"{name}: content changed but the version is still {head.text}: run chartgen version bump"
        )
    elif not changed and head.text != old.text:
        result.problems.append(
            f"{name}: version changed {old.text} -> {head.text} but the content did not "
            f"(set it back to {old.text})"
        )
    elif not changed:
        result.status = "unchanged"
    return result


def _digest_problems(name: str, head: _Side, charts: Path) -> list[str]:
    """The annotation must be the digest of what is there: else the chart was edited by hand,
    or not regenerated since its sources changed."""
    written = version_fields(head.meta).digest
    if written == _digest_of(head):
        return []
    where = display_path(charts / name / CHART_FILE)
    what = (
        "has no chartgen/digest annotation" if not written else "chartgen/digest does not match the content"
    )
    return [f"{name}: {where} {what} (edited by hand or stale): run chartgen generate"]


def bump_versions(
    settings: Settings,
    ref: str,
    helm: Renderer,
    only: Sequence[str] = (),
    pr: tuple[int, str] | None = None,
) -> VersionReport:
    """Write the version each changed chart needs (and its artifacthub.io/changes)."""
    base = find_base(settings.out, ref)
    if pr is not None:
        _check_pr(pr)
    results = []
    for name in _selected(base, only):
        head, old = _head(base, name), _base(base, name)
        old_text = old.text if old else None
        if head is None:
            results.append(ChartVersion(name, "removed", old_text))
            continue
        result = ChartVersion(name, "new" if old is None else "ok", old_text, head.text)
        if head.version is None:
            result.problems.append(f"{name}: version '{head.text}' is not SemVer 2: set it by hand")
        elif old is not None and old.version is None:
            result.problems.append(f"{name}: the base version '{old.text}' is not SemVer 2: set it by hand")
        elif old is not None:
            _bump(result, settings, helm, old, head, pr)
        if result.problems:
            result.status = "problem"
        results.append(result)
    return VersionReport(ref, base.sha, results)


def _bump(
    result: ChartVersion,
    settings: Settings,
    helm: Renderer,
    old: _Side,
    head: _Side,
    pr: tuple[int, str] | None,
) -> None:
    assert old.version is not None and head.version is not None
    if bump_kind(ChartSnapshot(old.files), ChartSnapshot(head.files)).kind is None:
        result.status = "unchanged"  # nothing to release, no helm needed (check reports a version edit)
        return
    chart = settings.out / result.name
    rendered = _render_both(
        helm, settings.kube_version, result.name, old.files, chart, head.files, result.notes
    )
    try:
        bump = bump_kind(ChartSnapshot(old.files, rendered[0]), ChartSnapshot(head.files, rendered[1]))
    except UserError as exc:
        raise UserError(f"{result.name}: {exc}") from None
    assert bump.kind is not None
    release = old.version.bumped(bump.kind)
    if head.version > old.version:  # already bumped (idempotent) unless this change needs more
        release = max(release, Version(head.version.major, head.version.minor, head.version.patch))
    version = str(release.pull_request(*pr) if pr else release)
    changes = changes_text(bump.reasons)
    result.kind, result.reasons, result.version = bump.kind, [r.description for r in bump.reasons], version
    fields = version_fields(head.meta)
    if version == fields.version and changes == fields.changes:
        result.status = "kept"
        return
    write_version(chart / CHART_FILE, version, changes)
    result.status = "bumped"


def _check_pr(pr: tuple[int, str]) -> None:
    try:
        Version(0, 1, 0).pull_request(*pr)
    except ValueError:
        raise UserError(
            f"--pr {pr[0]} --sha {pr[1]}: a pull request number (0 or more) and a commit sha "
            "(letters, digits and -) are needed"
        ) from None


# --- the two sides ---------------------------------------------------------------------------


def _selected(base: Base, only: Sequence[str]) -> list[str]:
    """Changed charts (hidden folders are generate's own work space), limited to `only`."""
    names = {n for n in base.changed_charts() if not n.startswith(".")}
    if not only:
        return sorted(names)
    known = base.chart_names() | {p.name for p in base.charts.iterdir() if p.is_dir()}
    missing = [n for n in only if n not in known]
    if missing:
        raise UserError(f"--chart {missing[0]}: no such chart in {display_path(base.charts)} or at the base")
    return sorted(names & set(only))


def _head(base: Base, name: str) -> _Side | None:
    chart = base.charts / name
    if not (chart / CHART_FILE).is_file():
        return None
    return _side(working_files(chart), chart / CHART_FILE)


def _base(base: Base, name: str) -> _Side | None:
    files = base.files(name)
    if files is None or CHART_FILE not in files:
        return None
    return _side(files, Path(f"{base.sha[:12]}:{base.charts_rel}/{name}/{CHART_FILE}"))


def _side(files: dict[str, bytes], where: Path) -> _Side:
    meta = parse_chart_yaml(files[CHART_FILE], where)
    text = version_fields(meta).version
    try:
        version: Version | None = Version.parse(text)
    except NotSemVer:
        version = None
    return _Side(files, meta, version, text)


def _digest_of(side: _Side) -> str:
    return chart_digest(side.meta, side.files)


# --- rendering with helm ---------------------------------------------------------------------


def _render_both(
    helm: Renderer,
    kube_version: str,
    name: str,
    old_files: dict[str, bytes],
    head: Path,
    head_files: dict[str, bytes],
    notes: list[str],
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    """Objects helm renders per environment, at the base (written to a temporary folder) and
    in the working tree. An environment that does not render is left out (noted)."""
    with tempfile.TemporaryDirectory(prefix="chartgen-base-") as tmp:
        old = Path(tmp) / name
        write_chart(old_files, old)
        jobs = [("base", old, env) for env in GeneratedChart.of(name, old_files).environments]
        jobs += [("head", head, env) for env in GeneratedChart.of(name, head_files).environments]
        with ThreadPoolExecutor(max_workers=8) as pool:
            outputs = list(pool.map(lambda job: render(helm, job[1], name, job[2], kube_version), jobs))
    sides: tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]] = ({}, {})
    for (side, _chart, env), (objects, problem) in zip(jobs, outputs, strict=True):
        if objects is None:
            notes.append(
                f"{side} {env.name} not rendered ({problem}); selectors and object names not compared there"
            )
        else:
            sides[0 if side == "base" else 1][env.name] = objects
    return sides
