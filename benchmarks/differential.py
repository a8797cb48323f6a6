"""The full differential sweep: every project of examples/ and tests/corpus, chartgen's verdict
against SonataFlow 10.0's own (testing/differential.py), as a Markdown table.

    python benchmarks/differential.py [--only SUBSTRING] [--no-runtime]

Needs what the runtime tier needs (Java 17, Maven, PostgreSQL, helm). About 15 minutes on the
2-core machine with a warm Maven repository; the runtime tier checks a rotating sample.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from testing.differential import cases, judge, work_folder


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="only projects whose name holds this")
    parser.add_argument("--no-runtime", action="store_true", help="chartgen's verdicts only")
    args = parser.parse_args()
    chosen = [c for c in cases() if args.only in c.name]
    start = time.monotonic()
    rows = []
    print("| project | chartgen | runtime | agree | s |\n|---|---|---|---|---:|", flush=True)
    with tempfile.TemporaryDirectory(prefix="chartgen-differential-") as tmp:
        for case in chosen:
            v = judge(case, work_folder(case, Path(tmp)), run_runtime=not args.no_runtime)
            rows.append(v)
            chartgen = v.chartgen + (f": {_cell(v.why)}" if v.why else "")
            runtime = v.runtime + (f": {_cell(v.detail)}" if v.detail else "")
            agree = {True: "yes", False: "**no**", None: "not judged"}[v.agree]
            print(f"| {case.name} | {chartgen} | {runtime} | {agree} | {v.seconds:.0f} |", flush=True)
    judged = [v for v in rows if v.agree is not None]
    agreed = sum(1 for v in judged if v.agree)
    print(
        f"\n{len(rows)} projects: {sum(v.chartgen == 'accepted' for v in rows)} accepted, "
        f"{sum(v.chartgen == 'refused' for v in rows)} refused, {sum(v.chartgen == 'network' for v in rows)} "
        f"need the network; the runtime agrees on {agreed} of {len(judged)} judged; "
        f"{time.monotonic() - start:.0f} s"
    )
    return 0 if agreed == len(judged) else 1


def _cell(text: str) -> str:
    return text.replace("|", "\\|")[:140]


if __name__ == "__main__":
    sys.exit(main())
