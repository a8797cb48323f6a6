"""`chartgen run`'s pure mapping: rendered objects -> the runtime's env, files, port and probe,
and the changes for running here (paths, port, JDBC), masking, secrets files, database URLs."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from chartgen.errors import UserError
from chartgen.flows.run import chart_folder, environment_of
from chartgen.runtime.container import find_runtime, resolve
from chartgen.runtime.local import localize, parse_jdbc, read_secrets_file, with_database_files
from chartgen.runtime.pod_files import write_files
from chartgen.runtime.postgres import Database, parse_database_url, quote_ident
from chartgen.runtime.running import mask

PROPS = "quarkus.log.level=INFO\n"


def config_map(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def deployment(
    container: dict[str, Any], volumes: list[dict[str, Any]], annotations: Any = None
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "orders"},
        "spec": {
            "template": {
                "metadata": {"annotations": annotations or {}},
                "spec": {"containers": [container], "volumes": volumes},
            }
        },
    }


def rendered() -> list[dict[str, Any]]:
    """What the production chart renders, in the parts `chartgen run` reads."""
    container = {
        "name": "workflow",
        "ports": [{"name": "http", "containerPort": 8080}],
        "env": [
            {"name": "QUARKUS_HTTP_PORT", "value": "8080"},
            {
                "name": "QUARKUS_DATASOURCE_USERNAME",
                "valueFrom": {"secretKeyRef": {"name": "s", "key": "db_username"}},
            },
            {
                "name": "QUARKUS_DATASOURCE_PASSWORD",
                "valueFrom": {"secretKeyRef": {"name": "s", "key": "db_password"}},
            },
            {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "api_token"}}},
            {
                "name": "MAYBE",
                "valueFrom": {"secretKeyRef": {"name": "s", "key": "absent", "optional": True}},
            },
            {
                "name": "REGION",
                "valueFrom": {"configMapKeyRef": {"name": "orders-settings", "key": "region"}},
            },
            {"name": "ENDPOINT", "value": "https://$(REGION).example.com/$$x"},
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "KOGITO_PERSISTENCE_TYPE", "value": "jdbc"},
            {
                "name": "QUARKUS_DATASOURCE_JDBC_URL",
                "value": "jdbc:postgresql://pg.prod.svc:5432/workflows?currentSchema=orders&sslmode=disable",
            },
            {"name": "QUARKUS_CONFIG_LOCATIONS", "value": "file:/deployments/config/extra.properties"},
            {"name": "WORK", "value": "/tmp/work"},
            {"name": "NOT_A_MOUNT", "value": "/deployments/configuration"},
        ],
        "startupProbe": {
            "httpGet": {"path": "/q/health/started", "port": "http"},
            "periodSeconds": 5,
            "failureThreshold": 60,
        },
        "volumeMounts": [
            {"name": "config", "mountPath": "/deployments/config", "readOnly": True},
            {"name": "workflows", "mountPath": "/deployments/workflows", "readOnly": True},
            {"name": "single", "mountPath": "/etc/one.txt", "subPath": "one"},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    volumes = [
        {"name": "config", "configMap": {"name": "orders-config"}},
        {
            "name": "workflows",
            "projected": {
                "sources": [
                    {
                        "configMap": {
                            "name": "orders-resources-0",
                            "items": [
                                {"key": "orders.sw.yaml", "path": "orders.sw.yaml"},
                                {"key": "schemas__in.json", "path": "schemas/in.json"},
                                {"key": "evil", "path": "../../escape"},
                            ],
                        }
                    }
                ]
            },
        },
        {"name": "single", "configMap": {"name": "orders-settings"}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
    ]
    hook = {
        "kind": "Pod",
        "metadata": {"name": "orders-test", "annotations": {"helm.sh/hook": "test"}},
        "spec": {"containers": [{"name": "health"}]},
    }
    return [
        config_map("orders-config", {"application.properties": PROPS, "extra.properties": "a=b\n"}),
        config_map(
            "orders-resources-0",
            {"orders.sw.yaml": "id: orders\n", "schemas__in.json": "{}", "evil": "x", "unused": "y"},
        ),
        config_map("orders-settings", {"region": "eu-west", "one": "1\n"}),
        hook,
        deployment(container, volumes),
    ]


SECRETS = {"db_username": "app", "db_password": "pw-Secret-1", "api_token": "tok-Secret-2"}


def test_env_is_the_containers_with_secret_and_config_map_references_resolved() -> None:
    r = resolve(rendered(), SECRETS)
    assert r.env["QUARKUS_DATASOURCE_USERNAME"] == "app"
    assert r.env["API_TOKEN"] == "tok-Secret-2"
    assert "MAYBE" not in r.env  # an optional key nobody has: unset, as in the cluster
    assert r.env["REGION"] == "eu-west"
    assert r.env["ENDPOINT"] == "https://eu-west.example.com/$x"
    assert r.env["POD_IP"] == "127.0.0.1"
    assert set(r.secret_values) == {"app", "pw-Secret-1", "tok-Secret-2"}
    assert r.placeholders == []
    assert r.database_keys == ["db_username", "db_password"]


def test_a_secret_key_the_file_lacks_gets_a_test_value_and_is_named() -> None:
    r = resolve(rendered(), {"db_password": "pw"})
    assert r.env["API_TOKEN"] == "test-api_token"
    assert r.placeholders == ["db_username", "api_token"]


def test_mounted_files_follow_items_projected_sources_and_sub_paths() -> None:
    r = resolve(rendered(), SECRETS)
    assert r.files == {
        "/deployments/config/application.properties": PROPS.encode(),
        "/deployments/config/extra.properties": b"a=b\n",
        "/deployments/workflows/orders.sw.yaml": b"id: orders\n",
        "/deployments/workflows/schemas/in.json": b"{}",
        "/etc/one.txt": b"1\n",
    }  # items choose keys ("unused" is not mounted); "../../escape" is never written
    assert r.dirs == ["/tmp"]
    assert r.port == 8080
    assert r.startup_path == "/q/health/started"
    assert r.startup_timeout == 300


def test_startup_timeout_is_the_probes_budget_capped() -> None:
    objects = rendered()
    objects[-1]["spec"]["template"]["spec"]["containers"][0]["startupProbe"]["failureThreshold"] = 4
    assert resolve(objects, SECRETS).startup_timeout == 20
    assert resolve(rendered(), SECRETS, timeout_cap=60).startup_timeout == 60


def test_files_are_written_under_the_root_at_the_same_layout(tmp_path: Path) -> None:
    r = resolve(rendered(), SECRETS)
    write_files(tmp_path, r)
    assert (tmp_path / "deployments/config/application.properties").read_text() == PROPS
    assert (tmp_path / "deployments/workflows/schemas/in.json").read_text() == "{}"
    assert (tmp_path / "tmp").is_dir()
    assert not (tmp_path.parent / "escape").exists()


def test_localize_moves_paths_port_and_database(tmp_path: Path) -> None:
    r = resolve(rendered(), SECRETS)
    db = Database("127.0.0.1", 54321, "chartgen", "", "workflows", throwaway=True)
    env = localize(r, tmp_path, 40001, db)
    assert env["QUARKUS_HTTP_PORT"] == "40001"
    assert env["QUARKUS_HTTP_HOST"] == "127.0.0.1"
    assert env["QUARKUS_CONFIG_LOCATIONS"] == f"file:{tmp_path}/deployments/config/extra.properties"
    assert env["WORK"] == f"{tmp_path}/tmp/work"
    assert env["NOT_A_MOUNT"] == "/deployments/configuration"  # only whole path segments move
    assert env["QUARKUS_DATASOURCE_JDBC_URL"] == (
        "jdbc:postgresql://127.0.0.1:54321/workflows?currentSchema=orders&sslmode=disable"
    )
    assert env["QUARKUS_DATASOURCE_USERNAME"] == "chartgen"
    assert env["QUARKUS_DATASOURCE_PASSWORD"] == ""
    assert env["API_TOKEN"] == "tok-Secret-2"


def test_on_a_podman_network_the_pod_listens_as_it_does_and_reaches_the_database_by_name(
    tmp_path: Path,
) -> None:
    r = resolve(rendered(), SECRETS)
    db = Database(
        "127.0.0.1", 54321, "chartgen", "pw", "workflows", network="n", network_address=("chartgen-pg", 5432)
    )
    env = localize(r, tmp_path, 40001, db, in_container=True, on_network=True)
    for name in ("QUARKUS_HTTP_PORT", "QUARKUS_HTTP_HOST"):  # the pod's own: its port is published
        assert env.get(name) == r.env.get(name)
    assert env["QUARKUS_HTTP_PORT"] == "8080"
    assert env["QUARKUS_CONFIG_LOCATIONS"] == "file:/deployments/config/extra.properties"  # mounted there
    assert env["QUARKUS_DATASOURCE_JDBC_URL"] == (
        "jdbc:postgresql://chartgen-pg:5432/workflows?currentSchema=orders&sslmode=disable"
    )
    host_side = localize(r, tmp_path, 40001, db, in_container=True)  # on the host's network
    assert host_side["QUARKUS_DATASOURCE_JDBC_URL"].startswith("jdbc:postgresql://127.0.0.1:54321/")


def test_a_given_database_names_its_own_database_and_credentials(tmp_path: Path) -> None:
    db = parse_database_url("postgresql://svc%40x:p%3Ass@db.local:6543/other")
    env = localize(resolve(rendered(), SECRETS), tmp_path, 1, db)
    assert env["QUARKUS_DATASOURCE_JDBC_URL"].startswith(
        "jdbc:postgresql://db.local:6543/other?currentSchema=orders"
    )
    assert (env["QUARKUS_DATASOURCE_USERNAME"], env["QUARKUS_DATASOURCE_PASSWORD"]) == ("svc@x", "p:ss")


def test_parse_jdbc() -> None:
    jdbc = parse_jdbc("jdbc:postgresql://a:1,b:2/db?currentSchema=s&ssl=true")
    assert jdbc is not None
    assert (jdbc.host, jdbc.database, jdbc.schema) == ("a:1,b:2", "db", "s")
    assert parse_jdbc("jdbc:mysql://a/db") is None


def test_mask_replaces_every_secret_value_longest_first() -> None:
    text = "user=app token=tok-Secret-2 pw=pw-Secret-1 again tok-Secret-2 apple"
    masked = mask(text, ["app", "tok-Secret-2", "pw-Secret-1", ""])
    assert "Secret" not in masked and "app" not in masked
    assert masked == "user=*** token=*** pw=*** again *** ***le"


def test_secrets_file(tmp_path: Path) -> None:
    f = tmp_path / "secrets.env"
    f.write_text("# comment\n\ndb_password = 'p=w #1'\napi_token=\"t\"\nplain=x y\n")
    assert read_secrets_file(f) == {"db_password": "p=w #1", "api_token": "t", "plain": "x y"}
    f.write_text("ok=1\nthis line has the-secret-value\n")
    with pytest.raises(UserError) as exc:
        read_secrets_file(f)
    assert ":2: expected KEY=VALUE" in str(exc.value)
    assert "the-secret-value" not in str(exc.value)


def test_database_url_never_shows_its_password() -> None:
    db = parse_database_url("postgresql://u:hunter2@127.0.0.1:5433/wf")
    assert (db.host, db.port, db.user, db.password, db.database) == ("127.0.0.1", 5433, "u", "hunter2", "wf")
    assert db.display() == "postgresql://u:***@127.0.0.1:5433/wf"
    for bad in (
        "mysql://u:hunter2@h/db",
        "postgresql://:hunter2@/db",
        "postgresql://u:hunter2@h:notaport/db",
    ):
        with pytest.raises(UserError) as exc:
            parse_database_url(bad)
        assert "hunter2" not in str(exc.value)
    assert quote_ident('a"b') == '"a""b"'


def test_sonataflow_gets_what_the_operator_gives_its_pod() -> None:
    flow = {
        "kind": "SonataFlow",
        "metadata": {"name": "orders"},
        "spec": {
            "podTemplate": {"container": {"env": [{"name": "QUARKUS_HTTP_PORT", "value": "8080"}]}},
            "persistence": {
                "postgresql": {
                    "secretRef": {
                        "name": "orders-secrets",
                        "userKey": "db_username",
                        "passwordKey": "db_password",
                    },
                    "serviceRef": {
                        "name": "pg",
                        "namespace": "data",
                        "port": 5432,
                        "databaseName": "wf",
                        "databaseSchema": "orders",
                    },
                }
            },
        },
    }
    r = resolve([config_map("orders-props", {"application.properties": PROPS}), flow], SECRETS)
    assert r.env["QUARKUS_DATASOURCE_JDBC_URL"] == "jdbc:postgresql://pg.data:5432/wf?currentSchema=orders"
    assert r.env["QUARKUS_DATASOURCE_PASSWORD"] == "pw-Secret-1"
    assert r.env["KOGITO_PERSISTENCE_TYPE"] == "jdbc"
    assert r.env["QUARKUS_FLYWAY_MIGRATE_AT_START"] == "true"
    assert r.files == {"/deployments/config/application.properties": PROPS.encode()}
    assert r.startup_path == "/q/health/started"


def test_vault_agent_files_are_rendered_from_the_secrets_file() -> None:
    container = {
        "env": [{"name": "QUARKUS_CONFIG_LOCATIONS", "value": "file:/vault/secrets/workflow.properties"}]
    }
    template = (
        '{{- with secret "kv/data/wf" }}\n'
        'billing.token={{ index .Data.data "api_token" }}\n'
        'db.password={{ index .Data.data "db_password" }}\n'
        "{{- end }}"
    )
    annotations = {
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/agent-inject-template-workflow.properties": template,
    }
    r = resolve([deployment(container, [], annotations)], SECRETS)
    assert (
        r.files["/vault/secrets/workflow.properties"]
        == b"billing.token=tok-Secret-2\ndb.password=pw-Secret-1\n"
    )
    env = localize(r, Path("/r"), 1, None)
    assert env["QUARKUS_CONFIG_LOCATIONS"] == "file:/r/vault/secrets/workflow.properties"


def test_the_runtime_is_the_deployment_never_a_hook_and_a_chart_without_one_is_an_error() -> None:
    objects = rendered()
    assert find_runtime(objects).name == "orders"
    with pytest.raises(UserError, match="no Deployment or SonataFlow"):
        find_runtime(objects[:4])
    two = copy.deepcopy(objects[-1])
    two["metadata"]["name"] = "other"
    assert find_runtime([two, objects[-1]], prefer="orders").name == "orders"


def test_chart_and_environment_choice(tmp_path: Path) -> None:
    chart = tmp_path / "charts" / "orders"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("name: orders\n")
    assert chart_folder("orders", tmp_path / "charts") == tmp_path / "charts" / "orders"
    assert chart_folder(str(chart), tmp_path / "elsewhere") == chart
    with pytest.raises(UserError, match="charts: orders"):
        chart_folder("nope", tmp_path / "charts")
    files = {
        "Chart.yaml": b"name: orders\nannotations:\n  chartgen/mode: production\n",
        "values.yaml": b"{}\n",
        "values-prod.yaml": b"{}\n",
        "values-staging.yaml": b"{}\n",
    }
    assert environment_of(files, "orders", "prod").values == ["values-prod.yaml"]
    with pytest.raises(UserError, match=r"--env is required \(environments: prod, staging\)"):
        environment_of(files, "orders", None)
    with pytest.raises(UserError, match="no environment qa"):
        environment_of(files, "orders", "qa")
    with pytest.raises(UserError, match="not a production chart"):
        environment_of({"Chart.yaml": b"name: dev\n", "values.yaml": b"{}\n"}, "dev", None)


def credentials_as_files(kind: str = "Deployment") -> list[dict[str, Any]]:
    """The credentials as the production chart gives them now: a projected Secret volume."""
    volume = {
        "name": "credentials",
        "projected": {
            "defaultMode": 0o440,
            "sources": [
                {
                    "secret": {
                        "name": "s",
                        "items": [
                            {"key": "db_username", "path": "QUARKUS_DATASOURCE_USERNAME"},
                            {"key": "db_password", "path": "QUARKUS_DATASOURCE_PASSWORD"},
                            {"key": "api_token", "path": "API_TOKEN"},
                        ],
                    }
                },
                {
                    "configMap": {
                        "name": "orders-config",
                        "items": [{"key": "ordinal", "path": "config_ordinal"}],
                    }
                },
            ],
        },
    }
    folder = "/var/run/secrets/chartgen/credentials"
    container = {
        "name": "workflow",
        "env": [
            {"name": "SMALLRYE_CONFIG_SOURCE_FILE_LOCATIONS", "value": folder},
            {"name": "KOGITO_PERSISTENCE_TYPE", "value": "jdbc"},
            {"name": "QUARKUS_DATASOURCE_JDBC_URL", "value": "jdbc:postgresql://pg:5432/w?currentSchema=o"},
        ],
        "volumeMounts": [{"name": "credentials", "mountPath": folder, "readOnly": True}],
    }
    settings = config_map("orders-config", {"ordinal": "290"})
    if kind == "Deployment":
        return [settings, deployment(container, [volume])]
    flow = {
        "apiVersion": "sonataflow.org/v1alpha08",
        "kind": "SonataFlow",
        "metadata": {"name": "orders"},
        "spec": {"podTemplate": {"container": container, "volumes": [volume]}},
    }
    return [settings, flow]


@pytest.mark.parametrize("kind", ["Deployment", "SonataFlow"])
def test_credentials_read_as_files_are_written_as_files_and_the_database_login_with_them(
    kind: str, tmp_path: Path
) -> None:
    r = resolve(credentials_as_files(kind), SECRETS)
    folder = "/var/run/secrets/chartgen/credentials"
    assert r.files[f"{folder}/API_TOKEN"] == SECRETS["api_token"].encode()
    assert r.files[f"{folder}/config_ordinal"] == b"290"
    assert sorted(r.database_keys) == ["db_password", "db_username"]
    assert not any(name.startswith("QUARKUS_DATASOURCE_USER") for name in r.env)
    db = Database("127.0.0.1", 54321, "svc", "pw-local", "w", throwaway=True)
    env = localize(r, tmp_path, 1, db)
    assert "QUARKUS_DATASOURCE_USERNAME" not in env and "QUARKUS_DATASOURCE_PASSWORD" not in env
    assert env["SMALLRYE_CONFIG_SOURCE_FILE_LOCATIONS"] == f"{tmp_path}{folder}"
    write_files(tmp_path, with_database_files(r, db))
    written = tmp_path / folder.lstrip("/")
    assert (written / "QUARKUS_DATASOURCE_USERNAME").read_text() == "svc"
    assert (written / "QUARKUS_DATASOURCE_PASSWORD").read_text() == "pw-local"
    assert (written / "API_TOKEN").read_text() == SECRETS["api_token"]
