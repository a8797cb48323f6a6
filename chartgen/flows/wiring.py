"""The external programs a command uses, found and configured here and nowhere else: helm
(for rendering, or on the chosen cluster), opa, the cluster (chosen and reached), the local
kwok control plane, and what deploy and promote use. Command modules ask for them here; an
import contract keeps `cli` from building a tool itself."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from chartgen.deploy.deployer import HelmDeployer
from chartgen.deploy.live import LiveObjects
from chartgen.deploy.records import SecretRecords
from chartgen.errors import UserError
from chartgen.formats.source import display_path
from chartgen.tools import kwok
from chartgen.tools.clusters import ClusterChoice, check_reachable, choose_cluster
from chartgen.tools.helm import Helm
from chartgen.tools.helm_batch import HelmBatch, batch_beside
from chartgen.tools.locate import find_helm, find_tool
from chartgen.tools.opa import Opa
from chartgen.verify.chart_env import Renderer

if TYPE_CHECKING:
    from chartgen.flows.deploy import Tools


def helm(cluster: ClusterChoice | None = None) -> Helm:
    """helm; on `cluster` for release commands (rendering needs no cluster)."""
    if cluster is None:
        return Helm(find_helm())
    return Helm(find_helm(), kubeconfig=cluster.kubeconfig, context=cluster.context)


@contextlib.contextmanager
def renderer() -> Iterator[Renderer]:
    """What renders many charts: helm-batch beside the toolchain's helm (one process for every
    render), else helm itself; its workers stop with the block."""
    one = helm()
    batch = batch_beside(one)
    if batch is None:
        yield one
        return
    with HelmBatch(batch, one) as many:
        yield many


def opa() -> Opa:
    return Opa(find_tool("opa"))


def cluster(kubeconfig: str | None, context: str | None) -> ClusterChoice:
    """The cluster the options, KUBECONFIG or the local one name; a ToolError when it does not
    answer (one line naming it)."""
    choice = choose_cluster(kubeconfig, context)
    check_reachable(choice)
    return choice


def deploy_tools(target: ClusterChoice) -> Tools:
    """What deploy and promote use on the target cluster (opa found only when a check runs)."""
    from chartgen.flows.deploy import Tools  # Vault's client loads only for the commands using it
    from chartgen.vault.client import connect

    kubectl = target.kubectl()
    return Tools(releases_on(target), helm(target), opa, connect, kubectl, kubectl)


def releases_on(cluster: ClusterChoice) -> HelmDeployer:
    """helm on `cluster`, its release records and live objects read there (promote's source
    is read through the same seam)."""
    on_cluster, kubectl = helm(cluster), cluster.kubectl()
    return HelmDeployer(on_cluster, on_cluster.version, SecretRecords(kubectl), LiveObjects(kubectl))


def git_head(folder: Path) -> str:
    """The commit the repository holding `folder` is at (a UserError when there is none)."""
    from chartgen.version.git import head_commit

    commit = head_commit(folder)
    if commit is None:
        raise UserError(f"{display_path(folder)} is not in a git repository with a commit")
    return commit


def local_cluster_up(name: str, nodes: int, progress: Callable[[str], None]) -> kwok.Cluster:
    return kwok.cluster_up(name, nodes, progress)


def local_cluster_down(name: str) -> None:
    kwok.cluster_down(name)


def local_kubeconfig(name: str) -> Path:
    return kwok.kubeconfig_path(name)


LOCAL_CLUSTER_NAME = kwok.DEFAULT_NAME
LOCAL_CLUSTER_NODES = kwok.DEFAULT_NODES
