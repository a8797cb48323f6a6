"""One chart onto one environment: `helm upgrade --install --wait`, rolled back on failure.

The release name is the chart's name (the one `vault plan` binds), in the environment's
namespace. Before upgrading, a release that is not on solid ground is recovered (releases.STATES).
A release already running this chart digest with these values, whose objects are as the chart
renders them, is left alone (its revision does not move); with drift, it is upgraded again with
the same chart, which puts every object back (server-side apply, taking back the fields a hand
edit took). Helm 4 rolls a failed upgrade back with `--rollback-on-failure`, Helm 3 with
`--atomic`. What the result says is read back from the cluster afterwards, never assumed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from chartgen.deploy.drift import Drift, removals
from chartgen.deploy.live import KubectlRun
from chartgen.deploy.releases import HISTORY_MAX, Release, ReleaseCommands, ReleaseRecords, recover
from chartgen.errors import ChartgenError, ToolError
from chartgen.tools import interrupts
from chartgen.tools.helm import helm_reason
from chartgen.tools.runner import Completed

Result = Literal["installed", "upgraded", "repaired", "unchanged", "rolled back", "failed", "refused"]
OK_RESULTS = ("installed", "upgraded", "repaired", "unchanged")
# Beyond helm's own --timeout: a rollback after a failed wait, and helm's start-up.
ROLLBACK_SECONDS = 120


@dataclass(frozen=True)
class Target:
    """One chart to deploy to one environment, decided before anything runs."""

    name: str  # the chart's name = the release name
    env: str
    namespace: str
    chart: Path  # the chart folder (the working tree's, or one pulled from the registry)
    values_files: tuple[Path, ...]  # values-<env>.yaml over values.yaml (none for a dev chart)
    values: dict[str, Any]  # what those files supply, merged as helm merges them
    version: str
    digest: str  # the chart's chartgen/digest
    timeout: int  # seconds helm may wait: the chart's startup allowance plus a margin
    # Values section of each image the chart runs (`image`, `jobService.image`, ...) -> the
    # sha256:... to run; a section not given keeps the running one for the same version.
    images: Mapping[str, str] = field(default_factory=dict)
    image_sections: tuple[str, ...] = ("image",)  # every image section the chart has
    keep_image: bool = True  # False: not given means by tag (promote copies the source exactly)
    description: str = ""  # recorded on the new revision (helm history shows it)


@dataclass(frozen=True)
class Observed:
    """A release as the cluster holds it before the deploy, and its drift from its chart."""

    release: Release | None = None
    drift: tuple[Drift, ...] = ()


@dataclass
class DeployResult:
    name: str
    env: str
    namespace: str
    version_to: str  # the chart version deployed
    version_from: str = ""  # what ran before ("" none)
    version: str = ""  # what runs after the command ("" none), read back from the cluster
    revision_from: int = 0
    revision: int = 0  # the revision that runs after the command (0: no release)
    result: Result = "failed"
    seconds: float = 0.0
    message: str = ""
    recovered: str = ""  # what was done to a release not on solid ground first
    images: dict[str, str] = field(default_factory=dict)  # section -> the digest it runs
    repaired: list[str] = field(default_factory=list)  # the drift put right, one line each
    stranded: list[str] = field(default_factory=list)  # instances the version strands, one line each

    @property
    def ok(self) -> bool:
        return self.result in OK_RESULTS


def rollback_flag(helm_version: str) -> str:
    """Helm 4 renamed --atomic to --rollback-on-failure."""
    return "--atomic" if helm_major(helm_version) in ("2", "3") else "--rollback-on-failure"


def helm_major(helm_version: str) -> str:
    return helm_version.lstrip("v").split(".", 1)[0]


def supplied_values(target: Target, images: Mapping[str, str]) -> dict[str, Any]:
    """The values the upgrade supplies: the environment's files, and the image digests."""
    values = target.values
    for section, digest in sorted(images.items()):
        values = _with_digest(values, section.split("."), digest)
    return values


def _with_digest(values: dict[str, Any], path: list[str], digest: str) -> dict[str, Any]:
    """`values` (unchanged) with `digest` set at the image section `path`, as --set sets it."""
    head, rest = path[0], path[1:]
    inner = values.get(head)
    inner = dict(inner) if isinstance(inner, dict) else {}
    if rest:
        return {**values, head: _with_digest(inner, rest, digest)}
    return {**values, head: {**inner, "digest": digest}}


def running_images(values: Mapping[str, Any], sections: Sequence[str]) -> dict[str, str]:
    """The digest each image section of a release's values pins ("" sections left out)."""
    found = {}
    for section in sections:
        node: Any = values
        for part in section.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        digest = node.get("digest") if isinstance(node, Mapping) else None
        if digest:
            found[section] = str(digest)
    return found


@dataclass(frozen=True)
class Helm:
    """helm on the cluster, how it rolls back, and Helm's records there."""

    commands: ReleaseCommands
    records: ReleaseRecords
    version: str  # helm's own version, e.g. v4.1.0
    cluster: KubectlRun | None = None  # removes what a hand edit added (helm leaves others' fields)

    def release(self, name: str, namespace: str) -> Release | None:
        return self.records.releases(namespace, [name]).get(name)


def deploy(helm: Helm, target: Target, observed: Observed) -> DeployResult:
    start = time.monotonic()
    result = DeployResult(target.name, target.env, target.namespace, target.version)
    try:
        _deploy(helm, target, observed, result)
    except ChartgenError as exc:
        result.result, result.message = "failed", str(exc)
        _read_back(helm, target, result)
    result.seconds = time.monotonic() - start
    return result


def _deploy(helm: Helm, target: Target, observed: Observed, result: DeployResult) -> None:
    name, namespace = target.name, target.namespace
    release = observed.release
    result.recovered = recover(helm.commands, release, target.timeout)
    if result.recovered:
        release = helm.release(name, namespace)
    running = release.running if release else None
    if running is not None:
        result.version_from, result.revision_from = running.version, running.number
        result.version, result.revision = running.version, running.number
    images = dict(target.images)
    if target.keep_image and running is not None and running.version == target.version:
        images = {**running_images(running.values, target.image_sections), **images}
    result.images = images
    same = (
        running is not None
        and (running.version, running.digest) == (target.version, target.digest)
        and running.values == supplied_values(target, images)
    )
    drift = () if result.recovered else observed.drift  # a recovery rolled the objects back anyway
    if same and not drift:
        result.result = "unchanged"
        return
    done = _upgrade(helm, target, images, repair=bool(drift))
    _read_back(helm, target, result)
    if done.ok:
        result.result = "repaired" if same else "upgraded" if running is not None else "installed"
        result.repaired = [d.line() for d in drift]
        left = _remove_added(helm, namespace, drift)
        if left:
            result.result, result.message = "failed", left
        return
    result.message = helm_reason(done)
    if not interrupts.received():
        after = helm.release(name, namespace)
        fixed = recover(helm.commands, after, target.timeout)  # what helm could not undo
        if fixed:
            result.message += f"; {fixed}"
            _read_back(helm, target, result)
    rolled_back = result.revision > result.revision_from > 0
    result.result = "rolled back" if rolled_back and result.version == result.version_from else "failed"


def _upgrade(helm: Helm, target: Target, images: Mapping[str, str], repair: bool) -> Completed:
    args: list[str | Path] = ["upgrade", "--install", target.name, target.chart, "-n", target.namespace]
    for values_file in target.values_files:
        args += ["-f", values_file]
    for section, digest in sorted(images.items()):
        args += ["--set", f"{section}.digest={digest}"]
    args += ["--wait", f"--timeout={target.timeout}s", rollback_flag(helm.version)]
    args.append(f"--history-max={HISTORY_MAX}")
    if target.description:
        args += ["--description", target.description]
    if repair and helm_major(helm.version) not in ("2", "3"):
        args.append("--force-conflicts")  # server-side apply takes back what a hand edit took
    try:
        return helm.commands.release(args, target.timeout + ROLLBACK_SECONDS)
    except ToolError as exc:  # helm itself hung past its timeout and was stopped
        return Completed(("helm",), 1, "", f"Error: {exc}")


def _remove_added(helm: Helm, namespace: str, drift: tuple[Drift, ...]) -> str:
    """Take out the fields and items others added (server-side apply leaves fields it does not
    own); what could not be removed ("" when all was)."""
    problems = []
    for ref, patch in removals(drift).items():
        if helm.cluster is None:
            problems.append(f"{ref}: no cluster access to remove what was added")
            continue
        args = ["patch", ref, "-n", namespace, "--type=json", "-p", json.dumps(patch)]
        done = helm.cluster.run(args, check=False)
        if not done.ok:
            problems.append(f"removing what was added to {ref} failed: {done.stderr.strip()[-200:]}")
    return "; ".join(problems)


def _read_back(helm: Helm, target: Target, result: DeployResult) -> None:
    """What runs now, as the cluster says (the columns never report an intention)."""
    try:
        now = helm.release(target.name, target.namespace)
    except ChartgenError as exc:
        result.message += f"{'; ' if result.message else ''}what runs now could not be read: {exc}"
        return
    running = now.running if now else None
    result.version = running.version if running else ""
    result.revision = running.number if running else 0
