"""No secret value reaches a chart, a values file, a log line or a rendered manifest.

Every path a credential can take into a project gets its own sentinel value, for every
secrets provider and runtime: the values that can move become Secret references (or
secret.properties keys), the others are refused, located, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chartgen.charts.chart import GeneratedChart
from chartgen.tools.helm import Helm
from chartgen.verify.lint import values_files
from testing.repo import CRDS, run_cli
from testing.trees import snapshot
from testing.variants import VARIANTS, make_variant

pytestmark = pytest.mark.helm
PROJECT = "workflows/invoice-sync"


def sentinel(n: int) -> str:
    return f"SENTINEL-{n:02d}-4f1c2a"


# Moved out of the chart: application.properties lines rewritten to Secret references.
PROPERTIES = (
    f"quarkus.oidc-client.billing.credentials.secret={sentinel(1)}\n"
    f"billing.password = {sentinel(2)}\\\n    -continued\n"
    f"billing.clientSecret={sentinel(3)}\n"
    f"billing.accessToken={sentinel(4)}\n"
    f"aws.secret-access-key={sentinel(5)}\n"
    f"ftp.pwd={sentinel(6)}\n"
    f"mail.pass\\u0077ord={sentinel(7)}\n"
    f"quarkus.datasource.password=${{POSTGRES_PASSWORD:{sentinel(8)}}}\n"
    f"quarkus.rest-client.billing.headers.Authorization=Bearer {sentinel(9)}\n"
)
# Keys only: secret.properties and a misnamed one.
SECRET_FILES = {
    "secret.properties": f"billing_api_token={sentinel(10)}\nbilling_client_id={sentinel(11)}\n",
    "Secrets.properties": f"archive_token={sentinel(12)}\n",
}
# Refused while loading: files whose names say they hold secrets.
SECRET_NAMED = {
    "db.secret.yaml": f"password: {sentinel(20)}\n",
    "credentials.json": f'{{"token": "{sentinel(21)}"}}\n',
    "tls/billing.key": f"{sentinel(22)}\n",
}
# Refused while planning: credentials inside values, application.yaml, profiles, private keys.
EMBEDDED = (
    f"quarkus.datasource.jdbc.url=jdbc:postgresql://app:{sentinel(30)}@pg/db\n"
    "kafka.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\\n"
    f'    username="app" password="{sentinel(31)}";\n'
    f"billing.curl.args=-H 'Authorization: Basic {sentinel(32)}'\n"
    f"billing.callback=https://billing.example.com/cb?client_id=app&client_secret={sentinel(33)}\n"
)
APPLICATION_YAML = f"quarkus:\n  oidc:\n    credentials:\n      secret: {sentinel(34)}\n"
PRIVATE_KEY = f"-----BEGIN RSA PRIVATE KEY-----\n{sentinel(35)}\n-----END RSA PRIVATE KEY-----\n"
PROFILE_SETTINGS = {
    "prod.yaml": {
        "properties": {"quarkus.datasource.password": sentinel(40), "billing.apiKey": sentinel(41)},
        "env": {
            "GITHUB_TOKEN": sentinel(42),
            "JAVA_OPTS": f"-Djavax.net.ssl.keyStorePassword={sentinel(43)}",
        },
    },
    "dev.yaml": {"properties": {"billing.url": f"https://app:{sentinel(44)}@billing.example.com"}},
}
SENTINELS = [sentinel(n) for n in (*range(1, 13), *range(20, 23), *range(30, 36), *range(40, 45))]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_sentinel_values_appear_nowhere(variant: str, tmp_path: Path, helm_binary: Path) -> None:
    repo = make_variant(tmp_path, variant)
    project = repo / PROJECT
    with (project / "application.properties").open("a") as props:
        props.write(PROPERTIES)
    for name, text in SECRET_FILES.items():
        (project / name).write_text(text)
    logs = []
    for args in (("validate",), ("generate",), ("--output", "json", "generate")):
        result = run_cli("-C", str(repo), *args)
        assert result.code == 0, result.err
        logs.append(result.out + result.err)
    charts = repo / "charts"
    generated = snapshot(charts)

    # Each refusal is located and names a key or a file; nothing of the charts changes.
    for name, text in SECRET_NAMED.items():
        (project / name).parent.mkdir(exist_ok=True)
        (project / name).write_text(text)
    failed = run_cli("-C", str(repo), "generate")
    logs.append(failed.out + failed.err)
    assert failed.code == 1
    for name in SECRET_NAMED:
        assert f"{PROJECT}/{name}:1:1: error: the file's name says it holds secrets" in failed.err
    for name in SECRET_NAMED:
        (project / name).unlink()

    originals = {name: (repo / "profiles" / name).read_text() for name in PROFILE_SETTINGS}
    for name, settings in PROFILE_SETTINGS.items():
        data = {**yaml.safe_load(originals[name]), **settings}
        (repo / "profiles" / name).write_text(yaml.safe_dump(data, sort_keys=False))
    plain_properties = (project / "application.properties").read_text()
    (project / "application.properties").write_text(plain_properties + EMBEDDED)
    (project / "application.yaml").write_text(APPLICATION_YAML)
    (project / "tls/ca.pem").write_text(PRIVATE_KEY)
    (project / "secret.properties").write_text(
        SECRET_FILES["secret.properties"] + f"bad/key={sentinel(10)}\n"
    )
    as_json = run_cli("-C", str(repo), "--output", "json", "generate")
    failed = run_cli("-C", str(repo), "generate")
    logs += [as_json.out + as_json.err, failed.out + failed.err]
    assert as_json.code == failed.code == 1
    refusals = [line for line in failed.err.splitlines() if ": error: " in line and "chartgen:" not in line]
    assert len(refusals) == 4 + 1 + 1 + 5 + 1, failed.err  # properties, yaml, key, profiles, bad key
    assert "'bad/key'" in failed.err
    for key in (
        "quarkus.datasource.jdbc.url",
        "kafka.sasl.jaas.config",
        "billing.curl.args",
        "billing.callback",
    ):
        assert (
            f"{PROJECT}/application.properties:" in failed.err and f"'{key}' holds a credential" in failed.err
        )
    assert f"{PROJECT}/application.yaml:4:7: error: 'quarkus.oidc.credentials.secret'" in failed.err
    assert f"{PROJECT}/tls/ca.pem:1:1: error: 'tls/ca.pem' holds a private key" in failed.err
    for key in ("quarkus.datasource.password", "billing.apiKey", "GITHUB_TOKEN", "JAVA_OPTS", "billing.url"):
        assert f"'{key}' holds a credential" in failed.err
    assert snapshot(charts) == generated
    (project / "application.properties").write_text(plain_properties)
    (project / "secret.properties").write_text(SECRET_FILES["secret.properties"])
    for path in (project / "application.yaml", project / "tls/ca.pem"):
        path.unlink()
    for name, text in originals.items():
        (repo / "profiles" / name).write_text(text)

    linted = run_cli("-C", str(repo), "lint", "--crds", str(CRDS))
    assert linted.code == 0, linted.out
    logs.append(linted.out + linted.err)
    outputs = list(snapshot(charts).values())
    helm = Helm(helm_binary)
    for chart in sorted(p for p in charts.iterdir() if p.is_dir()):
        for values in values_files(GeneratedChart.at(chart)):
            rendered = helm.template(chart.name, chart, [values] if values else [], "1.34", "workflows")
            assert rendered.ok, rendered.stderr
            outputs.append(rendered.stdout.encode())
            logs.append(rendered.stderr)
    for reference in (
        b"billing_api_token",
        b"archive_token",
        b"billing.clientSecret",
        b"POSTGRES_PASSWORD:${",
    ):
        assert any(reference in o for o in outputs), reference  # the keys and references are there ...
    for value in SENTINELS:
        assert not [o for o in outputs if value.encode() in o], value  # ... never a value
        assert not [line for log in logs for line in log.splitlines() if value in line], value
