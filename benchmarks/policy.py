"""Benchmark: `chartgen policy check` (real helm renders + one opa run per mode) over charts
generated from N synthetic workflow projects (each: staging and prod; plus the dev chart).

    python benchmarks/policy.py [--projects 50,100] [--repeat 3]

"renders" counts chart x values-file pairs: 50 projects -> 101 rendered charts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from generate import make_repo  # benchmarks/generate.py: the script's folder is on sys.path

from chartgen.charts.chart import charts_in
from chartgen.config import load_settings
from chartgen.flows.generate import run_generate
from chartgen.flows.wiring import renderer
from chartgen.tools.locate import find_tool
from chartgen.tools.opa import Opa
from chartgen.verify.policy import check_policies


def run(n: int, repeat: int) -> tuple[int, float, float]:
    """(renders, best seconds render + evaluate, seconds of the opa evaluation alone in that run)."""
    with tempfile.TemporaryDirectory(prefix=f"chartgen-policy-{n}-") as tmp:
        repo = make_repo(Path(tmp), n)
        settings = load_settings({}, repo)
        run_generate(settings)
        opa = TimedOpa(find_tool("opa"))
        best = float("inf")
        results = []
        for _ in range(repeat):
            opa.seconds = 0.0
            start = time.perf_counter()
            with renderer() as helm:  # what `chartgen policy check` renders with (helm-batch when built)
                results = check_policies(charts_in(settings.out), helm, opa, "1.34")
            elapsed = time.perf_counter() - start
            if elapsed < best:
                best, evaluate = elapsed, opa.seconds
        assert all(r.ok for r in results), [r for r in results if not r.ok][:2]
        return len(results), best, evaluate


class TimedOpa(Opa):
    seconds = 0.0

    def evaluate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return super().evaluate(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--projects", default="50,100")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| projects | rendered charts | policy check (render + evaluate) | of which opa |")
    print("|---:|---:|---:|---:|")
    for n in (int(s) for s in args.projects.split(",")):
        renders, seconds, evaluate = run(n, args.repeat)
        print(f"| {n} | {renders} | {seconds:.2f} s | {evaluate:.2f} s |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
