"""Operation ids defined by OpenAPI and AsyncAPI documents, read once per file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chartgen.errors import Diagnostics, Location
from chartgen.formats.source import ParseError, SourceFile

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class SpecIndex:
    """Caches parsed specs; a spec that cannot be read is reported once."""

    def __init__(self, diag: Diagnostics) -> None:
        self.diag = diag
        self._ops: dict[Path, frozenset[str] | None] = {}
        self.docs: dict[Path, Mapping[str, Any]] = {}  # parsed specs, for later stages

    def operation_ids(self, path: Path) -> frozenset[str] | None:
        if path not in self._ops:
            self._ops[path] = self._read(path)
        return self._ops[path]

    def _read(self, path: Path) -> frozenset[str] | None:
        source = SourceFile(path)
        try:
            docs = source.documents()
        except ParseError as exc:
            self.diag.error(f"cannot parse spec: {exc.message}", Location(source.display, exc.line, exc.col))
            return None
        doc = docs[0] if docs else None
        if not isinstance(doc, Mapping):
            self.diag.error("spec is not an OpenAPI or AsyncAPI document", source.location())
            return None
        self.docs[path] = doc
        return frozenset(operation_ids(doc))


def operation_path(doc: Mapping[str, Any], op_id: str) -> str | None:
    """The OpenAPI path an operation is served on."""
    paths = doc.get("paths")
    for route, item in paths.items() if isinstance(paths, Mapping) else ():
        if isinstance(item, Mapping):
            for method in HTTP_METHODS:
                op = item.get(method)
                if isinstance(op, Mapping) and op.get("operationId") == op_id:
                    return str(route)
    return None


def operation_ids(doc: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    paths = doc.get("paths")
    if isinstance(paths, Mapping):
        for item in paths.values():
            if isinstance(item, Mapping):
                for method in HTTP_METHODS:
                    op = item.get(method)
                    if isinstance(op, Mapping) and isinstance(op.get("operationId"), str):
                        found.add(op["operationId"])
    channels = doc.get("channels")  # AsyncAPI 2.x
    if isinstance(channels, Mapping):
        for channel in channels.values():
            if isinstance(channel, Mapping):
                for verb in ("publish", "subscribe"):
                    op = channel.get(verb)
                    if isinstance(op, Mapping) and isinstance(op.get("operationId"), str):
                        found.add(op["operationId"])
    operations = doc.get("operations")  # AsyncAPI 3.x: operation ids are the keys
    if isinstance(operations, Mapping):
        found.update(str(k) for k in operations)
    return found
