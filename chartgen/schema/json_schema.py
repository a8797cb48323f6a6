"""A model -> JSON Schema (draft 2020-12), self-contained: no `$ref`, every object closed."""

from __future__ import annotations

from typing import Any

from chartgen.schema.spec import Type, field_doc, fields

_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def model_schema(
    model: type, omit: frozenset[str] = frozenset(), required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The object schema of a model; `omit` leaves top-level keys out, `required` adds required ones."""
    schema = _model(model, omit)
    if required:
        schema["required"] = sorted(set(schema.get("required", [])) | set(required))
    return schema


def document(title: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **body}


def type_schema(t: Type) -> dict[str, Any]:
    schema: dict[str, Any]
    if t.kind in _JSON_TYPES:
        schema = {"type": _JSON_TYPES[t.kind]}
    elif t.kind == "any":
        schema = {}
    elif t.kind == "enum":
        schema = {"enum": list(t.choices)}
    elif t.kind == "list":
        assert t.items is not None
        schema = {"type": "array", "items": type_schema(t.items)}
    elif t.kind == "map":
        assert t.items is not None and t.keys is not None
        schema = {"type": "object", "additionalProperties": type_schema(t.items)}
        keys = type_schema(t.keys)
        if keys.get("pattern") or keys.get("maxLength"):
            schema["propertyNames"] = {k: v for k, v in keys.items() if k in ("pattern", "maxLength")}
    elif t.kind == "model":
        assert t.model is not None
        schema = _model(t.model, frozenset())
    else:  # union of scalars
        kinds = [type_schema(m) for m in t.choices]
        schema = {"type": [k["type"] for k in kinds]}
    _apply_rules(t, schema)
    return schema


def _model(model: type, omit: frozenset[str]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required = []
    for f in fields(model):
        if f.key in omit:
            continue
        prop = type_schema(f.type)
        doc = field_doc(f)
        if doc:
            prop = {"description": doc, **prop}
        properties[f.key] = prop
        if f.required:
            required.append(f.key)
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def _apply_rules(t: Type, schema: dict[str, Any]) -> None:
    for rule in t.rules:
        for attribute, keyword in (
            ("pattern", "pattern"),
            ("min_length", "minLength"),
            ("max_length", "maxLength"),
            ("minimum", "minimum"),
            ("maximum", "maximum"),
            ("min_items", "minItems"),
        ):
            setting = getattr(rule, attribute)
            if setting is not None:
                schema[keyword] = setting
        if rule.refused:
            schema["not"] = {"enum": list(rule.refused)}
