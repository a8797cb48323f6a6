"""One generated chart, read once and lazily: a folder of the working tree or the files of a
chart at a git commit (path inside the chart -> bytes), never both.

A chart has one environment per `values-<env>.yaml` at its root, each rendered over
values.yaml. A chart without them (a dev chart) has one environment, rendered from values.yaml
alone, named by its Chart.yaml annotation `chartgen/environment` (else "default"). Each
environment's namespace is what generate decided (the chart data's
`environments.<env>.namespace`; a dev chart's data has its one environment), else "default".
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from chartgen.errors import UserError
from chartgen.formats.source import ParseError, SourceFile, display_path
from chartgen.plan.layout import (
    CHANGES_KEY,
    CHART_FILE,
    DATA_FILE,
    DIGEST_KEY,
    ENVIRONMENT_KEY,
    chart_mode,
    is_generated,
    values_file_env,
)
from chartgen.plan.model import ChartData
from chartgen.schema.check import load

DEFAULT = "default"


@dataclass(frozen=True)
class VersionFields:
    """What a chart's Chart.yaml says about its version (not its content)."""

    version: str
    digest: str = ""
    changes: str = ""  # artifacthub.io/changes: a YAML list, as text


@dataclass(frozen=True)
class ChartEnvironment:
    name: str
    values: list[str]  # values files over values.yaml, by path inside the chart
    namespace: str = DEFAULT


@dataclass
class GeneratedChart:
    """A chart folder (`folder`), or a chart's `files` at a commit; `name` is the folder's."""

    name: str
    folder: Path | None = None
    given: Mapping[str, bytes] | None = field(default=None, repr=False)

    @classmethod
    def at(cls, folder: Path) -> GeneratedChart:
        return cls(folder.name, folder)

    @classmethod
    def of(cls, name: str, files: Mapping[str, bytes]) -> GeneratedChart:
        return cls(name, None, files)

    @cached_property
    def files(self) -> Mapping[str, bytes]:
        """Every file, by path inside the chart (a folder's are read the first time asked)."""
        if self.given is not None:
            return self.given
        assert self.folder is not None
        return working_files(self.folder)

    @property
    def _all_read(self) -> bool:
        """Every file is in memory (given, or read once asked for): single reads use them."""
        return self.given is not None or "files" in self.__dict__

    def read(self, rel: str) -> bytes | None:
        """One file (a path inside the chart), or None when there is none."""
        if self._all_read:
            return self.files.get(rel)
        assert self.folder is not None
        path = self.folder / rel
        if path.is_symlink() or not path.is_file():
            return None
        try:
            return path.read_bytes()
        except OSError:
            return None

    @cached_property
    def root_names(self) -> list[str]:
        """The files at the chart's root (values files among them), sorted."""
        if self._all_read:
            return sorted(rel for rel in self.files if "/" not in rel)
        assert self.folder is not None
        return sorted(p.name for p in self.folder.iterdir() if p.is_file() and not p.is_symlink())

    @cached_property
    def chart_yaml(self) -> bytes:
        return self.read(CHART_FILE) or b""

    @property
    def generated(self) -> bool:
        """chartgen wrote it (and may rewrite and prune it)."""
        return is_generated(self.chart_yaml)

    @property
    def mode(self) -> str:
        """production, dev, or "" (not a chart chartgen generated)."""
        return chart_mode(self.chart_yaml)

    @property
    def shown(self) -> str:
        return display_path(self.folder) if self.folder is not None else self.name

    @cached_property
    def meta(self) -> dict[str, Any]:
        """Chart.yaml's data; a located UserError when it is not a mapping."""
        path = (self.folder or Path(self.name)) / CHART_FILE
        return parse_chart_yaml(self.chart_yaml, path)

    @property
    def version_fields(self) -> VersionFields:
        return version_fields(self.meta)

    @cached_property
    def raw_data(self) -> dict[str, Any]:
        """files/chartgen-data.yaml as plain data ({} when missing or unreadable): what a chart
        of any chartgen version holds (at an old commit, say)."""
        return _document(self.read(DATA_FILE), DATA_FILE)

    @cached_property
    def data(self) -> ChartData | None:
        """What this chartgen's generate decided for the chart, typed; None when the file is
        missing or is not this version's ChartData (helm reports what is wrong when it renders)."""
        if not self.raw_data:
            return None
        data, problems = load(ChartData, self.raw_data, DATA_FILE)
        return None if problems else data

    @cached_property
    def images(self) -> dict[str, str]:
        """Each image the chart runs: the name of its build context (and of the image stage's
        `<name>.digest` file) -> the values section holding it. A workflow chart runs one
        (`image`, its context named after the chart); the platform chart one per service it
        runs (`jobService.image`, …, their contexts named after the services' objects)."""
        if self.raw_data.get("kind") != "platform":
            return {self.name: "image"}
        found: dict[str, str] = {}
        for env in (self.raw_data.get("environments") or {}).values():
            for service in (env.get("services") or []) if isinstance(env, dict) else []:
                if isinstance(service, dict) and service.get("name") and service.get("values"):
                    found[str(service["name"])] = f"{service['values']}.image"
        return dict(sorted(found.items()))

    @cached_property
    def environments(self) -> list[ChartEnvironment]:
        """Every environment, its values files and its namespace (see the module)."""
        environments = self.raw_data.get("environments")
        planned = {str(k): v for k, v in environments.items()} if isinstance(environments, dict) else {}
        named = sorted((env, rel) for rel in self.root_names if (env := values_file_env(rel)) is not None)
        if named:
            return [ChartEnvironment(env, [rel], _namespace(planned.get(env))) for env, rel in named]
        annotations = _document(self.chart_yaml, CHART_FILE).get("annotations")
        name = str(annotations.get(ENVIRONMENT_KEY) or "") if isinstance(annotations, dict) else ""
        own = planned.get(name or DEFAULT)
        if own is None and len(planned) == 1:  # the dev chart's one environment, whatever its name
            (own,) = planned.values()
        return [ChartEnvironment(name or DEFAULT, [], _namespace(own))]

    def environment(self, env: str) -> ChartEnvironment | None:
        return next((e for e in self.environments if e.name == env), None)


def charts_in(folder: Path) -> list[GeneratedChart]:
    """The charts of `folder` by name, none read yet. Hidden folders (a generate's staging)
    are not charts."""
    if not folder.is_dir():
        return []
    found = (p for p in folder.iterdir() if not p.name.startswith(".") and (p / CHART_FILE).is_file())
    return [GeneratedChart.at(p) for p in sorted(found)]


def charts_at(path: Path) -> list[GeneratedChart]:
    """The chart `path` is, or the charts in it (commands take either)."""
    return [GeneratedChart.at(path)] if (path / CHART_FILE).is_file() else charts_in(path)


def working_files(chart: Path) -> dict[str, bytes]:
    """Every regular file of a chart folder in the working tree, by path inside the chart."""
    files: dict[str, bytes] = {}
    for dirpath, _dirs, names in os.walk(chart):
        for name in names:
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                files[path.relative_to(chart).as_posix()] = path.read_bytes()
    return files


def parse_chart_yaml(raw: bytes, path: Path) -> dict[str, Any]:
    """Chart.yaml's data (bounded, safe), or a located UserError."""
    try:
        docs = SourceFile(path, raw, string_keys=True).documents()
    except ParseError as exc:
        raise UserError(f"{display_path(path)}:{exc.line}:{exc.col}: {exc.message}") from None
    data = docs[0] if docs else None
    if not isinstance(data, dict):
        raise UserError(f"{display_path(path)}:1:1: Chart.yaml is not a mapping")
    return data


def version_fields(meta: Mapping[str, Any]) -> VersionFields:
    annotations = meta.get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    return VersionFields(
        str(meta.get("version", "")),
        str(annotations.get(DIGEST_KEY, "")),
        str(annotations.get(CHANGES_KEY, "")),
    )


def _document(raw: bytes | None, rel: str) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        docs = SourceFile(Path(rel), raw).documents()  # bounded and safe; no I/O
    except ParseError:
        return {}
    return docs[0] if docs and isinstance(docs[0], dict) else {}


def _namespace(data: Any) -> str:
    ns = data.get("namespace") if isinstance(data, dict) else None
    return ns if isinstance(ns, str) and ns else DEFAULT
