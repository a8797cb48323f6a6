"""Which SemVer bump a chart change needs, and why: pure rules over two snapshots of a chart.

major: a values file that worked may now be refused (schema key removed or narrowed), an
upgrade cannot apply (a selector is immutable; a renamed object is a delete and a create), or
persisted workflow instances cannot resume (a workflow, state, function or event removed).
minor: something was added (a workflow, state, function, event, optional value).
patch: anything else that changed the chart's content.

No I/O here: the objects helm renders come in as data (`ChartSnapshot.rendered`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chartgen.charts.chart import parse_chart_yaml
from chartgen.errors import UserError
from chartgen.formats.source import ParseError, SourceFile
from chartgen.formats.yaml_out import dump_yaml
from chartgen.plan.layout import CHART_FILE, DATA_FILE, values_file_env
from chartgen.version.digest import chart_digest

RANK = {"patch": 0, "minor": 1, "major": 2}
SCHEMA_FILE = "values.schema.json"
RESOURCES = "files/resources/"
CONTENT_CHANGED = "content changed (templates, values or files)"
# Numeric and length bounds: a higher lower bound or a lower upper bound refuses values.
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


@dataclass(frozen=True)
class ChartSnapshot:
    """A chart's files (by path inside the chart) and, per environment, the objects helm
    renders from them (empty: the rendered rules are skipped)."""

    files: Mapping[str, bytes]
    rendered: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Reason:
    kind: str  # major | minor | patch
    description: str  # one line naming the thing
    change: str = "changed"  # added | changed | removed (artifacthub.io/changes)


@dataclass(frozen=True)
class Bump:
    kind: str | None  # None: the content did not change
    reasons: list[Reason]

    def why(self) -> str:
        return "; ".join(r.description for r in self.reasons)


def bump_kind(base: ChartSnapshot, head: ChartSnapshot) -> Bump:
    """The bump `head` needs over `base`: the highest kind of its reasons."""
    if _digest(base.files) == _digest(head.files):
        return Bump(None, [])
    reasons = [
        *environment_reasons(base.files, head.files),
        *schema_reasons(_json(base.files, SCHEMA_FILE), _json(head.files, SCHEMA_FILE)),
        *rendered_reasons(base.rendered, head.rendered),
        *workflow_reasons(base.files, head.files),
    ]
    reasons = list(dict.fromkeys(reasons))  # the same change seen in several environments
    if not reasons:
        reasons = [Reason("patch", CONTENT_CHANGED)]
    reasons.sort(key=lambda r: -RANK[r.kind])  # stable: the rules' order within a kind
    return Bump(reasons[0].kind, reasons)


def changes_text(reasons: list[Reason]) -> str:
    """The `artifacthub.io/changes` annotation: a YAML list of {kind, description}, one line
    each, ending in one newline (written as a literal block)."""
    if not reasons:
        return ""
    items = [{"kind": r.change, "description": " ".join(r.description.split())} for r in reasons]
    return dump_yaml(items).decode()


def _digest(files: Mapping[str, bytes]) -> str:
    raw = files.get(CHART_FILE)
    meta = parse_chart_yaml(raw, Path(CHART_FILE)) if raw is not None else {}
    return chart_digest(meta, files)


def _json(files: Mapping[str, bytes], name: str) -> Any:
    raw = files.get(name)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None  # a broken schema is lint's to report; no schema rule then


# --- values schema ---------------------------------------------------------------------------


def schema_reasons(base: Any, head: Any, path: str = "") -> Iterator[Reason]:
    """Narrowing (major) and optional keys added (minor), walking `properties` and `items`."""
    if not isinstance(base, dict) or not isinstance(head, dict):
        return
    yield from _narrowed(base, head, f"values schema: '{path or '(root)'}'")
    yield from _keys(base, head, path)
    yield from schema_reasons(base.get("items"), head.get("items"), f"{path}[]")


def _narrowed(base: dict[str, Any], head: dict[str, Any], where: str) -> Iterator[Reason]:
    """What a value at this place of the schema may no longer be."""
    old_types, new_types = _types(base), _types(head)
    if new_types and (not old_types or not old_types <= new_types):
        was = ", ".join(sorted(old_types)) or "any"
        yield Reason("major", f"{where} type narrowed ({was} -> {', '.join(sorted(new_types))})")
    if isinstance(head.get("enum"), list):
        if not isinstance(base.get("enum"), list):
            yield Reason("major", f"{where} now limited to {_short(head['enum'])}")
        elif dropped := [v for v in base["enum"] if v not in head["enum"]]:
            yield Reason("major", f"{where} allowed values removed: {_short(dropped)}", "removed")
    for key in _LOWER_BOUNDS:
        if _number(head.get(key)) and (not _number(base.get(key)) or head[key] > base[key]):
            yield Reason("major", f"{where} {key} raised to {head[key]}")
    for key in _UPPER_BOUNDS:
        if _number(head.get(key)) and (not _number(base.get(key)) or head[key] < base[key]):
            yield Reason("major", f"{where} {key} lowered to {head[key]}")
    if "pattern" in head and head.get("pattern") != base.get("pattern"):
        yield Reason("major", f"{where} pattern changed")
    if head.get("additionalProperties") is False and base.get("additionalProperties") is not False:
        yield Reason("major", f"{where} no longer allows other keys")


def _keys(base: dict[str, Any], head: dict[str, Any], path: str) -> Iterator[Reason]:
    """Keys removed, newly required or added under `properties`, and the kept ones walked."""
    old_props, new_props = _dict(base.get("properties")), _dict(head.get("properties"))
    old_required, new_required = set(_list(base.get("required"))), set(_list(head.get("required")))
    for key in old_props:
        if key not in new_props:
            yield Reason("major", f"values schema: key '{_join(path, key)}' removed", "removed")
    for key in sorted(new_required - old_required):
        if key in old_props or key not in new_props:
            yield Reason("major", f"values schema: key '{_join(path, key)}' is now required")
    for key, sub in new_props.items():
        name = _join(path, key)
        if key in old_props:
            yield from schema_reasons(old_props[key], sub, name)
        elif key in new_required:
            yield Reason("major", f"required value '{name}' added", "added")
        else:
            yield Reason("minor", f"optional value '{name}' added", "added")


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    types = {kind} if isinstance(kind, str) else {str(t) for t in _list(kind)}
    return types | {"integer"} if "number" in types else types  # a number may be an integer


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _short(values: list[Any]) -> str:
    text = ", ".join(json.dumps(v, ensure_ascii=False) for v in values)
    return text if len(text) <= 80 else text[:77] + "..."


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# --- environments and rendered objects ------------------------------------------------------


def environment_reasons(base: Mapping[str, bytes], head: Mapping[str, bytes]) -> Iterator[Reason]:
    """A values file removed: `helm upgrade -f values-<env>.yaml` of that environment breaks."""
    for name in sorted(base):
        env = values_file_env(name)
        if env is not None and name not in head:
            yield Reason("major", f"environment '{env}' removed ({name})", "removed")


def rendered_reasons(
    base: Mapping[str, list[dict[str, Any]]], head: Mapping[str, list[dict[str, Any]]]
) -> Iterator[Reason]:
    """Objects renamed or removed and selectors changed, per environment rendered on both sides.
    Both are major: helm deletes the old object (a Service's clients, a PVC's data), and
    Kubernetes refuses to change a Deployment's selector in place."""
    for env in sorted(set(base) & set(head)):
        old, new = _by_name(base[env]), _by_name(head[env])
        added_kinds = {kind for kind, _ in new.keys() - old.keys()}
        for kind, name in sorted(old.keys() - new.keys()):
            why = " (resource name changed)" if kind in added_kinds else ""
            yield Reason("major", f"{kind}/{name} removed{why}", "removed")
        for key in sorted(old.keys() & new.keys()):
            if _selector(old[key]) != _selector(new[key]):
                yield Reason("major", f"selector of {key[0]}/{key[1]} changed")


def _by_name(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for obj in objects:
        if isinstance(obj, dict):
            meta = _dict(obj.get("metadata"))
            out[(str(obj.get("kind")), str(meta.get("name")))] = obj
    return out


def _selector(obj: dict[str, Any]) -> Any:
    return _dict(obj.get("spec")).get("selector")


# --- workflows -------------------------------------------------------------------------------


def workflow_reasons(base: Mapping[str, bytes], head: Mapping[str, bytes]) -> Iterator[Reason]:
    old, new = workflow_docs(base), workflow_docs(head)
    # A dev chart keeps no instances (no persistence): removals are still major, for its users.
    dev = chart_data(head).get("kind") == "dev"
    removed = removals_between(old, new)
    for r in removed:
        if r.part == "workflow":
            yield Reason("major", r.describe(persisted=not dev), "removed")
    for wid, doc in new.items():
        if wid not in old:
            yield Reason("minor", f"workflow '{wid}' added", "added")
            continue
        for part, key in _PARTS:
            for r in removed:
                if r.workflow == wid and r.part == part:
                    yield Reason("major", r.describe(persisted=not dev), "removed")
            before = _names(old[wid].get(key))
            for name in _names(doc.get(key)):
                if name not in before:
                    yield Reason("minor", f"{part} '{name}' added to workflow '{wid}'", "added")


@dataclass(frozen=True)
class Removal:
    """What a new version of a chart takes away that a persisted instance may need."""

    workflow: str
    part: str  # workflow, state, function or event
    name: str  # the workflow's id, or the state's, function's or event's name
    states: tuple[str, ...] = ()  # the old version's states an instance waiting in cannot resume

    def describe(self, persisted: bool = True) -> str:
        if self.part == "workflow":
            return f"workflow '{self.name}' removed" + " (its persisted instances cannot resume)" * persisted
        why = f" (persisted instances {_STUCK[self.part]} cannot resume)" if persisted else ""
        return f"{self.part} '{self.name}' removed from workflow '{self.workflow}'{why}"


def removals(base: Mapping[str, bytes], head: Mapping[str, bytes]) -> list[Removal]:
    """Every workflow, state, function and event of `base` (a chart's files) that `head` no
    longer has: the removals that make a version major, and where instances would be stranded."""
    return removals_between(workflow_docs(base), workflow_docs(head))


def removals_between(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[Removal]:
    """`removals` of workflow definitions already read (workflow_docs)."""
    out = []
    for wid, doc in old.items():
        states = {name: state for state in _list(doc.get("states")) if (name := _name(state))}
        if wid not in new:
            out.append(Removal(wid, "workflow", wid, tuple(states)))
            continue
        for part, key in _PARTS:
            kept = _names(new[wid].get(key))
            for name in _names(doc.get(key)):
                if name in kept:
                    continue
                waiting = (name,) if part == "state" else tuple(s for s in states if name in _refs(states[s]))
                out.append(Removal(wid, part, name, waiting))
    return out


_STUCK = {"state": "waiting in it", "function": "that call it", "event": "waiting for it"}
_PARTS = (("state", "states"), ("function", "functions"), ("event", "events"))
_REF_KEYS = ("functionRef", "eventRef", "eventRefs", "triggerEventRef", "resultEventRef", "refName")


def workflow_docs(files: Mapping[str, bytes]) -> dict[str, dict[str, Any]]:
    """Workflow id -> its definition, for the workflows the chart lists."""
    out: dict[str, dict[str, Any]] = {}
    for entry in _list(chart_data(files).get("workflows")):
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            continue
        doc = _workflow_file(files, RESOURCES + entry["file"])
        out[str(entry.get("id") or doc.get("id") or entry["file"])] = doc
    return out


def _names(items: Any) -> list[str]:
    """Names of a workflow's states, functions or events (a URI to a separate file: none)."""
    return [name for item in _list(items) if (name := _name(item))]


def _name(item: Any) -> str:
    return str(item["name"]) if isinstance(item, dict) and "name" in item else ""


def _refs(node: Any) -> set[str]:
    """The functions and events a state names anywhere inside it (actions, onEvents, ...)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _REF_KEYS and isinstance(value, str):
                found.add(value)
            elif key == "eventRefs" and isinstance(value, list):
                found.update(v for v in value if isinstance(v, str))
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _refs(item)
    return found


def chart_data(files: Mapping[str, bytes]) -> dict[str, Any]:
    """files/chartgen-data.yaml: what generate decided (workflows, environments)."""
    raw = files.get(DATA_FILE)
    if raw is None:
        return {}
    docs = _parse(DATA_FILE, raw)
    return _dict(docs[0] if docs else None)


def _workflow_file(files: Mapping[str, bytes], rel: str) -> dict[str, Any]:
    raw = files.get(rel)
    if raw is None:
        return {}
    docs = _parse(rel, raw)
    return _dict(docs[0] if docs else None)


def _parse(rel: str, raw: bytes) -> list[Any]:
    try:
        return SourceFile(Path(rel), raw).documents()  # no I/O: the bytes are given
    except ParseError as exc:
        raise UserError(f"{rel}:{exc.line}:{exc.col}: {exc.message}") from None
