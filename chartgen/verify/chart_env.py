"""The environments of a chart folder, and rendering it with helm: one rule for diff, version
and lint.

A chart has one environment per `values-<env>.yaml` at its root, each rendered over
values.yaml. A chart without them (a dev chart) has one environment, rendered from values.yaml
alone, named by its Chart.yaml annotation `chartgen/environment` (else "default"). Each
environment's namespace is what generate decided (files/chartgen-data.yaml
`environments.<env>.namespace`; a dev chart's data has its one environment), else "default".

The rule reads a files dict (path inside the chart -> bytes), so it serves a chart at a git
commit and in the working tree alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import yaml

from chartgen.formats.source import FastLoader, ParseError, SourceFile
from chartgen.tools.runner import Completed

CHART_FILE = "Chart.yaml"
DATA_FILE = "files/chartgen-data.yaml"
ENV_ANNOTATION = "chartgen/environment"
DEFAULT = "default"


class Renderer(Protocol):
    """What rendering needs of helm."""

    def template(
        self, release: str, chart: Path, values: Sequence[Path], kube_version: str, namespace: str
    ) -> Completed: ...


@dataclass
class ChartEnvironment:
    name: str
    values: list[str]  # values files over values.yaml, by path inside the chart
    namespace: str = DEFAULT


def env_values_files(names: Iterable[str]) -> list[str]:
    """The `values-<env>.yaml` among a chart's file paths (at its root), sorted."""
    return sorted(n for n in names if n.startswith("values-") and n.endswith(".yaml") and "/" not in n)


def chart_environments(files: Mapping[str, bytes]) -> list[ChartEnvironment]:
    """Every environment of a chart, its values files and its namespace (see the module)."""
    data = _data_environments(files)
    named = env_values_files(files)
    if named:
        envs = [(n.removeprefix("values-").removesuffix(".yaml"), [n]) for n in named]
        return [ChartEnvironment(env, values, _namespace(data.get(env))) for env, values in envs]
    name = _annotation(files) or DEFAULT
    own = data.get(name)
    if own is None and len(data) == 1:  # the dev chart's one environment, whatever its name
        (own,) = data.values()
    return [ChartEnvironment(name, [], _namespace(own))]


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


def _data_environments(files: Mapping[str, bytes]) -> dict[str, Any]:
    """files/chartgen-data.yaml `environments` ({} when absent or unreadable: helm reports
    what is wrong with the chart when it renders)."""
    doc = _document(files, DATA_FILE)
    envs = doc.get("environments")
    return {str(k): v for k, v in envs.items()} if isinstance(envs, dict) else {}


def _annotation(files: Mapping[str, bytes]) -> str:
    annotations = _document(files, CHART_FILE).get("annotations")
    value = annotations.get(ENV_ANNOTATION) if isinstance(annotations, dict) else None
    return str(value) if value else ""


def _document(files: Mapping[str, bytes], rel: str) -> dict[str, Any]:
    raw = files.get(rel)
    if raw is None:
        return {}
    try:
        docs = SourceFile(Path(rel), raw).documents()  # bounded and safe; no I/O
    except ParseError:
        return {}
    return docs[0] if docs and isinstance(docs[0], dict) else {}


def _namespace(data: Any) -> str:
    ns = data.get("namespace") if isinstance(data, dict) else None
    return ns if isinstance(ns, str) and ns else DEFAULT
