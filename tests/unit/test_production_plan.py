"""Production plan decisions: persistence, eventing, scaling, secrets, credentials, Kubernetes API,
large specs and the SonataFlow CR flow, on real trees through `chartgen generate`."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.errors import Diagnostics
from chartgen.formats.credentials import is_credential
from chartgen.formats.properties import PropertiesFile
from chartgen.plan.credentials import Credential, env_name, externalize
from chartgen.plan.facts import cr_flow
from chartgen.plan.minify import dump_spec, minify_openapi
from chartgen.profile.loader import deep_merge
from chartgen.workflow.context import Context
from chartgen.workflow.loader import load_workflow_file
from chartgen.workflow.model import CONFIG_MAP_BUDGET, Project
from chartgen.workflow.validate import check_consumed_event_types
from testing.repo import CliResult, run_cli
from testing.trees import GREETING, PROFILES_BASIC, build_tree, snapshot

# A base every production profile can run a waiting, event-driven, secret-using project on.
FULL_BASE = """
    image:
      repository: registry.example.com/wf/{workflow}
      tag: "{version}"
    persistence:
      postgresql: {host: pg.db.svc, database: workflows}
    eventing: {deadLetterSink: "http://dlq.example.svc"}
    jobService: {url: "http://jobs-service.platform.svc.cluster.local"}
    secrets:
      vault: {address: "https://vault.example.com:8200"}
    networkPolicy:
      ingress: [{namespace: clients}]
"""
PROFILES_FULL = {**PROFILES_BASIC, "profiles/base.yaml": FULL_BASE}
PRODUCTION_ENVS = ("prod", "staging")
SENTINEL = "SENTINEL-7f3a9c21"
FAST_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def rewrite(text: str, optional: bool = False) -> tuple[str, list[Credential]]:
    """externalize() of a properties text, as text."""
    props, found = externalize(PropertiesFile(text), optional)
    return props.text, found


SLEEPER = """
    id: napper
    version: "1.0"
    specVersion: "0.8"
    start: Nap
    states:
      - name: Nap
        type: sleep
        duration: PT5M
        end: true
"""
CALLBACK = """
    id: approval
    version: "1.0"
    specVersion: "0.8"
    start: Ask
    events:
      - name: approved
        type: com.example.approved
        source: /approvals
    functions:
      - name: log
        type: custom
        operation: sysout
    states:
      - name: Ask
        type: callback
        action:
          functionRef:
            refName: log
            arguments:
              message: asking
        eventRef: approved
        end: true
"""
EVENT_STATE = """
    id: orders
    version: "1.0"
    specVersion: "0.8"
    start: OnOrder
    events:
      - name: order
        type: com.example.order
        source: /shop
    states:
      - name: OnOrder
        type: event
        onEvents:
          - eventRefs: [order]
        end: true
"""
EVENT_TIMEOUT = GREETING.replace(
    "        type: operation\n",
    "        type: operation\n        timeouts:\n          eventTimeout: PT30S\n",
)
EXEC_TIMEOUT = GREETING.replace(
    "    start: Greet\n", "    start: Greet\n    timeouts:\n      workflowExecTimeout: PT1H\n"
)

DB_ENV = env_name("quarkus.datasource.password")
CLIENT_ENV = env_name("client-secret")


def repo(root: Path, extra: Mapping[str, str | bytes] | None = None, full: bool = True) -> Path:
    files: dict[str, str | bytes] = {
        "chartgen.yaml": "name: acme\n",
        "workflows/greet/greeting.sw.yaml": GREETING,
        **(PROFILES_FULL if full else PROFILES_BASIC),
    }
    return build_tree(root, {**files, **(extra or {})})


def profile(text: str) -> str:
    """A production profile extending base (for `profiles/prod.yaml`)."""
    return "extends: base\nmode: production\nnamespace: wf-prod\n" + textwrap.dedent(text).lstrip("\n")


def generate(root: Path, extra: Mapping[str, str | bytes] | None = None, full: bool = True) -> CliResult:
    repo(root, extra, full)
    return run_cli("generate")


def refused(root: Path, result: CliResult, code: int = 1) -> None:
    """Nothing written; exit 1 for bad input, 2 when a production rule refused well-formed input."""
    assert result.code == code, result.err
    assert "nothing was written" in result.err
    assert not (root / "charts").exists()


def values_of(root: Path, env: str, chart: str = "greet") -> dict[str, Any]:
    """An environment's values as Helm sees them: values.yaml + values-<env>.yaml (null deletes)."""
    folder = root / "charts" / chart
    base = yaml.safe_load((folder / "values.yaml").read_text())
    env_file = folder / f"values-{env}.yaml"
    merged = deep_merge(base, (yaml.safe_load(env_file.read_text()) or {}) if env_file.exists() else {})
    return {k: v for k, v in merged.items() if v is not None}


def env_of(root: Path, env: str, chart: str = "greet") -> dict[str, Any]:
    """What chartgen decided for one environment of a chart (its data file)."""
    planned: dict[str, Any] = data_of(root, chart)["environments"][env]
    return planned


def data_of(root: Path, chart: str = "greet") -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (root / "charts" / chart / "files/chartgen-data.yaml").read_text()
    )
    return loaded


# -- 1. persistence --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flow", "reason"),
    [
        (CALLBACK, "workflow 'approval': state 'Ask' is a callback (waits for an event)"),
        (SLEEPER, "workflow 'napper': state 'Nap' sleeps PT5M"),
        (EVENT_STATE, "workflow 'orders': state 'OnOrder' waits for events"),
        (EVENT_TIMEOUT, "workflow 'greeting': state 'Greet' has eventTimeout PT30S"),
        (EXEC_TIMEOUT, "workflow 'greeting': workflowExecTimeout PT1H"),
    ],
    ids=["callback", "sleep", "event-state", "eventTimeout", "workflowExecTimeout"],
)
def test_waiting_workflow_gets_persistence_in_every_env(tmp_path: Path, flow: str, reason: str) -> None:
    result = generate(tmp_path, {"workflows/greet/greeting.sw.yaml": flow})
    assert result.code == 0, result.err
    assert data_of(tmp_path)["waits"] == [reason]
    for env in PRODUCTION_ENVS:
        assert env_of(tmp_path, env)["persistence"] is True, env
        assert values_of(tmp_path, env)["persistence"]["host"] == "pg.db.svc", env


JOBS = "http://jobs-service.platform.svc.cluster.local"
PLATFORM = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "platform"}}}


def test_timers_go_to_the_platforms_jobs_service_which_may_call_back(tmp_path: Path) -> None:
    result = generate(tmp_path, {"workflows/greet/greeting.sw.yaml": SLEEPER})
    assert result.code == 0, result.err
    assert data_of(tmp_path)["timers"] == ["workflow 'napper': state 'Nap' sleeps PT5M"]
    for env in PRODUCTION_ENVS:
        assert values_of(tmp_path, env)["jobService"] == {"url": JOBS}
        rules = env_of(tmp_path, env)["networkPolicy"]
        assert {"from": [PLATFORM], "ports": [{"port": 8080, "protocol": "TCP"}]} in rules["ingress"]
        assert {"to": [PLATFORM], "ports": [{"port": 80, "protocol": "TCP"}]} in rules["egress"]


def test_timers_without_a_jobs_service_are_refused_whatever_the_replicas(tmp_path: Path) -> None:
    base = FULL_BASE.replace(f'    jobService: {{url: "{JOBS}"}}\n', "")
    single = profile("scaling: {enabled: false, minReplicas: 1}\n")
    result = generate(
        tmp_path,
        {
            "workflows/greet/greeting.sw.yaml": SLEEPER,
            "profiles/base.yaml": base,
            "profiles/prod.yaml": single,
        },
    )
    refused(tmp_path, result)
    assert (
        "profiles/prod.yaml:2:7: error: profile 'prod': chart 'greet' has timers (workflow 'napper': "
        "state 'Nap' sleeps PT5M): set platform.jobService: true (or jobService.url) for a Jobs Service"
    ) in result.err
    assert "profile 'staging': chart 'greet' has timers" in result.err


def test_wait_reasons_of_the_model(tmp_path: Path) -> None:
    build_tree(tmp_path, {"a/napper.sw.yaml": SLEEPER})
    diag = Diagnostics()
    napper = load_workflow_file(tmp_path / "a/napper.sw.yaml", tmp_path / "a", diag)
    assert napper is not None
    assert napper.wait_reasons == ["state 'Nap' sleeps PT5M"]
    obj = EXEC_TIMEOUT.replace("workflowExecTimeout: PT1H", "workflowExecTimeout: {duration: PT2H}")
    build_tree(tmp_path, {"a/greeting.sw.yaml": obj})
    greeting = load_workflow_file(tmp_path / "a/greeting.sw.yaml", tmp_path / "a", diag)
    assert greeting is not None
    assert greeting.wait_reasons == ["workflowExecTimeout PT2H"]
    plain = build_tree(tmp_path, {"a/plain.sw.yaml": GREETING}) / "a/plain.sw.yaml"
    loaded = load_workflow_file(plain, tmp_path / "a", diag)
    assert loaded is not None
    assert loaded.wait_reasons == []
    assert not diag.errors


def test_non_waiting_workflow_has_no_persistence(tmp_path: Path) -> None:
    result = generate(tmp_path)
    assert result.code == 0, result.err
    assert data_of(tmp_path)["waits"] == []
    for env in PRODUCTION_ENVS:
        assert env_of(tmp_path, env)["persistence"] is False, env
        assert "persistence" not in values_of(tmp_path, env), env  # values it does not use are left out


def test_disabling_persistence_for_a_waiting_workflow_is_refused(tmp_path: Path) -> None:
    prod = profile(
        """
        persistence:
          enabled: false
        """
    )
    result = generate(tmp_path, {"workflows/greet/greeting.sw.yaml": SLEEPER, "profiles/prod.yaml": prod})
    refused(tmp_path, result, code=2)
    assert (
        "profiles/prod.yaml:5:12: error: profile 'prod' disables persistence, but in chart 'greet' "
        "workflow 'napper': state 'Nap' sleeps PT5M: its instances would be lost on restart"
    ) in result.err
    assert "profile 'staging' disables" not in result.err


def test_waiting_workflow_without_a_database_is_refused(tmp_path: Path) -> None:
    result = generate(tmp_path, {"workflows/greet/greeting.sw.yaml": SLEEPER}, full=False)
    refused(tmp_path, result)
    for env in PRODUCTION_ENVS:
        assert (
            f"profiles/{env}.yaml:2:1: error: profile '{env}' needs persistence.postgresql "
            "(host, database missing): in chart 'greet' workflow 'napper': state 'Nap' sleeps PT5M"
        ) in result.err


def test_waiting_workflow_with_only_a_host_names_the_database(tmp_path: Path) -> None:
    prod = profile(
        """
        persistence:
          postgresql: {host: pg.db.svc}
        """
    )
    extra = {"workflows/greet/greeting.sw.yaml": SLEEPER, "profiles/prod.yaml": prod}
    result = generate(tmp_path, extra, full=False)
    refused(tmp_path, result)
    assert (
        "profiles/prod.yaml:5:3: error: profile 'prod' needs persistence.postgresql (database missing)"
    ) in result.err


# -- 2. eventing -----------------------------------------------------------------------------------

ORDERS_TWICE = (
    EVENT_STATE.replace("id: orders", "id: orders-audit")
    .replace("name: order\n", "name: audit\n")
    .replace("[order]", "[audit]")
)
PRODUCER = """
    id: shipper
    version: "1.0"
    specVersion: "0.8"
    start: Ship
    events:
      - name: shipped
        type: com.example.shipped
        kind: produced
      - name: order-b2b
        type: com.example.order
        source: /b2b
    states:
      - name: Ship
        type: event
        onEvents:
          - eventRefs: [order-b2b]
        end:
          produceEvents:
            - eventRef: shipped
"""
PRODUCER_ONLY = """
    id: notifier
    version: "1.0"
    specVersion: "0.8"
    start: Notify
    events:
      - name: noted
        type: com.example.noted
        kind: produced
    states:
      - name: Notify
        type: inject
        data: {}
        end:
          produceEvents:
            - eventRef: noted
"""


def test_consumed_events_without_a_dead_letter_sink_are_refused(tmp_path: Path) -> None:
    extra = {
        "workflows/greet/greeting.sw.yaml": EVENT_STATE,
        "profiles/base.yaml": FULL_BASE.replace(
            '    eventing: {deadLetterSink: "http://dlq.example.svc"}\n', ""
        ),
        "profiles/prod.yaml": profile("eventing: {retries: 3}\n"),
    }
    result = generate(tmp_path, extra)
    refused(tmp_path, result)
    assert (
        "profiles/prod.yaml:4:11: error: profile 'prod' has no eventing.deadLetterSink: chart 'greet' "
        "consumes com.example.order, and undeliverable events must go somewhere"
    ) in result.err
    assert "profiles/staging.yaml:2:1: error: profile 'staging' has no eventing.deadLetterSink" in result.err


def test_disabling_eventing_with_events_is_refused(tmp_path: Path) -> None:
    extra = {
        "workflows/greet/greeting.sw.yaml": EVENT_STATE,
        "profiles/prod.yaml": profile("eventing:\n  enabled: false\n"),
    }
    result = generate(tmp_path, extra)
    refused(tmp_path, result, code=2)
    assert (
        "profiles/prod.yaml:5:12: error: profile 'prod' disables eventing, but chart 'greet' handles events"
    ) in result.err
    assert "staging" not in result.err


def test_producing_only_with_eventing_disabled_is_refused(tmp_path: Path) -> None:
    extra = {
        "workflows/greet/greeting.sw.yaml": PRODUCER_ONLY,
        "profiles/prod.yaml": profile("eventing:\n  enabled: false\n"),
    }
    result = generate(tmp_path, extra)
    refused(tmp_path, result, code=2)
    assert "error: profile 'prod' disables eventing, but chart 'greet' handles events" in result.err


def test_projects_without_events_need_no_eventing_settings(tmp_path: Path) -> None:
    result = generate(tmp_path, full=False)
    assert result.code == 0, result.err
    assert data_of(tmp_path)["events"] == {"consumed": [], "produced": []}
    assert "eventing" not in result.err


def test_consumed_events_are_listed_once_per_type_and_receiving_workflow(tmp_path: Path) -> None:
    extra = {
        "workflows/greet/greeting.sw.yaml": EVENT_STATE,
        "workflows/greet/audit.sw.yaml": ORDERS_TWICE,
        "workflows/greet/shipper.sw.yaml": PRODUCER,
    }
    result = generate(tmp_path, extra)
    assert result.code == 0, result.err
    events = data_of(tmp_path)["events"]
    consumed = events["consumed"]
    # Sources are not part of it: the runtime matches events by type.
    assert [(e["type"], e["subscriber"], e["firstOfType"]) for e in consumed] == [
        ("com.example.order", "orders", True),
        ("com.example.order", "orders-audit", False),
        ("com.example.order", "shipper", False),
    ]
    assert events["produced"] == ["com.example.shipped"]
    names = [e["trigger"] for e in consumed]
    assert len(set(names)) == 3
    for name in names:
        assert name.startswith("greet-com-example-order-")
        assert len(name) <= 63
    # Stable: the same (type, workflow) gets the same name from a different tree.
    other = tmp_path / "other"
    build_tree(
        other,
        {"chartgen.yaml": "name: acme\n", "workflows/greet/orders.sw.yaml": EVENT_STATE, **PROFILES_FULL},
    )
    assert run_cli("-C", str(other), "generate").code == 0
    [alone] = data_of(other)["events"]["consumed"]
    assert alone["trigger"] == names[0]
    assert alone["subscriber"] == "orders"


def test_producing_only_needs_no_dead_letter_sink(tmp_path: Path) -> None:
    result = generate(tmp_path, {"workflows/greet/greeting.sw.yaml": PRODUCER_ONLY}, full=False)
    assert result.code == 0, result.err
    assert data_of(tmp_path)["events"] == {"consumed": [], "produced": ["com.example.noted"]}


# -- 3. scaling ------------------------------------------------------------------------------------


def test_a_single_replica_is_refused(tmp_path: Path) -> None:
    result = generate(
        tmp_path, {"profiles/prod.yaml": profile("scaling: {minReplicas: 1, maxReplicas: 3}\n")}
    )
    refused(tmp_path, result, code=2)
    assert (
        "profiles/prod.yaml:4:24: error: profile 'prod': scaling.minReplicas must be at least 2 (a single "
        "replica is not highly available; set scaling.enabled: false for a fixed count)"
    ) in result.err


def test_a_single_fixed_replica_is_allowed_with_scaling_disabled(tmp_path: Path) -> None:
    prod = profile("scaling: {enabled: false, minReplicas: 1, maxReplicas: 1}\n")
    result = generate(tmp_path, {"profiles/prod.yaml": prod})
    assert result.code == 0, result.err
    values = values_of(tmp_path, "prod")
    assert env_of(tmp_path, "prod")["hpa"] is False
    assert env_of(tmp_path, "prod")["pdb"] is False  # one pod: a PDB would only block node drains
    assert "autoscaling" not in values
    assert values["replicaCount"] == 1


def test_max_replicas_not_above_min_is_refused(tmp_path: Path) -> None:
    result = generate(
        tmp_path, {"profiles/prod.yaml": profile("scaling: {minReplicas: 3, maxReplicas: 3}\n")}
    )
    refused(tmp_path, result)
    assert (
        "profiles/prod.yaml:4:40: error: profile 'prod': scaling.maxReplicas (3) must be greater than "
        "minReplicas (3)"
    ) in result.err


def sonataflow(version: str) -> str:
    return profile(f'runtime: sonataflow\noperatorVersion: "{version}"\n')


def test_old_sonataflow_operator_warns_about_fixed_replicas(tmp_path: Path) -> None:
    result = generate(tmp_path, {"profiles/prod.yaml": sonataflow("1.36")})
    assert result.code == 0, result.err
    assert (
        "profiles/prod.yaml:5:18: warning: chart 'greet' in 'prod': SonataFlow operator 1.36 has no scale "
        "subresource (needs 1.37+), so no HPA: fixed replicas (scaling.minReplicas)"
    ) in result.err
    planned = env_of(tmp_path, "prod")
    assert planned["runtime"] == "sonataflow"
    assert planned["hpa"] is False
    assert values_of(tmp_path, "prod")["replicaCount"] == 2


def test_new_sonataflow_operator_scales_without_warning(tmp_path: Path) -> None:
    result = generate(tmp_path, {"profiles/prod.yaml": sonataflow("1.37")})
    assert result.code == 0, result.err
    assert "scale subresource" not in result.err
    assert "warning" not in result.err
    assert env_of(tmp_path, "prod")["hpa"] is True
    assert "replicaCount" not in values_of(tmp_path, "prod")


def test_pod_annotations_are_refused_under_the_sonataflow_runtime(tmp_path: Path) -> None:
    """The operator builds a SonataFlow's pods with its labels, never its annotations."""
    result = generate(
        tmp_path,
        {
            "profiles/prod.yaml": sonataflow("1.37")
            + "podAnnotations: {team: billing}\npodLabels: {team: billing}\n"
        },
    )
    refused(tmp_path, result)
    assert (
        "profiles/prod.yaml:6:1: error: profile 'prod': podAnnotations cannot reach the pods under runtime "
        "sonataflow"
    ) in result.err
    assert result.err.count(".yaml:") == 1  # podLabels are fine: the operator copies them


# -- 4. secrets ------------------------------------------------------------------------------------

NO_VAULT_BASE = """
    image:
      repository: registry.example.com/wf/{workflow}
      tag: "{version}"
    networkPolicy:
      ingress: [{namespace: clients}]
"""
SECRET_USE = GREETING.replace('"${ .name }"', '"${ $SECRET.api_key }"')
SECRET_DECLARED = GREETING.replace("    start: Greet\n", "    start: Greet\n    secrets: [api_key]\n")


@pytest.mark.parametrize(
    "extra",
    [
        {"workflows/greet/greeting.sw.yaml": SECRET_USE},
        {"workflows/greet/greeting.sw.yaml": SECRET_DECLARED},
        {"workflows/greet/secret.properties": f"api_key={SENTINEL}\n"},
    ],
    ids=["$SECRET", "secrets", "secret.properties"],
)
def test_secrets_without_a_vault_address_are_refused(tmp_path: Path, extra: dict[str, str]) -> None:
    result = generate(tmp_path, {"profiles/base.yaml": NO_VAULT_BASE, **extra})
    refused(tmp_path, result)
    for env in PRODUCTION_ENVS:
        assert (
            f"profiles/{env}.yaml:2:1: error: profile '{env}': secrets.vault.address is required for "
            "provider 'vso' (chart 'greet' uses secrets: api_key)"
        ) in result.err
    assert SENTINEL not in result.err + result.out


def test_existing_provider_without_a_secret_name_is_refused(tmp_path: Path) -> None:
    extra = {
        "workflows/greet/greeting.sw.yaml": SECRET_USE,
        "profiles/prod.yaml": profile("secrets:\n  provider: existing\n"),
    }
    result = generate(tmp_path, extra)
    refused(tmp_path, result)
    assert (
        "profiles/prod.yaml:5:13: error: profile 'prod': secrets.provider 'existing' needs "
        "secrets.existingSecret (chart 'greet' uses secrets)"
    ) in result.err
    assert "staging" not in result.err


def test_existing_provider_with_a_secret_name_needs_no_vault(tmp_path: Path) -> None:
    extra = {
        "workflows/greet/greeting.sw.yaml": SECRET_USE,
        "profiles/base.yaml": NO_VAULT_BASE,
        "profiles/staging.yaml": profile("secrets: {provider: existing, existingSecret: greet-secrets}\n"),
        "profiles/prod.yaml": profile("secrets: {provider: existing, existingSecret: greet-secrets}\n"),
    }
    result = generate(tmp_path, extra)
    assert result.code == 0, result.err
    planned = env_of(tmp_path, "prod")
    assert (planned["provider"], planned["secretName"]) == ("existing", "greet-secrets")
    assert "vault" not in values_of(tmp_path, "prod")


def test_no_secrets_and_no_waiting_need_no_secret_settings(tmp_path: Path) -> None:
    result = generate(tmp_path, {"profiles/base.yaml": NO_VAULT_BASE})
    assert result.code == 0, result.err
    for env in PRODUCTION_ENVS:
        assert env_of(tmp_path, env)["secretKeys"] == []
        assert env_of(tmp_path, env)["provider"] == "none"
    assert result.err == ""


def test_waiting_workflow_needs_vault_for_database_credentials(tmp_path: Path) -> None:
    base = NO_VAULT_BASE + "    persistence:\n      postgresql: {host: pg.db.svc, database: workflows}\n"
    result = generate(tmp_path, {"workflows/greet/greeting.sw.yaml": SLEEPER, "profiles/base.yaml": base})
    refused(tmp_path, result)
    assert (
        "profiles/prod.yaml:2:1: error: profile 'prod': secrets.vault.address is required for provider "
        "'vso' (chart 'greet' uses secrets: database credentials)"
    ) in result.err


def test_secret_keys_are_the_union_of_every_source_and_values_never_leak(tmp_path: Path) -> None:
    declared = SECRET_USE.replace(
        "    start: Greet\n", "    start: Greet\n    secrets: [api_key, declared_only]\n"
    )
    extra = {
        "workflows/greet/greeting.sw.yaml": declared,
        "workflows/greet/secret.properties": f"from_file={SENTINEL}-a\napi_key={SENTINEL}-b\n",
        "workflows/greet/application.properties": (
            f"quarkus.log.level=INFO\nquarkus.datasource.password={SENTINEL}-c\n"
        ),
    }
    result = generate(tmp_path, extra)
    assert result.code == 0, result.err
    planned = env_of(tmp_path, "prod")
    assert planned["secretKeys"] == ["api_key", "declared_only", "from_file", "quarkus.datasource.password"]
    assert {b["key"]: b["env"] for b in planned["secretBindings"]} == {
        "api_key": "API_KEY",
        "declared_only": "DECLARED_ONLY",
        "from_file": "FROM_FILE",
        "quarkus.datasource.password": DB_ENV,
    }
    for path, content in snapshot(tmp_path / "charts").items():
        assert SENTINEL.encode() not in content, path
    assert SENTINEL not in result.out + result.err


def test_invalid_secret_properties_key_is_located_without_its_value(tmp_path: Path) -> None:
    props = f"good_key=1\nbad\\ key!={SENTINEL}\n"
    result = generate(tmp_path, {"workflows/greet/secret.properties": props})
    refused(tmp_path, result)
    assert (
        "workflows/greet/secret.properties:2:1: error: 'secret key' must be a Secret key "
        "([-._a-zA-Z0-9], not '.' or '..'); got 'bad\\\\ key!'"
    ) in result.err
    assert SENTINEL not in result.out + result.err


# -- 5. credentials in application.properties -----------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "client-secret",
        "x.bearer-token",
        "quarkus.oidc-client.a.credentials.client-secret.value",
        "%prod.quarkus.datasource.password",
    ],
)
def test_credential_names(name: str) -> None:
    assert is_credential(name) is True


@pytest.mark.parametrize(
    "name", ["client-secret.method", "token-propagation", "quarkus.oidc.token.header", "token-path"]
)
def test_not_credential_names(name: str) -> None:
    assert is_credential(name) is False


PROPS = (
    "# datasource\n"
    "quarkus.datasource.username=app\n"
    "quarkus.datasource.password = s3cr3t\n"
    "api.token=${API_TOKEN}\n"
    "empty.password=\n"
    "blank.password=   \n"
    "client-secret=abc\\\n"
    "    def\n"
    "quarkus.oidc.client-secret.method=post\n"
    "! the end\n"
    "last.key=1\n"
)


def test_externalize_rewrites_only_literal_credentials() -> None:
    text, found = rewrite(PROPS)
    assert text.splitlines(keepends=True) == [
        "# datasource\n",
        "quarkus.datasource.username=app\n",
        "quarkus.datasource.password=${" + DB_ENV + "}\n",
        "api.token=${API_TOKEN}\n",
        "empty.password=\n",
        "blank.password=   \n",
        "client-secret=${" + CLIENT_ENV + "}\n",
        "quarkus.oidc.client-secret.method=post\n",
        "! the end\n",
        "last.key=1\n",
    ]
    assert [(c.property, c.secret_key, c.env, c.line) for c in found] == [
        ("quarkus.datasource.password", "quarkus.datasource.password",
         DB_ENV, 3),
        ("client-secret", "client-secret", CLIENT_ENV, 7),
    ]  # fmt: skip
    assert "s3cr3t" not in text
    assert "abc" not in text


def test_externalize_optional_falls_back_to_empty() -> None:
    text, found = rewrite(PROPS, optional=True)
    assert "quarkus.datasource.password=${" + DB_ENV + ":}\n" in text
    assert "client-secret=${" + CLIENT_ENV + ":}\n" in text
    assert "api.token=${API_TOKEN}\n" in text
    assert len(found) == 2


def test_externalize_without_credentials_is_byte_identical() -> None:
    text = "a=1\r\nb = two\\\r\n  three\r\n# password=x\r\n"
    assert rewrite(text) == (text, [])


def test_distinct_credentials_get_distinct_env_vars() -> None:
    _, found = rewrite("a.password=one\na-password=two\n")
    assert len({c.secret_key for c in found}) == 2
    assert len({c.env for c in found}) == 2


def test_generated_charts_never_carry_a_literal_credential(tmp_path: Path) -> None:
    props = f"quarkus.log.level=INFO\nquarkus.datasource.password={SENTINEL}\n"
    result = generate(tmp_path, {"workflows/greet/application.properties": props})
    assert result.code == 0, result.err
    assert (
        "workflows/greet/application.properties:2:1: warning: property 'quarkus.datasource.password' holds a "
        "literal credential: the chart reads it from Secret key 'quarkus.datasource.password' instead (put "
        "the value in Vault); the value is not copied"
    ) in result.err
    for path, content in snapshot(tmp_path / "charts").items():
        assert SENTINEL.encode() not in content, path
    assert SENTINEL not in result.out + result.err
    production = (tmp_path / "charts/greet/files/config/application.properties").read_text()
    assert production == ("quarkus.log.level=INFO\nquarkus.datasource.password=${" + DB_ENV + "}\n")
    dev = (tmp_path / "charts/acme-dev/files/config/application.properties").read_text()
    assert "quarkus.datasource.password=${" + DB_ENV + ":}\n" in dev
    [dev_env] = data_of(tmp_path, "acme-dev")["environments"].values()
    assert dev_env["secretBindings"] == [
        {"key": "quarkus.datasource.password", "env": DB_ENV, "property": DB_ENV}
    ]


# -- 6. Kubernetes API -----------------------------------------------------------------------------

OTHER = GREETING.replace("id: greeting", "id: other")
APPS_RULE = {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list"]}


def grant(rules: list[dict[str, Any]], chart: str = "greet") -> str:
    return profile(f"rbac:\n  kubernetesApi:\n    {chart}: {json.dumps(rules)}\n")


def test_kubernetes_api_rules_go_to_that_chart_only(tmp_path: Path) -> None:
    extra = {"workflows/other/other.sw.yaml": OTHER, "profiles/prod.yaml": grant([APPS_RULE])}
    result = generate(tmp_path, extra)
    assert result.code == 0, result.err
    assert env_of(tmp_path, "prod")["kubernetesApi"] == [APPS_RULE]
    assert env_of(tmp_path, "staging")["kubernetesApi"] == []
    assert env_of(tmp_path, "prod", "other")["kubernetesApi"] == []
    assert env_of(tmp_path, "staging", "other")["kubernetesApi"] == []


def test_kubernetes_api_rules_can_grant_the_core_group(tmp_path: Path) -> None:
    rule = {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}
    result = generate(tmp_path, {"profiles/prod.yaml": grant([rule])})
    assert result.code == 0, result.err
    assert env_of(tmp_path, "prod")["kubernetesApi"] == [rule]


@pytest.mark.parametrize(
    ("rule", "field", "what"),
    [
        ({"apiGroups": ["core"], "resources": ["secrets"], "verbs": ["get"]}, "resources", "secrets"),
        ({"apiGroups": ["core"], "resources": ["pods/exec"], "verbs": ["create"]}, "resources", "pods/exec"),
        (
            {"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["create"]},
            "resources",
            "pods/portforward",
        ),
        ({"apiGroups": ["apps"], "resources": ["*"], "verbs": ["get"]}, "resources", "*"),
        ({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["*"]}, "verbs", "*"),
        ({"apiGroups": ["*"], "resources": ["deployments"], "verbs": ["get"]}, "apiGroups", "*"),
        (
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["escalate"]},
            "verbs",
            "escalate",
        ),
        (
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["bind"]},
            "verbs",
            "bind",
        ),
        ({"apiGroups": ["core"], "resources": ["users"], "verbs": ["impersonate"]}, "verbs", "impersonate"),
        ({"apiGroups": [""], "resources": ["*/exec"], "verbs": ["create"]}, "resources", "*/exec"),
        ({"apiGroups": [""], "resources": ["*/attach"], "verbs": ["get"]}, "resources", "*/attach"),
        ({"apiGroups": [""], "resources": ["*/portforward"], "verbs": ["get"]}, "resources", "*/portforward"),
        ({"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "create"]}, "resources", "pods"),
        (
            {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
            "resources",
            "serviceaccounts/token",
        ),
    ],
    ids=[
        "secrets",
        "pods-exec",
        "pods-portforward",
        "resource-star",
        "verb-star",
        "group-star",
        "escalate",
        "bind",
        "impersonate",
        "star-exec",
        "star-attach",
        "star-portforward",
        "pods-create",
        "token-create",
    ],
)
def test_dangerous_kubernetes_api_rules_are_refused(
    tmp_path: Path, rule: dict[str, Any], field: str, what: str
) -> None:
    """Refused where the profile is read: one rule, one place (the values schema has no rules)."""
    result = generate(tmp_path, {"profiles/prod.yaml": grant([APPS_RULE, rule])})
    refused(tmp_path, result, code=2)
    assert (
        f"error: 'rbac.kubernetesApi.greet.1.{field}.0' must not be '{what}': never granted to a workflow runtime"
    ) in result.err
    assert result.err.startswith("profiles/prod.yaml:6:")
    assert "greet.0" not in result.err


def kube_spec(route: str) -> str:
    return f"""
        openapi: 3.0.3
        info: {{title: kube, version: v1}}
        paths:
          "{route}":
            get:
              operationId: readThing
              responses:
                "200": {{description: ok}}
    """


KUBE_CALLER = """
    id: kubecaller
    version: "1.0"
    specVersion: "0.8"
    start: Read
    functions:
      - name: readThing
        type: rest
        operation: specs/kube.yaml#readThing
    states:
      - name: Read
        type: operation
        actions:
          - functionRef: readThing
        end: true
"""


@pytest.mark.parametrize(
    "route", ["/api/v1/namespaces/{ns}", "/apis/apps/v1/namespaces/{ns}/deployments"], ids=["core", "apps"]
)
def test_calling_the_kubernetes_api_without_a_grant_warns(tmp_path: Path, route: str) -> None:
    extra = {
        "workflows/greet/greeting.sw.yaml": KUBE_CALLER,
        "workflows/greet/specs/kube.yaml": kube_spec(route),
    }
    result = generate(tmp_path, extra)
    assert result.code == 0, result.err
    call = f"workflow 'kubecaller' function 'readThing' ({route})"
    for env in PRODUCTION_ENVS:
        assert (
            f"profiles/{env}.yaml:2:1: warning: chart 'greet': {call} calls the Kubernetes API, but profile "
            f"'{env}' grants no rbac.kubernetesApi.greet rules: the runtime gets no ServiceAccount token "
            "and must bring its own credentials"
        ) in result.err
    assert data_of(tmp_path)["kubernetesApiCalls"] == [call]


def test_calling_the_kubernetes_api_with_a_grant_does_not_warn(tmp_path: Path) -> None:
    extra = {
        "workflows/greet/greeting.sw.yaml": KUBE_CALLER,
        "workflows/greet/specs/kube.yaml": kube_spec("/apis/apps/v1/namespaces/{ns}/deployments"),
        "profiles/staging.yaml": grant([APPS_RULE]).replace("wf-prod", "wf-staging"),
        "profiles/prod.yaml": grant([APPS_RULE]),
    }
    result = generate(tmp_path, extra)
    assert result.code == 0, result.err
    assert "Kubernetes API" not in result.err
    assert len(data_of(tmp_path)["kubernetesApiCalls"]) == 1


def test_other_rest_paths_are_not_kubernetes_api_calls(tmp_path: Path) -> None:
    extra = {
        "workflows/greet/greeting.sw.yaml": KUBE_CALLER,
        "workflows/greet/specs/kube.yaml": kube_spec("/apis"),
    }
    result = generate(tmp_path, extra)
    assert result.code == 0, result.err
    assert "Kubernetes API" not in result.err
    assert data_of(tmp_path)["kubernetesApiCalls"] == []


# -- 7. large specs --------------------------------------------------------------------------------


def ok(ref: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": "ok"}
    if ref:
        response["content"] = {"application/json": {"schema": {"$ref": ref}}}
    return {"200": response}


SCHEMAS = {
    "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
    "B": {"type": "array", "items": {"$ref": "#/components/schemas/C"}},
    "C": {"type": "string"},
    "Unused": {"type": "object", "properties": {"c": {"$ref": "#/components/schemas/C"}}},
}
ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def test_minify_keeps_used_operations_and_what_they_reference() -> None:
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "security": [{"bearer": []}],
        "paths": {
            "/a/{id}": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "get": {"operationId": "getA", "responses": ok("#/components/schemas/A")},
                "delete": {"operationId": "deleteA", "responses": ok("#/components/schemas/Unused")},
            },
            "/other": {"get": {"operationId": "other", "responses": {"$ref": "#/components/responses/R"}}},
        },
        "components": {
            "schemas": SCHEMAS,
            "parameters": {
                "Id": ID_PARAM,
                "Page": {"name": "page", "in": "query", "schema": {"type": "integer"}},
            },
            "responses": {"R": {"description": "r"}},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
    small = minify_openapi(doc, ["getA"])
    assert small == {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "security": [{"bearer": []}],
        "paths": {
            "/a/{id}": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "get": {"operationId": "getA", "responses": ok("#/components/schemas/A")},
            }
        },
        "components": {
            "schemas": {k: SCHEMAS[k] for k in ("A", "B", "C")},
            "parameters": {"Id": ID_PARAM},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
    assert "deleteA" in json.dumps(doc)  # the input is not modified


def test_minify_swagger_2_definitions() -> None:
    doc = {
        "swagger": "2.0",
        "paths": {
            "/x": {
                "get": {"operationId": "x", "responses": {"200": {"schema": {"$ref": "#/definitions/X"}}}}
            },
            "/y": {
                "get": {"operationId": "y", "responses": {"200": {"schema": {"$ref": "#/definitions/Y"}}}}
            },
        },
        "definitions": {"X": {"$ref": "#/definitions/Z"}, "Y": {"type": "string"}, "Z": {"type": "integer"}},
    }
    small = minify_openapi(doc, ["x"])
    assert list(small["paths"]) == ["/x"]
    assert small["definitions"] == {"X": {"$ref": "#/definitions/Z"}, "Z": {"type": "integer"}}


def big_spec(unused: int, filler: int, used_filler: int = 1) -> str:
    paths: dict[str, Any] = {
        "/used": {
            "get": {
                "operationId": "useIt",
                "description": "u" * used_filler,
                "responses": ok("#/components/schemas/A"),
            }
        }
    }
    for i in range(unused):
        paths[f"/unused/{i}"] = {
            "get": {
                "operationId": f"unused{i}",
                "description": "x" * filler,
                "responses": ok("#/components/schemas/Unused"),
            }
        }
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "big", "version": "1"},
        "paths": paths,
        "components": {"schemas": SCHEMAS},
    }
    return yaml.dump(doc, Dumper=FAST_DUMPER, sort_keys=False, width=10**7)


BIG_CALLER = KUBE_CALLER.replace("specs/kube.yaml#readThing", "specs/big.yaml#useIt")


def test_spec_over_the_budget_is_cut_down_with_a_warning(tmp_path: Path) -> None:
    spec = big_spec(unused=20, filler=60_000)
    assert len(spec) > CONFIG_MAP_BUDGET
    extra = {"workflows/greet/greeting.sw.yaml": BIG_CALLER, "workflows/greet/specs/big.yaml": spec}
    result = generate(tmp_path, extra)
    assert result.code == 0, result.err
    shipped = (tmp_path / "charts/greet/files/resources/specs/big.yaml").read_bytes()
    assert (
        f"workflows/greet/specs/big.yaml:1:1: warning: 'specs/big.yaml' ({len(spec):,} bytes) is over the "
        "ConfigMap budget: the chart carries it cut down to the 1 operations the project calls "
        f"({len(shipped):,} bytes)"
    ) in result.err
    doc = yaml.safe_load(shipped)
    assert list(doc["paths"]) == ["/used"]
    assert sorted(doc["components"]["schemas"]) == ["A", "B", "C"]
    assert len(shipped) < 2_000
    dev = (tmp_path / "charts/acme-dev/files/resources/specs/big.yaml").read_bytes()
    assert dev == shipped


def test_spec_still_too_large_after_minification_is_an_error(tmp_path: Path) -> None:
    spec = big_spec(unused=3, filler=10, used_filler=CONFIG_MAP_BUDGET + 10)
    extra = {"workflows/greet/greeting.sw.yaml": BIG_CALLER, "workflows/greet/specs/big.yaml": spec}
    result = generate(tmp_path, extra)
    refused(tmp_path, result)
    small = dump_spec(minify_openapi(yaml.load(spec, Loader=FAST_LOADER), ["useIt"]), as_json=False)
    assert CONFIG_MAP_BUDGET < len(small) < len(spec)
    assert (
        f"workflows/greet/specs/big.yaml:1:1: error: 'specs/big.yaml' is {len(small):,} bytes: over the "
        "1,000,000-byte ConfigMap budget (a ConfigMap holds at most 1 MiB)"
    ) in result.err


def test_spec_just_under_the_budget_is_not_refused(tmp_path: Path) -> None:
    spec = big_spec(unused=20, filler=49_000)
    spec += "#" * (CONFIG_MAP_BUDGET - 5 - len(spec.encode())) + "\n"  # 4 bytes under the budget
    assert len(spec.encode()) == CONFIG_MAP_BUDGET - 4
    extra = {"workflows/greet/greeting.sw.yaml": BIG_CALLER, "workflows/greet/specs/big.yaml": spec}
    result = generate(tmp_path, extra)
    assert result.code == 0, result.err


# -- 8. consumed events need a type ----------------------------------------------------------------

UNTYPED = EVENT_STATE.replace("        type: com.example.order\n", "")


def test_consumed_event_without_type_is_a_located_error(tmp_path: Path) -> None:
    result = generate(tmp_path, {"workflows/greet/greeting.sw.yaml": UNTYPED})
    refused(tmp_path, result)
    assert (
        "workflows/greet/greeting.sw.yaml:6:5: error: consumed event 'order' of workflow 'orders' has no "
        "'type': nothing can deliver it (CloudEvents are matched on type)"
    ) in result.err


def test_check_consumed_event_types_ignores_typed_and_produced_events(tmp_path: Path) -> None:
    untyped_produced = PRODUCER_ONLY.replace("        type: com.example.noted\n", "")
    build_tree(tmp_path, {"p/untyped.sw.yaml": UNTYPED, "p/produced.sw.yaml": untyped_produced})
    diag = Diagnostics()
    project = Project(name="p", root=tmp_path / "p", resources=tmp_path / "p", rel="p")
    ctx = Context(project, diag)
    for name in ("untyped", "produced"):
        wf = load_workflow_file(tmp_path / f"p/{name}.sw.yaml", tmp_path / "p", diag)
        assert wf is not None
        check_consumed_event_types(wf, ctx)
    assert [(str(d.location), d.message) for d in diag.errors] == [
        (
            "p/untyped.sw.yaml:6:5",
            "consumed event 'order' of workflow 'orders' has no 'type': nothing can deliver it "
            "(CloudEvents are matched on type)",
        )
    ]


# -- 9. the SonataFlow CR flow ---------------------------------------------------------------------

FULL_FLOW = """
    id: full
    name: Full
    version: "1.0"
    specVersion: "0.8"
    description: Everything
    expressionLang: jq
    extensions:
      - extensionid: workflow-uri-definitions
        definitions: {}
    annotations: [demo]
    dataInputSchema: schemas/in.json
    constants: {limit: 3}
    start: Nap
    timeouts:
      workflowExecTimeout: PT1H
      stateExecTimeout: PT5M
      eventTimeout: PT1M
    states:
      - name: Nap
        type: sleep
        duration: PT1S
        timeouts:
          stateExecTimeout: PT10S
        transition: Rest
      - name: Rest
        type: sleep
        duration: PT2S
        timeouts:
          stateExecTimeout: {total: PT1M, single: PT30S}
        end: true
"""


def load(tmp_path: Path, text: str, name: str = "full.sw.yaml") -> Any:
    path = build_tree(tmp_path, {f"p/{name}": text}) / "p" / name
    diag = Diagnostics()
    wf = load_workflow_file(path, tmp_path / "p", diag)
    assert wf is not None
    assert not diag.errors
    return wf


def test_cr_flow_drops_identity_and_takes_object_forms(tmp_path: Path) -> None:
    flow = cr_flow(load(tmp_path, FULL_FLOW))
    assert flow == {
        "start": "Nap",
        "annotations": ["demo"],
        "dataInputSchema": {"schema": "schemas/in.json", "failOnValidationErrors": True},
        "constants": {"limit": 3},
        "timeouts": {
            "workflowExecTimeout": {"duration": "PT1H"},
            "stateExecTimeout": {"total": "PT5M"},
            "eventTimeout": "PT1M",
        },
        "states": [
            {
                "name": "Nap",
                "type": "sleep",
                "duration": "PT1S",
                "timeouts": {"stateExecTimeout": {"total": "PT10S"}},
                "transition": "Rest",
            },
            {
                "name": "Rest",
                "type": "sleep",
                "duration": "PT2S",
                "timeouts": {"stateExecTimeout": {"total": "PT1M", "single": "PT30S"}},
                "end": True,
            },
        ],
    }
    for key in ("id", "name", "version", "specVersion", "description", "expressionLang", "extensions"):
        assert key not in flow


def test_cr_flow_keeps_object_forms_and_does_not_touch_the_source(tmp_path: Path) -> None:
    text = FULL_FLOW.replace(
        "dataInputSchema: schemas/in.json",
        "dataInputSchema: {schema: schemas/in.json, failOnValidationErrors: false}",
    ).replace("workflowExecTimeout: PT1H", "workflowExecTimeout: {duration: PT2H, interrupt: true}")
    wf = load(tmp_path, text)
    flow = cr_flow(wf)
    assert flow["dataInputSchema"] == {"schema": "schemas/in.json", "failOnValidationErrors": False}
    assert flow["timeouts"]["workflowExecTimeout"] == {"duration": "PT2H", "interrupt": True}
    source = wf.source.documents()[wf.doc]
    assert source["timeouts"]["stateExecTimeout"] == "PT5M"
    assert source["states"][0]["timeouts"] == {"stateExecTimeout": "PT10S"}
    assert source["id"] == "full"


def test_cr_flow_of_a_sonataflow_resource_reads_spec_flow(tmp_path: Path) -> None:
    body = textwrap.indent(textwrap.dedent(FULL_FLOW).replace("id: full\n", ""), "    ")
    resource = (
        "apiVersion: sonataflow.org/v1alpha08\nkind: SonataFlow\nmetadata:\n  name: full\n"
        "  annotations:\n    sonataflow.org/version: '1.0'\nspec:\n  flow:\n" + body
    )
    flow = cr_flow(load(tmp_path, resource))
    assert flow == cr_flow(load(tmp_path, FULL_FLOW, "plain.sw.yaml"))


def test_generated_chart_carries_the_cr_flow(tmp_path: Path) -> None:
    extra = {"workflows/greet/greeting.sw.yaml": FULL_FLOW, "workflows/greet/schemas/in.json": "{}\n"}
    result = generate(tmp_path, extra)
    assert result.code == 0, result.err
    shipped = yaml.safe_load((tmp_path / "charts/greet/files/flows/full.yaml").read_text())
    assert shipped["dataInputSchema"] == {"schema": "schemas/in.json", "failOnValidationErrors": True}
    assert shipped["timeouts"]["workflowExecTimeout"] == {"duration": "PT1H"}
    assert "id" not in shipped
    assert data_of(tmp_path)["workflows"][0]["flow"] == "files/flows/full.yaml"


# -- 7. the image ----------------------------------------------------------------------------------


def test_a_profile_without_an_image_repository_is_refused_at_its_line(tmp_path: Path) -> None:
    """Once only lint noticed, through a schema message naming values.yaml."""
    base = FULL_BASE.replace("      repository: registry.example.com/wf/{workflow}\n", "")
    result = generate(tmp_path, {"profiles/base.yaml": base})
    refused(tmp_path, result)
    for env in PRODUCTION_ENVS:
        assert (
            f"profiles/{env}.yaml:2:1: error: production profile '{env}' has no image.repository: each "
            "chart runs a runtime image the pipeline builds (e.g. registry.example.com/workflows/{workflow})"
        ) in result.err


def test_latest_is_refused_where_the_profile_says_it(tmp_path: Path) -> None:
    result = generate(tmp_path, {"profiles/prod.yaml": profile('image: {tag: "latest"}\n')})
    refused(tmp_path, result, code=2)
    assert (
        "profiles/prod.yaml:4:14: error: 'image.tag' must not be 'latest': pin a version or a digest "
        "(latest changes under a running release)"
    ) in result.err


def test_a_key_written_twice_in_a_profile_is_located(tmp_path: Path) -> None:
    result = generate(tmp_path, {"profiles/prod.yaml": profile("namespace: other\n")})
    refused(tmp_path, result)
    assert (
        "profiles/prod.yaml:4:1: error: invalid YAML: duplicate key 'namespace' (first at line 3)"
        in result.err
    )
