"""`chartgen generate`: load -> resolve -> validate -> plan -> emit (atomic)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field, replace
from typing import Any

from chartgen.config import Settings
from chartgen.emit.switch import settle_output
from chartgen.emit.writer import EmitResult, output_drift, writing
from chartgen.errors import Diagnostic, Diagnostics
from chartgen.flows import unchanged
from chartgen.flows.plan import PlannedChart, Progress, keep_plan, load_and_plan, step
from chartgen.flows.unchanged import ChartSummary
from chartgen.formats.source import display_path


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
    chart_dirs = os.path.relpath(settings.out, settings.root)
    if check:
        checked = load_and_plan(settings, diag, progress, charts=charts, act=keep_plan)
        plans = [c.done for c in checked.charts if not c.refusals]
        kept = {c.name for c in checked.charts if c.refusals}
        diag.extend(refusal for c in checked.charts for refusal in c.refusals)
        step(progress, f"comparing {len(plans)} charts with {display_path(settings.out)}")
        drift = output_drift(plans, settings.out, chart_dirs, prune=not charts, keep=kept)
        return GenerateResult(
            _summaries(checked.charts, None), [], diag.sorted(), drift, refused=sorted(kept)
        )
    for note in settle_output(settings.out):  # an interrupted run's switch, even if this run fails
        diag.warning(note)
    full = not charts
    if full:
        step(progress, "hashing the inputs")
        inputs = unchanged.input_fingerprint(settings)
        record = unchanged.unchanged(settings, inputs)
        if record is not None:
            return GenerateResult(record.charts, [], record.diagnostics, unchanged=True)
    existed = settings.out.exists()
    try:
        with writing(settings.out) as stager:
            # Each chart is written to the staging folder as soon as it is planned; the switch
            # puts them in place once every input has been checked.
            planned = load_and_plan(settings, diag, progress, charts=charts, act=stager.stage)
            if not planned.charts and not existed:
                raise _NothingToWrite
            for chart in planned.charts:
                if chart.refusals:
                    stager.unstage(chart.name)
            kept = {c.name for c in planned.charts if c.refusals}
            staged = {c.name: c.done for c in planned.charts if not c.refusals}
            step(progress, f"switching {len(staged)} charts in")
            emitted: EmitResult | None = stager.finish(staged, chart_dirs, prune=full, keep=kept)
    except _NothingToWrite:
        emitted = None
        kept = set()
    finally:
        if not existed:  # created for this run, and nothing was switched in: not left behind
            with contextlib.suppress(OSError):
                settings.out.rmdir()
    diag.extend(refusal for c in planned.charts for refusal in c.refusals)
    for note in emitted.notes if emitted else []:
        diag.warning(note)
    result = GenerateResult(
        _summaries(planned.charts, emitted),
        emitted.removed if emitted else [],
        diag.sorted(),
        refused=sorted(kept),
    )
    if full and emitted is not None and not kept:
        unchanged.remember(
            settings, inputs, [replace(c, written=False) for c in result.charts], result.diagnostics
        )
    elif emitted is not None:
        unchanged.forget(settings.out)
    return result


class _NothingToWrite(Exception):
    """No chart planned and no output folder before: generate creates none."""


def _summaries(charts: list[PlannedChart[Any]], emitted: EmitResult | None) -> list[ChartSummary]:
    """Every chart written or kept; a refused one is neither, and not listed."""
    written = set(emitted.written) if emitted else set()
    versions = emitted.versions if emitted else {}
    return [
        ChartSummary(c.name, c.kind, versions.get(c.name, ""), c.name in written, c.workflows, c.environments)
        for c in charts
        if not c.refusals
    ]
