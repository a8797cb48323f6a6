"""Drift: where the live objects of a release differ from the objects its chart renders.

Two ways a hand edit shows, both read from the live object alone:
- a field the chart sets has another value, or its object or list item is gone (the chart's
  value is compared with the live one; what the chart leaves out is the cluster's to default);
- a field the chart does not set was set by someone else: the object's managedFields name the
  field manager of every field written (`kubectl edit` writes as `kubectl-edit`), while fields
  the API server defaults have no manager. Helm, the controllers and status writers are not
  drift; neither are restart stamps (`kubectl rollout restart`).

Secret data is compared but never shown.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import yaml

from chartgen.deploy.live import resource_ref
from chartgen.formats.source import FastLoader

# Field managers whose writes are the release's own or the cluster's bookkeeping.
OWN_MANAGERS = frozenset({"helm", "kube-controller-manager", "kube-scheduler", "kube-apiserver"})
IGNORED_SUBRESOURCES = frozenset({"status", "scale"})
RESTART_STAMP = re.compile(r"^[a-z0-9.-]+/restartedAt$")
QUANTITY = re.compile(r"^([+-]?[0-9.]+)([a-zA-Z]*)$")
_UNITS = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 1024, "Mi": 1024**2,
          "Gi": 1024**3, "Ti": 1024**4}  # fmt: skip
MAX_SHOWN = 200  # characters of a value in a drift line


@dataclass(frozen=True)
class Drift:
    object: str  # Kind/name
    field: str  # e.g. spec.template.spec.containers[workflow].image ("" for the object itself)
    what: str  # changed | missing | added
    live: str = ""  # shown values ("" when hidden or absent)
    chart: str = ""
    pointer: str = ""  # added: the JSON pointer (RFC 6901) into the live object that removes it
    # added: the live node there, as JSON, which the removal first tests is still there; never
    # shown, and empty for a Secret (its keys do not move, and its values stay unread)
    found: str = dataclass_field(default="", repr=False)
    ref: str = ""  # kubectl's TYPE.VERSION.GROUP/NAME of the object

    def shown(self) -> dict[str, str]:
        """What a report shows of it (never the node a removal tests)."""
        return {"object": self.object, "field": self.field, "what": self.what, "live": self.live,
                "chart": self.chart}  # fmt: skip

    def line(self) -> str:
        where = f"{self.object} {self.field}".rstrip()
        if self.what == "missing":
            return f"{where}: missing (the chart has it)"
        if self.what == "added":
            return f"{where}: {self.live} (not in the chart)".replace(":  (", ": (")
        return f"{where}: {self.live} (chart: {self.chart})"


def manifest_objects(manifest: str) -> list[dict[str, Any]]:
    """The objects of a rendered manifest (YAML documents), empty documents left out."""
    return [d for d in yaml.load_all(manifest, Loader=FastLoader) if isinstance(d, dict) and d.get("kind")]


def object_key(obj: dict[str, Any]) -> tuple[str, str, str]:
    """(API group, kind, name): the version does not matter, the server converts."""
    api = str(obj.get("apiVersion", ""))
    group = api.rsplit("/", 1)[0] if "/" in api else ""
    return group, str(obj.get("kind", "")), str((obj.get("metadata") or {}).get("name", ""))


def object_drift(chart: Iterable[dict[str, Any]], live: Iterable[dict[str, Any]]) -> list[Drift]:
    """Each difference between the chart's objects and the live ones of the same names."""
    found = {object_key(o): o for o in live}
    scaled = {
        str((o.get("spec") or {}).get("scaleTargetRef", {}).get("name", ""))
        for o in chart
        if o.get("kind") == "HorizontalPodAutoscaler"
    }
    drifts: list[Drift] = []
    for want in chart:
        key = object_key(want)
        shown = f"{key[1]}/{key[2]}"
        have = found.get(key)
        if have is None:
            drifts.append(Drift(shown, "", "missing"))
            continue
        hidden = key[1] == "Secret"
        skip = {"spec.replicas"} if key[1] == "Deployment" and key[2] in scaled else set()
        here: list[Drift] = []
        _compare(want, have, "", shown, hidden, skip, here)
        here += _foreign_fields(have, want, shown, hidden)
        drifts += [dataclasses.replace(d, ref=resource_ref(want)) for d in here]
    return drifts


def removals(drifts: Iterable[Drift]) -> dict[str, list[dict[str, Any]]]:
    """Object ref -> the JSON patch that removes what someone added: deepest and last first, so
    each pointer still names its node when its turn comes, and each removal after a test that
    the node there is the one seen (an upgrade may have moved list items: then the patch fails
    whole, and nothing of the chart's is removed)."""
    by_ref: dict[str, dict[str, str]] = {}
    for d in drifts:
        if d.what == "added" and d.pointer and d.ref:
            by_ref.setdefault(d.ref, {})[d.pointer] = d.found
    return {
        ref: [
            op
            for p in sorted(found, key=_pointer_order, reverse=True)
            for op in (
                *([{"op": "test", "path": p, "value": json.loads(found[p])}] if found[p] else []),
                {"op": "remove", "path": p},
            )
        ]
        for ref, found in sorted(by_ref.items())
    }


def _pointer_order(pointer: str) -> list[tuple[int, int | str]]:
    return [(0, int(step)) if step.isdigit() else (1, step) for step in pointer.split("/")[1:]]


def _compare(
    want: Any, have: Any, path: str, shown: str, hidden: bool, skip: set[str], out: list[Drift]
) -> None:
    if path in skip or path == "status":
        return
    if isinstance(want, dict):
        if not isinstance(have, dict):
            out.append(_changed(shown, path, have, want, hidden))
            return
        for key, value in want.items():
            if not path and key == "metadata":
                for part in ("labels", "annotations"):
                    meta = have.get("metadata") or {}
                    _compare(value.get(part) or {}, meta.get(part) or {}, f"metadata.{part}", shown, hidden,
                             skip, out)  # fmt: skip
                continue
            sub = f"{path}.{key}" if path else str(key)
            if key not in have:
                if not _empty(value):
                    out.append(Drift(shown, sub, "missing"))
                continue
            _compare(value, have[key], sub, shown, hidden, skip, out)
    elif isinstance(want, list):
        _compare_list(want, have, path, shown, hidden, skip, out)
    elif not _same_scalar(want, have, path):
        out.append(_changed(shown, path, have, want, hidden))


def _compare_list(
    want: list[Any], have: Any, path: str, shown: str, hidden: bool, skip: set[str], out: list[Drift]
) -> None:
    if not isinstance(have, list):
        if want or have not in (None, []):
            out.append(_changed(shown, path, have, want, hidden))
        return
    if want and all(isinstance(w, dict) and "name" in w for w in want):
        live = {str(h.get("name")): h for h in have if isinstance(h, dict)}
        for item in want:
            name = str(item["name"])
            if name not in live:
                out.append(Drift(shown, f"{path}[{name}]", "missing"))
            else:
                _compare(item, live.pop(name), f"{path}[{name}]", shown, hidden, skip, out)
        return  # items someone added: _foreign_fields, which knows who and how to remove them
    if len(want) != len(have):
        out.append(_changed(shown, path, f"{len(have)} items", f"{len(want)} items", hidden))
        return
    for i, (w, h) in enumerate(zip(want, have, strict=True)):
        _compare(w, h, f"{path}[{i}]", shown, hidden, skip, out)


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == [] or value == ""


def _same_scalar(want: Any, have: Any, path: str) -> bool:
    if want == have or (str(want) == str(have) and not isinstance(want, bool)):
        return True
    if ".resources." in f".{path}." or path.endswith(("minAvailable", "maxUnavailable")):
        return _quantity(want) is not None and _quantity(want) == _quantity(have)
    return False


def _quantity(value: Any) -> float | None:
    match = QUANTITY.match(str(value))
    if not match or match.group(2) not in _UNITS:
        return None
    try:
        return round(float(match.group(1)) * _UNITS[match.group(2)], 6)
    except ValueError:
        return None


def _changed(shown: str, path: str, have: Any, want: Any, hidden: bool) -> Drift:
    if hidden:
        return Drift(shown, path, "changed", "(hidden)", "(hidden)")
    return Drift(shown, path, "changed", _show(have), _show(want))


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


_MISSING = object()


def _foreign_fields(live: dict[str, Any], chart: dict[str, Any], shown: str, hidden: bool) -> list[Drift]:
    """Fields someone other than the release and the cluster's controllers wrote where the
    chart has nothing: each the highest such node, with the JSON pointer that removes it."""
    out: list[Drift] = []
    for entry in (live.get("metadata") or {}).get("managedFields") or []:
        manager = str(entry.get("manager", ""))
        if manager in OWN_MANAGERS or entry.get("subresource") in IGNORED_SUBRESOURCES:
            continue
        for path, pointer, node in _added(entry.get("fieldsV1") or {}, live, chart, "", ""):
            if path.startswith("status"):
                continue
            who = "(hidden)" if hidden else f"set by {manager}"
            out.append(
                Drift(shown, path, "added", who, pointer=pointer, found="" if hidden else json.dumps(node))
            )
    return list(dict.fromkeys(out))


def _added(
    fields: dict[str, Any], live: Any, chart: Any, path: str, pointer: str
) -> Iterable[tuple[str, str, Any]]:
    """Walk a managedFields tree over the live object and the chart's: yield (path, pointer,
    live node) of each node the live object has and the chart does not."""
    for key, sub in fields.items():
        found = _child(key, live, chart)
        if found is None:
            continue
        label, step, live_child, chart_child = found
        here = f"{path}.{label}" if path and not label.startswith("[") else f"{path}{label}"
        at = f"{pointer}/{step}"
        if chart_child is _MISSING:
            if not _only_restart_stamps(key, sub):
                yield here, at, live_child
        elif isinstance(sub, dict) and any(k != "." for k in sub):
            yield from _added(sub, live_child, chart_child, here, at)


def _only_restart_stamps(key: str, sub: Any) -> bool:
    """A node whose every field is a restart stamp (`kubectl rollout restart` writes one)."""
    children = [k for k in (sub or {}) if k != "."] if isinstance(sub, dict) else []
    if not children:
        return bool(RESTART_STAMP.match(key[2:]))
    return all(_only_restart_stamps(k, sub[k]) for k in children)


def _child(key: str, live: Any, chart: Any) -> tuple[str, str, Any, Any] | None:
    """(label, pointer step, live child, chart child) of one managedFields key; None when the
    live object no longer has it."""
    if key.startswith("f:") and isinstance(live, dict):
        name = key[2:]
        if name not in live:
            return None
        chart_child = chart.get(name, _MISSING) if isinstance(chart, dict) else _MISSING
        return name, name.replace("~", "~0").replace("/", "~1"), live[name], chart_child
    if key[:2] in ("k:", "v:") and isinstance(live, list):
        try:
            wanted = json.loads(key[2:])
        except ValueError:
            return None
        index = next((i for i, item in enumerate(live) if _matches(item, wanted, key[0])), None)
        if index is None:
            return None
        items = chart if isinstance(chart, list) else []
        chart_child = next((item for item in items if _matches(item, wanted, key[0])), _MISSING)
        if isinstance(wanted, dict):
            label = str(wanted.get("name", next(iter(wanted.values()), index)))
        else:
            label = str(wanted)
        return f"[{label}]", str(index), live[index], chart_child
    return None


def _matches(item: Any, wanted: Any, how: str) -> bool:
    if how == "v":
        return bool(item == wanted)
    return isinstance(item, dict) and all(str(item.get(k)) == str(v) for k, v in wanted.items())
