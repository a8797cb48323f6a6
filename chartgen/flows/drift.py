"""`chartgen drift --env ENV`: each release of the environment against the chart it runs and
the charts folder. Drift is a live object that differs from what the release's chart renders
(deploy repairs it); a release behind the charts folder is out of date, which is not drift."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from chartgen.config import Settings
from chartgen.deploy.deployer import Deployer
from chartgen.deploy.drift import Drift
from chartgen.deploy.upgrade import running_images, supplied_values
from chartgen.emit.switch import settled_charts
from chartgen.flows.deploy import make_target, select_charts


@dataclass
class ReleaseDrift:
    name: str
    namespace: str
    status: str  # in sync | drifted | out of date | no release | <helm status of the last revision>
    version: str = ""  # the chart version the release runs
    drift: list[Drift] = field(default_factory=list)
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("in sync", "out of date")


def run_drift(settings: Settings, env: str, only: Sequence[str], deployer: Deployer) -> list[ReleaseDrift]:
    charts = select_charts(settled_charts(settings.out), settings.out, env, only)
    targets = [make_target(c, env, {}) for c in charts]
    found: list[ReleaseDrift] = []
    for namespace in sorted({t.namespace for t in targets}):
        here = [t for t in targets if t.namespace == namespace]
        observed = deployer.observe(namespace, [t.name for t in here])
        for target in here:
            seen = observed.get(target.name)
            release = seen.release if seen else None
            running = release.running if release else None
            if release is None or seen is None:
                found.append(ReleaseDrift(target.name, namespace, "no release"))
                continue
            if running is None:
                last = release.last
                note = f"revision {last.number} is {last.status}: the next deploy recovers it"
                found.append(ReleaseDrift(target.name, namespace, last.status, last.version, note=note))
                continue
            lines = list(seen.drift)
            images = running_images(running.values, target.image_sections)
            current = (running.version, running.digest) == (target.version, target.digest) and (
                running.values == supplied_values(target, images)
            )
            status = "drifted" if lines else "in sync" if current else "out of date"
            note = "" if current else f"the charts folder has {target.version} (deploy upgrades it)"
            found.append(ReleaseDrift(target.name, namespace, status, running.version, lines, note))
    return found
