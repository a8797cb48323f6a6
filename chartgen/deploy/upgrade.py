"""One chart onto one environment: `helm upgrade --install --wait`, rolled back on failure.

The release name is the chart's name (the one `vault plan` binds), in the environment's
namespace. Before upgrading, a stuck release is recovered; a release already running this
chart digest with these values is left alone (its revision does not move). Helm 4 rolls a
failed upgrade back with `--rollback-on-failure`, Helm 3 with `--atomic`: either way the release
ends on the revision it ran before, and a failed first install leaves no release.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from chartgen.deploy.releases import (
    HISTORY_MAX,
    ReleaseCommands,
    deployed,
    history,
    recover,
)
from chartgen.errors import ChartgenError, ToolError
from chartgen.tools.helm import helm_reason
from chartgen.tools.runner import Completed

Result = Literal["installed", "upgraded", "unchanged", "rolled back", "failed"]
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
    image_digest: str = ""  # sha256:... to run; "" keeps the running one for the same version
    keep_image: bool = True  # False: "" means by tag (promote copies the source exactly)


@dataclass
class DeployResult:
    name: str
    env: str
    namespace: str
    version_to: str
    version_from: str = ""
    revision_from: int = 0
    revision: int = 0
    result: Result = "failed"
    seconds: float = 0.0
    message: str = ""
    recovered: str = ""  # what was done to a stuck release first
    image_digest: str = ""

    @property
    def ok(self) -> bool:
        return self.result in ("installed", "upgraded", "unchanged")


def rollback_flag(helm_version: str) -> str:
    """Helm 4 renamed --atomic to --rollback-on-failure."""
    major = helm_version.lstrip("v").split(".", 1)[0]
    return "--atomic" if major in ("2", "3") else "--rollback-on-failure"


def supplied_values(target: Target, image_digest: str) -> dict[str, Any]:
    """The values the upgrade supplies: the environment's files, and the image digest."""
    if not image_digest:
        return target.values
    image = dict(target.values.get("image") or {})
    image["digest"] = image_digest
    return {**target.values, "image": image}


def deploy(helm: ReleaseCommands, target: Target, rollback: str) -> DeployResult:
    start = time.monotonic()
    result = DeployResult(target.name, target.env, target.namespace, target.version)
    try:
        _deploy(helm, target, rollback, result)
    except ChartgenError as exc:
        result.result, result.message = "failed", str(exc)
    result.seconds = time.monotonic() - start
    return result


def _deploy(helm: ReleaseCommands, target: Target, rollback: str, result: DeployResult) -> None:
    name, namespace = target.name, target.namespace
    result.recovered = recover(helm, name, namespace, history(helm, name, namespace), target.timeout)
    current = deployed(helm, name, namespace)
    if current is not None:
        result.version_from, result.revision_from = current.version, current.revision
        result.revision = current.revision
    image_digest = target.image_digest
    if not image_digest and target.keep_image and current is not None and current.version == target.version:
        image_digest = str((current.values.get("image") or {}).get("digest") or "")
    result.image_digest = image_digest
    values = supplied_values(target, image_digest)
    if (
        current is not None
        and current.status == "deployed"
        and (current.version, current.digest) == (target.version, target.digest)
        and current.values == values
    ):
        result.result = "unchanged"
        return
    args: list[str | Path] = ["upgrade", "--install", name, target.chart, "-n", namespace]
    for values_file in target.values_files:
        args += ["-f", values_file]
    if image_digest:
        args += ["--set", f"image.digest={image_digest}"]
    args += ["--wait", f"--timeout={target.timeout}s", rollback, f"--history-max={HISTORY_MAX}"]
    try:
        done = helm.release(args, target.timeout + ROLLBACK_SECONDS)
    except ToolError as exc:  # helm itself hung past its timeout and was stopped
        done = Completed(("helm",), 1, "", f"Error: {exc}")
    after = deployed(helm, name, namespace)
    result.revision = after.revision if after else 0
    if done.ok:
        result.result = "installed" if current is None else "upgraded"
        return
    result.message = helm_reason(done)
    left = history(helm, name, namespace)
    fixed = recover(helm, name, namespace, left, target.timeout)  # helm could not undo it
    if fixed:
        result.message += f"; {fixed}"
        after = deployed(helm, name, namespace)
        result.revision = after.revision if after else 0
    result.result = "rolled back" if after is not None and current is not None else "failed"
