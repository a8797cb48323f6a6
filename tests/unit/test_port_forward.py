"""Reaching an in-cluster Data Index: which URLs name a Service, and the port-forward's life
(a stand-in kubectl here; the runtime tier forwards through a real API server)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chartgen.deploy.data_index import InCluster, in_cluster
from chartgen.errors import ToolError
from chartgen.tools.kubectl import Kubectl
from chartgen.tools.port_forward import forwarded


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://data-index.platform.svc.cluster.local", InCluster("data-index", "platform", 80, "")),
        ("http://di.ops.svc:8080/index/", InCluster("di", "ops", 8080, "/index")),
        ("http://127.0.0.1:8180", None),
        ("https://data-index.platform.svc", None),  # TLS to 127.0.0.1 would not match the name
        ("http://user:pw@di.ops.svc", None),
        ("http://di.example.com", None),
        ("http://[::1", None),
    ],
)
def test_an_in_cluster_address_names_a_service_and_namespace(url: str, expected: InCluster | None) -> None:
    assert in_cluster(url) == expected
    if expected is not None:
        assert expected.local(4321).startswith("http://127.0.0.1:4321")


def stand_in(tmp_path: Path, body: str) -> Kubectl:
    script = tmp_path / "kubectl"
    script.write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "argv"}\n{body}\n')
    script.chmod(0o755)
    return Kubectl(script, tmp_path / "kubeconfig", "ctx")


def test_the_forward_lives_as_long_as_the_block(tmp_path: Path) -> None:
    kubectl = stand_in(
        tmp_path,
        # the pid is written before the line that ends the wait, so the block can read it
        f"echo $$ > {tmp_path / 'pid'}\necho 'Forwarding from 127.0.0.1:4321 -> 8080'\nexec sleep 60",
    )
    with forwarded(kubectl, "platform", "data-index", 80) as port:
        assert port == 4321
        pid = int((tmp_path / "pid").read_text())
        os.kill(pid, 0)  # running
    argv = (tmp_path / "argv").read_text().split()
    assert argv == [
        "--kubeconfig", str(tmp_path / "kubeconfig"), "--context", "ctx", "port-forward", "-n", "platform",
        "service/data-index", ":80", "--address", "127.0.0.1",
    ]  # fmt: skip
    assert not Path(f"/proc/{pid}").exists()  # stopped and reaped when the block ended


def test_kubectl_s_own_words_when_it_cannot_forward(tmp_path: Path) -> None:
    kubectl = stand_in(tmp_path, "echo 'error: services \"data-index\" not found' >&2\nexit 1")
    with (
        pytest.raises(
            ToolError,
            match='port-forward to service/data-index in platform: error: services "data-index" not found',
        ),
        forwarded(kubectl, "platform", "data-index", 80),
    ):
        pytest.fail("no forward, no block")
