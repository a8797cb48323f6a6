"""What OpenAPI and AsyncAPI documents define: operation ids, and the path of an operation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


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
