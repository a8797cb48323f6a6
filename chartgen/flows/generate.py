"""`chartgen generate`: load -> resolve -> validate -> plan -> emit (atomic)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from chartgen.config import Settings
from chartgen.emit.switch import settle_output
from chartgen.emit.writer import EmitResult, emit_charts, output_drift
from chartgen.errors import Diagnostic, Diagnostics, UserError
from chartgen.flows import unchanged
from chartgen.flows.unchanged import ChartSummary
from chartgen.flows.validate import Progress, load_and_check, step
from chartgen.formats.source import display_path
from chartgen.plan import dev_chart_name, plan_charts
from chartgen.plan.model import ChartPlan
from chartgen.profile.loader import load_profiles
from chartgen.profile.model import Profile
from chartgen.workflow.discover import discover
from chartgen.workflow.loader import project_rel
from chartgen.workflow.names import dns_name


@dataclass
class GenerateResult:
    charts: list[ChartSummary]  # every planned chart (with --check: nothing was written)
    removed: list[str] = field(default_factory=list)  # stale charts removed
    diagnostics: list[Diagnostic] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)  # --check: what differs from the committed charts
    unchanged: bool = False  # the inputs and the output folder were as the last generate left them


def run_generate(
    settings: Settings, progress: Progress | None = None, charts: tuple[str, ...] = (), check: bool = False
) -> GenerateResult:
    """validate -> plan -> emit; nothing is written unless every step succeeded. `charts` limits
    the work to those charts (others are neither read nor removed); `check` writes nothing and
    lists what differs between the output folder and what generate would write."""
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
    plans = plan_repository(settings, diag, progress, charts=charts)
    chart_dirs = os.path.relpath(settings.out, settings.root)
    if check:
        step(progress, f"comparing {len(plans)} charts with {display_path(settings.out)}")
        drift = output_drift(plans, settings.out, chart_dirs, prune=not charts)
        return GenerateResult(_summaries(plans, None), [], diag.sorted(), drift)
    step(progress, f"writing {len(plans)} charts")
    emitted = (
        emit_charts(plans, settings.out, chart_dirs, prune=not charts)
        if plans or settings.out.exists()
        else None
    )
    for note in emitted.notes if emitted else []:
        diag.warning(note)
    result = GenerateResult(_summaries(plans, emitted), emitted.removed if emitted else [], diag.sorted())
    if full and emitted is not None:
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


def plan_repository(
    settings: Settings,
    diag: Diagnostics,
    progress: Progress | None = None,
    dev_env: str | None = None,
    charts: tuple[str, ...] = (),
) -> list[ChartPlan]:
    """Every chart of the repository, planned (with `dev_env`, only that dev profile's chart; with
    `charts`, only those, loading only their projects); raises (with every problem) when anything
    is wrong."""
    profiles = load_profiles(settings.profiles, diag)
    only = None
    if charts:  # the selection needs the profiles (dev chart names)
        diag.raise_if_errors()
        only = _selection(settings, profiles, charts)
    wset = load_and_check(settings.workflows, settings.exclude, diag, progress, only)
    diag.raise_if_errors()
    if dev_env is not None:
        dev = [p for p in profiles if p.mode == "dev"]
        profiles = [p for p in dev if p.env == dev_env]
        if not profiles:
            known = ", ".join(p.env for p in dev) or "none"
            raise UserError(
                f"no dev profile '{dev_env}' in {display_path(settings.profiles)} (dev profiles: {known})"
            )
    if charts:
        profiles = [p for p in profiles if p.mode != "dev" or dev_chart_name(settings.name, p.env) in charts]
    if not wset.projects and not charts:
        diag.warning(f"no workflow projects found under {display_path(settings.workflows)}")
    if not profiles:
        diag.warning(f"no profile with a 'mode' in {display_path(settings.profiles)}: nothing to generate")
    step(progress, "planning charts")
    plans = plan_charts(
        wset,
        profiles,
        settings.name,
        settings.chart_names,
        _git_sha(settings.workflows),
        diag,
        settings.vault_prefix,
    )
    diag.raise_if_errors()
    return [p for p in plans if p.name in charts] if charts else plans


def _selection(
    settings: Settings, profiles: list[Profile], charts: tuple[str, ...]
) -> Callable[[str, str], bool]:
    """Which projects to load for the chosen charts: a dev chart needs every project; a
    production chart only its own. An unknown name is an error that lists the known ones."""
    dev = {dev_chart_name(settings.name, p.env) for p in profiles if p.mode == "dev"}
    found = discover(settings.workflows.resolve(), settings.exclude) if settings.workflows.is_dir() else None
    production: dict[str, str] = {}
    if found is not None and any(p.mode == "production" for p in profiles):
        for fp in found.projects:
            rel = project_rel(fp, settings.workflows.resolve())
            production[settings.chart_names.get(rel) or dns_name(fp.root.name)] = rel
    unknown = sorted(set(charts) - dev - set(production))
    if unknown:
        known = ", ".join(sorted(dev | set(production))) or "none"
        raise UserError(f"--chart {', '.join(unknown)}: no such chart (charts: {known})")
    if dev & set(charts):
        return lambda rel, name: True
    wanted = {production[c] for c in charts}
    return lambda rel, name: rel in wanted


def _git_sha(folder: Path) -> Callable[[], str]:
    @cache
    def sha() -> str:
        import git

        try:
            repo = git.Repo(folder, search_parent_directories=True)
            return str(repo.head.commit.hexsha[:12])
        except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError) as exc:
            raise UserError(
                f"a profile uses {{git_sha}} but {display_path(folder)} is not in a git repository "
                f"with a commit ({type(exc).__name__})"
            ) from None

    return sha
