"""The helm binary: found through CHARTGEN_HELM, the set-up's cache, or PATH."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chartgen.errors import ToolError
from chartgen.tools.runner import Completed, run

HELM_VERSION = "v4.3.1"


def cache_dir() -> Path:
    return Path(os.environ.get("CHARTGEN_CACHE", Path.home() / ".cache" / "chartgen"))


def find_helm() -> Path:
    explicit = os.environ.get("CHARTGEN_HELM")
    if explicit:
        path = Path(explicit)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ToolError(f"CHARTGEN_HELM={explicit} is not an executable file")
        return path
    cached = cache_dir() / "bin" / "helm"
    if cached.is_file() and os.access(cached, os.X_OK):
        return cached
    found = shutil.which("helm")
    if found:
        return Path(found)
    raise ToolError(
        "helm not found: run scripts/setup.sh (installs helm "
        f"{HELM_VERSION} into {cache_dir() / 'bin'}), or set CHARTGEN_HELM"
    )


@dataclass
class Helm:
    binary: Path
    timeout: float = 120

    def _run(self, args: Sequence[str | Path]) -> Completed:
        # An empty HOME-independent config keeps runs repeatable and offline.
        env = dict(os.environ)
        env.setdefault("HELM_CACHE_HOME", str(cache_dir() / "helm" / "cache"))
        env.setdefault("HELM_CONFIG_HOME", str(cache_dir() / "helm" / "config"))
        env.setdefault("HELM_DATA_HOME", str(cache_dir() / "helm" / "data"))
        return run([self.binary, *args], timeout=self.timeout, env=env)

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

    def against(self, kubeconfig: Path, args: Sequence[str | Path], timeout: float = 600) -> Completed:
        """A release command (install, upgrade, test, rollback, uninstall) on a cluster."""
        saved = self.timeout
        self.timeout = timeout
        try:
            return self._run([*args, "--kubeconfig", kubeconfig])
        finally:
            self.timeout = saved

    def version(self) -> str:
        return self._run(["version", "--template", "{{ .Version }}"]).stdout.strip()
