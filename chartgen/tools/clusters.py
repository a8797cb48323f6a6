"""Which cluster a command talks to: one rule for every command (test, dev sync).

  --kubeconfig FILE (and --context)  >  KUBECONFIG  >  the local cluster `chartgen cluster up`
  started (while it runs)  >  ~/.kube/config

The choice is printed, and a cluster that does not answer is one clear line, before any work.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from chartgen.errors import ToolError
from chartgen.tools.kubectl import Kubectl
from chartgen.tools.kwok import DEFAULT_NAME, kubeconfig_path
from chartgen.tools.locate import find_tool


@dataclass(frozen=True)
class ClusterChoice:
    kubeconfig: Path | None  # None: kubectl and helm read KUBECONFIG themselves (it may list files)
    context: str | None
    source: str  # why this cluster: "--kubeconfig", "KUBECONFIG", ...

    def kubectl(self) -> Kubectl:
        return Kubectl(find_tool("kubectl"), self.kubeconfig, self.context)

    def describe(self) -> str:
        where = str(self.kubeconfig) if self.kubeconfig else os.environ.get("KUBECONFIG", "")
        context = f", context {self.context}" if self.context else ""
        return f"{where}{context} (from {self.source})"


def choose_cluster(kubeconfig: str | None = None, context: str | None = None) -> ClusterChoice:
    if kubeconfig:
        path = Path(kubeconfig)
        if not path.is_file():
            raise ToolError(f"--kubeconfig {kubeconfig}: no such file")
        return ClusterChoice(path, context, "--kubeconfig")
    if os.environ.get("KUBECONFIG"):
        return ClusterChoice(None, context, "KUBECONFIG")
    local = kubeconfig_path(DEFAULT_NAME)
    if local.is_file():
        return ClusterChoice(local, context, "`chartgen cluster up`")
    default = Path.home() / ".kube" / "config"
    if default.is_file():
        return ClusterChoice(default, context, "~/.kube/config")
    raise ToolError(
        "no cluster: pass --kubeconfig, set KUBECONFIG, or start the local one with `chartgen cluster up`"
    )


def check_reachable(choice: ClusterChoice, timeout_seconds: int = 10) -> None:
    """One request to the API server; a failure is a single line naming the cluster."""
    answer = choice.kubectl().run(
        ["get", "--raw", "/readyz", f"--request-timeout={timeout_seconds}s"], check=False
    )
    if not answer.ok:
        first = next((line for line in answer.stderr.splitlines() if line.strip()), "no answer")
        raise ToolError(f"cannot reach the cluster of {choice.describe()}: {first.strip()}")
