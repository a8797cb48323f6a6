"""Loading finishes before planning: `plan_projects` and `plan_dev_charts` are functions of
in-memory models, and read no file (checked by forbidding every read while they run)."""

from __future__ import annotations

import builtins
import textwrap
from pathlib import Path
from typing import Any

import pytest

from chartgen.errors import Diagnostics
from chartgen.formats.source import SourceFile, display_path
from chartgen.plan import plan_dev_charts, plan_projects
from chartgen.profile.model import Profile, ProfileFile, ProfileSettings
from chartgen.schema.check import load
from chartgen.values.model import ProductionValues
from chartgen.workflow.build import WorkflowBuilder
from chartgen.workflow.model import Asset, Project, WorkflowSet
from chartgen.workflow.resolve import resolve
from testing.trees import GREETING

NOWHERE = Path("/nonexistent/repo")


def profile(env: str, text: str) -> Profile:
    source = SourceFile(NOWHERE / f"profiles/{env}.yaml", textwrap.dedent(text).encode())
    data = source.documents()[0]
    settings, problems = load(ProfileSettings, data, "profile")
    assert problems == []
    return Profile(env, [ProfileFile(env, source, data)], settings)


def project() -> WorkflowSet:
    root = NOWHERE / "workflows/greet"
    source = SourceFile(root / "greeting.sw.yaml", textwrap.dedent(GREETING).encode())
    diag = Diagnostics()
    wf = WorkflowBuilder(source, 0, diag).build(source.documents()[0], "greeting.sw.yaml")
    assert wf is not None and diag.items == []
    wf.definition = source.documents()[0]
    props = Asset("application.properties", root / "application.properties", b"quarkus.log.level=INFO\n")
    greet = Project("greet", root, root, "greet", [wf], [props])
    return WorkflowSet(NOWHERE / "workflows", [greet])


def test_plan_charts_needs_no_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    wset = project()
    resolve(wset, Diagnostics())
    prod = profile(
        "prod",
        """
        mode: production
        namespace: wf-prod
        image: {repository: registry.example.com/wf/greet}
        networkPolicy: {ingress: [{namespace: clients}]}
        """,
    )
    dev = profile("dev", "mode: dev\nnamespace: wf-dev\n")

    def no_reads(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"planning read a file: {args[:1]}")

    monkeypatch.setattr(builtins, "open", no_reads)
    monkeypatch.setattr(Path, "read_bytes", no_reads)
    monkeypatch.setattr(Path, "read_text", no_reads)
    diag = Diagnostics()
    [planned] = plan_projects(wset, [prod, dev], {"greet": "greet"}, "acme", lambda: "0123abcd", diag)
    [dev_chart] = plan_dev_charts([planned.dev] if planned.dev else [], [dev], "acme", diag)
    assert [d for d in diag.items if d.severity == "error"] == []
    assert dev_chart.name == "acme-dev" and dev_chart.workflows == ["greeting"]
    plan = planned.production
    assert plan is not None
    assert plan.name == "greet"
    assert plan.data.environments["prod"].namespace == "wf-prod"
    values = plan.values["prod"]
    assert isinstance(values, ProductionValues)
    image = values.image
    assert image is not None and (image.repository, image.tag) == ("registry.example.com/wf/greet", "1.0")
    assert [f.content for f in plan.properties] == [b"quarkus.log.level=INFO\n"]


def test_a_file_without_a_diagnostic_is_never_re_read_for_positions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Positions cost a second parse: only a file with something to report pays it."""
    from chartgen.config import load_settings
    from chartgen.flows.plan import keep_plan, load_and_plan
    from testing.repo import REPO

    located: list[str] = []
    position_trees = SourceFile._position_trees

    def record(self: SourceFile) -> list[Any]:
        located.append(self.display)
        return position_trees(self)

    monkeypatch.setattr(SourceFile, "_position_trees", record)
    diag = Diagnostics()
    planned = load_and_plan(load_settings({}, REPO / "examples"), diag, None, act=keep_plan)
    assert planned.charts
    reported = {d.location.path for d in diag.items if d.location is not None}
    workflows = display_path(REPO / "examples" / "workflows")
    project_files = {path for path in located if path.startswith(workflows)}
    assert project_files <= reported
