"""`vault plan` reads the generated charts: names checked, refusals located, output stable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from chartgen.errors import UserError
from chartgen.flows.vault_plan import read_accesses
from chartgen.vault.access import VaultAccess
from chartgen.vault.reconcile import apply
from testing.fakes import FakeVault
from tests.conftest import REPO, run_cli


@pytest.fixture(scope="module")
def charts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("plan") / "repo"
    shutil.copytree(REPO / "examples", repo, ignore=shutil.ignore_patterns("charts"))
    assert run_cli("-C", str(repo), "generate").code == 0
    return repo / "charts"


def copy(charts: Path, tmp_path: Path) -> Path:
    target = tmp_path / "charts"
    shutil.copytree(charts, target)
    return target


def test_the_policy_reads_only_the_chart_path(charts: Path) -> None:
    (access,) = read_accesses(charts, ["prod"], ["order-approval"])
    assert access.policy_hcl() == (
        "# chartgen: chart order-approval, environment prod, namespace workflows-prod\n"
        'path "kv/data/workflows/prod/order-approval" {\n  capabilities = ["read"]\n}\n'
        'path "kv/metadata/workflows/prod/order-approval" {\n  capabilities = ["read"]\n}\n'
    )
    assert access.role_settings() == {
        "bound_service_account_names": ["order-approval"],
        "bound_service_account_namespaces": ["workflows-prod"],
        "audience": "vault",
        "token_policies": ["chartgen-order-approval-prod"],
        "token_ttl": 900,
        "token_max_ttl": 3600,
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
        read_accesses(charts, ["prod"], prefix="acme-")
    messages = [d.message for d in refused.value.diagnostics]
    assert len(messages) == 3
    assert messages[0].startswith(
        "chart 'invoice-sync' environment 'prod': Vault role 'chartgen-invoice-sync-prod' does not start "
        "with 'acme-' (chartgen.yaml vault.prefix)"
    )


def test_a_shared_role_or_path_is_refused(charts: Path, tmp_path: Path) -> None:
    target = copy(charts, tmp_path)
    values = target / "shipment-tracker/values-prod.yaml"
    text = values.read_text().replace("chartgen-shipment-tracker-prod", "chartgen-order-approval-prod")
    values.write_text(text.replace("workflows/prod/shipment-tracker", "workflows/prod/order-approval"))
    with pytest.raises(UserError) as refused:
        read_accesses(target, ["prod"])
    assert [d.message for d in refused.value.diagnostics] == [
        "role 'chartgen-order-approval-prod' is planned for both order-approval/prod and shipment-tracker/prod: "
        "each chart and environment needs its own (placeholders {workflow} and {env} in the profile)",
        "secret path 'kv/workflows/prod/order-approval' is planned for both order-approval/prod and "
        "shipment-tracker/prod: each chart and environment needs its own (placeholders {workflow} and {env} "
        "in the profile)",
    ]


def test_a_hand_edited_values_file_is_located(charts: Path, tmp_path: Path) -> None:
    target = copy(charts, tmp_path)
    values = target / "order-approval/values-prod.yaml"
    values.write_text(values.read_text().replace("path: workflows/prod/order-approval", 'path: "../../sys"'))
    data = target / "invoice-sync/files/chartgen-data.yaml"
    data.write_text(data.read_text().replace("- billing_api_token", '- "a\\nb"', 1))
    with pytest.raises(UserError) as refused:
        read_accesses(target, ["prod"])
    shown = [str(d) for d in refused.value.diagnostics]
    assert any("values-prod.yaml" in s and "vault.path" in s for s in shown), shown
    assert any("chartgen-data.yaml" in s and "secretKeys" in s for s in shown), shown


def test_an_unknown_env_or_chart_is_named(charts: Path) -> None:
    with pytest.raises(UserError, match="--env qa: no chart has it"):
        read_accesses(charts, ["qa"])
    with pytest.raises(UserError, match="--chart nope: no production chart"):
        read_accesses(charts, [], ["nope"])


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
