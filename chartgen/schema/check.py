"""Plain data (parsed YAML) -> a typed model, with every problem located by its key path."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from chartgen.formats.credentials import embedded
from chartgen.schema.spec import Type, dump, fields, resolve

Pointer = tuple[str | int, ...]

_KIND_WORDS = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "list": "a list",
    "map": "a mapping",
    "model": "a mapping",
}
_DATA_WORDS = {type(None): "null", bool: "a boolean", int: "an integer", float: "a number", str: "a string",
               dict: "a mapping", list: "a list"}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    message: str
    at: Pointer
    key: bool = False  # point at the key rather than the value
    policy: bool = False  # a refused value (`latest`, a forbidden grant): well-formed, not allowed


_USERINFO_LIKE = re.compile(r"[^\s/@:]+:[^\s/@]+@")  # `user:password@host`, even without a scheme


def _showable(data: Any) -> bool:
    """A refused value is repeated in its message unless it holds a credential's shape."""
    return not isinstance(data, str) or (embedded(data) is None and not _USERINFO_LIKE.search(data))


def did_you_mean(word: str, choices: Any) -> str:
    """` (did you mean 'x'?)` when a choice is close to `word` (case aside), else ''."""
    by_lower = {str(c).lower(): str(c) for c in choices}
    close = difflib.get_close_matches(str(word).lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean '{by_lower[close[0]]}'?)" if close and by_lower[close[0]] != word else ""


def where(at: Pointer, root: str) -> str:
    return ".".join(str(p) for p in at) or root


class Checker:
    """Converts data to a model; `root` names the document in messages ('profile', 'values')."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def load(self, model: type, data: Any, at: Pointer = ()) -> Any:
        return self._convert(Type("model", model=model), data, at)

    def check_instance(self, instance: Any, at: Pointer = ()) -> None:
        """The problems `load` would find in the dump of a model instance built in code (kinds,
        rules, required fields), found by walking the instance rather than building it again."""
        self._instance(Type("model", model=type(instance)), instance, at)

    def _instance(self, t: Type, data: Any, at: Pointer) -> None:
        if t.kind == "model" and t.model is not None and isinstance(data, t.model):
            for f in fields(t.model):
                item = getattr(data, f.name)
                if item is not None:
                    self._instance(f.type, item, (*at, f.key))
                elif f.required:  # dump leaves None out: `load` would find the key missing
                    self._report(f"'{where((*at, f.key), self.root)}' is required", at)
        elif t.kind == "list" and t.items is not None and isinstance(data, list | tuple):
            before = len(self.problems)
            for i, item in enumerate(data):
                self._instance(t.items, item, (*at, i))
            if t.rules and len(self.problems) == before:
                self._rules(t, list(data), at)
        elif t.kind == "map" and t.items is not None and isinstance(data, dict):
            checked = self._map(Type("map", keys=t.keys, items=Type("any")), data, at)
            for k in checked:
                self._instance(t.items, data[k], (*at, k))
        else:  # scalars, unions, and a value of another shape than its type
            self._convert(t, dump(data), at)

    def check(self, annotation: Any, data: Any, at: Pointer = ()) -> bool:
        """Whether one value meets a type alias (`SecretKey`); problems are recorded as by `load`."""
        before = len(self.problems)
        self._convert(resolve(annotation), data, at)
        return len(self.problems) == before

    def _report(self, message: str, at: Pointer, key: bool = False, policy: bool = False) -> None:
        self.problems.append(Problem(message, at, key, policy))

    def _convert(self, t: Type, data: Any, at: Pointer) -> Any:
        # An optional value is one that may be left out; written as null it is still a mistake.
        before = len(self.problems)
        result = _CONVERTERS[t.kind](self, t, data, at)
        if t.rules and len(self.problems) == before:
            self._rules(t, result, at)
        return result

    # -- kinds ---------------------------------------------------------------------------------
    def _mismatch(self, t: Type, data: Any, at: Pointer, wanted: str | None = None) -> None:
        got = _DATA_WORDS.get(type(data), type(data).__name__)
        self._report(f"'{where(at, self.root)}' must be {wanted or _KIND_WORDS[t.kind]}, not {got}", at)

    def _str(self, t: Type, data: Any, at: Pointer) -> Any:
        if not isinstance(data, str):
            self._mismatch(t, data, at)
        return data

    def _int(self, t: Type, data: Any, at: Pointer) -> Any:
        if not isinstance(data, int) or isinstance(data, bool):
            self._mismatch(t, data, at)
        return data

    def _float(self, t: Type, data: Any, at: Pointer) -> Any:
        if not isinstance(data, int | float) or isinstance(data, bool):
            self._mismatch(t, data, at)
        return data

    def _bool(self, t: Type, data: Any, at: Pointer) -> Any:
        if not isinstance(data, bool):
            self._mismatch(t, data, at)
        return data

    def _any(self, t: Type, data: Any, at: Pointer) -> Any:
        return data

    def _enum(self, t: Type, data: Any, at: Pointer) -> Any:
        if data not in t.choices or isinstance(data, bool) != any(isinstance(c, bool) for c in t.choices):
            allowed = ", ".join(str(c) for c in t.choices)
            hint = did_you_mean(data, t.choices) if isinstance(data, str) else ""
            got = f"; got {data!r}" if _showable(data) else ""
            self._report(f"'{where(at, self.root)}' must be one of {allowed}{got}{hint}", at)
        return data

    def _union(self, t: Type, data: Any, at: Pointer) -> Any:
        for member in t.choices:
            trial = Checker(self.root)
            result = trial._convert(member, data, at)
            if not trial.problems:
                return result
            if _accepts_shape(member, data):  # the right kind, a wrong value: say what is wrong
                self.problems += trial.problems
                return data
        kinds = " or ".join(_KIND_WORDS.get(m.kind, m.kind) for m in t.choices)
        self._mismatch(t, data, at, kinds)
        return data

    def _list(self, t: Type, data: Any, at: Pointer) -> Any:
        if not isinstance(data, list):
            self._mismatch(t, data, at)
            return data
        assert t.items is not None
        return [self._convert(t.items, item, (*at, i)) for i, item in enumerate(data)]

    def _map(self, t: Type, data: Any, at: Pointer) -> Any:
        if not isinstance(data, dict):
            self._mismatch(t, data, at)
            return data
        assert t.items is not None and t.keys is not None
        out = {}
        for k, v in data.items():
            key_checker = Checker(self.root)
            key_checker._convert(t.keys, k, (*at, k))
            if key_checker.problems:
                expected = _expected(t.keys)
                self._report(f"invalid key {k!r} in '{where(at, self.root)}'{expected}", (*at, k), key=True)
                continue
            out[k] = self._convert(t.items, v, (*at, k))
        return out

    def _model(self, t: Type, data: Any, at: Pointer) -> Any:
        if not isinstance(data, dict):
            self._mismatch(t, data, at)
            return None
        assert t.model is not None
        known = {f.key: f for f in fields(t.model)}
        scope = f"in '{where(at, self.root)}'" if at else f"in {self.root}"
        for key in data:
            if key not in known:
                hint = did_you_mean(key, known)
                self._report(
                    f"unknown key '{key}' {scope}{hint} (known keys: {', '.join(sorted(known))})",
                    (*at, key),
                    key=True,
                )
        kwargs = {}
        for f in known.values():
            if f.key in data:
                kwargs[f.name] = self._convert(f.type, data[f.key], (*at, f.key))
            elif f.required:
                self._report(f"'{where((*at, f.key), self.root)}' is required", at)
        try:
            return t.model(**kwargs)
        except TypeError:  # a required value was missing (reported)
            return None

    # -- rules ---------------------------------------------------------------------------------
    def _rules(self, t: Type, data: Any, at: Pointer) -> None:
        if not isinstance(data, str | int | float | list):
            return
        name = where(at, self.root)
        for rule in t.rules:
            if isinstance(data, str):
                if rule.pattern and not _matches(rule.pattern, data):
                    wanted = rule.expected or f"like {rule.pattern}"
                    got = f"; got {data!r}" if all(r.shown for r in t.rules) and _showable(data) else ""
                    self._report(f"'{name}' must be {wanted}{got}", at)
                if rule.min_length is not None and len(data) < rule.min_length:
                    self._report(f"'{name}' must not be empty" if rule.min_length == 1 else
                                 f"'{name}' must have at least {rule.min_length} characters", at)  # fmt: skip
                if rule.max_length is not None and len(data) > rule.max_length:
                    self._report(
                        f"'{name}' must have at most {rule.max_length} characters; got {len(data)}", at
                    )
                if data in rule.refused:
                    why = f": {rule.refused_why}" if rule.refused_why else ""
                    self._report(f"'{name}' must not be {data!r}{why}", at, policy=True)
            if isinstance(data, int | float) and not isinstance(data, bool):
                if rule.minimum is not None and data < rule.minimum:
                    self._report(f"'{name}' must be at least {rule.minimum}; got {data}", at)
                if rule.maximum is not None and data > rule.maximum:
                    self._report(f"'{name}' must be at most {rule.maximum}; got {data}", at)
            if isinstance(data, list) and rule.min_items is not None and len(data) < rule.min_items:
                self._report(f"'{name}' must have at least {rule.min_items} item(s)", at)


_CONVERTERS = {
    kind: getattr(Checker, f"_{kind}")
    for kind in ("str", "int", "float", "bool", "any", "enum", "union", "list", "map", "model")
}


def _expected(t: Type) -> str:
    wanted = next((r.expected for r in t.rules if r.expected), None)
    return f" (must be {wanted})" if wanted else ""


_SHAPES: dict[str, type | tuple[type, ...]] = {
    "str": str, "int": int, "float": (int, float), "bool": bool, "list": list, "map": dict, "model": dict,
}  # fmt: skip


def _accepts_shape(t: Type, data: Any) -> bool:
    """Whether `data` is of the kind `t` takes (so a problem with it is about its value)."""
    wanted = _SHAPES.get(t.kind)
    return (
        wanted is not None and isinstance(data, wanted) and not (t.kind != "bool" and isinstance(data, bool))
    )


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)  # \d is 0-9, as in helm's (Go) check of values.schema.json


def _matches(pattern: str, data: str) -> bool:
    """As helm matches the same pattern in values.schema.json (Go): a final `$` is the end of
    the text, not a line before a trailing newline (Python's `$` lets "name\n" through)."""
    found = _compiled(pattern).search(data)
    anchored = pattern.endswith("$") and not pattern.endswith("\\$")
    return found is not None and (not anchored or found.end() == len(data))


def load(model: type, data: Any, root: str = "document") -> tuple[Any, list[Problem]]:
    """(instance or None, problems)."""
    checker = Checker(root)
    instance = checker.load(model, data)
    return (None if checker.problems else instance), checker.problems
