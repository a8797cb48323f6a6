"""The live objects a release's manifest names, read in one kubectl call per namespace."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from chartgen.errors import ToolError
from chartgen.tools.runner import Completed


class KubectlRun(Protocol):
    def run(
        self, args: Sequence[str | Path], input_text: str | None = None, check: bool = True
    ) -> Completed: ...


def resource_ref(obj: dict[str, Any]) -> str:
    """kubectl's TYPE.VERSION.GROUP/NAME for an object (the core group by kind alone)."""
    api = str(obj.get("apiVersion", "v1"))
    group, _, version = api.rpartition("/")
    kind, name = str(obj.get("kind", "")), str((obj.get("metadata") or {}).get("name", ""))
    return f"{kind}.{version}.{group}/{name}" if group else f"{kind}/{name}"


class LiveObjects:
    def __init__(self, kubectl: KubectlRun) -> None:
        self.kubectl = kubectl

    def objects(self, namespace: str, wanted: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The live objects of those names (the ones that exist)."""
        refs = sorted({resource_ref(o) for o in wanted})
        if not refs:
            return []
        args = ["get", *refs, "-n", namespace, "-o", "json", "--ignore-not-found", "--show-managed-fields"]
        done = self.kubectl.run(args, check=False)
        if not done.ok:
            raise ToolError(f"reading the live objects of {namespace} failed: {done.stderr.strip()[-300:]}")
        if not done.stdout.strip():
            return []
        found = json.loads(done.stdout)
        return list(found.get("items", [])) if found.get("kind") == "List" else [found]
