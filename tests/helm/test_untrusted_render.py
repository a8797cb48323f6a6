"""Issue 8, rendered with real helm: text from workflows and values stays the text it was.

Event types that YAML 1.1 reads as booleans or numbers, install-time strings with YAML
syntax in them, and the Vault Agent template's lines are checked on what helm renders.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from testing.repo import Render, run_cli
from testing.variants import VARIANTS, make_variant

pytestmark = pytest.mark.helm

# Scalars a YAML 1.1 reader (helm's fromYaml) would turn into booleans, numbers, null or dates.
YAML11_WORDS = ["y", "n", "Yes", "OFF", "on", "1e3", "0x1F", "0o17", "1_000", "1:20", ".inf", "~", "null",
                "2020-01-01", "=", "<<", "-1", "+1", "0", "1.", "-.5", ".NaN", "'q'", "a: b", "#c"]  # fmt: skip
TRACKER = "workflows/shipment-tracker/src/main/resources/shipment-tracker.sw.json"


def test_event_types_stay_strings_in_triggers(tmp_path: Path, render: Render) -> None:
    repo = make_variant(tmp_path, "vso")
    flow = json.loads((repo / TRACKER).read_text())
    produced = [e for e in flow["events"] if e["kind"] == "produced"]
    consumed = [
        {"name": f"e{i}", "kind": "consumed", "type": word, "source": YAML11_WORDS[-1 - i]}
        for i, word in enumerate(YAML11_WORDS)
    ]
    flow["events"] = consumed + produced
    flow["states"][0]["onEvents"][0]["eventRefs"] = [e["name"] for e in consumed]
    flow["states"][0]["exclusive"] = True
    (repo / TRACKER).write_text(json.dumps(flow))
    result = run_cli("-C", str(repo), "generate")
    assert result.code == 0, result.err
    objects = render(repo / "charts/shipment-tracker", "values-prod.yaml")
    filters = [t["spec"]["filter"]["attributes"] for t in objects if t["kind"] == "Trigger"]
    assert all(list(f) == ["type"] for f in filters)  # no source filter: see trigger.yaml
    assert sorted(f["type"] for f in filters) == sorted(e["type"] for e in consumed)


def test_install_time_strings_with_yaml_syntax_stay_values(
    variant_charts: dict[str, Path], render: Render, tmp_path: Path
) -> None:
    hostile = "v\n  injected: true\n# {{ .Release.Name }}: x"
    common = {
        "podLabels": {"team": "a: b"},
        "env": {"NOTE": "x: y # {{ z }}"},
        "properties": {"app.note": "{{ .Values }}: ][", "app.tail": "ends\\", "app.next": "kept"},
    }
    for variant in VARIANTS:
        sonataflow = variant.startswith("sonataflow")
        overrides = tmp_path / f"hostile-{variant}.yaml"
        # Under sonataflow the chart refuses podAnnotations (the operator never copies them).
        annotations = {} if sonataflow else {"podAnnotations": {"example.com/note": hostile}}
        overrides.write_text(yaml.safe_dump({**common, **annotations}))
        chart = variant_charts[variant] / "invoice-sync"
        baseline = render(chart, "values-prod.yaml")
        objects = render(chart, "values-prod.yaml", str(overrides))
        assert kinds_and_names(objects) == kinds_and_names(baseline), variant
        if sonataflow:  # labels go on the SonataFlow, which gives them to its pods
            [flow] = [o for o in objects if o["kind"] == "SonataFlow"]
            assert flow["metadata"]["labels"]["team"] == "a: b", variant
            env = {e["name"]: e.get("value") for e in sonataflow_env(objects)}
        else:
            [pod] = [o["spec"]["template"] for o in objects if o["kind"] == "Deployment"]
            assert pod["metadata"]["annotations"]["example.com/note"] == hostile, variant
            assert pod["metadata"]["labels"]["team"] == "a: b", variant
            env = {e["name"]: e.get("value") for c in pod["spec"]["containers"] for e in c.get("env", [])}
        assert env["NOTE"] == "x: y # {{ z }}", variant
        properties = "\n".join(
            str(v) for o in objects if o["kind"] == "ConfigMap" for v in o.get("data", {}).values()
        )
        lines = properties.splitlines()
        assert "app.note={{ .Values }}: ][" in lines, variant
        assert "app.tail=ends\\\\" in lines and "app.next=kept" in lines, variant  # no joined lines


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("vault.kvMount", "kv\n  namespace: other-team"),
        ("vault.authMount", "k8s/../sys"),
        ("vault.path", "a b"),
        ("vault.role", "r\nx"),
        ("eventing.broker", "a: b"),
        ("persistence.database", "wf?sslmode=disable"),
        ("persistence.host", "pg host"),
        ("env.NOTE", "a\rb"),
    ],
)
def test_values_schema_refuses_strings_that_would_change_objects(
    key: str, value: str, variant_charts: dict[str, Path], render: Render, tmp_path: Path
) -> None:
    overrides = tmp_path / "bad.yaml"
    section, leaf = key.split(".")
    overrides.write_text(yaml.safe_dump({section: {leaf: value}}))
    chart = variant_charts["vso"] / "order-approval"
    [refused] = render(chart, "values-prod.yaml", str(overrides), ok=False)
    assert "values don't meet the specifications of the schema" in refused["error"]
    assert f"/{section}/{leaf}" in refused["error"]


def test_injector_template_holds_only_checked_lines(variant_charts: dict[str, Path], render: Render) -> None:
    line = re.compile(
        r'\{\{- with secret "[A-Za-z0-9_./-]+" \}\}'
        r'|[-._A-Za-z0-9]+=\{\{ index \.Data\.data "[-._A-Za-z0-9]+" \}\}'
        r"|\{\{- end \}\}"
        r"|config_ordinal=[0-9]+"
    )
    for chart in ("invoice-sync", "order-approval", "shipment-tracker"):
        objects = render(variant_charts["injector"] / chart, "values-prod.yaml")
        template = pod_template(objects)["metadata"]["annotations"].get(
            "vault.hashicorp.com/agent-inject-template-workflow.properties"
        )
        if template is None:
            continue
        lines = template.strip().splitlines()
        assert lines[0].startswith("{{- with secret") and lines[-1] == "{{- end }}", chart
        assert all(line.fullmatch(text.strip()) for text in lines), template


def kinds_and_names(objects: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((o["kind"], o["metadata"]["name"]) for o in objects)


def pod_template(objects: list[dict[str, Any]]) -> dict[str, Any]:
    [template] = [o["spec"]["template"] for o in objects if o["kind"] == "Deployment"]
    return dict(template)


def sonataflow_env(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    [flow] = [o for o in objects if o["kind"] == "SonataFlow"]
    env: list[dict[str, Any]] = flow["spec"]["podTemplate"]["container"].get("env", [])
    return env
