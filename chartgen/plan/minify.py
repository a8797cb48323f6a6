"""Shrinking an OpenAPI document to the operations a project calls.

Used when a spec alone would not fit in a ConfigMap: only the used operations stay,
with every component they reference (transitively); everything else goes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import yaml

from chartgen.workflow.specs import HTTP_METHODS

_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def minify_openapi(doc: dict[str, Any], operation_ids: Iterable[str]) -> dict[str, Any]:
    wanted = set(operation_ids)
    out = {k: v for k, v in doc.items() if k not in ("paths", "components", "definitions", "tags")}
    paths: dict[str, Any] = {}
    for route, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        kept = {m: op for m, op in item.items() if m in HTTP_METHODS and _op_id(op) in wanted}
        if kept:
            shared = {k: v for k, v in item.items() if k not in HTTP_METHODS}
            paths[route] = {**shared, **kept}
    out["paths"] = paths
    refs = _referenced(paths, doc)
    if "components" in doc:
        components: dict[str, Any] = {}
        for section, entries in (doc.get("components") or {}).items():
            if section == "securitySchemes":  # operations name them without $ref
                components[section] = entries
                continue
            kept = {n: e for n, e in (entries or {}).items() if f"#/components/{section}/{n}" in refs}
            if kept:
                components[section] = kept
        out["components"] = components
    if "definitions" in doc:  # Swagger 2
        out["definitions"] = {n: d for n, d in doc["definitions"].items() if f"#/definitions/{n}" in refs}
    return out


def _op_id(op: Any) -> Any:
    return op.get("operationId") if isinstance(op, dict) else None


def _referenced(start: Any, doc: dict[str, Any]) -> set[str]:
    """Every local $ref reachable from `start`, following references into the document."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/") and ref not in seen:
                seen.add(ref)
                todo.append(_resolve(doc, ref))
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return seen


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node.get(part) if isinstance(node, dict) else None
    return node


def dump_spec(doc: dict[str, Any], as_json: bool) -> bytes:
    if as_json:
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    return yaml.dump(doc, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=4096).encode()
