"""Validation of custom resources against the schemas in their CRDs.

The API server prunes fields a structural schema does not know; we reject them
instead (what `kubectl --validate=strict` does), so a typo in a template fails here
rather than silently disappearing in the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from chartgen.errors import UserError
from chartgen.formats.source import FastLoader, display_path


class CrdSchemas:
    def __init__(self) -> None:
        self._validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}

    def add_folder(self, folder: Path) -> None:
        """Every CRD in the YAML files under `folder`."""
        if not folder.is_dir():
            raise UserError(f"CRD folder not found: {display_path(folder)}")
        for path in sorted(folder.rglob("*.yaml")):
            try:
                self.add_documents(list(yaml.load_all(path.read_text(), Loader=FastLoader)))
            except yaml.YAMLError as exc:
                raise UserError(f"{display_path(path)}: not valid YAML: {exc}") from None

    def add_documents(self, docs: Iterable[Any]) -> None:
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                self.add(doc)

    def add(self, crd: dict[str, Any]) -> None:
        spec = crd["spec"]
        for version in spec.get("versions", []):
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if version.get("served", True) and schema:
                key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                strict = _strict(schema, top=True)
                self._validators[key] = jsonschema.Draft7Validator(strict)

    def knows(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in self._validators

    @property
    def kinds(self) -> list[tuple[str, str]]:
        return sorted(self._validators)

    def errors(self, obj: dict[str, Any]) -> list[str]:
        validator = self._validators[(str(obj.get("apiVersion")), str(obj.get("kind")))]
        out = []
        for err in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path))):
            where = ".".join(str(p) for p in err.absolute_path) or "(object)"
            out.append(f"{where}: {err.message}")
        return out


def _strict(node: Any, top: bool = False, lenient: bool = False) -> Any:
    """OpenAPI v3 (Kubernetes flavour) -> JSON Schema that rejects the fields the API server prunes.

    `x-kubernetes-preserve-unknown-fields` keeps unknown fields of its own object, and of
    the items of its array (the API server's pruning works the same way).
    """
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    preserve = bool(node.get("x-kubernetes-preserve-unknown-fields"))
    out = {}
    for key, value in node.items():
        if key.startswith("x-kubernetes-"):
            continue
        if key == "items":
            out[key] = _strict(value, lenient=preserve)
        elif key in ("properties", "patternProperties", "definitions"):
            out[key] = {k: _strict(v) for k, v in value.items()}
        else:
            out[key] = _strict(value)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable"):
        out.pop("nullable")
        if "type" in out:
            out["type"] = [out["type"], "null"]
    if top:
        props = dict(out.get("properties", {}))
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        props["metadata"] = {"type": "object"}
        out["properties"] = props
    closed = out.get("type") == "object" and "properties" in out and "additionalProperties" not in out
    if closed and not (preserve or lenient):
        out["additionalProperties"] = False
    return out
