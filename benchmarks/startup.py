"""Startup latency: `chartgen validate` and `chartgen generate` of a one-project repository,
as a user runs them (a fresh process each time), against `python -c pass` on the same machine.

    .venv/bin/python benchmarks/startup.py [--runs 20]

Prints the median and the best wall time of each; targets: validate <= 0.15 s,
generate <= 0.25 s. `python -X importtime -m chartgen ...` shows where the time goes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS = {"validate": 0.15, "generate": 0.25}


def one_project(root: Path) -> Path:
    """examples/ with only its invoice-sync project (an OpenAPI call, secrets, two environments)."""
    target = root / "repo"
    shutil.copytree(REPO / "examples", target, ignore=shutil.ignore_patterns("charts"))
    for project in ("order-approval", "shipment-tracker"):
        shutil.rmtree(target / "workflows" / project)
    return target


def timed(argv: list[str], cwd: Path, runs: int) -> list[float]:
    """Wall times of `runs` fresh processes, after one that writes the bytecode caches (as an
    installed package has them: PYTHONDONTWRITEBYTECODE would time the compiler instead)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True, env=env)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = one_project(Path(tmp))
        python = [sys.executable]
        rows = {
            "python -c pass": timed([*python, "-c", "pass"], repo, args.runs),
            "validate": timed([*python, "-m", "chartgen", "validate", "-q"], repo, args.runs),
            "generate": timed([*python, "-m", "chartgen", "generate", "-q"], repo, args.runs),
        }
    print(f"{'command':<16} {'median':>8} {'best':>8}  target")
    for name, times in rows.items():
        target = TARGETS.get(name)
        verdict = (
            ""
            if target is None
            else f"<= {target:.2f} s {'✔' if statistics.median(times) <= target else '✖'}"
        )
        print(f"{name:<16} {statistics.median(times):7.3f}s {min(times):7.3f}s  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
