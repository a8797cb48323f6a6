"""`chartgen release`: every chart generated (or those changed since a base), released one by
one by the release stage (`chartgen.release`); a chart that fails is reported and the others
are still released."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from chartgen.emit.switch import settled_charts
from chartgen.errors import ChartgenError, os_error_text
from chartgen.formats.redact import redact
from chartgen.formats.source import display_path
from chartgen.release.chart import ChartRelease, Context, Signing, release_chart
from chartgen.release.targets import Target
from chartgen.tools.helm import Helm
from chartgen.version.git import changed_since
from chartgen.version.tags import Tags


def run_release(
    charts: Path,
    target: Target,
    helm: Helm,
    only: tuple[str, ...] = (),
    base: str | None = None,
    signing: Signing | None = None,
    on_chart: Callable[[ChartRelease], None] | None = None,
) -> list[ChartRelease]:
    with Tags(charts if charts.exists() else charts.parent) as tags:
        owned = {c.name: c.folder for c in settled_charts(charts) if c.generated and c.folder}
        names = list(only) or sorted(owned)
        if base:
            changed = changed_since(charts, base)
            names = [n for n in names if n in changed]
        ctx = Context(tags, target, helm, signing)
        results = []
        for name in names:
            outcome = ChartRelease(name)
            folder = owned.get(name)
            if folder is None:
                outcome.message = f"no such chart generated in {display_path(charts)}"
            else:
                _guarded(ctx, folder, outcome)
            results.append(outcome)
            if on_chart:
                on_chart(outcome)
        return results


def _guarded(ctx: Context, folder: Path, out: ChartRelease) -> None:
    """release_chart, with any failure turned into this chart's one-line message."""
    try:
        release_chart(ctx, folder, out)
        return
    except ChartgenError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    except OSError as exc:
        message = os_error_text(exc)
    out.state, out.message = "failed", redact(message)
