"""Long fuzz run: the seeded structure-aware fuzzer of testing/fuzz.py over many cases.

    .venv/bin/python benchmarks/fuzz.py [--cases 20000] [--seed 1] [--corpus DIR] [--helm-every 100]
                                        [--workers 2]

Each case mutates examples/ (and, with --corpus, mixes in a real workflow project read in
place from DIR) and runs `chartgen validate` and `chartgen generate` in-process. Prints the
figures (cases, exit codes, internal errors, unlocated errors, cases over the time bound,
max / p99 / median seconds per case) and every problem with the command that replays it.
With --helm-every N, every Nth case whose generate succeeds is also linted with real helm
(`chartgen lint`). Exit status 1 when any problem was found.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # testing/ is not installed

from testing.fuzz import BOUND, Report, default_fuzzer, fuzz


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, help="real workflow projects to mix in, read in place")
    parser.add_argument("--bound", type=float, default=BOUND, help="CPU seconds a case may take")
    parser.add_argument("--helm-every", type=int, default=0, help="lint every Nth successful generate")
    parser.add_argument("--workers", type=int, default=1, help="processes (no progress lines when > 1)")
    parser.add_argument("--dir", help="where cases are written (default: system temp)")
    args = parser.parse_args()
    fuzzer = default_fuzzer(args.corpus)
    start = time.perf_counter()

    def progress(index: int, report: Report) -> None:
        if (index + 1) % 1000 == 0:
            rate = (index + 1) / (time.perf_counter() - start)
            print(
                f"  {index + 1} cases, {len(report.problems)} problems, {rate:.0f} cases/s", file=sys.stderr
            )

    with tempfile.TemporaryDirectory(prefix="chartgen-fuzz-", dir=args.dir) as tmp:
        report = fuzz(
            fuzzer, args.seed, args.cases, Path(tmp), args.bound, progress, args.helm_every, args.workers
        )
    wall = time.perf_counter() - start
    corpus = f", corpus {args.corpus} ({len(fuzzer.projects)} projects)" if args.corpus else ""
    print(f"seed {args.seed}{corpus}; {args.workers} worker(s), {wall:.0f} s wall\n")
    print("| figure | value |\n|---|---:|")
    for name, value in report.figures().items():
        print(f"| {name} | {value} |")
    if report.problems:
        print(f"\n{len(report.problems)} problems:")
        for problem in report.problems[:50]:
            print(problem)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
