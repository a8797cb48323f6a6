"""Rendering a chart with helm, one environment at a time (the environments:
`chartgen.charts.chart`): one rule for diff, version, lint, policy and run."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from stat import S_ISREG
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


def write_chart(files: Mapping[str, bytes], folder: Path, like: Path | None = None) -> list[str]:
    """Write a chart's files into `folder`; a path that is absolute, climbs out (`..`) or
    cannot be a file there is skipped, never written outside. Returns the paths skipped.

    A file with the same bytes at the same path under `like` (the chart at head, when this is
    its base) is hard-linked from there instead: on ext4, creating 2,000 small files costs
    0.4 s of kernel time, linking them 0.02 s."""
    skipped = []
    real_like = os.path.realpath(like) if like is not None else None
    for rel, content in files.items():
        parts = PurePosixPath(rel).parts
        if not parts or rel.startswith("/") or ".." in parts or "\\" in rel or "\0" in rel:
            skipped.append(rel)  # git never stores such a path
            continue
        path = folder.joinpath(*parts)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if real_like is None or not _linked(os.path.join(real_like, *parts), content, path):
                path.write_bytes(content)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            skipped.append(rel)  # both `a` and `a/b`: a file cannot be a folder too
    return skipped


def _linked(source: str, content: bytes, path: Path) -> bool:
    """Hard-link `source` to `path` when it is a regular file holding `content` (reached by no
    symbolic link: nothing outside the chart is ever linked in); False when not, or when the
    file system cannot link there."""
    try:
        found = os.stat(source)
        if os.path.realpath(source) != source or not S_ISREG(found.st_mode) or found.st_size != len(content):
            return False
        with open(source, "rb") as existing:
            if existing.read() != content:
                return False
        os.link(source, path, follow_symlinks=False)
    except OSError:
        return False
    return True


def render(
    helm: Renderer, folder: Path, release: str, environment: ChartEnvironment, kube_version: str
) -> tuple[list[dict[str, Any]] | None, str]:
    """(the objects helm renders for the environment, "") or (None, why not, in one line)."""
    text, problem = render_text(helm, folder, release, environment, kube_version)
    if text is None:
        return None, problem
    docs, problem = load_documents(text)
    return ([d for d in docs if isinstance(d, dict)], "") if docs is not None else (None, problem)


def render_text(
    helm: Renderer, folder: Path, release: str, environment: ChartEnvironment, kube_version: str
) -> tuple[str | None, str]:
    """(helm's output for the environment, "") or (None, why helm could not, in one line)."""
    values = [folder / rel for rel in environment.values]
    done = helm.template(release, folder, values, kube_version, environment.namespace)
    if not done.ok:
        return None, _one_line(done.stderr) or f"helm template exited with {done.returncode}"
    return done.stdout, ""


def load_documents(text: str) -> tuple[list[Any] | None, str]:
    """(the YAML documents of helm's output, "") or (None, why they are not YAML)."""
    try:
        return list(yaml.load_all(text, Loader=FastLoader)), ""
    except yaml.YAMLError as exc:
        return None, f"helm template produced invalid YAML ({str(exc).splitlines()[0]})"


def _one_line(stderr: str) -> str:
    """helm's error, from its last `Error:` line on (warnings come before it), as one line."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    starts = [i for i, ln in enumerate(lines) if ln.startswith("Error:")]
    return " ".join(lines[starts[-1] :] if starts else lines[-1:])
