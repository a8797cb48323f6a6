"""Benchmark: `chartgen graph` over N synthetic workflows (benchmarks/generate.py's projects).

    python benchmarks/graph.py [--size 1000] [--repeat 3]

Timed, best of --repeat: the command as CI runs it (a new process: load every workflow file,
draw each graph as Mermaid), and, in this process, drawing alone (graph_of + mermaid over the
already loaded flows), and a merge with a base where every workflow changed one state.
"""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate import make_repo  # benchmarks/generate.py: the script's folder is on sys.path

from chartgen.errors import Diagnostics
from chartgen.graph.build import graph_of
from chartgen.graph.merge import merged
from chartgen.graph.render import mermaid
from chartgen.workflow.loader import load_workflows

CHARTGEN = Path(sys.executable).parent / "chartgen"


def best(repeat: int, run: object) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chartgen-bench-graph-") as tmp:
        repo = make_repo(Path(tmp) / "repo", args.size)
        folder = repo / "workflows"

        def command() -> None:
            done = subprocess.run([str(CHARTGEN), "-q", "graph", str(folder)], capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"chartgen graph failed:\n{done.stderr}")

        took = best(args.repeat, command)
        flows = [(w.id, w.definition) for w in load_workflows(folder, Diagnostics()).workflows]
        assert len(flows) == args.size, len(flows)
        drawing = best(args.repeat, lambda: [mermaid(graph_of(wid, flow)) for wid, flow in flows])
        edited = []
        for wid, flow in flows:
            head = copy.deepcopy(dict(flow))
            head["states"][0]["timeouts"] = {"stateExecTimeout": "PT9S"}
            edited.append((wid, flow, head))
        merging = best(
            args.repeat, lambda: [mermaid(merged(graph_of(w, b), graph_of(w, h))) for w, b, h in edited]
        )
        print(
            f"{args.size} workflows: chartgen graph (new process, load + draw) {took:.2f}s; "
            f"drawing alone {drawing:.2f}s; base/head merged and drawn {merging:.2f}s (best of {args.repeat})"
        )


if __name__ == "__main__":
    main()
