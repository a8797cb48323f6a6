"""The runtime tier: what needs Java, Maven and PostgreSQL (skipped without them, failed in CI)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from chartgen.errors import ToolError
from chartgen.runtime.postgres import bin_dir
from tests.conftest import copy_examples, run_cli


def require(what: str, present: bool) -> None:
    if not present:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is not installed: scripts/setup.sh must install it")
        pytest.skip(f"{what} is not installed")


def _postgres_present() -> bool:
    try:
        bin_dir()
    except ToolError:
        return False
    return True


@pytest.fixture(scope="session")
def postgres_programs() -> None:
    require("PostgreSQL (initdb, pg_ctl)", _postgres_present())


@pytest.fixture(scope="session")
def order_approval(
    tmp_path_factory: pytest.TempPathFactory, helm_binary: Path, postgres_programs: None
) -> Path:
    """A copy of the examples with charts generated and order-approval's runtime built by
    `chartgen build` (its app: build/order-approval/target/quarkus-app/quarkus-run.jar)."""
    require("java", shutil.which("java") is not None)
    require("mvn", shutil.which("mvn") is not None)
    repo = copy_examples(tmp_path_factory.mktemp("run"))
    assert run_cli("-C", str(repo), "generate").code == 0
    start = time.monotonic()
    result = run_cli("-C", str(repo), "build", "--chart", "order-approval")
    print(f"\n[runtime] chartgen build --chart order-approval: {time.monotonic() - start:.0f}s")
    assert result.code == 0, result.out + result.err
    assert (repo / "build/order-approval/target/quarkus-app/quarkus-run.jar").is_file()
    return repo
