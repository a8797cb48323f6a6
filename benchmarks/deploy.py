"""Benchmark: `chartgen deploy` of N unchanged charts on the local control plane.

    python benchmarks/deploy.py [--charts 10] [--repeat 5]

Makes a repository with `chartgen init` and N workflow projects, starts a kwok control plane
of its own, installs every chart once, then times (best of --repeat, each a fresh `chartgen`
process as CI runs it) a deploy that changes nothing: preflight (namespace, kinds, access,
placeholders), Helm's records and the live objects read, drift compared, no helm upgrade.
Reported with and without the policy check (which renders every chart with helm and runs opa).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chartgen.tools.kwok import cluster_down, cluster_up

NAME = "chartgen-bench-deploy"


def chartgen(repo: Path, *args: str) -> float:
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "chartgen", "-C", str(repo), *args],
                          capture_output=True, text=True)  # fmt: skip
    took = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"chartgen {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return took


def make_repo(root: Path, charts: int) -> Path:
    repo = root / "flows"
    subprocess.run([sys.executable, "-m", "chartgen", "init", str(repo)], check=True, capture_output=True)
    base = repo / "profiles" / "base.yaml"
    base.write_text(base.read_text().replace("example.com", "acme.internal"))
    hello = repo / "workflows" / "hello-world"
    source = (hello / "hello-world.sw.yaml").read_text()
    for i in range(1, charts):
        project = repo / "workflows" / f"hello-{i}"
        project.mkdir()
        (project / f"hello-{i}.sw.yaml").write_text(source.replace("hello-world", f"hello-{i}"))
    chartgen(repo, "generate")
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--charts", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chartgen-bench-deploy-") as tmp:
        repo = make_repo(Path(tmp), args.charts)
        cluster_down(NAME)
        cluster = cluster_up(NAME, nodes=2)
        try:
            target = ("deploy", "--env", "staging", "--kubeconfig", str(cluster.kubeconfig))
            first = chartgen(repo, *target, "--create-namespace")
            print(f"{args.charts} charts installed in {first:.2f}s")
            for label, extra in (
                ("preflight + drift + no-op", ("--skip-policy-check",)),
                ("with the policy check", ()),
            ):
                best = min(chartgen(repo, *target, *extra) for _ in range(args.repeat))
                print(f"{args.charts} unchanged charts, {label}: {best:.2f}s (best of {args.repeat})")
        finally:
            cluster_down(NAME)
            shutil.rmtree(repo, ignore_errors=True)


if __name__ == "__main__":
    main()
