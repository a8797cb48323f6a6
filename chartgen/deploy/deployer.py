"""The deploy seam: what `deploy` and `promote` need of whatever puts a chart's release in
place. Helm on a cluster is one way (`HelmDeployer`); writing the manifests for a GitOps
controller (Argo CD, Flux) would be another, written against the same protocol, with the
flows (choosing charts, the policy and Vault checks, promote's health rule) unchanged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from chartgen.deploy.releases import Deployed, ReleaseCommands, Revision, deployed, history, recover
from chartgen.deploy.upgrade import DeployResult, Target, deploy, rollback_flag
from chartgen.errors import ToolError
from chartgen.tools.helm import helm_reason


class Deployer(Protocol):
    def install_or_upgrade(self, target: Target) -> DeployResult:
        """Put `target` in place (unchanged when it already runs); a failure is rolled back and
        reported in the result, never raised."""
        ...

    def status(self, name: str, namespace: str) -> Deployed | None:
        """What the release runs now (None: there is no release)."""
        ...

    def history(self, name: str, namespace: str) -> list[Revision]:
        """The release's revisions, oldest first."""
        ...

    def rollback(self, name: str, namespace: str, revision: int, timeout: float) -> None:
        """Back to `revision` (a ToolError when that fails)."""
        ...

    def recover(self, name: str, namespace: str, timeout: float) -> str:
        """A release left half-done put back on solid ground; what was done ("" when nothing)."""
        ...


@dataclass
class HelmDeployer:
    """`helm upgrade --install --wait` on the chosen cluster, rolled back on failure."""

    helm: ReleaseCommands
    helm_version: Callable[[], str]  # asked once, when the first chart is deployed
    _flag: str = field(default="", init=False)

    def install_or_upgrade(self, target: Target) -> DeployResult:
        if not self._flag:
            self._flag = rollback_flag(self.helm_version())
        return deploy(self.helm, target, self._flag)

    def status(self, name: str, namespace: str) -> Deployed | None:
        return deployed(self.helm, name, namespace)

    def history(self, name: str, namespace: str) -> list[Revision]:
        return history(self.helm, name, namespace)

    def rollback(self, name: str, namespace: str, revision: int, timeout: float) -> None:
        args = ["rollback", name, str(revision), "-n", namespace, "--wait", f"--timeout={int(timeout)}s"]
        done = self.helm.release(args, timeout + 60)
        if not done.ok:
            raise ToolError(f"rolling {name} back to revision {revision} failed: {helm_reason(done)}")

    def recover(self, name: str, namespace: str, timeout: float) -> str:
        return recover(self.helm, name, namespace, history(self.helm, name, namespace), timeout)
