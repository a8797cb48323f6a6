"""Profiles (DESIGN.md §3) and project settings: merging, and every problem located."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgen.config import load_settings
from chartgen.errors import EXIT_USER, Diagnostics, UserError
from chartgen.profile.loader import load_profiles
from chartgen.profile.model import Profile
from chartgen.schema.spec import dump
from testing.trees import PROFILES_BASIC, build_tree

TOP_LEVEL_KEYS = (
    "affinity, commonAnnotations, commonLabels, dataIndex, devmode, env, eventing, extends, image, imagePullSecrets, "
    "jobService, kubernetesVersion, mode, namespace, networkPolicy, nodeSelector, operatorVersion, persistence, platform, "
    "podAnnotations, podLabels, policyExceptions, priorityClassName, properties, rbac, resources, runtime, "
    "scaling, secrets, service, tolerations"
)
CONFIG_KEYS = "charts, crds, exclude, kubeVersion, name, out, profiles, runtime, vault, workflows"


def load(root: Path, files: dict[str, str]) -> tuple[list[Profile], list[str]]:
    """Profiles of `root/profiles` and the rendered diagnostics (the test's cwd is `root`)."""
    build_tree(root, files)
    diag = Diagnostics()
    profiles = load_profiles(root / "profiles", diag)
    return profiles, [str(d) for d in diag.sorted()]


def by_env(profiles: list[Profile]) -> dict[str, Profile]:
    return {p.env: p for p in profiles}


# --- loading and merging -------------------------------------------------------------


def test_only_profiles_with_a_mode_are_returned_sorted_by_env(tmp_path: Path) -> None:
    profiles, errors = load(tmp_path, PROFILES_BASIC)
    assert errors == []
    assert [p.env for p in profiles] == ["dev", "prod", "staging"]  # no 'base'
    assert [p.mode for p in profiles] == ["dev", "production", "production"]


def test_a_folder_of_bases_only_produces_nothing(tmp_path: Path) -> None:
    profiles, errors = load(tmp_path, {"profiles/base.yaml": "namespace: wf\n"})
    assert (profiles, errors) == ([], [])


def test_extends_merges_maps_deeply_and_replaces_lists(tmp_path: Path) -> None:
    profiles, errors = load(
        tmp_path,
        {
            "profiles/base.yaml": """
                resources:
                  requests: {cpu: 250m, memory: 512Mi}
                  limits: {cpu: "1", memory: 1Gi}
                rbac:
                  deployers: ["group:platform", "group:workflow-deployers"]
                  viewers: ["group:everyone"]
            """,
            "profiles/prod.yaml": """
                extends: base
                mode: production
                namespace: wf-prod
                resources:
                  requests: {cpu: 500m}
                rbac:
                  deployers: ["user:release-bot"]
            """,
        },
    )
    assert errors == []
    (prod,) = profiles
    assert dump(prod.settings.resources) == {
        "requests": {"cpu": "500m", "memory": "512Mi"},
        "limits": {"cpu": "1", "memory": "1Gi"},
    }
    assert prod.settings.rbac and prod.settings.rbac.deployers == ["user:release-bot"]
    assert prod.settings.rbac.viewers == ["group:everyone"]
    assert prod.settings.extends is None


def test_three_level_chain_nearest_file_wins(tmp_path: Path) -> None:
    profiles, errors = load(
        tmp_path,
        {
            "profiles/base.yaml": """
                runtime: kubernetes
                scaling: {minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 80}
                eventing: {broker: default, retries: 3}
            """,
            "profiles/staging.yaml": """
                extends: base
                mode: production
                namespace: wf-staging
                scaling: {minReplicas: 2, maxReplicas: 4}
            """,
            "profiles/prod.yaml": """
                extends: staging
                namespace: wf-prod
                scaling: {maxReplicas: 8}
            """,
        },
    )
    assert errors == []
    envs = by_env(profiles)
    assert sorted(envs) == ["prod", "staging"]
    prod = envs["prod"]
    assert [pf.env for pf in prod.chain] == ["prod", "staging", "base"]
    assert prod.mode == "production"  # inherited from staging
    assert prod.namespace == "wf-prod"
    assert prod.settings.runtime == "kubernetes"  # inherited from base, two levels up
    assert dump(prod.settings.scaling) == {
        "minReplicas": 2,  # staging over base
        "maxReplicas": 8,  # prod over staging
        "targetCPUUtilizationPercentage": 80,  # base
    }
    assert prod.settings.eventing and prod.settings.eventing.retries == 3
    assert envs["staging"].settings.scaling and envs["staging"].settings.scaling.maxReplicas == 4


def test_location_points_into_the_file_that_set_the_value(tmp_path: Path) -> None:
    profiles, errors = load(
        tmp_path,
        {
            "profiles/base.yaml": """
                runtime: kubernetes
                scaling:
                  minReplicas: 2
            """,
            "profiles/staging.yaml": """
                extends: base
                mode: production
                namespace: wf-staging
                scaling:
                  maxReplicas: 4
            """,
            "profiles/prod.yaml": """
                extends: staging
                namespace: wf-prod
            """,
        },
    )
    assert errors == []
    prod = by_env(profiles)["prod"]
    assert str(prod.location("scaling", "minReplicas")) == "profiles/base.yaml:3:16"
    assert str(prod.location("scaling", "minReplicas", key=True)) == "profiles/base.yaml:3:3"
    assert str(prod.location("scaling", "maxReplicas")) == "profiles/staging.yaml:5:16"
    assert str(prod.location("namespace")) == "profiles/prod.yaml:2:12"
    assert str(prod.location("persistence")) == "profiles/prod.yaml:1:1"  # set nowhere


# --- located errors ------------------------------------------------------------------


def test_unknown_top_level_key(tmp_path: Path) -> None:
    _, errors = load(
        tmp_path,
        {
            "profiles/prod.yaml": """
                mode: production
                namespace: wf-prod
                replicas: 3
            """
        },
    )
    assert errors == [
        f"profiles/prod.yaml:3:1: error: unknown key 'replicas' in profile (known keys: {TOP_LEVEL_KEYS})"
    ]


def test_unknown_nested_key(tmp_path: Path) -> None:
    _, errors = load(
        tmp_path,
        {
            "profiles/prod.yaml": """
                mode: production
                namespace: wf-prod
                scaling:
                  maxReplicas: 4
                  minReplica: 2
            """
        },
    )
    assert errors == [
        "profiles/prod.yaml:5:3: error: unknown key 'minReplica' in 'scaling' (did you mean 'minReplicas'?) "
        "(known keys: enabled, maxReplicas, minReplicas, targetCPUUtilizationPercentage)"
    ]


def test_wrong_type(tmp_path: Path) -> None:
    _, errors = load(
        tmp_path,
        {
            "profiles/prod.yaml": """
                mode: production
                namespace: wf-prod
                scaling:
                  minReplicas: "two"
            """
        },
    )
    assert errors == [
        "profiles/prod.yaml:4:16: error: 'scaling.minReplicas' must be an integer, not a string"
    ]


def test_wrong_type_is_described_in_yaml_terms(tmp_path: Path) -> None:
    _, errors = load(
        tmp_path,
        {
            "profiles/prod.yaml": """
                mode: production
                namespace: wf-prod
                scaling:
                  minReplicas:
                  enabled: 1
            """
        },
    )
    assert errors == [
        "profiles/prod.yaml:4:15: error: 'scaling.minReplicas' must be an integer, not null",
        "profiles/prod.yaml:5:12: error: 'scaling.enabled' must be a boolean, not an integer",
    ]


def test_unknown_runtime(tmp_path: Path) -> None:
    _, errors = load(
        tmp_path,
        {
            "profiles/prod.yaml": """
                mode: production
                namespace: wf-prod
                runtime: docker
            """
        },
    )
    assert errors == [
        "profiles/prod.yaml:3:10: error: 'runtime' must be one of kubernetes, sonataflow; got 'docker'"
    ]


def test_unknown_secrets_provider(tmp_path: Path) -> None:
    _, errors = load(
        tmp_path,
        {
            "profiles/prod.yaml": """
                mode: production
                namespace: wf-prod
                secrets:
                  provider: aws
            """
        },
    )
    assert errors == [
        "profiles/prod.yaml:4:13: error: 'secrets.provider' must be one of "
        "vso, eso, injector, existing; got 'aws'"
    ]


def test_pattern_failure_says_what_is_expected(tmp_path: Path) -> None:
    _, errors = load(
        tmp_path,
        {
            "profiles/prod.yaml": """
                mode: production
                namespace: wf-prod
                eventing: {broker: default, backoffDelay: 1s}
            """
        },
    )
    assert errors == [
        "profiles/prod.yaml:3:43: error: 'eventing.backoffDelay' must be "
        "an ISO-8601 duration such as PT1S; got '1s'"
    ]


def test_extends_target_missing(tmp_path: Path) -> None:
    profiles, errors = load(
        tmp_path,
        {
            "profiles/prod.yaml": """
                extends: bsae
                mode: production
                namespace: wf-prod
            """
        },
    )
    assert profiles == []
    assert errors == [
        "profiles/prod.yaml:1:10: error: profile 'prod' extends 'bsae', "
        "which does not exist in the profiles folder"
    ]


def test_extends_cycle(tmp_path: Path) -> None:
    profiles, errors = load(
        tmp_path,
        {
            "profiles/a.yaml": """
                mode: production
                namespace: wf-a
                extends: b
            """,
            "profiles/b.yaml": """
                extends: a
            """,
        },
    )
    assert profiles == []
    assert errors == [
        "profiles/a.yaml:3:10: error: extends cycle: a -> b -> a",
        "profiles/b.yaml:1:10: error: extends cycle: b -> a -> b",
    ]


def test_mode_without_namespace(tmp_path: Path) -> None:
    profiles, errors = load(
        tmp_path,
        {
            "profiles/prod.yaml": """
                runtime: kubernetes
                mode: production
            """
        },
    )
    assert profiles == []
    assert errors == [
        "profiles/prod.yaml:2:1: error: profile 'prod' has mode 'production' but no 'namespace'"
    ]


def test_inherited_mode_without_namespace_points_at_the_mode(tmp_path: Path) -> None:
    profiles, errors = load(
        tmp_path,
        {
            "profiles/base.yaml": """
                runtime: kubernetes
                mode: production
            """,
            "profiles/prod.yaml": """
                extends: base
                scaling: {minReplicas: 2}
            """,
        },
    )
    assert profiles == []
    assert errors == [
        "profiles/base.yaml:2:1: error: profile 'base' has mode 'production' but no 'namespace'",
        "profiles/base.yaml:2:1: error: profile 'prod' has mode 'production' but no 'namespace'",
    ]


def test_unknown_placeholder(tmp_path: Path) -> None:
    _, errors = load(
        tmp_path,
        {
            "profiles/prod.yaml": """
                mode: production
                namespace: wf-prod
                image:
                  repository: registry.example.com/{team}/{workflow}
            """
        },
    )
    assert errors == [
        "profiles/prod.yaml:4:15: error: unknown placeholder '{team}' in 'image.repository' "
        "(allowed: {env}, {git_sha}, {version}, {workflow})"
    ]


def test_file_name_must_be_an_env_name(tmp_path: Path) -> None:
    profiles, errors = load(
        tmp_path,
        {
            "profiles/Prod.yaml": """
                mode: production
                namespace: wf-prod
            """
        },
    )
    assert profiles == []
    assert errors == [
        "profiles/Prod.yaml:1:1: error: profile file name 'Prod.yaml' must be an environment "
        "name (lowercase letters, digits and '-', at most 32 characters)"
    ]


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    profiles, errors = load(
        tmp_path,
        {
            "profiles/prod.yaml": """
                mode: production
                namespace: wf-prod
                resources:
                  requests:
                    cpu: 250m
                  limits: @1
            """
        },
    )
    assert profiles == []
    assert errors == [
        "profiles/prod.yaml:6:11: error: invalid YAML: found character that cannot start any token"
    ]


def test_extending_a_profile_with_schema_errors_reports_only_those(tmp_path: Path) -> None:
    profiles, errors = load(
        tmp_path,
        {
            "profiles/base.yaml": """
                runtime: docker
            """,
            "profiles/staging.yaml": """
                extends: base
                mode: production
                namespace: wf-staging
            """,
            "profiles/prod.yaml": """
                extends: staging
                namespace: wf-prod
            """,
        },
    )
    assert profiles == []
    assert errors == [
        "profiles/base.yaml:1:10: error: 'runtime' must be one of kubernetes, sonataflow; got 'docker'"
    ]


def test_extending_a_profile_with_a_syntax_error_reports_only_that(tmp_path: Path) -> None:
    profiles, errors = load(
        tmp_path,
        {
            "profiles/base.yaml": "runtime: [kubernetes\n",
            "profiles/prod.yaml": """
                extends: base
                mode: production
                namespace: wf-prod
            """,
        },
    )
    assert profiles == []
    assert len(errors) == 1
    assert errors[0].startswith("profiles/base.yaml:2:1: error: invalid YAML: ")
    assert not any("does not exist" in e for e in errors)


def test_extending_a_profile_that_extends_a_missing_one_reports_it_once(tmp_path: Path) -> None:
    profiles, errors = load(
        tmp_path,
        {
            "profiles/staging.yaml": """
                extends: bsae
                mode: production
                namespace: wf-staging
            """,
            "profiles/prod.yaml": """
                extends: staging
                namespace: wf-prod
            """,
        },
    )
    assert profiles == []
    assert errors == [
        "profiles/staging.yaml:1:10: error: profile 'staging' extends 'bsae', "
        "which does not exist in the profiles folder"
    ]


def test_extending_a_badly_named_file_does_not_claim_it_is_missing(tmp_path: Path) -> None:
    profiles, errors = load(
        tmp_path,
        {
            "profiles/Base.yaml": "runtime: kubernetes\n",
            "profiles/prod.yaml": """
                extends: Base
                mode: production
                namespace: wf-prod
            """,
        },
    )
    assert profiles == []
    assert errors == [
        "profiles/Base.yaml:1:1: error: profile file name 'Base.yaml' must be an environment "
        "name (lowercase letters, digits and '-', at most 32 characters)"
    ]


def test_all_errors_of_a_run_are_collected(tmp_path: Path) -> None:
    profiles, errors = load(
        tmp_path,
        {
            "profiles/prod.yaml": """
                mode: production
                namespace: wf-prod
                replicas: 3
            """,
            "profiles/staging.yaml": """
                mode: production
                namespace: wf-staging
                secrets: {provider: aws}
            """,
            "profiles/dev.yaml": """
                mode: dev
                namespace: wf-dev
            """,
        },
    )
    assert [p.env for p in profiles] == ["dev"]
    assert errors == [
        f"profiles/prod.yaml:3:1: error: unknown key 'replicas' in profile (known keys: {TOP_LEVEL_KEYS})",
        "profiles/staging.yaml:3:21: error: 'secrets.provider' must be one of "
        "vso, eso, injector, existing; got 'aws'",
    ]


# --- project settings (chartgen.yaml, CHARTGEN_*, flags) ------------------------------


def test_settings_defaults(tmp_path: Path) -> None:
    cwd = (tmp_path / "my-repo").resolve()
    cwd.mkdir()
    s = load_settings({}, cwd)
    assert s.root == cwd
    assert s.name == "my-repo"
    assert s.workflows == cwd / "workflows"
    assert s.profiles == cwd / "profiles"
    assert s.out == cwd / "charts"
    assert s.kube_version == "1.34"
    assert s.exclude == ()
    assert s.chart_names == {}
    assert s.config_file is None


def test_settings_from_file_are_relative_to_the_file(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    build_tree(
        root,
        {
            "repo/chartgen.yaml": """
                name: demo
                workflows: src/workflows
                profiles: config/profiles
                out: build/charts
                kubeVersion: "1.33"
                exclude: ["**/manifests/**"]
                charts: {greeting: hello}
            """
        },
    )
    (root / "elsewhere").mkdir()
    s = load_settings({"config": str(root / "repo/chartgen.yaml")}, root / "elsewhere")
    assert s.root == root / "repo"
    assert s.name == "demo"
    assert s.workflows == root / "repo/src/workflows"
    assert s.profiles == root / "repo/config/profiles"
    assert s.out == root / "repo/build/charts"
    assert s.kube_version == "1.33"
    assert s.exclude == ("**/manifests/**",)
    assert s.chart_names == {"greeting": "hello"}
    assert s.config_file == root / "repo/chartgen.yaml"


def test_folders_outside_the_repository_come_only_from_flags_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path.resolve()
    build_tree(root, {"repo/chartgen.yaml": "profiles: ../shared/profiles\n"})
    with pytest.raises(UserError) as refused:
        load_settings({}, root / "repo")
    assert str(refused.value) == (
        "repo/chartgen.yaml:1:11: error: 'profiles' leads outside the repository (repo/)"
    )
    assert (
        load_settings({"profiles": "../shared/profiles"}, root / "repo").profiles == root / "shared/profiles"
    )
    monkeypatch.setenv("CHARTGEN_PROFILES", "../shared/profiles")
    assert load_settings({}, root / "repo").profiles == root / "shared/profiles"


def test_settings_file_in_cwd_is_found_without_a_flag(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    build_tree(root, {"repo/chartgen.yaml": "workflows: wf\n"})
    s = load_settings({}, root / "repo")
    assert s.workflows == root / "repo/wf"
    assert s.name == "repo"
    assert s.config_file == root / "repo/chartgen.yaml"


def test_flags_override_a_file_given_with_config(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    build_tree(
        root,
        {
            "repo/chartgen.yaml": """
                name: demo
                workflows: wf
                out: build
                kubeVersion: "1.33"
            """
        },
    )
    flags = {
        "config": "repo/chartgen.yaml",
        "name": "other",
        "workflows": "flag-wf",
        "kubeVersion": "v1.31",
    }
    s = load_settings(flags, root)
    assert s.name == "other"
    assert s.workflows == root / "flag-wf"  # flags are relative to where the user is
    assert s.out == root / "repo/build"  # not given as a flag: the file's value
    assert s.kube_version == "1.31"


def test_environment_overrides_the_file_but_not_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path.resolve()
    build_tree(
        root,
        {
            "repo/chartgen.yaml": """
                name: demo
                workflows: wf
                profiles: prof
                kubeVersion: "1.33"
            """
        },
    )
    monkeypatch.setenv("CHARTGEN_NAME", "from-env")
    monkeypatch.setenv("CHARTGEN_WORKFLOWS", "env-wf")
    monkeypatch.setenv("CHARTGEN_KUBE_VERSION", "1.32")
    flags = {"config": "repo/chartgen.yaml", "name": "from-flag"}
    s = load_settings(flags, root)
    assert s.name == "from-flag"  # flag beats environment
    assert s.workflows == root / "env-wf"  # environment beats file, relative to cwd
    assert s.kube_version == "1.32"
    assert s.profiles == root / "repo/prof"  # only the file sets it


def test_unknown_key_in_settings_file_is_a_located_user_error(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "repo/chartgen.yaml": """
                name: demo
                workflow: wf
            """
        },
    )
    with pytest.raises(UserError) as info:
        load_settings({}, tmp_path / "repo")
    assert info.value.exit_code == EXIT_USER == 1
    assert [str(d) for d in info.value.diagnostics] == [
        f"repo/chartgen.yaml:2:1: error: unknown key 'workflow' in chartgen.yaml (did you mean 'workflows'?) (known keys: {CONFIG_KEYS})"
    ]
