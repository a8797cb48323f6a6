"""Issue 8: a seeded, structure-aware fuzz run of validate and generate (testing/fuzz.py).

The CI-sized run: no internal error, no error without a location, no traceback, no chart helm
would refuse and no case over the time bound. benchmarks/fuzz.py runs the long one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chartgen.workflow.build import WorkflowBuilder
from testing.fuzz import BOUND, Fuzzer, default_fuzzer, fuzz, read_tree

SEED = 2026
CASES = 600  # about 13 s on 2 cores, the unit tier under a minute (benchmarks/fuzz.py: the long run)
WORKERS = min(4, os.cpu_count() or 1)


def test_fuzz_run_finds_no_problem(tmp_path: Path) -> None:
    report = fuzz(default_fuzzer(), SEED, CASES, tmp_path, workers=WORKERS)
    figures = report.figures()
    assert not report.problems, "\n".join(str(p) for p in report.problems[:20]) + f"\n{figures}"
    assert report.cases == CASES
    assert max(report.times) <= BOUND
    assert {0, 1} <= set(report.exit_codes)  # the inputs reach generate, and get refused
    fuzzer = default_fuzzer()
    bulk = [i for i in range(CASES) if any("add 100,000 lines" in m for m in fuzzer.case(SEED, i).mutations)]
    assert len(bulk) >= 3, bulk  # the time bound met by 100,000-line properties files too


def test_cases_are_reproducible_and_mutated() -> None:
    fuzzer = default_fuzzer()
    seed_tree = fuzzer.seeds[0]
    first = [fuzzer.case(7, i) for i in range(50)]
    again = [fuzzer.case(7, i) for i in range(50)]
    assert [c.files for c in first] == [c.files for c in again]
    assert [c.mutations for c in first] == [c.mutations for c in again]
    changed = sum(1 for c in first if any(seed_tree.get(p) != d for p, d in c.files.items()))
    assert changed >= 45  # a mutation may cancel out (a removed file is the rest of the seed)


def test_the_fuzzer_reports_a_crash_with_its_replay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness itself: a planted bug is an internal error, with the case that replays it."""

    def crash(self: WorkflowBuilder, data: object, rel_path: str) -> None:
        raise RuntimeError("planted")

    monkeypatch.setattr(WorkflowBuilder, "build", crash)
    report = fuzz(Fuzzer([read_tree(Path(__file__).parents[2] / "examples")]), 1, 40, tmp_path)
    crashes = [p for p in report.problems if p.kind == "internal error"]
    assert crashes and "RuntimeError: planted" in crashes[0].detail
    assert "python -m testing.fuzz --seed 1 --case" in str(crashes[0])
