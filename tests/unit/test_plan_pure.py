"""Loading finishes before planning: `plan_charts` is a function of in-memory models, and reads
no file (checked by forbidding every read while it runs)."""

from __future__ import annotations

import builtins
import textwrap
from pathlib import Path
from typing import Any

import pytest

from chartgen.errors import Diagnostics
from chartgen.formats.source import SourceFile
from chartgen.plan import plan_charts
from chartgen.profile.model import Profile, ProfileFile, ProfileSettings
from chartgen.schema.check import load
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

    def no_reads(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"planning read a file: {args[:1]}")

    monkeypatch.setattr(builtins, "open", no_reads)
    monkeypatch.setattr(Path, "read_bytes", no_reads)
    monkeypatch.setattr(Path, "read_text", no_reads)
    diag = Diagnostics()
    [plan] = plan_charts(wset, [prod], "acme", {}, lambda: "0123abcd", diag)
    assert [d for d in diag.items if d.severity == "error"] == []
    assert plan.name == "greet"
    assert plan.data.environments["prod"].namespace == "wf-prod"
    image = plan.values["prod"].image
    assert image is not None and (image.repository, image.tag) == ("registry.example.com/wf/greet", "1.0")
    assert [f.content for f in plan.properties] == [b"quarkus.log.level=INFO\n"]


def test_a_file_without_a_diagnostic_is_never_re_read_for_positions() -> None:
    """Positions cost a second parse: only a file with something to report pays it."""
    from chartgen.config import load_settings
    from chartgen.errors import Diagnostics
    from chartgen.flows.plan import load_and_plan
    from tests.conftest import REPO

    diag = Diagnostics()
    planned = load_and_plan(load_settings({}, REPO / "examples"), diag)
    reported = {d.location.path for d in diag.items if d.location is not None}
    for wf in planned.workflows.workflows:
        assert wf.source._positions is None or wf.source.display in reported, wf.source.display
