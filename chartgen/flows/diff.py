"""`chartgen diff`: render every chart a pull request changes, at its base and at head, with
each environment's values, and compare the objects (verify/objects_diff.py).

Only the charts whose files changed are read and rendered (git says which), so one changed
chart in a repository of a thousand costs a few helm runs. A chart helm cannot render is
reported for its environment and the others still are.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from chartgen.charts.chart import ChartEnvironment, GeneratedChart
from chartgen.config import Settings
from chartgen.deploy.data_index import ask, shown_url
from chartgen.deploy.stranded import LIVE, instances, stranded, stranding_workflows
from chartgen.emit.switch import settle_output
from chartgen.errors import UserError
from chartgen.graph.merge import changed_graphs
from chartgen.graph.model import Graph
from chartgen.plan.layout import CHART_FILE
from chartgen.verify.chart_env import Renderer, load_documents, render_text, write_chart
from chartgen.verify.objects_diff import (
    ChartDiff,
    DiffResult,
    EnvDiff,
    Status,
    Waiting,
    compare,
    differing_documents,
    keyed_objects,
)
from chartgen.version.git import find_base
from chartgen.version.rules import RESOURCES, Removal, chart_data, removals_between, workflow_docs

Rendered = tuple[str | None, str]  # (helm's output, "") or (None, why helm could not)
Output = tuple[str | None, str, str]  # a Rendered and the namespace it was rendered for


@dataclass
class Side:
    """One chart as it is at the base or at head."""

    folder: Path
    version: str
    dev: bool
    environments: dict[str, ChartEnvironment] = field(default_factory=dict)


def run_diff(
    settings: Settings,
    helm: Renderer,
    base_ref: str,
    charts: Sequence[str] = (),
    environments: Sequence[str] = (),
    jobs: int | None = None,
    data_indexes: Mapping[str, str] | None = None,
) -> DiffResult:
    """`data_indexes`: environment -> the Data Index to ask which instances wait in what a
    chart removes (none: not asked)."""
    data_indexes = data_indexes or {}
    settle_output(settings.out)  # never read a charts folder an interrupted generate left mixed
    base = find_base(settings.out, base_ref)
    names = sorted(base.changed_charts())
    if charts:
        known = base.chart_names() | {n for n in charts if (settings.out / n / CHART_FILE).is_file()}
        unknown = [n for n in charts if n not in known]
        if unknown:
            raise UserError(f"--chart {', '.join(unknown)}: no such chart at the base or at head")
        names = [n for n in names if n in charts]
    result = DiffResult(base_ref, base.sha)
    with tempfile.TemporaryDirectory(prefix="chartgen-diff-") as tmp:
        removed: dict[str, list[Removal]] = {}
        graphs: dict[str, list[Graph]] = {}

        def pairs() -> Iterator[tuple[str, Path | None, GeneratedChart | None]]:
            """Each chart's base folder (written out as it is read from git) and head chart
            (read once: for what it removes and for its side of the diff)."""
            for name in names:
                new = settings.out / name if (settings.out / name / CHART_FILE).is_file() else None
                head = GeneratedChart.at(new) if new is not None else None
                files = base.files(name)
                old = _write_base(files, Path(tmp) / name, new)
                if old or new:
                    removed[name], graphs[name] = _workflow_changes(files, head)
                    yield name, old, head

        diffs = _diff_charts(pairs(), helm, settings.kube_version, environments, jobs)
    result.charts = [d for d in diffs if d.error or d.environments]
    for chart in result.charts:
        chart.graphs = graphs.get(chart.chart, [])
        found = removed.get(chart.chart, [])
        chart.removed = [r.describe() for r in found]
        if stranding_workflows(found):
            envs = sorted({e.environment for e in chart.environments})
            chart.waiting = [waiting(env, found, data_indexes.get(env, "")) for env in envs]
    return result


def _workflow_changes(
    base: dict[str, bytes] | None, head: GeneratedChart | None
) -> tuple[list[Removal], list[Graph]]:
    """What head removes that a production chart's persisted instances may need (the version
    rules'; none for a chart new at head), and each workflow it changes drawn with its base.
    Nothing when the workflow files are the same at both, nor for the dev chart (it repeats the
    production charts' workflows, all in one). The definitions are parsed once, for both."""
    base_files = base or {}
    head_files = head.files if head is not None else {}
    # Compared first: reading chartgen-data.yaml costs more.
    same = _workflow_files(base_files) == _workflow_files(head_files)
    if (same and head is not None) or chart_data(head_files or base_files).get("kind") == "dev":
        return [], []
    old, new = workflow_docs(base_files), workflow_docs(head_files)
    return (removals_between(old, new) if base else []), ([] if same else changed_graphs(old, new))


def _workflow_files(files: Mapping[str, bytes]) -> dict[str, bytes]:
    return {rel: content for rel, content in files.items() if rel.startswith(RESOURCES)}


def waiting(env: str, found: list[Removal], data_index: str) -> Waiting:
    """The live instances of `env` that `found` would strand, asked of the Data Index the
    pipeline names (never a URL the pull request wrote)."""
    if not data_index:
        return Waiting(env, note=f"not asked (--data-index {env}=URL)")
    try:
        live = ask(data_index, stranding_workflows(found), LIVE)
    except UserError as exc:
        return Waiting(env, note=str(exc))
    found_stranded = stranded(found, live)
    per_state: dict[str, dict[str, int]] = {}
    for s in found_stranded:
        counts = per_state.setdefault(s.instance.workflow, {})
        for state in sorted(set(s.instance.waiting_in) & set(s.removal.states)):
            counts[state] = counts.get(state, 0) + 1
    lines = [s.line() for s in found_stranded]
    where = f"the Data Index at {shown_url(data_index)}"
    return Waiting(env, lines, f"{instances(len(lines))} would be stranded ({where})", per_state, True)


def _write_base(files: dict[str, bytes] | None, folder: Path, head: Path | None) -> Path | None:
    """The chart as committed at the base, written out for helm (None: not a chart there);
    the files head has unchanged are linked from there."""
    if not files or CHART_FILE not in files:
        return None
    write_chart(files, folder, like=head)
    return folder


def _diff_charts(
    pairs: Iterable[tuple[str, Path | None, GeneratedChart | None]],
    helm: Renderer,
    kube_version: str,
    only: Sequence[str],
    jobs: int | None,
) -> list[ChartDiff]:
    """Read both sides of every chart and render each (side, environment) in one pool, then
    compare chart by chart. A pipeline: helm starts on the first chart while the next ones are
    read, and a chart is compared while later ones render (helm's processes are most of the
    time; reading and comparing hide behind them)."""
    diffs: list[ChartDiff] = []
    queued: list[tuple[str, Side | None, Side | None, dict[tuple[Path, str], Future[Rendered]]]] = []

    def one(folder: Path, name: str, env: ChartEnvironment) -> Rendered:
        return render_text(helm, folder, name, env, kube_version)

    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        for name, old, new in pairs:
            try:
                old_side = read_side(GeneratedChart.at(old)) if old else None
                new_side = read_side(new) if new else None
            except UserError as exc:
                diffs.append(ChartDiff(name, "changed", None, None, False, error=str(exc)))
                continue
            futures = {
                (side.folder, env.name): pool.submit(one, side.folder, name, env)
                for side in (old_side, new_side)
                if side is not None
                for env in side.environments.values()
                if not only or env.name in only
            }
            queued.append((name, old_side, new_side, futures))
        for name, old_side, new_side, futures in queued:
            rendered = {key: future.result() for key, future in futures.items()}
            diffs.append(_chart_diff(name, old_side, new_side, rendered, only))
    return sorted(diffs, key=lambda d: d.chart)


def _chart_diff(
    name: str,
    old: Side | None,
    new: Side | None,
    rendered: dict[tuple[Path, str], Rendered],
    only: Sequence[str],
) -> ChartDiff:
    status: Status = "new" if old is None else "removed" if new is None else "changed"
    chart = ChartDiff(
        name,
        status,
        old.version if old else None,
        new.version if new else None,
        any(s.dev for s in (old, new) if s),
    )
    envs = sorted({e for s in (old, new) if s for e in s.environments if not only or e in only})
    for env in envs:
        a = _rendered(old, env, rendered)
        b = _rendered(new, env, rendered)
        chart.environments.append(_env_diff(env, a, b, status))
    return chart


def _rendered(side: Side | None, env: str, rendered: dict[tuple[Path, str], Rendered]) -> Output | None:
    """(helm's output or None, why not, the namespace) of one side in one environment; None
    when the side does not have that environment."""
    if side is None or env not in side.environments or (side.folder, env) not in rendered:
        return None
    text, problem = rendered[(side.folder, env)]
    return text, problem, side.environments[env].namespace


def _env_diff(env: str, a: Output | None, b: Output | None, status: str) -> EnvDiff:
    """The objects that differ; only the documents that are not the same text at base and
    head are parsed and compared."""
    errors = [f"{side}: {out[1]}" for side, out in (("base", a), ("head", b)) if out and out[0] is None]
    if errors:
        return EnvDiff(env, error="\n".join(errors))
    note = ""
    if status == "changed" and a is None:
        note = "new environment"
    elif status == "changed" and b is None:
        note = "environment removed"
    old_text, new_text = differing_documents((a and a[0]) or "", (b and b[0]) or "")
    sides = []
    for side, text, out in (("base", old_text, a), ("head", new_text, b)):
        docs, problem = load_documents(text)
        if docs is None:
            return EnvDiff(env, error=f"{side}: {problem}")
        sides.append(keyed_objects(docs, out[2]) if out else {})
    return EnvDiff(env, compare(sides[0], sides[1]), note)


def read_side(chart: GeneratedChart) -> Side:
    """The version, the mode and the environments of a chart's folder (a located UserError when
    its Chart.yaml cannot be read)."""
    assert chart.folder is not None
    envs = chart.environments
    return Side(
        chart.folder, chart.version_fields.version, chart.mode == "dev", {env.name: env for env in envs}
    )
