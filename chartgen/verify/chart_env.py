"""Rendering a chart with helm, one environment at a time (the environments:
`chartgen.charts.chart`): one rule for diff, version, lint, policy and run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import yaml

from chartgen.charts.chart import ChartEnvironment
from chartgen.formats.source import FastLoader
from chartgen.tools.runner import Completed


class Renderer(Protocol):
    """What rendering needs of helm."""

    def template(
        self, release: str, chart: Path, values: Sequence[Path], kube_version: str, namespace: str
    ) -> Completed: ...


def write_chart(files: Mapping[str, bytes], folder: Path) -> list[str]:
    """Write a chart's files into `folder`; a path that is absolute, climbs out (`..`) or
    cannot be a file there is skipped, never written outside. Returns the paths skipped."""
    skipped = []
    for rel, content in files.items():
        parts = PurePosixPath(rel).parts
        if not parts or rel.startswith("/") or ".." in parts or "\\" in rel or "\0" in rel:
            skipped.append(rel)  # git never stores such a path
            continue
        path = folder.joinpath(*parts)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            skipped.append(rel)  # both `a` and `a/b`: a file cannot be a folder too
    return skipped


def render(
    helm: Renderer, folder: Path, release: str, environment: ChartEnvironment, kube_version: str
) -> tuple[list[dict[str, Any]] | None, str]:
    """(the objects helm renders for the environment, "") or (None, why not, in one line)."""
    values = [folder / rel for rel in environment.values]
    done = helm.template(release, folder, values, kube_version, environment.namespace)
    if not done.ok:
        return None, _one_line(done.stderr) or f"helm template exited with {done.returncode}"
    try:
        docs = list(yaml.load_all(done.stdout, Loader=FastLoader))
    except yaml.YAMLError as exc:
        return None, f"helm template produced invalid YAML ({str(exc).splitlines()[0]})"
    return [d for d in docs if isinstance(d, dict)], ""


def _one_line(stderr: str) -> str:
    """helm's error, from its last `Error:` line on (warnings come before it), as one line."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    starts = [i for i, ln in enumerate(lines) if ln.startswith("Error:")]
    return " ".join(lines[starts[-1] :] if starts else lines[-1:])
