"""Checkov, an independent scanner, over every chart chartgen renders (every variant, every
environment, the dev chart): clean but for policies/checkov.yaml's skips, each with its
reason, and every skip still needed (the list cannot rot)."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.tools.locate import find_tool
from testing.repo import REPO, Render

pytestmark = pytest.mark.helm

SKIPS = REPO / "policies/checkov.yaml"
DIGEST = "sha256:" + "0123456789abcdef" * 4  # deploy pins the runtime image by digest


def _where(obj: dict[str, Any], dev: bool) -> str:
    annotations = obj.get("metadata", {}).get("annotations") or {}
    if annotations.get("helm.sh/hook") == "test":
        return "test-pod"
    return "dev" if dev else "chart"


def _render_variant(charts: Path, render: Render, out: Path) -> dict[tuple[str, str], str]:
    """Each chart and environment of a variant rendered into a file of `out`, as a user would
    scan `helm template`'s output: (file name, Kind.name) -> where the object is."""
    where = {}
    for chart in sorted(p for p in charts.iterdir() if (p / "Chart.yaml").is_file()):
        envs = sorted(v.name for v in chart.glob("values-*.yaml"))
        dev = not envs
        platform = chart.name.endswith("-platform")
        pins = (f"jobService.image.digest={DIGEST}", f"dataIndex.image.digest={DIGEST}")
        runs = (
            [((), ())]
            if dev
            else [((env,), pins if platform else (f"image.digest={DIGEST}",)) for env in envs]
        )
        for values, sets in runs:
            objects = render(chart, *values, sets=sets)
            name = f"{chart.name}__{values[0] if values else 'values.yaml'}"
            (out / name).write_text(yaml.safe_dump_all(objects, sort_keys=False))
            for obj in objects:
                where[(name, f"{obj['kind']}.{obj['metadata']['name']}")] = _where(obj, dev)
    return where


def _place(where: dict[tuple[str, str], str], file: str, kind: str, name: str) -> str:
    """Where a finding's object is; Checkov names the pod of a workload's template
    `Pod.<namespace>.<workload>.<its labels>`: that pod is where its workload is."""
    if (file, f"{kind}.{name}") in where:
        return where[(file, f"{kind}.{name}")]
    owners = [w for (f, obj), w in where.items() if f == file and name.startswith(obj.split(".", 1)[1] + ".")]
    return owners[0] if len(set(owners)) == 1 else "?"


def _scan(checkov: Path, folder: Path) -> tuple[int, list[dict[str, Any]]]:
    """Checkov over one folder: (checks passed, failed findings)."""
    done = subprocess.run(
        [str(checkov), "--framework", "kubernetes", "-d", str(folder), "-o", "json", "--quiet"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    passed = sum(r["summary"]["passed"] for r in reports)
    return passed, [f for r in reports for f in r["results"]["failed_checks"]]


def test_checkov_finds_nothing_but_the_listed_skips(
    variant_charts: dict[str, Path], render: Render, tmp_path: Path
) -> None:
    checkov = find_tool("checkov")
    passed, objects, failed = 0, 0, []
    # One scan per variant: Checkov's NetworkPolicy graph joins every object of a scan (a
    # SonataFlow policy's matchExpressions would cover another variant's test pods).
    for variant, charts in sorted(variant_charts.items()):
        folder = tmp_path / variant
        folder.mkdir()
        where = _render_variant(charts, render, folder)
        ok, findings = _scan(checkov, folder)
        passed, objects = passed + ok, objects + len(where)
        for finding in findings:
            kind, _, name = finding["resource"].split(".", 2)  # Kind.namespace.name
            file = Path(finding["file_path"]).name
            failed.append((finding, _place(where, file, kind, name), f"{variant}/{file}"))
    skips = yaml.safe_load(SKIPS.read_text())["skips"]
    allowed = {(s["check"], w) for s in skips for w in s["where"]}
    unexpected, used = [], Counter[tuple[str, str]]()
    for finding, place, file in failed:
        key = (finding["check_id"], place)
        if key in allowed:
            used[key] += 1
        else:
            unexpected.append(
                f"{finding['check_id']} {finding['check_name']}: {finding['resource']} ({file})"
            )
    print(f"\n[checkov] {objects} objects: {passed} checks passed, {len(failed)} failed, all listed skips:")
    print("\n".join(f"[checkov]   {check} {place}: {n}" for (check, place), n in sorted(used.items())))
    assert not unexpected, "\n".join(sorted(set(unexpected)))
    assert passed > 1000  # the scan did run over the objects
    assert allowed - set(used) == set(), (
        "skips nothing needs any more: remove them from policies/checkov.yaml"
    )
    assert all(s["reason"].strip() for s in skips)
