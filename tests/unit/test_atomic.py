"""generate's output is all old or all new: kills, Ctrl-C, a second run, a full disk, a file.

The kill test runs the real command (`python -m chartgen generate`) in a subprocess and kills
it at seeded random moments, most of them while it switches the charts in; after each kill the
next run (here one that fails validation, so it writes nothing itself) must find the tree exactly
as the complete old or the complete new one, with no `.chartgen-*` temporary entry left.
"""

from __future__ import annotations

import errno
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import chartgen.emit.writer as writer
from chartgen.cli.main import main
from testing.repo import run_cli
from testing.trees import GREETING, build_tree, snapshot

CHARTS = 40  # production charts: a wide enough switch, a fast enough run
KILLS = 30
SEED = 8

PROFILE = """
    mode: production
    namespace: wf-{version}
    image: {{repository: "registry.example.com/wf/{{workflow}}", tag: "{{version}}"}}
    secrets: {{vault: {{address: "https://vault.example.com:8200"}}}}
"""
HANDMADE = {"charts/handmade/Chart.yaml": "apiVersion: v2\nname: handmade\nversion: 1.0.0\n"}


def workflow(name: str) -> str:
    return GREETING.replace("id: greeting", f"id: {name}")


def make_repo(root: Path, charts: int = CHARTS) -> Path:
    """`charts` small projects, a project only the old inputs have, and a foreign chart."""
    files: dict[str, str | bytes] = {
        f"workflows/w{i:03d}/w{i:03d}.sw.yaml": workflow(f"w{i:03d}") for i in range(charts)
    }
    files["chartgen.yaml"] = "name: acme\n"
    files["charts/README.md"] = "written by people\n"
    build_tree(root, {**files, **HANDMADE})
    set_inputs(root, "old")
    return root


def set_inputs(root: Path, version: str) -> None:
    """Old and new inputs differ in every chart, and each has a chart the other lacks."""
    build_tree(root, {"profiles/prod.yaml": PROFILE.format(version=version)})
    for name, wanted in (("gone", version == "old"), ("fresh", version == "new")):
        path = root / f"workflows/{name}/{name}.sw.yaml"
        if wanted:
            build_tree(root, {f"workflows/{name}/{name}.sw.yaml": workflow(name)})
        elif path.exists():
            path.unlink()
            path.parent.rmdir()


def digests(out: Path) -> dict[str, str]:
    """One digest per visible entry of the output folder (a chart, ct.yaml, a user's file)."""
    found = {}
    for entry in sorted(out.iterdir()):
        if entry.name.startswith("."):
            continue
        h = hashlib.sha256()
        files = [entry] if entry.is_file() else sorted(p for p in entry.rglob("*") if p.is_file())
        for path in files:
            h.update(path.relative_to(out).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        found[entry.name] = h.hexdigest()
    return found


def leftovers(out: Path) -> list[str]:
    return sorted(n for n in os.listdir(out) if n.startswith(".chartgen"))


_RUNNING: list[Run] = []


class Run:
    """A `chartgen generate` in another process: a fresh `python -m chartgen`, or (`fork`) a
    fork of this process calling the same `main()`: everything but the interpreter's start and
    the imports, three times faster, so that a kill test of many kills stays a unit test."""

    def __init__(self, root: Path, fork: bool = False) -> None:
        argv = ["-C", str(root), "generate", "-q"]
        self.proc: subprocess.Popen[str] | None = None
        self.code: int | None = None
        if not fork:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "chartgen", *argv],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            self.pid = self.proc.pid
        else:
            self.pid = os.fork()
            if self.pid == 0:  # the child: never returns into pytest
                code = 99
                try:
                    quiet = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(quiet, 1)
                    os.dup2(quiet, 2)
                    code = main(argv)
                finally:
                    os._exit(code)
        _RUNNING.append(self)

    def alive(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        if self.code is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.code = os.waitstatus_to_exitcode(status)
        return self.code is None

    def signal(self, sig: int) -> None:
        if self.proc is not None:
            self.proc.send_signal(sig)
        elif self.alive():
            os.kill(self.pid, sig)

    def finish(self) -> tuple[int, str]:
        """Its exit code (negative: the signal that ended it) and stderr."""
        if self.proc is not None:
            _, err = self.proc.communicate(timeout=60)
            return self.proc.returncode, err
        if self.code is None:
            self.code = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.code, ""


@pytest.fixture(autouse=True)
def _reap() -> Iterator[None]:
    """A failed assert leaves no run behind (stopped ones included)."""
    yield
    while _RUNNING:
        run = _RUNNING.pop()
        if run.alive():
            run.signal(signal.SIGKILL)
        run.finish()


def wait_for_entry(out: Path, prefix: str, run: Run, limit: float = 20.0) -> bool:
    """Poll until an entry named `prefix...` shows in `out` (False if the run ended first)."""
    deadline = time.monotonic() + limit
    while run.alive() and time.monotonic() < deadline:
        try:
            if any(n.startswith(prefix) for n in os.listdir(out)):
                return True
        except FileNotFoundError:
            pass
        time.sleep(0.0002)
    return False


def next_run_recovers(root: Path) -> None:
    """A next run that fails at once (no workflows folder): it only recovers what an interrupted
    run left, before it reads anything."""
    result = run_cli("-C", str(root), "generate", "--workflows", "nowhere")
    assert result.code == 1 and "workflows folder not found" in result.err, result.err


@pytest.fixture
def fast_root(tmp_path: Path) -> Iterator[Path]:
    """Where tests that run many generates write: memory when the machine has it (renames and
    locks behave the same, and thousands of files are written 4 times faster), else tmp_path."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        import tempfile

        with tempfile.TemporaryDirectory(dir=shm, prefix="chartgen-atomic-") as folder:
            yield Path(folder)
    else:
        yield tmp_path


def test_killed_runs_leave_the_old_or_the_new_tree(fast_root: Path) -> None:
    root = make_repo(fast_root / "repo")
    out = root / "charts"
    assert run_cli("-C", str(root), "generate").code == 0
    trees = {"old": digests(out)}
    timing = {}
    # Calibrate on full runs of each kind: when they start writing, start switching, and end.
    for fork, version in ((False, "new"), (True, "old"), (False, "new")):
        set_inputs(root, version)
        start = time.monotonic()
        run = Run(root, fork)
        assert wait_for_entry(out, ".chartgen-new-", run)
        writing = time.monotonic() - start
        assert wait_for_entry(out, ".chartgen-old-", run)
        switching = time.monotonic() - start
        code, err = run.finish()
        assert code == 0, err
        timing[fork] = (writing, switching, time.monotonic() - start)
    trees["new"] = digests(out)
    assert set(trees["old"]) - set(trees["new"]) == {"gone"}
    assert set(trees["new"]) - set(trees["old"]) == {"fresh"}
    assert all(trees["old"][n] != trees["new"][n] for n in trees["new"] if n.startswith("w"))

    def tree_now() -> str:
        now = digests(out)
        for name, tree in trees.items():
            if now == tree:
                return name
        mixed = sorted(n for n in set(now) | set(trees["new"]) if now.get(n) != trees["new"].get(n))
        raise AssertionError(f"mixed tree: {len(mixed)} entries differ from the new tree: {mixed[:5]}")

    rng = random.Random(SEED)
    state: str | None = "new"
    outcomes: Counter[str] = Counter()
    for i in range(KILLS):
        target = {"old": "new", "new": "old", None: rng.choice(["old", "new"])}[state]
        set_inputs(root, target)
        fork = i % 5 != 0  # every fifth a fresh interpreter
        writing, switching, ended = timing[fork]
        moment = rng.choice(["any", "writing", "switching", "switching", "switching"])
        sig = signal.SIGINT if state is not None and rng.random() < 0.25 else signal.SIGKILL
        run = Run(root, fork)
        if moment == "any":
            time.sleep(rng.uniform(0, ended))
        elif moment == "writing" and wait_for_entry(out, ".chartgen-new-", run):
            time.sleep(rng.uniform(0, switching - writing))
        elif moment == "switching" and wait_for_entry(out, ".chartgen-old-", run):
            time.sleep((ended - switching) * rng.random() ** 3)
        run.signal(sig)
        code, stderr = run.finish()
        assert "Traceback" not in stderr or sig == signal.SIGINT, stderr
        ending = {0: "finished first", 130: "interrupted"}.get(code, "killed" if code < 0 else f"exit {code}")
        outcomes[f"{moment} {signal.Signals(sig).name}: {ending}"] += 1
        if sig == signal.SIGINT:  # Ctrl-C: the tree is whole at once, not only after recovery
            outcomes[f"right after Ctrl-C: {tree_now()}"] += 1
        if i % 5 == 4:  # sometimes the next run is killed too, before anything looked
            state = None
            continue
        mid_switch = (out / ".chartgen-switch.json").exists()
        had_leftovers = bool(leftovers(out))
        next_run_recovers(root)
        state = tree_now()
        how = " (switch finished)" if mid_switch else " (leftovers removed)" if had_leftovers else ""
        outcomes[f"next run: {state}{how}"] += 1
        assert leftovers(out) == [], f"kill {i} ({moment})"
    set_inputs(root, "new")
    result = run_cli("-C", str(root), "generate")
    assert result.code == 0, result.err
    assert tree_now() == "new"
    assert leftovers(out) == []
    print(
        f"\n{KILLS} kills, {CHARTS + 1} charts; (writing, switching, ended) after start, fresh / fork: "
        f"{[round(t, 3) for t in timing[False]]} / {[round(t, 3) for t in timing[True]]}"
    )
    for outcome, count in sorted(outcomes.items()):
        print(f"  {count:3} {outcome}")


def test_a_second_run_while_one_writes_loses_with_a_clear_message(fast_root: Path) -> None:
    root = make_repo(fast_root / "repo", charts=20)
    out = root / "charts"
    assert run_cli("-C", str(root), "generate").code == 0
    set_inputs(root, "new")
    first = Run(root)
    assert wait_for_entry(out, ".chartgen-new-", first)
    first.signal(signal.SIGSTOP)  # the first run holds the folder, mid-write
    try:
        assert leftovers(out), "the first run ended before it could be stopped"
        second = run_cli("-C", str(root), "generate")
    finally:
        first.signal(signal.SIGCONT)
    assert second.code == 1, second.err
    assert "chartgen: error: another chartgen generate is writing charts" in second.err
    assert "Traceback" not in second.err
    code, err = first.finish()
    assert code == 0, err
    whole = digests(out)
    assert "fresh" in whole and "gone" not in whole
    assert run_cli("-C", str(root), "generate").code == 0
    assert digests(out) == whole  # what the first run left is the complete new tree
    assert leftovers(out) == []


def test_two_runs_at_once_end_with_one_complete_tree(fast_root: Path) -> None:
    """No stopping here: two runs race for real, three times (main lost 2 races in 3)."""
    root = make_repo(fast_root / "repo", charts=20)
    out = root / "charts"
    assert run_cli("-C", str(root), "generate").code == 0
    for version in ("new", "old", "new"):
        set_inputs(root, version)
        runs = [Run(root), Run(root)]
        results = [run.finish() for run in runs]
        for code, err in results:
            assert code == 0 or (code == 1 and "another chartgen generate is writing charts" in err), err
            assert "Traceback" not in err
        assert 0 in [code for code, _ in results]
        whole = digests(out)
        assert ("fresh" in whole) == (version == "new")
        assert run_cli("-C", str(root), "generate").code == 0
        assert digests(out) == whole  # what the race left is the complete tree
        assert leftovers(out) == []


def test_leftovers_of_interrupted_runs_are_removed(tmp_path: Path) -> None:
    root = make_repo(tmp_path, charts=2)
    build_tree(
        root / "charts",
        {
            ".chartgen-old-k2j4h5g6/w000/Chart.yaml": "apiVersion: v2\nname: w000\nversion: 0.1.0\n",
            ".chartgen-new-a1b2c3d4/w001/values.yaml": "{}\n",
        },
    )
    result = run_cli("generate")
    assert result.code == 0, result.err
    assert sorted(os.listdir(root / "charts")) == ["README.md", "ct.yaml", "gone", "handmade", "w000", "w001"]


def test_out_folder_that_is_a_file(tmp_path: Path) -> None:
    make_repo(tmp_path, charts=2)
    (tmp_path / "charts/README.md").unlink()
    (tmp_path / "charts/handmade/Chart.yaml").unlink()
    (tmp_path / "charts/handmade").rmdir()
    (tmp_path / "charts").rmdir()
    (tmp_path / "charts").write_text("not a folder\n")
    result = run_cli("generate")
    assert result.code == 1
    assert result.err == (
        "chartgen: error: charts: is a file, not a folder: the charts need a folder "
        "(move the file away or choose another --out)\n"
    )
    assert (tmp_path / "charts").read_text() == "not a folder\n"
    (tmp_path / "parent").write_text("a file\n")
    result = run_cli("generate", "--out", "parent/charts")
    assert result.code == 1
    assert result.err == (
        "chartgen: error: parent/charts: cannot create the output folder: parent is a file, "
        "not a folder (move it away or choose another --out)\n"
    )


def full_disk(monkeypatch: pytest.MonkeyPatch, after: int, calls: tuple[str, ...], once: bool) -> None:
    """The disk is full from the `after`+1-th write (or rename) on, whichever way the writer
    makes them; `once`: only that call fails (space came back: putting things back works)."""
    count = 0

    def tick(target: object) -> None:
        nonlocal count
        count += 1
        if count > after and not (once and count > after + 1):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    def failing(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            tick(args[0] if args else None)
            return real(*args, **kwargs)

        return call

    def opener(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode:  # buffered file objects do not write through os.write
            tick(file)
        return open(file, mode, *args, **kwargs)

    for name in calls:
        if name == "open":
            monkeypatch.setattr(writer, "open", opener, raising=False)
        else:
            monkeypatch.setattr(os, name, failing(getattr(os, name)))


@pytest.mark.parametrize(
    ("where", "after", "calls"),
    [("writing", 50, ("write", "open")), ("switching", 3, ("rename", "replace"))],
)
def test_full_disk_changes_nothing_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, after: int, calls: tuple[str, ...]
) -> None:
    """Writing: the new charts do not fit. Switching: a folder entry does not (once)."""
    make_repo(tmp_path, charts=3)
    assert run_cli("generate").code == 0
    before = snapshot(tmp_path / "charts")
    set_inputs(tmp_path, "new")
    with monkeypatch.context() as patch:
        full_disk(patch, after, calls, once=where == "switching")
        result = run_cli("generate")
    assert result.code == 1
    assert result.err.startswith("chartgen: error: charts: no space left on device while "), result.err
    assert "nothing was changed: the previous charts are intact" in result.err
    assert "Errno" not in result.err and ".chartgen-" not in result.err
    assert snapshot(tmp_path / "charts") == before
    assert leftovers(tmp_path / "charts") == []


class Crash(BaseException):
    """The process dies here: nothing of it runs after (no except, no finally cleanup counts)."""


def test_a_crash_in_the_middle_of_the_switch_is_finished_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_repo(tmp_path, charts=6)
    assert run_cli("generate").code == 0
    old = digests(tmp_path / "charts")
    set_inputs(tmp_path, "new")
    assert run_cli("generate", "--out", "expected").code == 0
    new = digests(tmp_path / "expected")
    renames = 0

    def dies_at_the_fifth(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal renames
            renames += 1
            if renames == 5:
                raise Crash
            return real(*args, **kwargs)

        return call

    with monkeypatch.context() as patch:
        for name in ("rename", "replace"):
            patch.setattr(os, name, dies_at_the_fifth(getattr(os, name)))
        with pytest.raises(Crash):
            run_cli("generate")
    assert digests(tmp_path / "charts") not in (old, new)  # mixed: what a kill leaves
    result = run_cli("generate", "--workflows", "nowhere")  # fails, after finishing the switch
    assert result.code == 1
    assert (
        "warning: charts: an earlier chartgen generate was interrupted while switching the charts in; "
        "its switch is now complete"
    ) in result.err
    people = {k: old[k] for k in ("README.md", "handmade", "ct.yaml")}  # ct.yaml names its folder
    assert digests(tmp_path / "charts") == {**new, **people}
    assert leftovers(tmp_path / "charts") == []


def test_a_tampered_journal_is_refused_not_followed(tmp_path: Path) -> None:
    make_repo(tmp_path, charts=2)
    assert run_cli("generate").code == 0
    before = snapshot(tmp_path)
    (tmp_path / "charts/.chartgen-new-abcd1234").mkdir()
    journal = tmp_path / "charts/.chartgen-switch.json"
    journal.write_text(
        '{"staging": ".chartgen-new-abcd1234", "backup": "../../elsewhere", "install": ["../workflows"], '
        '"remove": ["w000"]}'
    )
    result = run_cli("generate")
    assert result.code == 1
    assert result.err.startswith(
        "chartgen: error: charts/.chartgen-switch.json: the record of an interrupted chartgen generate "
        "is not readable (temporary folders); compare charts with git, then delete this file\n"
    ), result.err
    journal.unlink()
    (tmp_path / "charts/.chartgen-new-abcd1234").rmdir()
    assert snapshot(tmp_path) == before
