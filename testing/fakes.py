"""Hand-written fakes of helm, kubectl and Vault for the fast tests of lint, test, dev sync and vault logic.

They implement the narrow Protocols the library declares where it uses the tools
(verify/lifecycle.py, deploy/devsync.py) and record every call; the real programs run in
the helm and e2e tiers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chartgen.deploy.releases import Release, Revision
from chartgen.errors import ToolError
from chartgen.tools.runner import Completed
from chartgen.vault.client import Mount, VaultError


def completed(code: int = 0, stdout: str = "", stderr: str = "") -> Completed:
    return Completed(("fake",), code, stdout, stderr)


@dataclass
class FakeHelm:
    """helm: release commands succeed unless their verb is in `failing`; `rendered` is what
    `template` prints."""

    failing: dict[str, str] = field(default_factory=dict)  # verb -> stderr
    rendered: str = ""
    calls: list[list[str]] = field(default_factory=list)
    timeouts: list[float] = field(default_factory=list)
    kube_versions: list[str] = field(default_factory=list)  # of each template call

    def release(self, args: Sequence[str | Path], timeout: float) -> Completed:
        argv = [str(a) for a in args]
        self.calls.append(argv)
        self.timeouts.append(timeout)
        if argv[0] in self.failing:
            return completed(1, stderr=self.failing[argv[0]])
        return completed()

    def lint(self, chart: Path, values: Sequence[Path], kube_version: str) -> Completed:
        self.calls.append(["lint", str(chart), *map(str, values)])
        return completed(1, stdout=self.failing["lint"]) if "lint" in self.failing else completed()

    def template(
        self, release: str, chart: Path, values: Sequence[Path], kube_version: str, namespace: str
    ) -> Completed:
        self.calls.append(["template", release, str(chart), namespace])
        self.kube_versions.append(kube_version)
        return completed(stdout=self.rendered)


@dataclass
class FakeKubectl:
    """kubectl: `get` answers from `objects` (by the resource argument), everything else succeeds."""

    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[list[str]] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)

    def run(self, args: Sequence[str | Path], input_text: str | None = None, check: bool = True) -> Completed:
        self.calls.append([str(a) for a in args])
        return completed()

    def get_json(self, *args: str) -> Any:
        self.calls.append(["get", *args])
        return {"items": self.objects.get(args[0], [])}

    def apply_server_side(self, manifest: str, namespace: str, manager: str) -> Completed:
        self.applied.append(manifest)
        return completed()


class FakeVault:
    """VaultApi in memory: mounts, policies and roles; counts writes; can refuse role writes."""

    def __init__(
        self,
        mounts: dict[str, tuple[str, str]] | None = None,
        auth: dict[str, str] | None = None,
        refuse_roles: bool = False,
    ) -> None:
        self.address = "http://vault.fake:8200"
        self.mounts = dict(mounts or {})
        self.auth = dict(auth or {})
        self.policies: dict[str, str] = {}
        self.roles: dict[tuple[str, str], dict[str, Any]] = {}
        self.secrets: dict[tuple[str, str], dict[str, str]] = {}
        self.refuse_roles = refuse_roles
        self.writes = 0
        # The auth mounts it starts with are configured; one enabled later is not, as in Vault.
        self.hosts = {mount: "https://kubernetes.fake:6443" for mount in self.auth}

    def check_ready(self) -> None:
        pass

    def secret_mount(self, mount: str) -> Mount | None:
        found = self.mounts.get(mount)
        return Mount(*found) if found else None

    def auth_mount(self, mount: str) -> Mount | None:
        found = self.auth.get(mount)
        return Mount(found, "") if found else None

    def enable_kv2(self, mount: str) -> None:
        self.mounts[mount] = ("kv", "2")

    def enable_kubernetes(self, mount: str) -> None:
        self.auth[mount] = "kubernetes"

    def kubernetes_host(self, mount: str) -> str:
        return self.hosts.get(mount, "")

    def configure_kubernetes(self, mount: str, host: str, ca_pem: str) -> None:
        self.writes += 1
        self.hosts[mount] = host

    def read_policy(self, name: str) -> str | None:
        return self.policies.get(name)

    def write_policy(self, name: str, hcl: str) -> None:
        self.writes += 1
        self.policies[name] = hcl

    def read_role(self, mount: str, name: str) -> dict[str, Any] | None:
        if self.refuse_roles:
            raise VaultError(f"permission denied on auth/{mount}/role/{name}")
        found = self.roles.get((mount, name))
        return dict(found) if found is not None else None

    def write_role(self, mount: str, name: str, settings: dict[str, Any]) -> None:
        self.writes += 1
        self.roles[(mount, name)] = {**self.roles.get((mount, name), {}), **settings}

    def secret_keys(self, mount: str, path: str) -> list[str] | None:
        found = self.secrets.get((mount, path))
        return sorted(found) if found is not None else None

    def secret_deleted(self, mount: str, path: str) -> bool:
        return False


@dataclass
class FakeRevision:
    number: int
    status: str
    version: str
    digest: str
    values: dict[str, Any]
    description: str = ""
    manifest: str = ""


@dataclass
class FakeReleases:
    """helm's release store for one release name per namespace: its records (`releases`),
    upgrade --install (which fails, and rolls back, when `fail_upgrades` is set), rollback and
    uninstall. `charts` maps a chart path to its (version, digest)."""

    charts: dict[str, tuple[str, str]] = field(default_factory=dict)
    store: dict[tuple[str, str], list[FakeRevision]] = field(default_factory=dict)
    fail_upgrades: str = ""  # stderr of every failing upgrade
    hang_upgrades: bool = False  # helm is stopped by its timeout, leaving the revision pending
    calls: list[list[str]] = field(default_factory=list)

    def release(self, args: Sequence[str | Path], timeout: float) -> Completed:
        argv = [str(a) for a in args]
        self.calls.append(argv)
        verb = argv[0]
        name = argv[2] if verb == "upgrade" else argv[1]
        namespace = argv[argv.index("-n") + 1]
        revisions = self.store.get((name, namespace), [])
        if verb == "upgrade":
            return self._upgrade(argv, name, namespace)
        if verb == "rollback":
            back = next(r for r in revisions if r.number == int(argv[2]))
            self._supersede(revisions)
            revisions.append(FakeRevision(len(revisions) + 1, "deployed", back.version, back.digest,
                                          back.values, f"Rollback to {back.number}"))  # fmt: skip
            return completed()
        if verb == "uninstall":
            del self.store[(name, namespace)]
            return completed()
        raise AssertionError(f"unexpected helm call {argv}")

    def _upgrade(self, argv: list[str], name: str, namespace: str) -> Completed:
        version, digest = self.charts[argv[3]]
        values: dict[str, Any] = {}
        for i, arg in enumerate(argv):
            if arg == "-f":
                values.update(yaml.safe_load(Path(argv[i + 1]).read_text()) or {})
            if arg == "--set":
                key, value = argv[i + 1].split("=", 1)
                *path, last = key.split(".")  # as helm's --set: a dotted path of maps
                node = values
                for part in path:
                    node = node.setdefault(part, {})
                node[last] = value
        revisions = self.store.setdefault((name, namespace), [])
        before = [r for r in revisions if r.status == "deployed"]
        number = len(revisions) + 1
        if self.hang_upgrades:
            revisions.append(FakeRevision(number, "pending-upgrade", version, digest, values))
            raise ToolError("helm did not finish within 180s: upgrade --install orders ...")
        if self.fail_upgrades:
            revisions.append(FakeRevision(number, "failed", version, digest, values, "Upgrade failed"))
            if before:
                back = before[-1]
                rollback = f"Rollback to {back.number}"
                revisions.append(
                    FakeRevision(number + 1, "deployed", back.version, back.digest, back.values, rollback)
                )
                back.status = "superseded"
            else:
                del self.store[(name, namespace)]
            return completed(1, stderr=f"Error: {self.fail_upgrades}")
        self._supersede(revisions)
        revisions.append(FakeRevision(number, "deployed", version, digest, values, "Upgrade complete"))
        return completed()

    def releases(self, namespace: str, names: Sequence[str]) -> dict[str, Release]:
        """Helm's records as the cluster holds them (ReleaseRecords)."""
        found = {}
        for name in names:
            kept = self.store.get((name, namespace))
            if kept:
                revisions = tuple(
                    Revision(
                        r.number, r.status, r.version, r.digest, dict(r.values), r.description, r.manifest
                    )
                    for r in kept
                )
                found[name] = Release(name, namespace, revisions)
        return found

    @staticmethod
    def _supersede(revisions: list[FakeRevision]) -> None:
        for r in revisions:
            if r.status == "deployed":
                r.status = "superseded"

    def version(self) -> str:
        return "v4.3.1"
