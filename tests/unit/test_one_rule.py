"""Each rule lives in one place, and everything that applies it reads it there: the drifts
found where a rule was written twice, each pinned by a test that failed before."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chartgen.plan.kinds import CUSTOM_KINDS
from chartgen.plan.layout import DATA_FILE, DEFAULTS_FILE, values_file
from chartgen.profile.environment import MAX_ENV_NAME, is_env_name
from chartgen.profile.rbac import rego_table
from testing.repo import REPO, run_cli
from testing.trees import GREETING, PROFILES_BASIC, build_tree


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


def test_the_templates_write_each_custom_kind_as_the_table_says() -> None:
    """RBAC, the README and `chartgen test` read plan/kinds.py's table; the templates write
    the resources: every custom kind a template writes is in the table, at its version."""
    table = {k.kind: f"{k.group}/{k.version}" for k in CUSTOM_KINDS}
    groups = {k.group for k in CUSTOM_KINDS}
    written: dict[str, str] = {}
    for template in sorted((REPO / "chartgen/templates").glob("*/templates/*.yaml")):
        text = template.read_text()
        for api_version, kind in re.findall(r"^apiVersion: (\S+)\nkind: (\S+)$", text, re.MULTILINE):
            if api_version.split("/")[0] in groups:
                written[kind] = api_version
    assert written == table


def test_the_templates_read_the_chart_files_layout_names() -> None:
    """The plan's data, values.yaml's copy and each environment's values file are named once,
    in plan/layout.py; the helper that loads them at render time uses those names."""
    helpers = (REPO / "chartgen/templates/base/templates/_helpers.tpl").read_text()
    read = set(re.findall(r'\.Files\.Get (?:\(printf )?"([^"]+)"', helpers))
    assert read == {DATA_FILE, DEFAULTS_FILE, values_file("%s")}, read
