"""ChartPlan: everything emit needs to write one chart, decided, nothing left to compute."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ChartKind = Literal["production", "dev"]


@dataclass(frozen=True)
class DataFile:
    """A file shipped inside the chart (under files/) and where the pod sees it."""

    chart_path: str  # e.g. files/resources/specs/api.yaml
    mount_path: str  # relative to the mount folder, e.g. specs/api.yaml
    key: str  # ConfigMap key (only [-._a-zA-Z0-9])
    content: bytes
    binary: bool = False

    @property
    def size(self) -> int:
        """Bytes this file takes in a ConfigMap (base64 for binaryData)."""
        encoded = (len(self.content) + 2) // 3 * 4 if self.binary else len(self.content)
        return len(self.key) + encoded


@dataclass
class ConfigMapPlan:
    suffix: str  # appended to the release fullname
    files: list[DataFile] = field(default_factory=list)
    # Flat: every key is a file name at the mount root, so the pod mounts it without an
    # item list, and a file added later shows up without changing the pod (hot reload).
    flat: bool = False

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass
class ChartPlan:
    kind: ChartKind
    dir_name: str  # folder under the output folder (= chart name)
    chart: dict[str, Any]  # Chart.yaml
    values: dict[str, Any]  # values.yaml
    env_values: dict[str, dict[str, Any]]  # env -> values-<env>.yaml (differences only)
    env_namespaces: dict[str, str]
    schema: dict[str, Any]  # values.schema.json
    template_set: str  # which folder of chartgen/templates/ to copy
    config_maps: list[ConfigMapPlan] = field(default_factory=list)
    properties: list[DataFile] = field(default_factory=list)  # files of the config ConfigMap
    workflows: list[str] = field(default_factory=list)  # ids served by this chart
    facts: dict[str, Any] = field(default_factory=dict)  # what the templates need to know
    extra_files: list[DataFile] = field(default_factory=list)  # chart files no ConfigMap carries

    @property
    def data_files(self) -> list[DataFile]:
        return [f for cm in self.config_maps for f in cm.files] + self.properties
