"""The deploy seam: what `deploy`, `promote` and `drift` need of whatever puts a chart's release
in place. Helm on a cluster is one way (`HelmDeployer`); writing the manifests for a GitOps
controller (Argo CD, Flux) would be another, written against the same protocol, with the flows
(choosing charts, the preflight, policy and Vault checks, promote's health rule) unchanged."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from chartgen.deploy.drift import manifest_objects, object_drift
from chartgen.deploy.live import LiveObjects
from chartgen.deploy.releases import ReleaseCommands, ReleaseRecords
from chartgen.deploy.upgrade import DeployResult, Helm, Observed, Target, deploy


class Deployer(Protocol):
    def observe(self, namespace: str, names: Sequence[str]) -> dict[str, Observed]:
        """Each named release as it is now, with its drift from the chart it runs (a name with
        no release is absent)."""
        ...

    def install_or_upgrade(self, target: Target, observed: Observed) -> DeployResult:
        """Put `target` in place (unchanged when it already runs and nothing drifted); a failure
        is rolled back and reported in the result, never raised."""
        ...


@dataclass
class HelmDeployer:
    """`helm upgrade --install --wait` on the chosen cluster, rolled back on failure; releases
    and live objects read from the cluster."""

    helm: ReleaseCommands
    helm_version: Callable[[], str]  # asked once, when the first chart is deployed
    records: ReleaseRecords
    live: LiveObjects | None  # None: no drift is looked for
    _version: str = field(default="", init=False)

    def observe(self, namespace: str, names: Sequence[str]) -> dict[str, Observed]:
        releases = self.records.releases(namespace, names)
        rendered = {name: manifest_objects(r.running.manifest) for name, r in releases.items() if r.running}
        if self.live is None:
            return {name: Observed(release) for name, release in releases.items()}
        live = self.live.objects(namespace, [o for objs in rendered.values() for o in objs])
        return {
            name: Observed(release, tuple(object_drift(rendered.get(name, []), live)))
            for name, release in releases.items()
        }

    def install_or_upgrade(self, target: Target, observed: Observed) -> DeployResult:
        if not self._version:
            self._version = self.helm_version()
        cluster = self.live.kubectl if self.live else None
        return deploy(Helm(self.helm, self.records, self._version, cluster), target, observed)
