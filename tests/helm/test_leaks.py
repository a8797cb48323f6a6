"""No secret value reaches a chart, a values file, a log line or a rendered manifest."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgen.tools.helm import Helm
from chartgen.verify.lint import values_files
from testing.trees import snapshot
from testing.variants import VARIANTS, make_variant
from tests.conftest import run_cli
from tests.helm.conftest import CRDS

pytestmark = pytest.mark.helm
SENTINELS = ("SENTINEL-4f1c2a", "SENTINEL-9b77de", "SENTINEL-c0ffee", "SENTINEL-d15ea5")


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_sentinel_values_appear_nowhere(variant: str, tmp_path: Path, helm_binary: Path) -> None:
    repo = make_variant(tmp_path, variant)
    project = repo / "workflows" / "invoice-sync"
    (project / "secret.properties").write_text(
        f"billing_api_token={SENTINELS[0]}\nbilling_client_id={SENTINELS[1]}\n"
    )
    with (project / "application.properties").open("a") as props:
        props.write(f"quarkus.oidc-client.billing.credentials.secret={SENTINELS[2]}\n")
        props.write(f"billing.password = {SENTINELS[3]}\\\n    -continued\n")
    (project / "secret.properties").write_text(
        (project / "secret.properties").read_text() + f"bad/key={SENTINELS[0]}\n"
    )

    logs = []
    failed = run_cli("-C", str(repo), "generate")  # the bad key is refused, the value not shown
    logs.append(failed.out + failed.err)
    assert failed.code == 1 and "secret key 'bad/key'" in failed.err
    (project / "secret.properties").write_text(
        f"billing_api_token={SENTINELS[0]}\nbilling_client_id={SENTINELS[1]}\n"
    )
    for args in (("validate",), ("generate",), ("--output", "json", "generate")):
        result = run_cli("-C", str(repo), *args)
        assert result.code == 0, result.err
        logs.append(result.out + result.err)
    crds = ["--crds", str(CRDS)] if CRDS.is_dir() else []
    linted = run_cli("-C", str(repo), "lint", *crds)
    assert linted.code == 0, linted.out
    logs.append(linted.out + linted.err)

    charts = repo / "charts"
    outputs = [content for content in snapshot(charts).values()]
    helm = Helm(helm_binary)
    for chart in sorted(p for p in charts.iterdir() if p.is_dir()):
        for values in values_files(chart):
            rendered = helm.template(chart.name, chart, [values] if values else [], "1.34", "workflows")
            assert rendered.ok, rendered.stderr
            outputs.append(rendered.stdout.encode())
    assert any(b"billing_api_token" in o for o in outputs)  # the key is there ...
    for sentinel in SENTINELS:
        assert not [o for o in outputs if sentinel.encode() in o], sentinel  # ... never the value
        assert not [line for log in logs for line in log.splitlines() if sentinel in line], sentinel
