"""A local Kubernetes control plane without Docker: real kube-apiserver, etcd,
controller-manager and scheduler run as processes by kwokctl; kwok simulates the nodes
(pods become Running/Ready, Job and `helm test` pods complete, deleted pods go away).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from chartgen.errors import ToolError
from chartgen.tools.kubectl import Kubectl
from chartgen.tools.locate import cache_dir, find_tool
from chartgen.tools.runner import Completed, run

DEFAULT_NAME = "chartgen"
DEFAULT_NODES = 3
NODE_STORAGE = '.allocatable["ephemeral-storage"]="200Gi"'
# kwok's own stages, copied into the cache by scripts/toolchain.sh.
KWOK_STAGES = (
    "node-initialize.yaml",
    "node-heartbeat-with-lease.yaml",
    "pod-ready.yaml",
    "pod-complete.yaml",
    "pod-delete.yaml",
)

# Bare `helm test` pods have no owner, so kwok's pod-complete stage leaves them Running:
# this stage finishes them, successfully.
HELM_TEST_STAGE = """\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: chartgen-helm-test-succeeds
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchAnnotations:
      helm.sh/hook: test
    matchExpressions:
      - key: .metadata.deletionTimestamp
        operator: DoesNotExist
      - key: .status.phase
        operator: In
        values: [Running]
  delay:
    durationMilliseconds: 500
  next:
    statusTemplate: |
      {{ $now := Now }}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: 0
            reason: Completed
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
      {{ end }}
      phase: Succeeded
"""

Progress = Callable[[str], None]


@dataclass
class Cluster:
    name: str
    kubeconfig: Path

    def kubectl(self) -> Kubectl:
        return Kubectl(find_tool("kubectl"), self.kubeconfig)


def workdir() -> Path:
    return cache_dir() / "kwok"


def kubeconfig_path(name: str = DEFAULT_NAME) -> Path:
    return workdir() / f"{name}.kubeconfig"


def _kwokctl(args: list[str], timeout: float = 300) -> Completed:
    env = dict(os.environ)
    env["KWOK_WORKDIR"] = str(workdir())
    env["KWOK_RUNTIME"] = "binary"
    result = run([find_tool("kwokctl"), *args], timeout=timeout, env=env)
    if not result.ok:
        raise ToolError(f"kwokctl {' '.join(args[:3])} failed: {result.stderr.strip()[-2000:]}")
    return result


def _config_file(name: str, extra: Sequence[str] = ()) -> Path:
    """kwokctl configuration: loopback only, local binaries, kwok's stages plus ours."""
    stages_dir = cache_dir() / "kwok-stages"
    missing = [s for s in KWOK_STAGES if not (stages_dir / s).is_file()]
    if missing:
        raise ToolError(f"kwok stages missing in {stages_dir}: run scripts/toolchain.sh kwok")
    options = (
        "apiVersion: config.kwok.x-k8s.io/v1alpha1\n"
        "kind: KwokctlConfiguration\n"
        "options:\n"
        "  bindAddress: 127.0.0.1\n"
        "  runtime: binary\n"
        f"  kubectlBinary: {find_tool('kubectl')}\n"
    )
    documents = [options] + [(stages_dir / s).read_text() for s in KWOK_STAGES] + [HELM_TEST_STAGE, *extra]
    path = workdir() / f"{name}-config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n---\n".join(d.strip("\n") for d in documents) + "\n")
    return path


def cluster_up(
    name: str = DEFAULT_NAME,
    nodes: int = DEFAULT_NODES,
    progress: Progress | None = None,
    extra: Sequence[str] = (),
) -> Cluster:
    """Create (or reuse) the local cluster and give it `nodes` simulated nodes. `extra`: more
    kwok configuration documents for a new cluster (a ClusterPortForward, say: `kubectl
    port-forward` to its pods then reaches an address of this machine)."""
    kubeconfig = kubeconfig_path(name)
    if name in _kwokctl(["get", "clusters"]).stdout.split():
        _say(progress, f"reusing cluster {name}")
    else:
        _say(progress, f"starting cluster {name}")
        _kwokctl(
            [
                "create", "cluster", "--name", name, "--runtime", "binary",
                "--kube-apiserver-binary", str(find_tool("kube-apiserver")),
                "--kube-controller-manager-binary", str(find_tool("kube-controller-manager")),
                "--kube-scheduler-binary", str(find_tool("kube-scheduler")),
                "--kwok-controller-binary", str(find_tool("kwok")),
                "--etcd-binary", str(find_tool("etcd")),
                "--config", str(_config_file(name, extra)),
                "--kubeconfig", str(kubeconfig),
                "--wait", "180s",
            ],
            timeout=400,
        )  # fmt: skip
    _say(progress, f"scaling to {nodes} nodes")
    # kwok's default node template has no ephemeral-storage, and every chartgen container
    # requests some: give the simulated nodes plenty (nodes made before get replaced).
    _kwokctl(["scale", "node", "--name", name, "--replicas", "0"])
    _kwokctl(["scale", "node", "--name", name, "--replicas", str(nodes), "--param", NODE_STORAGE])
    return Cluster(name, kubeconfig)


def cluster_down(name: str = DEFAULT_NAME) -> None:
    if name in _kwokctl(["get", "clusters"]).stdout.split():
        _kwokctl(["delete", "cluster", "--name", name, "--kubeconfig", str(kubeconfig_path(name))])
    kubeconfig_path(name).unlink(missing_ok=True)


def _say(progress: Progress | None, message: str) -> None:
    if progress:
        progress(message)
