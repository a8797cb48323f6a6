from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.repo import helm_available


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden from the current generator output"
    )


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads the user's settings or writes outside its own folder."""
    for key in list(os.environ):
        if key.startswith("CHARTGEN_") and key not in ("CHARTGEN_HELM", "CHARTGEN_CACHE"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("CHARTGEN_NO_BUILD", "1")  # a missing tool fails the test, never builds it
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("VAULT_ADDR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("chartgen.flows.unchanged.records_dir", lambda: tmp_path / ".generate-records")
    yield


@pytest.fixture(scope="session")
def helm_binary() -> Path:
    from chartgen.tools.locate import find_helm

    if not helm_available():
        if os.environ.get("CI"):
            pytest.fail("helm is not installed: scripts/setup.sh must run first")
        pytest.skip("helm not installed (run scripts/setup.sh)")
    return find_helm()
