"""What the cluster holds of one Helm release, every state it can be in, and putting a
release that is not on solid ground back there.

Helm records each revision of a release (a Secret in its namespace) with a status. A helm
process that dies mid-operation (a killed CI job, a lost connection) leaves its revision
`pending-*` or `uninstalling`, and every later helm command on that release refuses ("another
operation is in progress", "has no deployed releases"). `STATES` says what each status means
and how `recover` puts it right, so the next deploy never needs a human.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from chartgen.errors import ToolError
from chartgen.tools.helm import helm_reason
from chartgen.tools.runner import Completed

HISTORY_MAX = 10  # revisions helm keeps per release (each one is a Secret of up to 1 MiB)


@dataclass(frozen=True)
class State:
    meaning: str
    recovery: str  # what the next deploy does about it


# Every status a release's last revision can have; `none` is no release at all.
STATES = {
    "none": State("no release", "install"),
    "deployed": State("the last revision runs", "upgrade, or nothing when chart, values and objects agree"),
    "failed": State(
        "the last operation failed (helm could not roll it back)",
        "roll back to the last revision that ran, or uninstall when none ever did; then deploy",
    ),
    "pending-install": State("an install was cut off (a killed helm)", "uninstall, then install"),
    "pending-upgrade": State(
        "an upgrade was cut off", "roll back to the last revision that ran, then upgrade"
    ),
    "pending-rollback": State(
        "a rollback was cut off", "roll back to the last revision that ran, then upgrade"
    ),
    "uninstalling": State(
        "an uninstall was cut off (also helm's undoing of a failed first install)",
        "finish the uninstall, then install",
    ),
    "uninstalled": State("uninstalled, its history kept", "install"),
    "superseded": State(
        "a newer revision ran after it; as the last revision, the record is damaged",
        "roll back to it (helm's own repair), then deploy",
    ),
}
PENDING = frozenset(s for s in STATES if s.startswith("pending-"))
RAN = frozenset({"deployed", "superseded"})  # revisions that once ran


class ReleaseCommands(Protocol):
    """What release handling needs of helm: one release command on the chosen cluster."""

    def release(self, args: Sequence[str | Path], timeout: float) -> Completed: ...


class Workloads(Protocol):
    """What the rollout check needs of kubectl."""

    def get_json(self, *args: str) -> Any: ...


@dataclass(frozen=True)
class Revision:
    number: int
    status: str  # a key of STATES
    version: str  # the chart version
    digest: str = ""  # the chart's chartgen/digest annotation ("" when it has none)
    values: dict[str, Any] = field(default_factory=dict)  # supplied at install/upgrade
    description: str = ""  # "Install complete", "Upgrade complete", "Rollback to 2", ...
    manifest: str = ""  # the objects helm applied (YAML documents)
    files: Mapping[str, bytes] = field(default_factory=dict, repr=False)  # the chart's files/ etc.

    def chart(self, name: str) -> str:
        return f"{name}-{self.version}"


@dataclass(frozen=True)
class Release:
    """A release's revisions as the cluster holds them, oldest first (never empty)."""

    name: str
    namespace: str
    revisions: tuple[Revision, ...]

    @property
    def last(self) -> Revision:
        return self.revisions[-1]

    @property
    def running(self) -> Revision | None:
        """The revision whose objects are in place: the last one, when it is deployed."""
        return self.last if self.last.status == "deployed" else None

    @property
    def last_good(self) -> Revision | None:
        """The newest revision before the last that ran."""
        good = [r for r in self.revisions[:-1] if r.status in RAN]
        return good[-1] if good else None


class ReleaseRecords(Protocol):
    """Reads releases as the cluster holds them: one call for many names of a namespace."""

    def releases(self, namespace: str, names: Sequence[str]) -> dict[str, Release]: ...


def needs_recovery(release: Release | None) -> bool:
    if release is None:
        return False
    status = release.last.status
    return status in PENDING or status in ("failed", "uninstalling", "superseded") or status not in STATES


def recover(helm: ReleaseCommands, release: Release | None, timeout: float) -> str:
    """Put a release that is not on solid ground back there (STATES); returns what was done
    ("" when nothing was needed). A release that never ran is uninstalled, so the next install
    starts clean."""
    if release is None or not needs_recovery(release):
        return ""
    name, last = release.name, release.last
    was = f"revision {last.number} was {last.status}"
    wait = ["-n", release.namespace, "--wait", f"--timeout={int(timeout)}s"]
    good = last if last.status == "superseded" else release.last_good
    if last.status != "uninstalling" and good is not None:
        done = helm.release(["rollback", name, str(good.number), *wait], timeout + 60)
        action, outcome = "rolling back", f"rolled back to revision {good.number} ({good.chart(name)})"
    else:
        done = helm.release(["uninstall", name, *wait], timeout + 60)
        action = "uninstalling"
        outcome = "uninstalled" if last.status == "uninstalling" else "none was ever deployed: uninstalled"
    if not done.ok:
        raise ToolError(f"{was} and {action} failed: {helm_reason(done)}")
    return f"{was}: {outcome}"


def rollout_problem(kubectl: Workloads, name: str, namespace: str) -> str:
    """Why the release's Deployments are not fully rolled out and available ("" when they are):
    every replica updated to the current spec, observed by the controller, and available."""
    selector = f"app.kubernetes.io/instance={name}"
    found = kubectl.get_json("deployments", "-n", namespace, "-l", selector)
    for d in found.get("items", []):
        spec, status = d.get("spec", {}), d.get("status", {})
        wanted = int(spec.get("replicas", 1))
        if int(status.get("observedGeneration", 0)) < int(d["metadata"].get("generation", 0)):
            return f"Deployment {d['metadata']['name']}: its latest change is not rolled out yet"
        updated, available = int(status.get("updatedReplicas", 0)), int(status.get("availableReplicas", 0))
        if updated < wanted or available < wanted:
            return (
                f"Deployment {d['metadata']['name']}: {available} of {wanted} replicas available, "
                f"{updated} updated"
            )
    return ""
