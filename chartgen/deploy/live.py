"""The live objects a release's manifest names, read in one kubectl call per namespace (and one
more for any object a hand edit took its label from)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from chartgen.errors import ToolError
from chartgen.tools.runner import Completed

INSTANCE_LABEL = "app.kubernetes.io/instance"  # every object of a chartgen chart carries it


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


def _type_ref(obj: dict[str, Any]) -> str:
    return resource_ref(obj).split("/", 1)[0]


class LiveObjects:
    def __init__(self, kubectl: KubectlRun) -> None:
        self.kubectl = kubectl

    def objects(self, namespace: str, wanted: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The live objects of those names (the ones that exist): one list per kind, of the
        objects labelled with the releases' names (an object per request is 40 times slower),
        then by name those a hand edit took the label from."""
        wanted = list(wanted)
        if not wanted:
            return []
        instances = sorted({str(_labels(o).get(INSTANCE_LABEL, "")) for o in wanted} - {""})
        found: list[dict[str, Any]] = []
        if instances:
            kinds = ",".join(sorted({_type_ref(o) for o in wanted}))
            found = self._get([kinds, "-l", f"{INSTANCE_LABEL} in ({','.join(instances)})"], namespace)
        have = {resource_ref(o) for o in found}
        rest = sorted({resource_ref(o) for o in wanted} - have)
        return found + (self._get(rest, namespace) if rest else [])

    def _get(self, what: list[str], namespace: str) -> list[dict[str, Any]]:
        args = ["get", *what, "-n", namespace, "-o", "json", "--ignore-not-found", "--show-managed-fields"]
        done = self.kubectl.run(args, check=False)
        if not done.ok:
            raise ToolError(f"reading the live objects of {namespace} failed: {done.stderr.strip()[-300:]}")
        if not done.stdout.strip():
            return []
        found = json.loads(done.stdout)
        return list(found.get("items", [])) if found.get("kind") == "List" else [found]


def _labels(obj: dict[str, Any]) -> dict[str, Any]:
    labels = (obj.get("metadata") or {}).get("labels")
    return labels if isinstance(labels, dict) else {}
