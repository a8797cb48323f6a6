"""Benchmark: `chartgen diff --format markdown` when one change touches every chart.

    python benchmarks/diff.py [--size 43] [--repeat 3] [--change profile|workflows]

A synthetic repository of N projects (benchmarks/generate.py's) is generated and committed on
`main`; a branch adds one line to `profiles/base.yaml` (a pod annotation every production chart
renders; --change profile) or changes every workflow (a timeout raised, a switch condition
changed: each chart's comment gets its workflow graph; --change workflows) and regenerates.
Timed, as CI runs it (a new process), best of --repeat: the diff of every chart in every
environment; printed with the size of the comment (GitHub refuses comments over 65,536
characters) and of the full report.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate import make_repo  # benchmarks/generate.py: the script's folder is on sys.path

CHARTGEN = Path(sys.executable).parent / "chartgen"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def chartgen(repo: Path, *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([str(CHARTGEN), "-C", str(repo), "-q", *args], capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"chartgen {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return took, done.stdout


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--size", type=int, default=43)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--change", choices=("profile", "workflows"), default="profile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chartgen-bench-diff-") as tmp:
        repo = make_repo(Path(tmp) / "repo", args.size)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "config", "user.email", "bench@example.invalid")
        git(repo, "config", "user.name", "bench")
        chartgen(repo, "generate")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "base")
        git(repo, "checkout", "-q", "-b", "change")
        if args.change == "profile":
            base = repo / "profiles" / "base.yaml"
            base.write_text(base.read_text() + "podAnnotations: {team.example/owner: workflows}\n")
        else:
            for flow in sorted((repo / "workflows").glob("*/*.sw.*")):
                text = flow.read_text().replace("PT1H", "PT2H").replace("> 10", "> 20")
                flow.write_text(text)
        chartgen(repo, "generate")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"one change to every chart ({args.change})")
        full = Path(tmp) / "full.md"
        runs = [chartgen(repo, "diff", "--base", "main", "--format", "markdown", "--full-report", str(full))
                for _ in range(args.repeat)]  # fmt: skip
        best = min(t for t, _ in runs)
        comment = runs[0][1]
        graphs = comment.count("```mermaid")
        print(f"{args.size} projects, one change ({args.change}): diff --format markdown {best:.2f}s "
              f"(best of {args.repeat}); comment {len(comment):,} characters with {graphs} workflow "
              f"graphs, full report {len(full.read_text()):,}")  # fmt: skip


if __name__ == "__main__":
    main()
