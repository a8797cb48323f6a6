"""Typed settings with their rules and descriptions, declared once as dataclasses.

A model is a dataclass whose fields are YAML keys. Constraints and the one-line
description of a value ride on the type through `Annotated[T, Rule(...)]`, so a type
alias (`Quantity`, `DnsLabel`, `Tolerations`) means the same thing, with the same words,
wherever it is used: in profiles, in chart values and in the generated JSON Schemas.

From one model come: loading plain data with located problems (`check.py`), the JSON
Schema (`json_schema.py`), and plain data for values files (`dump`).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

MISSING: Any = dataclasses.MISSING


@dataclass(frozen=True)
class Rule:
    """What a value must be, and what it is for (`doc`, one line)."""

    doc: str = ""
    pattern: str | None = None
    expected: str | None = None  # how messages describe a value matching `pattern`
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    min_items: int | None = None
    refused: tuple[str, ...] = ()  # values never accepted (`latest`, forbidden RBAC resources)
    refused_why: str = ""
    shown: bool = True  # False: messages never repeat the value (it may be a misplaced credential)


def value(doc: str = "", default: Any = MISSING, *, factory: Any = MISSING, key: str | None = None) -> Any:
    """A model field: its description, default and (when it is not a Python name) its YAML key."""
    metadata = {"doc": doc, "key": key}
    if factory is not MISSING:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Type:
    """A resolved annotation: what `check` and `json_schema` walk."""

    kind: str  # str | int | float | bool | any | enum | list | map | model | union
    rules: tuple[Rule, ...] = ()
    items: Type | None = None  # list items, map values
    keys: Type | None = None  # map keys
    model: type | None = None
    choices: tuple[Any, ...] = ()  # enum values; union members (as Types)
    optional: bool = False

    @property
    def doc(self) -> str:
        return next((r.doc for r in reversed(self.rules) if r.doc), "")


@dataclass(frozen=True)
class Field:
    name: str  # Python attribute
    key: str  # YAML key
    type: Type
    doc: str
    required: bool
    default: Any


_SCALARS = {str: "str", int: "int", float: "float", bool: "bool"}


def resolve(annotation: Any, owner: type | None = None) -> Type:
    """The Type of an annotation (forward references resolved against the owner's module)."""
    rules: list[Rule] = []
    while get_origin(annotation) is typing.Annotated:
        annotation, *extra = get_args(annotation)
        rules = [r for r in extra if isinstance(r, Rule)] + rules
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        optional = len(members) != len(args)
        inner = (
            resolve(members[0]) if len(members) == 1 else Type("union", choices=tuple(map(resolve, members)))
        )
        return dataclasses.replace(inner, rules=inner.rules + tuple(rules), optional=optional)
    if annotation in _SCALARS:
        return Type(_SCALARS[annotation], tuple(rules))
    if annotation is Any or annotation is object:
        return Type("any", tuple(rules))
    if origin is Literal:
        return Type("enum", tuple(rules), choices=args)
    if origin is list:
        return Type("list", tuple(rules), items=resolve(args[0]))
    if origin in (dict, Mapping):
        return Type("map", tuple(rules), keys=resolve(args[0]), items=resolve(args[1]))
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return Type("model", tuple(rules), model=annotation)
    raise TypeError(f"unsupported annotation {annotation!r} in {owner}")


@cache
def fields(model: type) -> tuple[Field, ...]:
    """The fields of a model, in declaration order (the order values files show)."""
    hints = typing.get_type_hints(model, include_extras=True)
    out = []
    for f in dataclasses.fields(model):
        default = f.default if f.default is not MISSING else MISSING
        if f.default_factory is not MISSING:
            default = f.default_factory
        out.append(
            Field(
                name=f.name,
                key=f.metadata.get("key") or f.name,
                type=resolve(hints[f.name], model),
                doc=f.metadata.get("doc") or "",
                required=f.default is MISSING and f.default_factory is MISSING,
                default=default,
            )
        )
    return tuple(out)


def field_doc(f: Field) -> str:
    return f.doc or f.type.doc


def dump(instance: Any) -> Any:
    """Plain data (dicts in field order, lists, scalars); fields holding None are left out."""
    kind: type = type(instance)
    if kind in _PLAIN_TYPES:  # most of what a plan holds: answered before any other test
        return instance
    keys = _dump_keys(kind)
    if keys is not None:
        out: dict[str, Any] = {}
        for name, key in keys:
            item = getattr(instance, name)
            if item is not None:
                out[key] = dump(item)
        return out
    if isinstance(instance, Mapping):
        return {k: dump(v) for k, v in instance.items()}
    if isinstance(instance, list | tuple):
        return [dump(v) for v in instance]
    return instance


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


@cache
def _dump_keys(kind: type) -> tuple[tuple[str, str], ...] | None:
    """(attribute, key) of each field of a model class; None for anything else."""
    if not dataclasses.is_dataclass(kind):
        return None
    return tuple((f.name, f.key) for f in fields(kind))


@cache  # read-only: every chart of a run shows the same descriptions
def docs(model: type, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    """One-line description of every value of a model, by key path (for comments and tables)."""
    out: dict[tuple[str, ...], str] = {}
    for f in fields(model):
        path = (*prefix, f.key)
        out[path] = field_doc(f)
        if f.type.kind == "model" and f.type.model is not None:
            out.update(docs(f.type.model, path))
    return out
