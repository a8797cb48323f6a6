"""Planning in several processes gives what one process gives: the same charts, byte for byte,
and the same report, when projects are fine, when combining them breaks a chart, and when
some are wrong; and a child's failure reaches the parent."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from chartgen.errors import Diagnostic, UserError
from chartgen.flows import parallel
from chartgen.flows import plan as flows_plan
from chartgen.flows.parallel import in_parallel
from testing.repo import CliResult, run_cli
from testing.trees import GREETING, PROFILES_BASIC, build_tree, snapshot

SONATAFLOW_PROD = textwrap.dedent(PROFILES_BASIC["profiles/prod.yaml"]) + "runtime: sonataflow\n"


def flow(wf_id: str) -> str:
    return GREETING.replace("id: greeting", f"id: {wf_id}")


def projects(names: Sequence[str], extra: dict[str, str] | None = None) -> dict[str, str]:
    files = {f"workflows/{n}/{n}.sw.yaml": flow(n.replace("_", "-")) for n in names}
    return {**files, **PROFILES_BASIC, **(extra or {})}


def run_in(
    monkeypatch: pytest.MonkeyPatch, root: Path, files: dict[str, str], processes: int, *args: str
) -> tuple[CliResult, dict[str, bytes], list[int]]:
    """`chartgen <args>` in a fresh copy of `files`, planning in `processes` processes."""
    build_tree(root, files)
    monkeypatch.chdir(root)
    forks: list[int] = []
    real = parallel.in_parallel

    def counted(jobs: Sequence[Callable[[], Any]]) -> list[Any]:
        forks.append(len(jobs))
        return real(jobs)

    monkeypatch.setattr(flows_plan, "processes", lambda jobs, smallest: max(1, min(processes, jobs)))
    monkeypatch.setattr(flows_plan, "in_parallel", counted)
    result = run_cli(*args)
    charts = root / "charts"
    return result, snapshot(charts) if charts.exists() else {}, forks


def same_in_one_and_three(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, files: dict[str, str], *args: str
) -> tuple[CliResult, dict[str, bytes]]:
    # The repository's folder names it (and its dev chart): both copies are called "repo".
    one, tree_one, forks_one = run_in(monkeypatch, tmp_path / "one" / "repo", files, 1, *args)
    three, tree_three, forks_three = run_in(monkeypatch, tmp_path / "three" / "repo", files, 3, *args)
    assert (forks_one, forks_three) == ([1], [3])
    assert three == one
    assert tree_three == tree_one
    return one, tree_one


def test_six_projects_in_three_processes_write_what_one_process_writes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = projects(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"])
    result, tree = same_in_one_and_three(monkeypatch, tmp_path, files, "generate")
    assert result.code == 0, result.err
    assert {rel.split("/")[0] for rel in tree} == {
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "repo-dev", "ct.yaml"
    }  # fmt: skip
    assert b"alpha, bravo, charlie, delta, echo, foxtrot" in tree["repo-dev/Chart.yaml"]


def test_validate_reports_the_same_in_three_processes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = projects(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"])
    result, _ = same_in_one_and_three(monkeypatch, tmp_path, files, "validate", "--output", "json")
    assert result.code == 0, result.err
    assert '"project": "foxtrot"' in result.out


def test_what_projects_of_different_processes_break_together_is_found(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """alpha (first process) and foxtrot (third) hold different specs/api.yaml and share a
    workflow id: the dev chart is refused, and both production charts (one SonataFlow name)."""
    files = projects(
        ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"],
        {
            "workflows/alpha/specs/api.yaml": "openapi: 3.0.3\ninfo: {title: a, version: '1'}\npaths: {}\n",
            "workflows/foxtrot/specs/api.yaml": "openapi: 3.0.3\ninfo: {title: f, version: '1'}\npaths: {}\n",
            "workflows/foxtrot/foxtrot.sw.yaml": flow("alpha"),
            "profiles/prod.yaml": SONATAFLOW_PROD,
        },
    )
    result, tree = same_in_one_and_three(monkeypatch, tmp_path, files, "generate")
    assert result.code == 1
    assert "'specs/api.yaml' differs between project 'alpha'" in result.err
    assert "workflow id 'alpha' is in project 'alpha' (workflows/alpha/alpha.sw.yaml:1:5)" in result.err
    assert "are both SonataFlow 'alpha'" in result.err
    assert {rel.split("/")[0] for rel in tree} == {"bravo", "charlie", "delta", "echo", "ct.yaml"}


def test_errors_of_every_process_are_reported_located(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A broken workflow in the second process, and two folders of the first and third that
    make one chart name: one wave, nothing written."""
    files = projects(
        ["alpha", "bravo", "charlie", "delta", "echo", "order_x"],
        {
            "workflows/order-x/order-x.sw.yaml": flow("other"),
            "workflows/charlie/charlie.sw.yaml": flow("charlie").replace("start: Greet", "start: Nowhere"),
        },
    )
    result, tree = same_in_one_and_three(monkeypatch, tmp_path, files, "generate")
    assert result.code == 1
    assert "workflows/charlie/charlie.sw.yaml:5:8: error:" in result.err
    assert "chart name 'order-x' is produced by both project 'order-x'" in result.err
    assert tree == {}


def test_a_childs_user_error_is_raised_as_it_was() -> None:
    def refuse() -> None:
        raise UserError(diagnostics=[Diagnostic("error", "refused in the child")])

    with pytest.raises(UserError) as caught:
        in_parallel([refuse, lambda: 1])
    assert [d.message for d in caught.value.diagnostics] == ["refused in the child"]


def test_a_childs_crash_is_an_internal_error_with_its_traceback() -> None:
    def crash() -> None:
        raise KeyError("lost")

    with pytest.raises(RuntimeError, match="KeyError: 'lost'"):
        in_parallel([crash, lambda: 1])


def test_results_come_in_job_order() -> None:
    assert in_parallel([lambda: "a", lambda: "b", lambda: "c"]) == ["a", "b", "c"]


def test_one_process_per_core_and_share(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    assert [parallel.processes(n, 100) for n in (1, 199, 200, 5000)] == [1, 1, 2, 2]


def test_check_compares_the_same_in_three_processes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`generate --check` brings the plans back from the children: they cross intact."""
    files = projects(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"])
    result, _ = same_in_one_and_three(monkeypatch, tmp_path, files, "generate", "--check")
    assert result.code == 1
    assert "charts/foxtrot/Chart.yaml: missing" in result.out
