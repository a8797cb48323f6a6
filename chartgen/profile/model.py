"""A resolved profile: one environment, after `extends` and defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chartgen.errors import Location
from chartgen.formats.source import SourceFile


@dataclass
class ProfileFile:
    env: str
    source: SourceFile
    data: dict[str, Any]

    def has(self, pointer: tuple[str, ...]) -> bool:
        node: Any = self.data
        for part in pointer:
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True


@dataclass
class Profile:
    env: str
    chain: list[ProfileFile]  # this file first, then what it extends
    settings: dict[str, Any] = field(default_factory=dict)  # merged, without defaults

    @property
    def mode(self) -> str | None:
        mode = self.settings.get("mode")
        return str(mode) if mode is not None else None

    @property
    def namespace(self) -> str:
        return str(self.settings.get("namespace", ""))

    def get(self, *pointer: str, default: Any = None) -> Any:
        node: Any = self.settings
        for part in pointer:
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def location(self, *pointer: str, key: bool = False) -> Location:
        """Where a setting was written: the nearest file of the chain that sets it."""
        for pf in self.chain:
            if pf.has(pointer):
                return pf.source.location(0, pointer, key)
        return self.chain[0].source.location()
