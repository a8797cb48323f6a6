"""The runtime tier: what needs Java, Maven and PostgreSQL (skipped without them, failed in CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgen.errors import ToolError
from chartgen.tools.processes import postgres_bin_dir
from testing.repo import require
from tests.runtime.helpers import examples_with_runtime


def _postgres_present() -> bool:
    try:
        postgres_bin_dir()
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
    return examples_with_runtime(tmp_path_factory, "order-approval")
