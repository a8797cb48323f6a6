"""helm: lint, template and release commands, as argv lists."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chartgen.tools.locate import cache_dir
from chartgen.tools.runner import Completed, run


@dataclass
class Helm:
    binary: Path
    timeout: float = 120
    kubeconfig: Path | None = None  # release commands: the cluster (None: KUBECONFIG / helm's default)
    context: str | None = None

    def _run(self, args: Sequence[str | Path], timeout: float | None = None) -> Completed:
        # An empty HOME-independent config keeps runs repeatable and offline.
        env = dict(os.environ)
        env.setdefault("HELM_CACHE_HOME", str(cache_dir() / "helm" / "cache"))
        env.setdefault("HELM_CONFIG_HOME", str(cache_dir() / "helm" / "config"))
        env.setdefault("HELM_DATA_HOME", str(cache_dir() / "helm" / "data"))
        return run([self.binary, *args], timeout=timeout or self.timeout, env=env)

    def lint(self, chart: Path, values: Sequence[Path], kube_version: str) -> Completed:
        args: list[str | Path] = ["lint", "--strict", "--kube-version", kube_version, chart]
        for v in values:
            args += ["-f", v]
        return self._run(args)

    def template(
        self,
        release: str,
        chart: Path,
        values: Sequence[Path],
        kube_version: str,
        namespace: str,
        sets: Sequence[str] = (),
    ) -> Completed:
        args: list[str | Path] = [
            "template",
            release,
            chart,
            "--kube-version",
            kube_version,
            "--namespace",
            namespace,
        ]
        for v in values:
            args += ["-f", v]
        for s in sets:
            args += ["--set", s]
        return self._run(args)

    def release(self, args: Sequence[str | Path], timeout: float = 600) -> Completed:
        """A release command (install, upgrade, test, rollback, uninstall) on the chosen cluster."""
        cluster: list[str | Path] = []
        if self.kubeconfig:
            cluster += ["--kubeconfig", self.kubeconfig]
        if self.context:
            cluster += ["--kube-context", self.context]
        return self._run([*args, *cluster], timeout)

    def version(self) -> str:
        return self._run(["version", "--template", "{{ .Version }}"]).stdout.strip()
