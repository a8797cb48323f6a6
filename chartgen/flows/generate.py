"""`chartgen generate`: load -> resolve -> validate -> plan -> emit (atomic)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from chartgen.config import Settings
from chartgen.emit.switch import settle_output
from chartgen.emit.writer import EmitResult, emit_charts, output_drift
from chartgen.errors import Diagnostic, Diagnostics
from chartgen.flows import unchanged
from chartgen.flows.plan import Progress, plan_repository, step
from chartgen.flows.unchanged import ChartSummary
from chartgen.formats.source import display_path
from chartgen.plan.model import ChartPlan


@dataclass
class GenerateResult:
    charts: list[ChartSummary]  # every planned chart (with --check: nothing was written)
    removed: list[str] = field(default_factory=list)  # stale charts removed
    diagnostics: list[Diagnostic] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)  # --check: what differs from the committed charts
    unchanged: bool = False  # the inputs and the output folder were as the last generate left them
    refused: list[str] = field(default_factory=list)  # charts not written (their errors: diagnostics)


def run_generate(
    settings: Settings, progress: Progress | None = None, charts: tuple[str, ...] = (), check: bool = False
) -> GenerateResult:
    """validate -> plan -> emit; nothing is written when an input is wrong. A chart only combining
    projects breaks (the dev pod) is refused alone: left as it is, the others written. `charts`
    limits the work to those charts (others are neither read nor removed); `check` writes
    nothing and lists what differs between the output folder and what generate would write."""
    diag = Diagnostics()
    if not check:
        for note in settle_output(settings.out):  # an interrupted run's switch, even if this run fails
            diag.warning(note)
    full = not charts and not check
    if full:
        step(progress, "hashing the inputs")
        inputs = unchanged.input_fingerprint(settings)
        record = unchanged.unchanged(settings, inputs)
        if record is not None:
            return GenerateResult(record.charts, [], record.diagnostics, unchanged=True)
    planned = plan_repository(settings, diag, progress, charts=charts)
    refused = [p for p in planned if p.refusals]
    plans = [p for p in planned if not p.refusals]
    diag.extend(refusal for p in refused for refusal in p.refusals)
    kept = {p.name for p in refused}  # as they are: neither rewritten nor pruned
    chart_dirs = os.path.relpath(settings.out, settings.root)
    if check:
        step(progress, f"comparing {len(plans)} charts with {display_path(settings.out)}")
        drift = output_drift(plans, settings.out, chart_dirs, prune=not charts, keep=kept)
        return GenerateResult(_summaries(plans, None), [], diag.sorted(), drift, refused=sorted(kept))
    step(progress, f"writing {len(plans)} charts")
    emitted = (
        emit_charts(plans, settings.out, chart_dirs, prune=not charts, keep=kept)
        if plans or settings.out.exists()
        else None
    )
    for note in emitted.notes if emitted else []:
        diag.warning(note)
    result = GenerateResult(
        _summaries(plans, emitted), emitted.removed if emitted else [], diag.sorted(), refused=sorted(kept)
    )
    if full and emitted is not None and not refused:
        unchanged.remember(
            settings, inputs, [replace(c, written=False) for c in result.charts], result.diagnostics
        )
    elif emitted is not None:
        unchanged.forget(settings.out)
    return result


def _summaries(plans: list[ChartPlan], emitted: EmitResult | None) -> list[ChartSummary]:
    written = set(emitted.written) if emitted else set()
    versions = emitted.versions if emitted else {}
    return [
        ChartSummary(p.name, p.kind, versions.get(p.name, ""), p.name in written, p.workflows, p.environments)
        for p in plans
    ]
