"""`vault plan` reads the generated charts: names checked, refusals located, output stable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from chartgen.charts.chart import charts_in
from chartgen.errors import Location, UserError
from chartgen.flows.vault_plan import read_accesses, write_plan
from chartgen.formats.source import display_path
from chartgen.vault.access import VaultAccess
from chartgen.vault.check import check_accesses, grants_read
from chartgen.vault.reconcile import KubernetesAuth, apply
from testing.fakes import FakeVault
from testing.repo import REPO, run_cli


@pytest.fixture(scope="module")
def charts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("plan") / "repo"
    shutil.copytree(REPO / "examples", repo, ignore=shutil.ignore_patterns("charts"))
    assert run_cli("-C", str(repo), "generate").code == 0
    return repo / "charts"


def where_set(path: Path, start: str) -> Location:
    """Where the value of the line starting with `start` begins."""
    lines = path.read_text().splitlines()
    line = next(i for i, text in enumerate(lines) if text.startswith(start))
    return Location(display_path(path), line + 1, len(start) + 1)


def copy(charts: Path, tmp_path: Path) -> Path:
    target = tmp_path / "charts"
    shutil.copytree(charts, target)
    return target


def test_the_policy_reads_only_the_chart_path(charts: Path) -> None:
    (access,) = read_accesses(charts_in(charts), ["prod"], ["order-approval"])
    assert access.policy_hcl() == (
        "# chartgen: chart order-approval, environment prod, namespace workflows-prod\n"
        'path "kv/data/workflows/prod/order-approval" {\n  capabilities = ["read"]\n}\n'
        'path "kv/metadata/workflows/prod/order-approval" {\n  capabilities = ["read"]\n}\n'
    )
    assert access.role_settings() == {
        "bound_service_account_names": ["order-approval"],
        "bound_service_account_namespaces": ["workflows-prod"],
        "bound_service_account_namespace_selector": "",
        "audience": "vault",
        "alias_name_source": "serviceaccount_uid",
        "token_policies": ["chartgen-order-approval-prod"],
        "token_no_default_policy": False,
        "token_ttl": 900,
        "token_max_ttl": 3600,
        "token_explicit_max_ttl": 0,
        "token_period": 0,
        "token_num_uses": 0,
        "token_bound_cidrs": [],
        "token_type": "default",
    }
    assert access.keys == ("db_password", "db_username")  # the database keys are listed too


def test_the_data_file_lists_every_key(charts: Path) -> None:
    data = yaml.safe_load((charts / "invoice-sync/files/chartgen-data.yaml").read_text())
    assert data["environments"]["prod"]["secretKeys"] == ["billing_api_token", "billing_client_id"]


def test_json_is_stable(charts: Path) -> None:
    first = run_cli("vault", "plan", "--charts", str(charts), "--format", "json")
    assert first.code == 0
    assert run_cli("vault", "plan", "--charts", str(charts), "--format", "json").out == first.out
    assert len(json.loads(first.out)) == 6


def test_a_role_outside_the_prefix_is_refused(charts: Path) -> None:
    with pytest.raises(UserError) as refused:
        read_accesses(charts_in(charts), ["prod"], prefix="acme-")
    found = refused.value.diagnostics
    assert len(found) == 6  # every chart and environment, whatever the selection
    first = found[0]
    assert first.location == where_set(charts / "invoice-sync/values-prod.yaml", "  role: ")
    assert first.message.startswith(
        "chart 'invoice-sync' environment 'prod': Vault role 'chartgen-invoice-sync-prod' does not start "
        "with 'acme-' (chartgen.yaml vault.prefix)"
    )


def test_a_shared_role_or_path_is_refused(charts: Path, tmp_path: Path) -> None:
    target = copy(charts, tmp_path)
    values = target / "shipment-tracker/values-prod.yaml"
    text = values.read_text().replace("chartgen-shipment-tracker-prod", "chartgen-order-approval-prod")
    values.write_text(text.replace("workflows/prod/shipment-tracker", "workflows/prod/order-approval"))
    with pytest.raises(UserError) as refused:
        read_accesses(
            charts_in(target), ["prod"], ["shipment-tracker"]
        )  # the other chart is not selected: still shared
    found = {d.location: d.message for d in refused.value.diagnostics}
    shared = "is planned for both order-approval/prod and shipment-tracker/prod: each chart and environment "
    assert found == {
        where_set(values, "  role: "): f"role and policy 'chartgen-order-approval-prod' {shared}"
        "needs its own (placeholders {workflow} and {env} in the profile)",
        where_set(values, "  path: "): f"secret path 'kv/workflows/prod/order-approval' {shared}"
        "needs its own (placeholders {workflow} and {env} in the profile)",
    }


def test_a_policy_name_is_one_per_vault_whatever_the_auth_mount(charts: Path, tmp_path: Path) -> None:
    target = copy(charts, tmp_path)
    values = target / "shipment-tracker/values-prod.yaml"
    text = values.read_text().replace("chartgen-shipment-tracker-prod", "chartgen-order-approval-prod")
    values.write_text(text.replace("authMount: kubernetes", "authMount: kubernetes-b"))
    with pytest.raises(UserError, match="role and policy 'chartgen-order-approval-prod' is planned for both"):
        read_accesses(charts_in(target))


def test_a_hostile_chart_folder_name_never_reaches_a_policy(charts: Path, tmp_path: Path) -> None:
    target = copy(charts, tmp_path)
    shutil.copytree(target / "invoice-sync", target / 'x\npath "*" {')
    with pytest.raises(UserError) as refused:
        read_accesses(charts_in(target))
    (problem,) = refused.value.diagnostics
    assert "is not a chart name (a DNS-1035 label)" in problem.message


def test_a_hand_edited_values_file_is_located(charts: Path, tmp_path: Path) -> None:
    target = copy(charts, tmp_path)
    values = target / "order-approval/values-prod.yaml"
    values.write_text(values.read_text().replace("path: workflows/prod/order-approval", 'path: "../../sys"'))
    data = target / "invoice-sync/files/chartgen-data.yaml"
    data.write_text(data.read_text().replace("- billing_api_token", '- "a\\nb"', 1))
    with pytest.raises(UserError) as refused:
        read_accesses(charts_in(target), ["prod"])
    shown = [str(d) for d in refused.value.diagnostics]
    assert any("values-prod.yaml" in s and "vault.path" in s for s in shown), shown
    assert any("chartgen-data.yaml" in s and "secretKeys" in s for s in shown), shown


def test_an_unknown_env_or_chart_is_named(charts: Path) -> None:
    with pytest.raises(UserError) as refused:
        read_accesses(charts_in(charts), ["prd"])
    (problem,) = refused.value.diagnostics
    assert problem.message == (
        "--env prd: no production chart has this environment (did you mean 'prod'?) "
        "(environments: prod, staging)"
    )
    with pytest.raises(UserError, match="--chart nope: no production chart"):
        read_accesses(charts_in(charts), [], ["nope"])


def test_write_plan_follows_no_link_and_drops_stale_files(charts: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("mine")
    plan = tmp_path / "vault"
    (plan / "prod").mkdir(parents=True)
    (plan / "prod" / "order-approval.hcl").symlink_to(outside)
    (plan / "prod" / "gone.json").write_text("{}")
    write_plan(read_accesses(charts_in(charts)), plan, complete=True)
    assert outside.read_text() == "mine"
    assert not (plan / "prod" / "order-approval.hcl").is_symlink()
    assert not (plan / "prod" / "gone.json").exists()
    assert len(list(plan.glob("*/*"))) == 12
    (plan / "staging").rename(tmp_path / "elsewhere")
    (plan / "staging").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UserError, match="not a plain folder"):
        write_plan(read_accesses(charts_in(charts)), plan, complete=True)


def access(**over: object) -> VaultAccess:
    base = dict(chart="a", env="prod", provider="vso", namespace="ns", service_account="a",
                address="http://v", kv_mount="kv", path="p/a", auth_mount="kubernetes",
                role="chartgen-a-prod", audience="vault", keys=("k",))  # fmt: skip
    return VaultAccess(**{**base, **over})  # type: ignore[arg-type]


def test_apply_compares_before_writing() -> None:
    fake = FakeVault(mounts={"kv": ("kv", "2")}, auth={"kubernetes": "kubernetes"})
    first = apply(fake, [access(), access(chart="b", role="chartgen-b-prod", path="p/b")])
    assert [c.action for c in first.changes] == ["created"] * 4 and first.error is None
    again = apply(fake, [access()])
    assert [c.action for c in again.changes] == ["unchanged", "unchanged"]
    fake.roles[("kubernetes", "chartgen-a-prod")]["audience"] = "other"
    assert [c.action for c in apply(fake, [access()]).changes] == ["unchanged", "updated"]
    assert fake.writes == 5


def test_apply_stops_at_the_first_refusal_and_keeps_what_it_did() -> None:
    fake = FakeVault(mounts={"kv": ("kv", "2")}, auth={"kubernetes": "kubernetes"}, refuse_roles=True)
    report = apply(fake, [access()])
    assert [(c.kind, c.action) for c in report.changes] == [("policy", "created")]
    assert report.error is not None and "role" in str(report.error)


def test_an_environment_reading_no_vault_secret_is_nothing_to_do(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "examples", repo, ignore=shutil.ignore_patterns("charts"))
    (repo / "profiles" / "qa.yaml").write_text(
        "extends: prod\nnamespace: workflows-qa\n"
        "secrets: {provider: existing, existingSecret: workflow-credentials}\n"
    )
    assert run_cli("-C", str(repo), "generate").code == 0
    for action in ("plan", "check"):
        result = run_cli("-C", str(repo), "vault", action, "--env", "qa")
        assert result.code == 0, result.err
        assert result.out == f"no chart reads a secret from Vault in environment qa: nothing to {action}\n"


def test_apply_refuses_an_auth_mount_no_pod_can_log_in_with_and_configures_it_when_told() -> None:
    fake = FakeVault(mounts={"kv": ("kv", "2")})
    refused = apply(fake, [access()], enable_mounts=True)
    assert [(c.kind, c.action) for c in refused.changes] == [("kubernetes auth", "enabled")]
    assert refused.error is not None and "auth/kubernetes/ is not configured (no kubernetes_host)" in str(
        refused.error
    )
    done = apply(fake, [access()], kubernetes=KubernetesAuth("https://api.acme.internal:6443"))
    assert [(c.kind, c.action) for c in done.changes] == [
        ("kubernetes auth config", "created"), ("policy", "created"), ("role", "created")
    ]  # fmt: skip
    assert fake.kubernetes_host("kubernetes") == "https://api.acme.internal:6443"


def test_check_says_what_each_charts_pods_would_miss() -> None:
    fake = FakeVault(mounts={"kv": ("kv", "2")}, auth={"kubernetes": "kubernetes"})
    ready, wrong, bare = (
        access(),
        access(chart="b", role="chartgen-b-prod", path="p/b"),
        access(chart="c", role="chartgen-c-prod", path="p/c", keys=("k", "j")),
    )
    assert apply(fake, [ready, wrong]).error is None
    for a in (ready, wrong, bare):
        fake.secrets[("kv", a.path)] = {"k": "x"}
    fake.roles[("kubernetes", "chartgen-b-prod")].update(audience="other", bound_service_account_names=["*"])
    fake.policies["chartgen-b-prod"] = 'path "kv/data/p/*" { capabilities = ["list"] }'
    found = {c.access.chart: c.lines() for c in check_accesses(fake, [ready, wrong, bare])}
    assert found == {
        "a": [],
        "b": [
            "role auth/kubernetes/role/chartgen-b-prod binds ServiceAccount * in namespace ns, not exactly a in ns",
            "role auth/kubernetes/role/chartgen-b-prod wants audience 'other', the pods send 'vault'",
            "policy chartgen-b-prod does not grant read on kv/data/p/b",
        ],
        "c": [
            "no role auth/kubernetes/role/chartgen-c-prod: `chartgen vault apply --env prod` writes it",
            "no policy chartgen-c-prod: `chartgen vault apply --env prod` writes it",
            "missing keys at kv/p/c: j",
        ],
    }
    fake.hosts["kubernetes"] = ""
    assert "is not configured" in check_accesses(fake, [ready])[0].lines()[0]


@pytest.mark.parametrize(
    ("hcl", "reads"),
    [
        ('path "kv/data/p/a" {\n  capabilities = ["read"]\n}', True),
        ('path "kv/data/*" { capabilities = ["read", "list"] }', True),
        ('path "kv/data/p/a" { capabilities = ["list"] }', False),
        (
            'path "kv/data/*" { capabilities = ["read"] }\npath "kv/data/p/a" { capabilities = ["deny"] }',
            False,
        ),
        ('path "kv/data/p/b" { capabilities = ["read"] }', False),
    ],
)
def test_a_policy_reads_a_path(hcl: str, reads: bool) -> None:
    assert grants_read(hcl, "kv/data/p/a") is reads
