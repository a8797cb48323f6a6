"""Strict validation of rendered objects against Kubernetes' own OpenAPI schemas.

The schemas come from the kubernetes-validate package (1.25-1.37, `-local-strict`
variants reject unknown fields). Validators are built once per kind and reused.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from chartgen.errors import UserError

_DIR = re.compile(r"^v(\d+)\.(\d+)\.(\d+)-local-strict$")


def _schema_root() -> Any:
    return resources.files("kubernetes_validate") / "kubernetes-json-schema"


@cache
def available_versions() -> list[tuple[int, int]]:
    found = []
    for child in _schema_root().iterdir():
        m = _DIR.match(child.name)
        if m:
            found.append((int(m.group(1)), int(m.group(2))))
    return sorted(found)


def parse_version(text: str) -> tuple[int, int]:
    m = re.match(r"^v?(\d+)\.(\d+)", text)
    if not m:
        raise UserError(f"Kubernetes version '{text}' is not like 1.34")
    return int(m.group(1)), int(m.group(2))


class KubeSchemas:
    def __init__(self, kube_version: str) -> None:
        wanted = parse_version(kube_version)
        versions = available_versions()
        usable = [v for v in versions if v <= wanted]
        if not usable or wanted > versions[-1]:
            low, high = versions[0], versions[-1]
            raise UserError(
                f"no Kubernetes schemas for {wanted[0]}.{wanted[1]}: "
                f"kubernetes-validate bundles {low[0]}.{low[1]} to {high[0]}.{high[1]}"
            )
        major, minor = usable[-1]
        self.version = f"{major}.{minor}"
        self._dir = _schema_root() / f"v{major}.{minor}.0-local-strict"
        self._definitions: dict[str, Any] = json.loads((self._dir / "_definitions.json").read_text())["$defs"]
        _link(self._definitions, self._definitions)
        self._validators: dict[tuple[str, str], jsonschema.protocols.Validator | None] = {}

    def knows(self, api_version: str, kind: str) -> bool:
        return self._validator(api_version, kind) is not None

    def errors(self, obj: dict[str, Any]) -> list[str]:
        """Problems with one object; empty when it is valid."""
        validator = self._validator(str(obj.get("apiVersion")), str(obj.get("kind")))
        if validator is None:
            return [f"no Kubernetes {self.version} schema for {obj.get('apiVersion')}/{obj.get('kind')}"]
        out = []
        for err in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path))):
            where = ".".join(str(p) for p in err.absolute_path) or "(object)"
            out.append(f"{where}: {err.message}")
        return out

    def _validator(self, api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
        key = (api_version, kind)
        if key not in self._validators:
            group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
            path = self._dir / f"{kind.lower()}-{group_version}.json"
            if not path.is_file():
                self._validators[key] = None
            else:
                schema = json.loads(path.read_text())
                _link(schema, self._definitions)
                self._validators[key] = jsonschema.Draft202012Validator(schema)
        return self._validators[key]


def _link(node: Any, definitions: dict[str, Any]) -> None:
    """Replace every `{"$ref": ".../$defs/X", "description": ...}` by the definition itself.

    Resolving references through a registry on every validation is what makes
    jsonschema slow here; linking the (possibly cyclic) object graph once is ~10x faster.
    The siblings of these references are only annotations (description, x-kubernetes-*).
    """
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in list(items):
        if isinstance(value, dict) and isinstance(value.get("$ref"), str):
            node[key] = definitions[value["$ref"].rsplit("/", 1)[-1]]
        elif isinstance(value, dict | list):
            _link(value, definitions)
