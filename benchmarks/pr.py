"""Benchmark: the pull-request checks on a repository of N workflow projects where one changed.

    python benchmarks/pr.py [--size 1000] [--repeat 3] [--dir DIR]

A synthetic repository (benchmarks/generate.py's projects) is generated and committed on
`main`; a branch then changes one workflow (adds a state). Timed, each as the `chartgen`
command CI runs (a new process: interpreter start included), best of --repeat:

- `generate` with no change (the record matches: nothing planned, nothing written) and
  `validate` (reading and checking the inputs, and planning every chart);
- a full `generate` of the whole repository (the reference for the ratios);
- the PR checks for the changed chart: `generate --chart C`, `version check --base main`,
  `diff --base main --chart C`, and their sum;
- `version bump` (renders base and head with helm for the selector rule).

Figures are printed, not asserted: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate import make_repo  # benchmarks/generate.py: the script's folder is on sys.path

CHARTGEN = Path(sys.executable).parent / "chartgen"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def chartgen(repo: Path, *args: str, ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    done = subprocess.run([str(CHARTGEN), "-C", str(repo), "-q", *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in ok:
        raise SystemExit(f"chartgen {' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return elapsed


def best(repeat: int, *args: str, ok: tuple[int, ...] = (0,), repo: Path) -> float:
    return min(chartgen(repo, *args, ok=ok) for _ in range(repeat))


def add_state(workflow: Path) -> None:
    text = workflow.read_text()
    text = text.replace("    transition: Done\n  - name: Done", "    transition: Audit\n  - name: Audit\n"
                        "    type: inject\n    data:\n      audited: true\n    transition: Done\n"
                        "  - name: Done", 1)  # fmt: skip
    if "name: Audit" not in text:
        raise SystemExit(f"{workflow}: the benchmark's workflow changed shape; update add_state")
    workflow.write_text(text)


def run(n: int, repeat: int, workdir: str | None) -> list[tuple[str, float]]:
    with tempfile.TemporaryDirectory(prefix=f"chartgen-pr-{n}-", dir=workdir) as tmp:
        repo = make_repo(Path(tmp) / "repo", n)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "config", "user.email", "bench@example.invalid")
        git(repo, "config", "user.name", "bench")
        chartgen(repo, "generate")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "charts")
        rows = [
            ("validate (reading, checking, planning)", best(repeat, "validate", repo=repo)),
            ("generate, nothing changed", best(repeat, "generate", repo=repo)),
        ]
        full_out = Path(tmp) / "full"
        full = []
        for _ in range(repeat):
            shutil.rmtree(full_out, ignore_errors=True)
            full.append(chartgen(repo, "generate", "--out", str(full_out)))
        rows.append(("generate, full (empty output folder)", min(full)))
        git(repo, "checkout", "-q", "-b", "change")
        changed = "wf-0005"  # a YAML one (every fourth project is JSON)
        add_state(repo / "workflows" / changed / f"{changed}.sw.yaml")
        t_gen = best(repeat, "generate", "--chart", changed, repo=repo)
        t_check = best(repeat, "version", "check", "--base", "main", ok=(1,), repo=repo)
        t_diff = best(repeat, "diff", "--base", "main", "--chart", changed, repo=repo)
        rows += [
            (f"generate --chart {changed}", t_gen),
            ("version check --base main", t_check),
            (f"diff --base main --chart {changed}", t_diff),
            ("PR checks (sum of the three)", t_gen + t_check + t_diff),
            ("version bump --base main", chartgen(repo, "version", "bump", "--base", "main")),
        ]
        return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", help="where to build the synthetic repository (default: system temp)")
    args = parser.parse_args()
    rows = run(args.size, args.repeat, args.dir)
    full = dict(rows)["generate, full (empty output folder)"]
    print(f"{args.size} workflow projects, one changed (best of {args.repeat}, each a new process)")
    print("| step | time | / full generate |")
    print("|---|---:|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} s | {seconds / full:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
