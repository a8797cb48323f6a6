"""The credential rule (keys as Java reads them, value shapes) and where generation applies it:
application.properties (rewritten or refused), application.yaml, profiles, secret-named files."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgen.formats.credentials import is_credential, judge, key_words, literal_text
from chartgen.formats.properties import PropertiesFile
from chartgen.formats.source import SourceFile
from chartgen.plan.credentials import (
    Credential,
    Finding,
    env_name,
    externalize,
    properties_refusals,
    yaml_refusals,
)
from chartgen.workflow.discover import discover, says_secret
from testing.repo import CliResult, run_cli
from testing.trees import GREETING, PROFILES_BASIC, build_tree, snapshot


def rewrite(text: str, optional: bool = False) -> tuple[str, list[Credential]]:
    """externalize() of a properties text, as text."""
    props, found = externalize(PropertiesFile(text), optional)
    return props.text, found


SENTINEL = "SENTINEL-5e7c1d"
DEV = "extends: base\nmode: dev\nnamespace: wf-dev\n"

# -- keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "quarkus.datasource.password",
        "%prod.quarkus.datasource.password",
        "clientSecret",
        "quarkus.oidc.credentials.secret",
        "quarkus.oidc-client.a.credentials.client-secret.value",
        "accessToken",
        "x.bearer-token",
        "aws.secret-access-key",
        "AWS_SECRET_ACCESS_KEY",
        "pwd",
        "db.Pwd",
        "DB_PWD",
        "pass\\u0077ord",  # Java reads \u0077 as 'w'
        "pass\\word",  # and drops a backslash before an ordinary character
        "x.api-key",
        "apiKey",
        "APIKEY",
        "ssh.private_key",
        "javax.net.ssl.keyStorePassword",
        "x.credentials",
        "signing.passphrase",
        "quarkus.oidc.token-state-manager.encryption-secret",
    ],
)
def test_credential_keys(key: str) -> None:
    assert is_credential(key) is True


@pytest.mark.parametrize(
    "key",
    [
        "quarkus.oidc.token.lifespan",
        "quarkus.oidc-client.a.token-path",
        "quarkus.openapi-generator.a.auth.b.token-propagation",
        "quarkus.oidc-client.a.credentials.client-secret.method",
        "kogito.service.url",
        "mp.messaging.incoming.orders.topic",
        "quarkus.kubernetes-config.secrets",
        "secret-name",
        "max-tokens",
        "keystore",
        "monkey",
        "password.file",
        "value",
        "",
    ],
)
def test_not_credential_keys(key: str) -> None:
    assert is_credential(key) is False


def test_key_words_split_as_java_reads_the_key() -> None:
    assert key_words("a.b.clientSecret.value") == ["client", "secret"]
    assert key_words("SECRET_ACCESS_KEY") == ["secret", "access", "key"]
    assert key_words("x.APIKey") == ["api", "key"]
    assert key_words("x.pass\\u0077ord") == ["password"]


# -- values ----------------------------------------------------------------------------------


def test_literal_text_drops_references_and_keeps_defaults() -> None:
    assert literal_text("${DB_PASSWORD}") == ""
    assert literal_text("${DB_PASSWORD:}") == ""
    assert literal_text("${DB_PASSWORD:pass}") == "pass"
    assert literal_text("${A:${B}}") == ""
    assert literal_text("${A:${B:inner}}") == "inner"
    assert literal_text("pre-${A}") == "pre-"


@pytest.mark.parametrize(
    ("key", "value", "what", "whole"),
    [
        ("db.password", "s3cr3t", "a literal value", True),
        ("db.password", 12345, "a literal value", True),
        ("db.password", "${DB_PASSWORD:changeit}", "a literal default (${VAR:...})", True),
        ("x.headers.Authorization", "Bearer abc", "a Basic/Bearer credential", True),
        ("x.url", "jdbc:postgresql://app:pw@db:5432/x", "a URL with user:password@", False),
        ("x.url", "http://${USER}:${PASS:pw}@host", "a URL with user:password@", False),
        ("x.url", "jdbc:postgresql://db/x?user=app&password=pw", "a 'password=' setting", False),
        ("x.url", "jdbc:sqlserver://db;user=app;pwd=pw", "a 'pwd=' setting", False),
        (
            "kafka.sasl.jaas.config",
            'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";',
            "a 'password=' setting",
            False,
        ),
        ("JAVA_OPTS", "-Xmx1g -Djavax.net.ssl.trustStorePassword=changeit", "a 'javax.net.ssl.trustStorePassword=' setting", False),
        ("x.headers", "Authorization: Basic dXNlcjpwdw==", "an Authorization header", False),
        ("x.args", "--user app --password=pw", "a 'password=' setting", False),
    ],
)  # fmt: skip
def test_credential_values(key: str, value: object, what: str, whole: bool) -> None:
    verdict = judge(key, value)
    assert verdict is not None
    assert (verdict.what, verdict.whole) == (what, whole)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("db.password", "${DB_PASSWORD}"),  # a reference, not a literal
        ("db.password", "${DB_PASSWORD:${FALLBACK}}"),
        ("db.password", ""),
        ("x.token", "Bearer ${TOKEN}"),
        ("quarkus.http.cors.access-control-allow-credentials", True),  # a flag
        ("quarkus.oidc.token.lifespan", 300),
        ("kogito.service.url", "http://host:8080"),
        ("x.url", "http://user@host/path"),
        ("x.url", "jdbc:postgresql://${DB_USER}:${DB_PASSWORD}@db:5432/x"),
        ("x.url", "http://host/cb?grant_type=client_credentials&response_type=token"),
        ("x.jaas", 'PlainLoginModule required username="u" password="${KAFKA_PASSWORD}";'),
        ("quarkus.oidc.token.authorization-scheme", "Bearer"),
        ("mp.messaging.outgoing.events.url", "${K_SINK}"),
    ],
)
def test_not_credential_values(key: str, value: object) -> None:
    assert judge(key, value) is None


# -- application.properties ------------------------------------------------------------------


def test_externalize_reads_keys_as_java_does() -> None:
    text = (
        "pass\\u0077ord=one\n"
        "clientSecret = two\n"
        "aws.secret-access-key=three\n"
        "db.pwd=four\n"
        "quarkus.rest-client.a.headers.Authorization=Bearer five\n"
        "quarkus.oidc.token.lifespan=300\n"
    )
    rewritten, found = rewrite(text)
    assert [(c.property, c.secret_key, c.line) for c in found] == [
        ("pass\\u0077ord", "password", 1),
        ("clientSecret", "clientSecret", 2),
        ("aws.secret-access-key", "aws.secret-access-key", 3),
        ("db.pwd", "db.pwd", 4),
        ("quarkus.rest-client.a.headers.Authorization", "quarkus.rest-client.a.headers.Authorization", 5),
    ]
    assert rewritten.splitlines() == [f"{c.property}=${{{c.env}}}" for c in found] + [
        "quarkus.oidc.token.lifespan=300"
    ]


def test_externalize_keeps_the_variable_of_a_literal_default() -> None:
    env = env_name("quarkus.datasource.password")
    text = "quarkus.datasource.password=${POSTGRES_PASSWORD:pass}\n"
    assert rewrite(text)[0] == f"quarkus.datasource.password=${{POSTGRES_PASSWORD:${{{env}}}}}\n"
    assert rewrite(text, optional=True)[0] == (
        f"quarkus.datasource.password=${{POSTGRES_PASSWORD:${{{env}:}}}}\n"
    )


def test_embedded_credentials_are_found_not_rewritten() -> None:
    text = (
        "a=1\n"
        "  quarkus.datasource.jdbc.url=jdbc:postgresql://app:pw@db/x\n"
        "kafka.sasl.jaas.config=PlainLoginModule required \\\n"
        '    username="u" password="p";\n'
        "db.password=literal\n"
    )
    assert properties_refusals(PropertiesFile(text)) == [
        Finding("quarkus.datasource.jdbc.url", "a URL with user:password@", 2, 3),
        Finding("kafka.sasl.jaas.config", "a 'password=' setting", 3, 1),
    ]
    rewritten, found = rewrite(text)
    assert [c.property for c in found] == ["db.password"]
    assert "app:pw@" in rewritten  # refused by the caller, never rewritten in part


def test_application_yaml_credentials_are_found_with_positions(tmp_path: Path) -> None:
    text = (
        "quarkus:\n"
        "  datasource:\n"
        "    username: app\n"
        "    password: pw\n"
        "    jdbc:\n"
        "      url: jdbc:postgresql://app:pw@db/x\n"
        "  oidc:\n"
        "    token:\n"
        "      lifespan: 300\n"
        "    credentials:\n"
        "      secret: ${CLIENT_SECRET}\n"
    )
    source = SourceFile(tmp_path / "application.yaml", text.encode())
    assert yaml_refusals(source) == [
        Finding("quarkus.datasource.password", "a literal value", 4, 5),
        Finding("quarkus.datasource.jdbc.url", "a URL with user:password@", 6, 7),
    ]
    assert yaml_refusals(SourceFile(tmp_path / "application.yaml", b"a: [")) == []


# -- file names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["secrets.yaml", "db.secret.yaml", "Credentials.json", "app-secrets.properties", "prod.env", "tls.key",
     "client.p12", "SECRET"],
)  # fmt: skip
def test_names_that_say_secret(name: str) -> None:
    assert says_secret(name) is True


@pytest.mark.parametrize(
    "name", ["secrets-api.yaml", "application.properties", "ca.pem", "tls.crt", "token.json", "keystore.jks"]
)
def test_names_that_do_not_say_secret(name: str) -> None:
    assert says_secret(name) is False


def test_misnamed_secret_properties_give_keys_only(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path,
        {
            "a/a.sw.yaml": GREETING,
            "a/Secret.properties": "x=1\n",
            "a/specs/secrets.properties": "y=2\n",
            "a/db.secret.yaml": "password: 3\n",
            "a/specs/api.yaml": "openapi: 3.0.0\n",
        },
    )
    [project] = discover(base).projects
    assert [p.relative_to(base).as_posix() for p in project.secret_files] == [
        "a/Secret.properties",
        "a/specs/secrets.properties",
    ]
    assert [p.relative_to(base).as_posix() for p in project.refused_files] == ["a/db.secret.yaml"]
    assert [p.relative_to(base).as_posix() for p in project.asset_files] == ["a/specs/api.yaml"]


# -- generation: rewritten, or refused located and never shown --------------------------------


def generate(root: Path, files: dict[str, str | bytes]) -> CliResult:
    tree = {"chartgen.yaml": "name: acme\n", "workflows/greet/greeting.sw.yaml": GREETING, **PROFILES_BASIC}
    build_tree(root, {**tree, **files})
    return run_cli("-C", str(root), "generate")


def refused(root: Path, result: CliResult, *errors: str) -> None:
    assert result.code == 1, result.err
    for error in errors:
        assert error in result.err
    assert SENTINEL not in result.out + result.err
    assert not (root / "charts").exists()


def test_embedded_property_credential_is_refused_located(tmp_path: Path) -> None:
    props = f"a=1\nquarkus.datasource.jdbc.url=jdbc:postgresql://app:{SENTINEL}@db/x\n"
    result = generate(tmp_path, {"workflows/greet/application.properties": props})
    refused(
        tmp_path,
        result,
        "workflows/greet/application.properties:2:1: error: 'quarkus.datasource.jdbc.url' holds a credential "
        "(a URL with user:password@), which the chart would carry: keep the value in secret.properties or "
        "Vault and write ${VARIABLE} in its place (the value is not shown)",
    )


def test_application_yaml_credential_is_refused_located(tmp_path: Path) -> None:
    yaml_text = f"quarkus:\n  datasource:\n    password: {SENTINEL}\n"
    result = generate(tmp_path, {"workflows/greet/application.yaml": yaml_text})
    refused(
        tmp_path, result, "workflows/greet/application.yaml:3:5: error: 'quarkus.datasource.password' holds a"
    )


@pytest.mark.parametrize(
    ("section", "key", "value", "col"),
    [
        ("properties", "quarkus.datasource.password", SENTINEL, 3),
        ("properties", "x.url", f"http://u:{SENTINEL}@h", 3),
        ("env", "GITHUB_TOKEN", SENTINEL, 3),
        ("env", "JAVA_OPTS", f"-Dx.password={SENTINEL}", 3),
    ],
)
def test_profile_credentials_are_refused_located(
    tmp_path: Path, section: str, key: str, value: str, col: int
) -> None:
    dev = DEV + f"{section}:\n  {key}: '{value}'\n"
    result = generate(tmp_path, {"profiles/dev.yaml": dev})
    refused(tmp_path, result, f"profiles/dev.yaml:5:{col}: error: {section} '{key}' holds a credential")


@pytest.mark.parametrize(
    ("setting", "pointer", "col"),
    [
        (f"eventing: {{deadLetterSink: 'http://dlq:{SENTINEL}@dlq.svc'}}", "eventing.deadLetterSink", 28),
        (f"jobService:\n  url: 'http://jobs:{SENTINEL}@jobs.svc'", "jobService.url", 8),
    ],
)
def test_a_credential_in_any_profile_string_is_refused_located(
    tmp_path: Path, setting: str, pointer: str, col: int
) -> None:
    """Not only `properties` and `env`: every string of a profile reaches a values file."""
    result = generate(tmp_path, {"profiles/dev.yaml": DEV + setting + "\n"})
    assert result.code == 1, result.err
    assert f"error: '{pointer}' holds a credential (a URL with user:password@)" in result.err
    assert f":{col}: error: '{pointer}'" in result.err
    assert SENTINEL not in result.out + result.err


def test_a_refused_value_holding_a_credential_is_not_repeated(tmp_path: Path) -> None:
    host = f"persistence:\n  postgresql: {{host: 'u:{SENTINEL}@pg.svc', database: x}}\n"
    result = generate(tmp_path, {"profiles/dev.yaml": DEV + host})
    assert result.code == 1
    assert "error: 'persistence.postgresql.host' must be a host name or IPv4 address\n" in result.err
    assert SENTINEL not in result.out + result.err


def test_profile_references_are_not_credentials(tmp_path: Path) -> None:
    dev = DEV + (
        "properties:\n  quarkus.datasource.password: ${DB_PASSWORD}\n  quarkus.oidc.token.lifespan: 300\n"
    )
    result = generate(tmp_path, {"profiles/dev.yaml": dev})
    assert result.code == 0, result.err


def test_secret_named_file_is_refused_located(tmp_path: Path) -> None:
    result = generate(tmp_path, {"workflows/greet/credentials.json": f'{{"p": "{SENTINEL}"}}'})
    refused(
        tmp_path,
        result,
        "workflows/greet/credentials.json:1:1: error: the file's name says it holds secrets, and chartgen "
        "never packages such a file: keep its values in secret.properties or Vault, or exclude it "
        "(chartgen.yaml 'exclude')",
    )


def test_private_key_is_never_packaged(tmp_path: Path) -> None:
    key = f"-----BEGIN EC PRIVATE KEY-----\n{SENTINEL}\n-----END EC PRIVATE KEY-----\n"
    result = generate(tmp_path, {"workflows/greet/tls/ca.pem": key})
    refused(tmp_path, result, "workflows/greet/tls/ca.pem:1:1: error: 'tls/ca.pem' holds a private key")


def test_misnamed_secret_properties_reach_the_chart_as_keys_only(tmp_path: Path) -> None:
    props = f"quarkus.datasource.password=${{POSTGRES_PASSWORD:{SENTINEL}}}\n"
    result = generate(
        tmp_path,
        {
            "workflows/greet/secrets.properties": f"api_token={SENTINEL}\n",
            "workflows/greet/application.properties": props,
        },
    )
    assert result.code == 0, result.err
    assert SENTINEL not in result.out + result.err
    outputs = snapshot(tmp_path / "charts")
    assert [path for path, content in outputs.items() if SENTINEL.encode() in content] == []
    assert any(b"api_token" in content for content in outputs.values())
    assert not [path for path in outputs if path.endswith("secrets.properties")]
