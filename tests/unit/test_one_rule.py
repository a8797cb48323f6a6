"""Each rule lives in one place, and everything that applies it reads it there: the drifts
found where a rule was written twice, each pinned by a test that failed before."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgen.profile.environment import MAX_ENV_NAME, is_env_name
from chartgen.profile.rbac import rego_table
from testing.trees import GREETING, PROFILES_BASIC, build_tree
from tests.conftest import REPO, run_cli


def test_a_profile_name_deploy_would_refuse_is_refused_by_generate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 33-character environment generated a chart `deploy --env` then refused."""
    long_env = "e" * (MAX_ENV_NAME + 1)
    files = {**PROFILES_BASIC, "workflows/greet/greet.sw.yaml": GREETING}
    files[f"profiles/{long_env}.yaml"] = files.pop("profiles/prod.yaml")
    build_tree(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    result = run_cli("generate")
    assert result.code == 1
    assert (
        f"profiles/{long_env}.yaml:1:1: error: profile file name '{long_env}.yaml' must be an environment name"
        in (result.err)
    )
    assert not (tmp_path / "charts").exists()
    assert is_env_name("e" * MAX_ENV_NAME) and not is_env_name(long_env)


def test_the_runtime_rbac_table_of_the_policy_is_generated_from_chartgens() -> None:
    """The policy's list of what a runtime's Role may never grant had fallen behind Python's
    (no pods/ephemeralcontainers, no workload writes): it is now generated from it."""
    committed = (REPO / "policies/production/rbac_runtime_table.rego").read_text()
    assert committed == rego_table(), (
        "run: python -m chartgen.profile.rbac > policies/production/rbac_runtime_table.rego"
    )
    assert '"pods/ephemeralcontainers": []' in committed
