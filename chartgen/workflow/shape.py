"""A workflow document against the shape SonataFlow 10.0's parser reads (keys.py): what it refuses
(a key a strict kind does not have, a value outside an enum, a mapping or list where it reads one
value, an extension it does not know) and what it silently drops (a key a lenient kind ignores).

Type mismatches the model builder already reports (a list that is not one) are left to it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from chartgen.schema.check import did_you_mean
from chartgen.workflow.keys import (
    EXTENSIONS,
    KINDS,
    STATE_FIELDS,
    Choice,
    Free,
    Kind,
    Many,
    One,
    Slot,
    Text,
    state_kind,
)

Pointer = tuple[str | int, ...]


@dataclass(frozen=True)
class ShapeProblem:
    at: Pointer
    severity: Literal["error", "warning"]
    message: str
    key: bool = False  # located at the key, not its value


def shape_problems(flow: Mapping[str, Any]) -> Iterator[ShapeProblem]:
    yield from _object(flow, KINDS["workflow"], (), also=("states", "extensions"))
    states = flow.get("states")
    for i, state in enumerate(states if isinstance(states, list) else []):
        if isinstance(state, Mapping) and state.get("type") in STATE_FIELDS:
            yield from _object(state, state_kind(str(state["type"])), ("states", i), label=_named(state))
    extensions = flow.get("extensions")
    for i, ext in enumerate(extensions if isinstance(extensions, list) else []):
        if isinstance(ext, Mapping):
            yield from _extension(ext, ("extensions", i))


def _extension(ext: Mapping[str, Any], at: Pointer) -> Iterator[ShapeProblem]:
    ext_id = ext.get("extensionid")
    kind = EXTENSIONS.get(str(ext_id)) if ext_id is not None else None
    if kind is not None:
        yield from _object(ext, kind, at)
    elif ext_id is None:
        yield ShapeProblem(at, "error", "an extension without 'extensionid' crashes SonataFlow's parser")
    else:
        yield ShapeProblem(
            (*at, "extensionid"),
            "error",
            f"extension '{ext_id}' is not one SonataFlow knows ({', '.join(EXTENSIONS)})"
            f"{did_you_mean(ext_id, EXTENSIONS)}: its build fails ('Extension handler not registered')",
        )


def _named(item: Mapping[str, Any]) -> str:
    name = item.get("name")
    return f" '{name}'" if isinstance(name, str) else ""


def _object(
    value: Mapping[str, Any], kind: Kind, at: Pointer, also: tuple[str, ...] = (), label: str = ""
) -> Iterator[ShapeProblem]:
    """`label`: the item's name, for messages (" 'Approve'")."""
    what = kind.name + label
    for key, item in value.items():
        slot = kind.fields.get(key)
        if slot is None and key not in also:
            known = [*kind.fields, *also]
            if kind.strict:
                yield ShapeProblem(
                    (*at, key),
                    "error",
                    f"unknown key '{key}' in {what}{did_you_mean(key, known)}: SonataFlow's build "
                    "refuses it (Unrecognized field)",
                    key=True,
                )
            else:
                yield ShapeProblem(
                    (*at, key), "warning", f"unknown key '{key}' in {what}{did_you_mean(key, known)}: "
                    "SonataFlow ignores it", key=True,
                )  # fmt: skip
        elif slot is not None:
            yield from _slot(item, slot, (*at, key), kind, str(key))
    missing = [k for k in kind.required if k not in value]
    if missing:
        yield ShapeProblem(
            at,
            "error",
            f"{kind.name} written as a mapping needs {' and '.join(repr(k) for k in kind.required)} "
            f"(without {', '.join(repr(k) for k in missing)} SonataFlow's parser fails)",
        )


def _slot(value: Any, slot: Slot, at: Pointer, owner: Kind, key: str) -> Iterator[ShapeProblem]:
    nested = isinstance(value, Mapping | list)
    if isinstance(slot, Text) and nested and owner.strict:
        yield _derails(at, owner, key, value)
    elif isinstance(slot, Choice) and not nested and value is not None and str(value) not in slot.values:
        yield ShapeProblem(
            at,
            "error",
            f"'{key}' of {owner.name} must be one of {', '.join(slot.values)} (SonataFlow reads them as "
            f"written, case included){did_you_mean(str(value), slot.values)}; got '{value}'",
        )
    elif isinstance(slot, Free) and slot.text_values and isinstance(value, Mapping):
        for name, item in value.items():
            if isinstance(item, Mapping | list):
                yield _derails((*at, name), owner, f"{key}.{name}", item)
    elif isinstance(slot, One) and isinstance(value, Mapping):
        yield from _object(value, KINDS[slot.kind], at)
    elif isinstance(slot, Many) and isinstance(value, list):
        for i, item in enumerate(value):
            if slot.kind and isinstance(item, Mapping):
                yield from _object(item, KINDS[slot.kind], (*at, i), label=_named(item))
            elif not slot.kind and isinstance(item, Mapping | list):
                yield _derails((*at, i), owner, f"{key}[{i}]", item)


def _derails(at: Pointer, owner: Kind, key: str, value: Any) -> ShapeProblem:
    what = "a mapping" if isinstance(value, Mapping) else "a list"
    return ShapeProblem(
        at,
        "error",
        f"'{key}' of {owner.name} holds {what} where SonataFlow reads one value: its parser then misreads "
        "what follows (the build fails, or keys after it are dropped)",
    )
