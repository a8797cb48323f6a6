"""Agreement with the real runtime, on real projects (testing/differential.py): what chartgen
accepts, SonataFlow 10.0 builds and starts as the chart runs it; what chartgen refuses, the
runtime refuses too (its build or its start fails).

Each run checks three fixed cases (the issue's own: a relative schema $id, a placeholder the
runtime reads at start-up, one it does not) and two public projects that rotate by date, one
chartgen accepts and one it refuses, so every project is checked over the weeks;
benchmarks/differential.py checks them all (its table is in the README)."""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path

import pytest

from testing.differential import CORPUS, Case, Verdicts, cases, chartgen_verdict, judge, work_folder
from testing.repo import require

pytestmark = pytest.mark.runtime

BASE = CORPUS / "rhdhorchestrator__orchestrator-demo" / "01_basic_flat"
SYNTHETIC = {
    # The contract-approval case: the build fails ("null is an invalid segment for URI").
    "relative-schema-id": (
        "schemas/basic__main-schema.json",
        "contract-approval-input.json",
        "refused",
    ),
    # Read at start-up into a required item: the runtime does not start (SRCFG00011).
    "startup-placeholder": (
        "application.properties",
        "quarkus.openapi-generator.sample_yaml.auth.basicAuth.username=${JIRA_USERNAME}\n",
        "refused",
    ),
    # An optional item: the runtime starts with it empty.
    "optional-placeholder": (
        "application.properties",
        "quarkus.rest-client.sample_yaml.url=${SAMPLE_URL}\n",
        "accepted",
    ),
}


def synthetic(name: str, root: Path) -> Case:
    folder = root / name
    shutil.copytree(BASE, folder, ignore=shutil.ignore_patterns("manifests"))
    rel, text, _ = SYNTHETIC[name]
    path = folder / rel
    if rel.endswith(".json"):  # the schema's own $id, made relative
        path.write_text(re.sub(r'"\$id": "[^"]*"', f'"$id": "{text}"', path.read_text(), count=1))
    else:
        path.write_text(path.read_text() + text)
    return Case(f"synthetic/{name}", folder)


def rotating(day: datetime.date, scratch: Path) -> list[Case]:
    """Today's two public projects: one chartgen accepts, one it refuses (none that needs the
    network), chosen by the day, so the whole corpus passes through CI."""
    accepted: list[Case] = []
    refused: list[Case] = []
    for case in cases():
        verdicts, _ = chartgen_verdict(case, work_folder(case, scratch))
        {"accepted": accepted, "refused": refused}.get(verdicts.chartgen, []).append(case)
    n = day.toordinal()
    return [accepted[n % len(accepted)], refused[n % len(refused)]]


def report(v: Verdicts) -> str:
    return (
        f"\n[differential] {v.case.name}: chartgen {v.chartgen}{' (' + v.why[:90] + ')' if v.why else ''}; "
        f"runtime {v.runtime}{' (' + v.detail[:90] + ')' if v.detail else ''}; {v.seconds:.0f}s"
    )


@pytest.fixture(scope="module", autouse=True)
def _programs(postgres_programs: None, helm_binary: Path) -> None:
    require("java", shutil.which("java") is not None)
    require("mvn", shutil.which("mvn") is not None)


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_a_fixed_case_gets_the_runtimes_verdict(name: str, tmp_path: Path) -> None:
    verdicts = judge(synthetic(name, tmp_path), work_folder(Case(name, tmp_path), tmp_path))
    print(report(verdicts))
    assert verdicts.chartgen == SYNTHETIC[name][2], verdicts
    assert verdicts.agree is True, verdicts


def test_todays_public_projects_get_the_runtimes_verdict(tmp_path: Path) -> None:
    for case in rotating(datetime.date.today(), tmp_path):
        verdicts = judge(case, work_folder(case, tmp_path))
        print(report(verdicts))
        assert verdicts.agree is True, verdicts
