"""What the cluster says about one Helm release, and putting a stuck release right.

Helm records each revision of a release (a Secret in its namespace) with a status. A helm
process that dies mid-operation (a killed CI job, a lost connection) leaves its revision
`pending-install`, `pending-upgrade` or `pending-rollback`, and every later helm command on
that release refuses ("another operation is in progress"). `recover` undoes that: back to the
last revision that was deployed, or, when none ever was, no release at all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from chartgen.errors import ToolError
from chartgen.tools.helm import helm_reason
from chartgen.tools.runner import Completed

PENDING = frozenset({"pending-install", "pending-upgrade", "pending-rollback"})
HISTORY_MAX = 10  # revisions helm keeps per release (each one is a Secret of up to 1 MiB)


class Workloads(Protocol):
    """What the rollout check needs of kubectl."""

    def get_json(self, *args: str) -> Any: ...


class ReleaseCommands(Protocol):
    """What release handling needs of helm: one release command on the chosen cluster."""

    def release(self, args: Sequence[str | Path], timeout: float) -> Completed: ...


@dataclass(frozen=True)
class Revision:
    number: int
    status: str  # deployed, superseded, failed, uninstalled, pending-*
    chart: str  # NAME-VERSION, as helm shows it
    description: str = ""  # "Install complete", "Upgrade complete", "Rollback to 2", ...


@dataclass(frozen=True)
class Deployed:
    """The revision a release currently runs, with what chartgen compares before an upgrade."""

    revision: int
    status: str
    version: str  # the chart version
    digest: str  # the chart's chartgen/digest annotation ("" when it has none)
    values: dict[str, Any]  # the values supplied at install/upgrade (helm get values)


def _json(helm: ReleaseCommands, args: list[str], what: str) -> Any | None:
    """A helm read as JSON; None when the release does not exist."""
    result = helm.release([*args, "-o", "json"], 60)
    if not result.ok:
        if "not found" in helm_reason(result):
            return None
        raise ToolError(f"helm {what} failed: {helm_reason(result)}")
    try:
        return json.loads(result.stdout)
    except ValueError:
        raise ToolError(f"helm {what} printed no JSON") from None


def history(helm: ReleaseCommands, name: str, namespace: str) -> list[Revision]:
    """Every revision helm still keeps, oldest first ([] when there is no release)."""
    found = _json(helm, ["history", name, "-n", namespace, "--max", str(HISTORY_MAX + 2)], f"history {name}")
    if not isinstance(found, list):
        return []
    return sorted(
        (
            Revision(
                int(r["revision"]), str(r["status"]), str(r.get("chart", "")), str(r.get("description", ""))
            )
            for r in found
            if isinstance(r, dict) and "revision" in r and "status" in r
        ),
        key=lambda r: r.number,
    )


def deployed(helm: ReleaseCommands, name: str, namespace: str) -> Deployed | None:
    """The release's current revision (None: no release), its chart version, digest and values."""
    meta = _json(helm, ["get", "metadata", name, "-n", namespace], f"get metadata {name}")
    if not isinstance(meta, dict):
        return None
    values = _json(helm, ["get", "values", name, "-n", namespace], f"get values {name}")
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    return Deployed(
        int(meta.get("revision", 0)),
        str(meta.get("status", "")),
        str(meta.get("version", "")),
        str((annotations or {}).get("chartgen/digest", "")),
        values if isinstance(values, dict) else {},
    )


def recover(
    helm: ReleaseCommands, name: str, namespace: str, revisions: list[Revision], timeout: float
) -> str:
    """Put a release whose last revision is pending back on solid ground; returns what was done
    ("" when nothing was needed). A never-deployed release is uninstalled, so the next install
    starts clean."""
    if not revisions:
        return ""
    last = revisions[-1]
    good = [r for r in revisions[:-1] if r.status in ("deployed", "superseded")]
    if last.status not in PENDING and (good or last.status != "failed"):
        return ""
    was = f"revision {last.number} was {last.status}"
    wait = ["-n", namespace, "--wait", f"--timeout={int(timeout)}s"]
    if good:
        done = helm.release(["rollback", name, str(good[-1].number), *wait], timeout + 60)
        action, outcome = "rolling back", f"rolled back to revision {good[-1].number} ({good[-1].chart})"
    else:
        done = helm.release(["uninstall", name, *wait], timeout + 60)
        action, outcome = "uninstalling", "none was ever deployed: uninstalled"
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
