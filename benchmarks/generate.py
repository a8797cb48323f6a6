"""Benchmark: validate, generate and lint over N synthetic workflow projects.

    python benchmarks/generate.py [--sizes 10,100,1000] [--lint-sizes 10,100] [--repeat 3]

For each N it reports wall times (best of --repeat) for `validate`, `generate` and
`lint`, and a floor measured in the same run: reading and parsing every input file
with the fastest parsers available (json, PyYAML's libyaml loader) plus writing the
same output tree. `ratio` is generate / floor.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from chartgen.charts.chart import charts_in
from chartgen.config import load_settings
from chartgen.flows.generate import run_generate
from chartgen.flows.validate import run_validate
from chartgen.tools.helm import Helm
from chartgen.tools.locate import find_helm
from chartgen.verify.lint import lint_charts

WORKFLOW = """\
id: {name}
version: "1.{i}.0"
specVersion: "0.8"
name: Synthetic workflow {i}
description: Calls a REST service, branches, waits for an event, then finishes.
dataInputSchema: schemas/input-{i}.json
start: Fetch
events:
  - name: approved
    type: com.example.approved.{i}
    source: /approvals
    kind: consumed
functions:
  - name: getItem
    operation: specs/api-{i}.yaml#getItem{i}
  - name: log
    type: custom
    operation: sysout
  - name: double
    type: expression
    operation: .value * 2
states:
  - name: Fetch
    type: operation
    actions:
      - functionRef:
          refName: getItem
          arguments:
            id: "${{ .id }}"
      - functionRef: double
    transition: Decide
  - name: Decide
    type: switch
    dataConditions:
      - condition: "${{ .value > 10 }}"
        transition: Wait
    defaultCondition:
      transition: Done
  - name: Wait
    type: callback
    action:
      functionRef:
        refName: log
        arguments:
          message: waiting
    eventRef: approved
    timeouts:
      eventTimeout: PT1H
    transition: Done
  - name: Done
    type: inject
    data:
      status: done
    end: true
"""

SPEC = """\
openapi: 3.0.3
info: {{title: items, version: "1"}}
paths:
  /items/{{id}}:
    get:
      operationId: getItem{i}
      parameters:
        - {{name: id, in: path, required: true, schema: {{type: string}}}}
      responses:
        "200": {{description: the item}}
"""

PROFILES = {
    "base.yaml": (
        "image:\n  repository: registry.example.com/bench/{workflow}\n  tag: '{version}'\n"
        "persistence:\n  postgresql: {host: pg.db.svc, database: workflows}\n"
        "eventing: {deadLetterSink: 'http://dlq.bench.svc'}\n"
        "jobService: {url: 'http://jobs-service.platform.svc.cluster.local'}\n"
        "secrets:\n  vault: {address: 'https://vault.example.com:8200'}\n"
    ),
    "dev.yaml": "extends: base\nmode: dev\nnamespace: bench-dev\n",
    "staging.yaml": "extends: base\nmode: production\nnamespace: bench-staging\nscaling: {minReplicas: 2}\n",
    "prod.yaml": "extends: base\nmode: production\nnamespace: bench-prod\nscaling: {minReplicas: 3}\n",
}


def make_repo(root: Path, n: int) -> Path:
    for i in range(n):
        name = f"wf-{i:04d}"
        project = root / "workflows" / name
        (project / "specs").mkdir(parents=True)
        (project / "schemas").mkdir()
        text = WORKFLOW.format(name=name, i=i)
        if i % 4 == 3:  # a quarter of the projects in JSON
            (project / f"{name}.sw.json").write_text(json.dumps(yaml.safe_load(text), indent=2))
        else:
            (project / f"{name}.sw.yaml").write_text(text)
        # File names differ per project: the dev pod serves every project from one folder.
        (project / "specs" / f"api-{i}.yaml").write_text(SPEC.format(i=i))
        (project / "schemas" / f"input-{i}.json").write_text('{"type": "object", "required": ["id"]}\n')
        (project / "application.properties").write_text(
            f"quarkus.rest-client.api_{i}_yaml.url=http://svc-{i}\n"
        )
    (root / "profiles").mkdir()
    for file, text in PROFILES.items():
        (root / "profiles" / file).write_text(text)
    (root / "chartgen.yaml").write_text("name: bench\n")
    return root


def floor(repo: Path, charts: Path, scratch: Path) -> None:
    """Parse every input with the fastest parsers, write the same output tree."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in sorted((repo / "workflows").rglob("*")):
        if path.suffix == ".json":
            json.loads(path.read_bytes())
        elif path.suffix in (".yaml", ".yml"):
            list(yaml.load_all(path.read_bytes(), Loader=loader))
        elif path.is_file():
            path.read_bytes()
    for path in sorted((repo / "profiles").iterdir()):
        yaml.load(path.read_bytes(), Loader=loader)
    for path in sorted(charts.rglob("*")):
        target = scratch / path.relative_to(charts)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())


def best(repeat: int, fn: Callable[[], object], reset: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(repeat):
        if reset:
            reset()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(n: int, lint: bool, repeat: int, workdir: str | None) -> dict[str, float | int | None]:
    with tempfile.TemporaryDirectory(prefix=f"chartgen-bench-{n}-", dir=workdir) as tmp:
        repo = make_repo(Path(tmp), n)
        settings = load_settings({}, repo)
        t_validate = best(repeat, lambda: run_validate(settings))
        t_generate = best(repeat, lambda: run_generate(settings), lambda: shutil.rmtree(settings.out, True))
        scratch = Path(tmp) / "floor"
        t_floor = best(
            repeat, lambda: floor(repo, settings.out, scratch), lambda: shutil.rmtree(scratch, True)
        )
        files = sum(1 for p in settings.out.rglob("*") if p.is_file())
        t_lint = None
        if lint:
            start = time.perf_counter()
            report = lint_charts(charts_in(settings.out), "1.34", Helm(find_helm()))
            t_lint = time.perf_counter() - start
            assert report.ok, [r.problems for r in report.results if not r.ok][:3]
        return {"n": n, "validate": t_validate, "generate": t_generate, "floor": t_floor,
                "ratio": t_generate / t_floor, "lint": t_lint, "files": files}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--lint-sizes", default="10,100", help="sizes to also lint (helm per values file)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", help="where to build the synthetic repositories (default: system temp)")
    args = parser.parse_args()
    lint_sizes = {int(s) for s in args.lint_sizes.split(",") if s}
    print("| workflows | validate | generate | floor | generate/floor | lint | files written |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in (int(s) for s in args.sizes.split(",")):
        r = run(n, n in lint_sizes, args.repeat, args.dir)
        lint = f"{r['lint']:.1f} s" if r["lint"] is not None else "-"
        print(f"| {n} | {r['validate']:.2f} s | {r['generate']:.2f} s | {r['floor']:.2f} s | "
              f"{r['ratio']:.2f}x | {lint} | {r['files']} |", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
