"""chartgen diff with real helm and real git: a workflows repository generated and committed on
main, a branch that changes it, and what diff reports for the pull request."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import git
import pytest

from testing.repo import copy_examples, run_cli

pytestmark = pytest.mark.helm

SECRET_A = "s3cr3t-at-base-0b1c"
SECRET_B = "s3cr3t-at-head-9f8e"


def commit(repo: Path, message: str) -> None:
    r = git.Repo(repo)
    r.git.add("-A")
    r.git.commit("-q", "-m", message)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, helm_binary: Path) -> Path:
    """examples/ generated and committed on main (copied by each test)."""
    examples = copy_examples(tmp_path_factory.mktemp("diff"))
    assert run_cli("-C", str(examples), "generate").code == 0
    r = git.Repo.init(examples, initial_branch="main")
    with r.config_writer() as cfg:
        cfg.set_value("user", "name", "test")
        cfg.set_value("user", "email", "test@example.com")
    commit(examples, "charts")
    return examples


@pytest.fixture
def repo(generated: Path, tmp_path: Path) -> Path:
    """A copy of the repository on a new branch `feature` (main untouched)."""
    copy = tmp_path / "repo"
    shutil.copytree(generated, copy, symlinks=True)
    git.Repo(copy).git.checkout("-q", "-b", "feature")
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def change_order_approval(repo: Path) -> None:
    """A workflow of one project changes; only its chart is regenerated."""
    edit(repo / "workflows/order-approval/order-approval.sw.yaml", "duration: PT1H", "duration: PT2H")
    assert run_cli("-C", str(repo), "generate", "--chart", "order-approval").code == 0


def diff(repo: Path, *args: str) -> tuple[int, str]:
    result = run_cli("-C", str(repo), "diff", "--base", "main", *args)
    return result.code, result.out + result.err


def test_one_changed_workflow_names_only_its_chart(repo: Path) -> None:
    change_order_approval(repo)
    code, out = diff(repo)
    assert code == 0, out
    assert out.startswith("order-approval 0.1.0 (version unchanged)\n")
    for other in ("invoice-sync", "shipment-tracker", "acme-workflows-dev"):
        assert f"{other} " not in out and f"\n{other}" not in out
    assert '  prod:\n    ~ ConfigMap/order-approval-resources-0 (data["order-approval.sw.yaml"])' in out
    assert "-        duration: PT1H\n      +        duration: PT2H" in out
    assert "rolls pods: yes (checksum annotation checksum/resources)" in out
    assert "  staging:" in out
    assert re.search(r"\n1 chart changed since main \([0-9a-f]{12}\)\n$", out)

    code, md = diff(repo, "--format", "markdown")
    assert code == 0
    assert "| Chart | Version | Environment | Added | Changed | Removed | Rolls pods |" in md
    assert "| order-approval | 0.1.0 (version unchanged) | prod | 0 | 2 | 0 | yes (checksum annotation" in md
    assert "<details><summary>order-approval · staging: 2 changed</summary>" in md
    assert "```diff\n" in md

    code, text = diff(repo, "--format", "json", "--env", "prod")
    data = json.loads(text)
    assert [c["chart"] for c in data["charts"]] == ["order-approval"]
    assert [e["environment"] for e in data["charts"][0]["environments"]] == ["prod"]
    keys = [o["key"] for o in data["charts"][0]["environments"][0]["objects"]]
    assert keys == ["ConfigMap/order-approval-resources-0", "Deployment/order-approval"]

    assert diff(repo, "--chart", "invoice-sync") == (0, "No chart changes.\n")
    code, out = diff(repo, "--chart", "nope")
    assert code == 1 and "--chart nope: no such chart" in out


def test_a_change_to_the_dev_profile_only_says_so(repo: Path) -> None:
    edit(repo / "profiles/dev.yaml", "devmode:10.0.0", "devmode:10.1.0")
    assert run_cli("-C", str(repo), "generate").code == 0
    code, md = diff(repo, "--format", "markdown")
    assert code == 0, md
    assert "Only the dev chart changes: nothing changes in production environments." in md
    assert "| acme-workflows-dev | 0.1.0 (version unchanged) (dev) | dev | 0 | 1 | 0 | yes (image) |" in md
    code, text = diff(repo)
    assert "    ~ Deployment/acme-workflows-dev (spec.template.spec.containers[" in text


def test_a_broken_chart_is_reported_and_the_others_still_are(repo: Path) -> None:
    change_order_approval(repo)
    (repo / "charts/shipment-tracker/templates/broken.yaml").write_text("{{ if }\n")
    code, out = diff(repo)
    assert code == 1
    assert "shipment-tracker 0.1.0 (version unchanged)\n  prod:\n    error: head: Error:" in out
    assert "    ~ ConfigMap/order-approval-resources-0" in out
    assert "2 charts changed since main" in out and "1 could not be rendered" in out
    code, md = diff(repo, "--format", "markdown")
    assert (
        code == 1
        and "| shipment-tracker | 0.1.0 (version unchanged) | prod | — | — | — | error: not rendered |" in md
    )


def test_secret_values_are_never_shown(repo: Path) -> None:
    template = repo / "charts/invoice-sync/templates/extra-secret.yaml"
    secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: extra\nstringData:\n  api_key: {}\n"
    template.write_text(secret.format(SECRET_A))
    r = git.Repo(repo)
    r.git.checkout("-q", "main")
    commit(repo, "a secret")
    r.git.checkout("-q", "feature")
    r.git.merge("-q", "main")
    template.write_text(secret.format(SECRET_B))
    outputs = [diff(repo, "--format", f) for f in ("text", "markdown", "json")]
    outputs.append(diff(repo, "--output", "json"))
    for code, out in outputs:
        assert code == 0, out
        assert SECRET_A not in out and SECRET_B not in out
        assert "api_key" in out
    assert "+  api_key: <hidden, changed>" in outputs[0][1]


def test_new_and_removed_charts(repo: Path) -> None:
    shutil.rmtree(repo / "charts/shipment-tracker")
    shutil.copytree(repo / "charts/invoice-sync", repo / "charts/invoice-copy")
    code, out = diff(repo)
    assert code == 0, out
    assert "invoice-copy new chart 0.1.0\n  prod:\n    + ConfigMap/" in out
    assert "shipment-tracker removed chart (was 0.1.0)\n  prod:\n    - ConfigMap/" in out


def test_one_changed_chart_among_a_thousand_is_quick(tmp_path: Path, helm_binary: Path) -> None:
    repo = tmp_path / "many"
    for i in range(1000):
        chart = repo / "charts" / f"c{i:04}"
        chart.mkdir(parents=True)
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: c{i:04}\nversion: 0.1.0\n")
        (chart / "values-prod.yaml").write_text("level: INFO\n")
        (chart / "templates").mkdir()
        (chart / "templates/cm.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  level: {{ .Values.level }}\n"
        )
    (repo / "chartgen.yaml").write_text("out: charts\n")
    r = git.Repo.init(repo, initial_branch="main")
    with r.config_writer() as cfg:
        cfg.set_value("user", "name", "test")
        cfg.set_value("user", "email", "test@example.com")
    commit(repo, "charts")
    r.git.checkout("-q", "-b", "feature")
    (repo / "charts/c0500/values-prod.yaml").write_text("level: DEBUG\n")
    start = time.perf_counter()
    code, out = diff(repo)
    elapsed = time.perf_counter() - start
    print(f"diff of 1 changed chart among 1,000: {elapsed:.2f} s")
    assert code == 0, out
    assert out.startswith("c0500 0.1.0 (version unchanged)\n  prod:\n    ~ ConfigMap/cm (data.level)\n")
    assert elapsed < 3, f"{elapsed:.2f} s"


def test_a_changed_workflow_is_drawn_with_its_base_above_the_details(repo: Path) -> None:
    change_order_approval(repo)  # ReminderDelay sleeps PT2H instead of PT1H
    code, md = diff(repo, "--format", "markdown")
    assert code == 0, md
    summary = "<details><summary>order-approval · workflow order-approval: 1 changed</summary>"
    assert summary in md
    graph = md[md.index(summary) :]
    assert graph.index("```mermaid\nflowchart TD") < graph.index("</details>")
    assert "class n5 changed" in graph and "legend" in graph  # ReminderDelay, the sixth node
    assert md.index(summary) < md.index("<details><summary>order-approval · prod:")
    code, text = diff(repo, "--format", "json")
    (chart,) = json.loads(text)["charts"]
    (drawn,) = chart["graphs"]
    changed = [n["title"] for n in drawn["nodes"] if n["status"] != "unchanged"]
    assert (drawn["workflow"], changed) == ("order-approval", ["ReminderDelay"])
    # A budget too small for any block: the note counts what made way (details, then graphs).
    code, short = diff(repo, "--format", "markdown", "--max-chars", "1000")
    assert code == 0 and "<details>" not in short
    assert "the details of 2 of 2 changes and 1 of 1 workflow graphs are left out" in short
