"""Credentials for real: the values in the Secret keys invoice-sync's chart maps (what VSO or
ESO syncs from Vault) reach its calls to the billing OpenAPI service — a stub on 127.0.0.1 the
environment points the REST client at, the way a user would (a profile's `properties`, so the
chart's values) — and a sentinel value appears nowhere in what chartgen prints or writes, nor in
the runtime's log lines as chartgen reports them."""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.runtime.local import start_runtime
from testing.repo import copy_examples, require, run_cli
from tests.runtime import helpers
from tests.runtime.fixtures_events import (
    Received,
    StubServer,
    files_holding,
    render_with,
    the,
)
from tests.runtime.helpers import call, wait_for_output

pytestmark = pytest.mark.runtime

CHART = "invoice-sync"
APP = "target/quarkus-app/quarkus-run.jar"
SPEC_KEY = "billing_openapi_yaml"  # the REST client's config key for specs/billing-openapi.yaml
# Sentinels: the values VSO would sync into the Secret's keys.
TOKEN = f"tok-Sentinel-{uuid.uuid4().hex}"
CLIENT_ID = f"cid-Sentinel-{uuid.uuid4().hex}"
SECRETS = {"billing_api_token": TOKEN, "billing_client_id": CLIENT_ID}
ORDER = {"orderId": "o-7", "customerId": "c-9", "amount": 120.5, "currency": "EUR"}


def _seconds_since(start: float) -> float:
    return time.monotonic() - start


class Billing(StubServer):
    """The billing service of specs/billing-openapi.yaml: createInvoice makes a DRAFT invoice,
    getInvoice reads it back ISSUED."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.invoices: dict[str, dict[str, Any]] = {}
        super().__init__(self._invoices, host)

    def _invoices(self, request: Received) -> tuple[int, Any]:
        if request.method == "POST" and request.path == "/invoices":
            sent = request.json()
            invoice = {"id": f"inv-{uuid.uuid4().hex[:8]}", "orderId": sent.get("orderId"), "status": "DRAFT"}
            self.invoices[invoice["id"]] = invoice
            return 201, invoice
        found = re.fullmatch(r"/invoices/([^/?]+)", request.path)
        if request.method == "GET" and found and found.group(1) in self.invoices:
            return 200, {**self.invoices[found.group(1)], "status": "ISSUED"}
        return 404, None

    def calls_of(self, instance: str) -> list[Received]:
        """What one workflow instance sent (SonataFlow names it in a header of every call)."""
        return self.requests(lambda r: r.headers.get("kogitoprocinstanceid") == instance)


@pytest.fixture(scope="module")
def billing() -> Iterator[Billing]:
    with Billing() as stub:
        yield stub


@dataclass
class Built:
    repo: Path
    app: Path  # as `chartgen build` built it
    printed: list[str] = field(default_factory=list)  # chartgen's stdout and stderr so far


@pytest.fixture(scope="module")
def invoice_sync(tmp_path_factory: pytest.TempPathFactory, helm_binary: Path, billing: Billing) -> Built:
    """The examples with a `local` environment (prod, the billing service at the stub), charts
    generated and invoice-sync's runtime built by `chartgen build`."""
    require("java", shutil.which("java") is not None)
    require("mvn", shutil.which("mvn") is not None)
    top = tmp_path_factory.mktemp("credentials")
    repo = copy_examples(top)
    (repo / "profiles/local.yaml").write_text(
        "# prod, with the billing service on this machine\n"
        "extends: prod\n"
        f'properties: {{quarkus.rest-client.{SPEC_KEY}.url: "{billing.url}"}}\n'
    )
    generated = run_cli("-C", str(repo), "generate")
    assert generated.code == 0, generated.out + generated.err
    start = time.monotonic()
    built = run_cli("-C", str(repo), "build", "--chart", CHART)
    print(f"\n[runtime] chartgen build --chart {CHART}: {_seconds_since(start):.0f}s")
    assert built.code == 0, built.out + built.err
    assert (repo / "build" / CHART / APP).is_file()
    return Built(repo, repo / "build" / CHART / APP, [generated.out, generated.err, built.out, built.err])


def _objects(built: Built, extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return render_with(built.repo / "charts" / CHART, "local", extra)


# --- chartgen run ----------------------------------------------------------------------------


@dataclass
class CliRun:
    status: int
    started: Any
    calls: list[Received]
    printed: list[str]  # chartgen's stdout and stderr (generate, build, run)
    # files holding a sentinel: chartgen run's temp files while it runs (the credential files,
    # as the kubelet would mount them); the repo (charts, build) and the temp files after it
    written_running: list[tuple[Path, str]]
    written_after: list[tuple[Path, str]]
    running_modes: list[int]  # of the files in written_running, while it runs
    environ: bytes  # the runtime process's environment (/proc/PID/environ) while it runs
    bindings: list[dict[str, str]]
    objects: list[dict[str, Any]]


@pytest.fixture(scope="module")
def cli_run(invoice_sync: Built, billing: Billing, tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """`chartgen run invoice-sync --env local --secrets FILE` (the Secret's keys as VSO syncs
    them), one invoice synced through it, stopped with Ctrl-C."""
    top = tmp_path_factory.mktemp("cli-run")
    secrets_file = top / "secrets.env"
    secrets_file.write_text("".join(f"{k}={v}\n" for k, v in SECRETS.items()))
    temp = top / "tmp"  # where chartgen run puts the runtime's files (TMPDIR)
    temp.mkdir()
    out, err = top / "out", top / "err"
    start = time.monotonic()
    # The app: build/invoice-sync/..., where chartgen build put it.
    process = helpers.chartgen_run(
        invoice_sync.repo, CHART, "--env", "local", "--secrets", str(secrets_file), out=out, err=err,
        TMPDIR=str(temp),
    )  # fmt: skip
    try:
        url = wait_for_output(out, rf"{CHART} \(local\) on (http://127\.0\.0\.1:\d+)", process, 300).group(1)
        print(f"\n[runtime] chartgen run {CHART} --env local: URL printed after {_seconds_since(start):.1f}s")
        start = time.monotonic()
        status, started, _ = call(url + f"/{CHART}", ORDER)
        print(f"[runtime] an invoice synced through the stub billing service in {_seconds_since(start):.1f}s")
        running = list(files_holding([temp], SECRETS.values()))  # while the runtime's files exist
        modes = [path.stat().st_mode & 0o777 for path, _ in running]
        environ = _runtime_environ(temp)
        helpers.interrupt(process, err)
    finally:
        helpers.kill_if_running(process)
    start = time.monotonic()
    after = list(files_holding([invoice_sync.repo, temp], SECRETS.values()))
    print(f"[runtime] files chartgen wrote searched for the sentinels in {_seconds_since(start):.1f}s")
    instance = started["id"] if isinstance(started, dict) else ""
    data = yaml.safe_load((invoice_sync.repo / "charts" / CHART / "files/chartgen-data.yaml").read_text())
    return CliRun(
        status,
        started,
        billing.calls_of(instance),
        [*invoice_sync.printed, out.read_text(), err.read_text()],
        running,
        after,
        modes,
        environ,
        data["environments"]["local"]["secretBindings"],
        _objects(invoice_sync),
    )


def _runtime_environ(temp: Path) -> bytes:
    """The environment of the java process chartgen run started (its working directory is
    under `temp`)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = str((proc / "cwd").resolve())
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if cwd.startswith(str(temp)) and b"quarkus-run.jar" in cmdline:
            return (proc / "environ").read_bytes()
    raise AssertionError("no runtime process found under " + str(temp))


def test_the_rest_call_goes_where_the_environment_points_it(cli_run: CliRun, billing: Billing) -> None:
    assert cli_run.status == 201, cli_run.printed[-2:]
    assert [(c.method, c.path.split("/")[1]) for c in cli_run.calls] == [
        ("POST", "invoices"),
        ("GET", "invoices"),
    ]
    created = cli_run.calls[0]
    invoice = cli_run.started["workflowdata"]["invoice"]
    assert cli_run.calls[1].path == f"/invoices/{invoice['id']}"
    assert invoice == {**billing.invoices[invoice["id"]], "status": "ISSUED"}
    assert created.json()["orderId"] == ORDER["orderId"]


def test_the_secret_keys_reach_the_runtime_as_the_chart_maps_them(cli_run: CliRun) -> None:
    """VaultStaticSecret -> the Secret it syncs -> a file of the Deployment's credentials volume
    -> the property the workflow's $SECRET reads (SmallRye's file-system source) -> the request
    body (createInvoice's clientId). No variable carries a value."""
    synced = the(cli_run.objects, "VaultStaticSecret")["spec"]["destination"]["name"]
    pod = the(cli_run.objects, "Deployment")["spec"]["template"]["spec"]
    assert not [e for e in pod["containers"][0]["env"] if "valueFrom" in e]
    [volume] = [v for v in pod["volumes"] if v["name"] == "credentials"]
    [secret] = [s["secret"] for s in volume["projected"]["sources"] if "secret" in s]
    assert secret["name"] == synced
    assert {i["path"]: i["key"] for i in secret["items"]} == {b["env"]: b["key"] for b in cli_run.bindings}
    assert cli_run.calls, cli_run.printed[-2:]
    assert cli_run.calls[0].json()["clientId"] == CLIENT_ID
    assert TOKEN.encode() not in cli_run.environ and CLIENT_ID.encode() not in cli_run.environ
    assert b"SMALLRYE_CONFIG_SOURCE_FILE_LOCATIONS=" in cli_run.environ


def test_the_bearer_token_reaches_the_call_as_the_spec_security_scheme_says(cli_run: CliRun) -> None:
    # SonataFlow 10.0 does not apply a workflow's `auth` to OpenAPI calls: the chart sets
    # quarkus.openapi-generator.<spec>.auth.<scheme>.bearer-token to the secret (plan/openapi_auth.py).
    assert cli_run.calls, cli_run.printed[-2:]
    assert [c.headers.get("authorization") for c in cli_run.calls] == [f"Bearer {TOKEN}"] * len(cli_run.calls)


def test_no_secret_value_in_what_chartgen_prints_or_writes(cli_run: CliRun) -> None:
    assert cli_run.calls, "the run synced nothing: the check below would prove little"
    for text in cli_run.printed:
        assert TOKEN not in text and CLIENT_ID not in text
    # While it runs: only the credential files, as the kubelet mounts them, readable by the
    # runtime's user alone; after it: nothing.
    files = {b["env"] for b in cli_run.bindings}
    assert {(p.name, p.parent.name) for p, _ in cli_run.written_running} == {
        (f, "credentials") for f in files
    }
    assert cli_run.running_modes and set(cli_run.running_modes) == {0o600}
    assert cli_run.written_after == []


# --- the token with the property SonataFlow reads; the runtime's log lines --------------------


def test_with_the_generator_property_the_token_reaches_the_call_and_chartgen_masks_the_log(
    invoice_sync: Built, billing: Billing
) -> None:
    """What the chart lacks, set as values (`properties` may hold a ${VARIABLE}, not a value):
    the token then reaches the call; and with Apache HttpClient's wire log on (values `env`), the
    runtime prints both values, which chartgen's report of its log lines masks."""
    extra = {
        "properties": {
            f"quarkus.openapi-generator.{SPEC_KEY}.auth.bearerAuth.bearer-token": "${BILLING_API_TOKEN}"
        },
        "env": {"QUARKUS_LOG_CATEGORY__ORG_APACHE_HTTP_WIRE__LEVEL": "DEBUG"},
    }
    start = time.monotonic()
    with start_runtime(
        _objects(invoice_sync, extra), invoice_sync.app, prefer=CHART, secrets=SECRETS
    ) as running:
        print(
            f"\n[runtime] {CHART} (local + bearer-token property, wire log) ready in {_seconds_since(start):.1f}s"
        )
        status, started, _ = call(running.url + f"/{CHART}", ORDER)
        assert status == 201, running.logs(30)
        calls = billing.calls_of(started["id"])
        raw = running.log_path.read_text()
        reported = running.logs()
    assert len(calls) == 2
    assert [c.headers.get("authorization") for c in calls] == [f"Bearer {TOKEN}"] * 2
    assert TOKEN in raw and CLIENT_ID in raw, "the wire log did not print the values: nothing to mask"
    assert TOKEN not in reported and CLIENT_ID not in reported
    assert "Bearer ***" in reported
