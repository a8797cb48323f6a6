"""What changes between two renderings of a chart: objects added, removed and changed (the
changed fields and a unified diff), and whether a change rolls the pods.

Pure: the input is helm's output text (or parsed objects), the output the typed result that
`diff_report` formats. Secret values never reach the result: they are masked before anything
is compared or printed, and only key names stay.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from chartgen.formats.source import FastLoader
from chartgen.graph.model import Graph

HIDDEN = "<hidden>"
HIDDEN_CHANGED = "<hidden, changed>"
MAX_DIFF_LINES = 300  # per object: a PR comment has a size limit, and the fields are listed anyway

# Names of environment variables (and other name/value pairs) that hold credentials.
_CREDENTIAL = re.compile(r"PASSWORD|PASSWD|TOKEN|SECRET|KEY|CREDENTIAL", re.IGNORECASE)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")

Change = Literal["added", "removed", "changed"]
Status = Literal["changed", "new", "removed"]
Path = tuple[str | int, ...]


@dataclass
class ObjectChange:
    key: str  # Kind/name (Kind/namespace/name outside the release namespace)
    change: Change
    fields: list[str] = field(default_factory=list)  # dotted paths that differ (changed only)
    diff: str = ""  # unified diff of the masked objects (changed only)
    rolls: list[str] = field(default_factory=list)  # why the pods roll; empty: they do not
    workload: bool = False  # the object runs pods (rolls applies)


@dataclass
class EnvDiff:
    environment: str
    objects: list[ObjectChange] = field(default_factory=list)
    note: str = ""  # e.g. the environment exists only at head
    error: str = ""  # helm could not render one side

    def count(self, change: Change) -> int:
        return sum(1 for o in self.objects if o.change == change)

    @property
    def rolls(self) -> list[str]:
        """Reasons, over every workload of the environment (sorted, no repeats)."""
        return sorted({r for o in self.objects for r in o.rolls})


@dataclass
class Waiting:
    """The live instances of one environment that what a chart removes would strand."""

    environment: str
    stranded: list[str] = field(default_factory=list)  # one line per instance
    note: str = ""  # how it was asked, or why it was not
    # workflow -> removed state -> how many live instances wait there
    per_state: dict[str, dict[str, int]] = field(default_factory=dict)
    answered: bool = False  # the Data Index was asked and answered (else `note` says why not)


@dataclass
class ChartDiff:
    chart: str
    status: Status
    base_version: str | None
    head_version: str | None
    dev: bool  # a dev chart: its one environment is not a production one
    environments: list[EnvDiff] = field(default_factory=list)
    error: str = ""  # the chart could not be read at all
    removed: list[str] = field(default_factory=list)  # workflows, states, ... instances may need
    waiting: list[Waiting] = field(default_factory=list)  # per environment, for `removed`
    graphs: list[Graph] = field(default_factory=list)  # each changed workflow, base and head merged

    @property
    def errors(self) -> list[str]:
        return [self.error] * bool(self.error) + [e.error for e in self.environments if e.error]

    @property
    def changes_objects(self) -> bool:
        return self.status != "changed" or any(e.objects or e.note for e in self.environments)


@dataclass
class DiffResult:
    base: str  # the --base ref as given
    commit: str  # the merge-base commit
    charts: list[ChartDiff] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(c.errors for c in self.charts)

    @property
    def dev_only(self) -> bool:
        """Every chart whose rendering changes is a dev chart (and there is one)."""
        changing = [c for c in self.charts if c.changes_objects or c.errors]
        return bool(changing) and all(c.dev for c in changing)


def differing_documents(base: str, head: str) -> tuple[str, str]:
    """Each side of two helm outputs without the documents the other side has byte for byte
    (the same object at base and head: nothing to compare, nothing to parse). Most of a
    chart's documents, for most changes; a version bump changes them all (the chart label)."""
    old, new = _documents(base), _documents(head)
    shared = Counter(old) & Counter(new)
    return _without(old, shared), _without(new, shared)


_DOCUMENT_START = re.compile(r"^---[ \t]*$", re.MULTILINE)


def _documents(text: str) -> list[str]:
    """The text of each document, as it is (a line-start `---` ends the one before it)."""
    return [doc if doc.startswith("\n") else "\n" + doc for doc in _DOCUMENT_START.split(text) if doc.strip()]


def _without(docs: list[str], shared: Counter[str]) -> str:
    """The documents in order, each shared one left out as often as the other side has it."""
    left = Counter(shared)
    kept = []
    for doc in docs:
        if left[doc] > 0:
            left[doc] -= 1
        else:
            kept.append(doc)
    return "".join(f"---{doc}" for doc in kept)


def parse_objects(text: str, namespace: str) -> dict[str, dict[str, Any]]:
    """helm template's documents by key (see ObjectChange.key). Raises yaml.YAMLError."""
    return keyed_objects(list(yaml.load_all(text, Loader=FastLoader)), namespace)


def keyed_objects(docs: list[Any], namespace: str) -> dict[str, dict[str, Any]]:
    """Rendered objects by key (see ObjectChange.key); documents that are not objects are left out."""
    objects: dict[str, dict[str, Any]] = {}
    for doc in docs:
        if not isinstance(doc, dict) or not doc.get("kind"):
            continue
        key = object_key(doc, namespace)
        if key in objects:  # the same kind and name in two API groups (core and Knative Service)
            key = object_key(doc, namespace, qualified=True)
        while key in objects:
            key += "'"
        objects[key] = doc
    return objects


def object_key(obj: dict[str, Any], namespace: str, qualified: bool = False) -> str:
    meta = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    kind = str(obj.get("kind"))
    if qualified and "/" in str(obj.get("apiVersion", "")):
        kind += "." + str(obj["apiVersion"]).split("/", 1)[0]
    ns = meta.get("namespace")
    where = f"{ns}/" if ns and str(ns) != namespace else ""
    return f"{kind}/{where}{meta.get('name')}"


def compare(base: dict[str, dict[str, Any]], head: dict[str, dict[str, Any]]) -> list[ObjectChange]:
    """Every object added, removed or changed from `base` to `head`, sorted by key. The chart
    version label on each object's own metadata is left out: a version bump changes it on every
    object, and the report states the version change once. On a pod template it stays (the
    label change rolls the pods)."""
    changes = []
    for key in sorted(base.keys() | head.keys()):
        if key not in base:
            changes.append(ObjectChange(key, "added"))
        elif key not in head:
            changes.append(ObjectChange(key, "removed"))
        elif base[key] != head[key]:
            old, new = _without_version_label(base[key]), _without_version_label(head[key])
            if old != new:
                changes.append(changed_object(key, old, new))
    return changes


VERSION_LABEL = "helm.sh/chart"  # <chart>-<version>, on every object of a chart


def _without_version_label(obj: dict[str, Any]) -> dict[str, Any]:
    labels = _get(obj, ("metadata", "labels"))
    if not isinstance(labels, dict) or VERSION_LABEL not in labels:
        return obj
    copied = copy.deepcopy(obj)
    del copied["metadata"]["labels"][VERSION_LABEL]
    return copied


def changed_object(key: str, old: dict[str, Any], new: dict[str, Any]) -> ObjectChange:
    a, b = mask_pair(old, new)
    workload = new.get("kind") in _POD_TEMPLATES
    fields, diff = changed_paths(a, b), unified_diff(key, a, b)
    return ObjectChange(key, "changed", fields, diff, roll_reasons(old, new), workload)


# --- secrets -------------------------------------------------------------------------------


def mask(obj: dict[str, Any]) -> tuple[dict[str, Any], dict[Path, Any]]:
    """A copy of `obj` with secret values replaced by HIDDEN, and the originals by path:
    a Secret's data and stringData, and the value of any name/value pair (an env variable)
    whose name looks like a credential."""
    masked = copy.deepcopy(obj)
    originals: dict[Path, Any] = {}
    if masked.get("kind") == "Secret":
        for section in ("data", "stringData"):
            values = masked.get(section)
            if isinstance(values, dict):
                for k in values:
                    originals[(section, k)] = values[k]
                    values[k] = HIDDEN
    _mask_pairs(masked, (), originals)
    return masked, originals


def _mask_pairs(node: Any, path: Path, originals: dict[Path, Any]) -> None:
    if isinstance(node, dict):
        name = node.get("name")
        if "value" in node and isinstance(name, str) and _CREDENTIAL.search(name):
            originals[(*path, "value")] = node["value"]
            node["value"] = HIDDEN
        for k, v in node.items():
            _mask_pairs(v, (*path, k), originals)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _mask_pairs(v, (*path, i), originals)


def mask_pair(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both objects masked; a hidden value that differs shows as HIDDEN_CHANGED at head, so a
    changed secret is still a change (its value is never shown, nor a hash of it)."""
    a, hidden_a = mask(old)
    b, hidden_b = mask(new)
    for path, value in hidden_b.items():
        if path in hidden_a and hidden_a[path] != value:
            _set(b, path, HIDDEN_CHANGED)
    return a, b


def _set(node: Any, path: Path, value: Any) -> None:
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


# --- fields and diff -----------------------------------------------------------------------


def changed_paths(a: Any, b: Any, path: str = "") -> list[str]:
    """Dotted paths of the leaves that differ; list items with a unique `name` are matched by
    it (`containers[app].env[LOG_LEVEL]`), others by position."""
    if a == b:
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(a.keys() | b.keys(), key=str):
            sub = _join(path, k)
            out += changed_paths(a[k], b[k], sub) if k in a and k in b else [sub]
        return out
    if isinstance(a, list) and isinstance(b, list):
        named_a, named_b = _by_name(a), _by_name(b)
        if named_a is not None and named_b is not None:
            return changed_paths(named_a, named_b, path)
        if len(a) != len(b):
            return [path]
        return [
            p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in changed_paths(x, y, f"{path}[{i}]")
        ]
    return [path or "(object)"]


def _by_name(items: list[Any]) -> dict[str, Any] | None:
    names = [i.get("name") for i in items if isinstance(i, dict)]
    if len(names) != len(items) or not all(isinstance(n, str) for n in names) or len(set(names)) < len(names):
        return None
    return {f"\0{n}": item for n, item in zip(names, items, strict=True)}  # \0: marks a list item


def _join(path: str, key: Any) -> str:
    text = str(key)
    if text.startswith("\0"):
        return f"{path}[{text[1:]}]"
    if _IDENT.fullmatch(text):
        return f"{path}.{text}" if path else text
    return f"{path}[{json.dumps(text, ensure_ascii=False)}]"


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]  # libyaml: 10x faster
    """Sorted keys, and multi-line text (a workflow file in a ConfigMap) as a literal block,
    so a one-line change is a one-line diff."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_Dumper.add_representer(str, _str)


def dump(obj: Any) -> list[str]:
    text = yaml.dump(obj, Dumper=_Dumper, sort_keys=True, allow_unicode=True, width=1_000_000)
    return text.splitlines()


def unified_diff(key: str, a: dict[str, Any], b: dict[str, Any]) -> str:
    lines = list(difflib.unified_diff(dump(a), dump(b), f"base/{key}", f"head/{key}", lineterm="", n=3))
    if len(lines) > MAX_DIFF_LINES:
        more = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"... ({more} more lines)"]
    return "\n".join(lines)


# --- pods ----------------------------------------------------------------------------------

# Where each workload keeps the template of its pods (a Job's pods are not rolled: excluded).
_POD_TEMPLATES: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "SonataFlow": ("spec", "podTemplate"),
}
_CONTAINER_PARTS = {"image": "image", "env": "env", "envFrom": "env", "resources": "resources"}


def roll_reasons(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why replacing `old` by `new` restarts the workload's pods: "checksum annotation <key>",
    "image", "env", "resources", "pod labels" (the chart version is one), "other pod spec";
    empty when the pod template is the same."""
    kind = str(new.get("kind"))
    path = _POD_TEMPLATES.get(kind)
    if path is None or kind != old.get("kind"):
        return []
    a, b = _get(old, path), _get(new, path)
    if a == b:
        return []
    sonataflow = kind == "SonataFlow"  # its podTemplate is the pod spec, with one `container`
    checksums_a, checksums_b = _checksums(a), _checksums(b)
    reasons = [
        f"checksum annotation {k}"
        for k in sorted(checksums_a.keys() | checksums_b.keys())
        if checksums_a.get(k) != checksums_b.get(k)
    ]
    parts_a, rest_a = _split_pod(a, sonataflow)
    parts_b, rest_b = _split_pod(b, sonataflow)
    reasons += sorted({_CONTAINER_PARTS[p] for p in _CONTAINER_PARTS if parts_a.get(p) != parts_b.get(p)})
    labels_a, labels_b = _pop_labels(rest_a), _pop_labels(rest_b)
    if labels_a != labels_b:
        reasons.append("pod labels")
    if rest_a != rest_b:
        reasons.append("other pod spec")
    return list(dict.fromkeys(reasons))


def _get(obj: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        obj = obj.get(step) if isinstance(obj, dict) else None
    return obj


def _pop_labels(template: Any) -> Any:
    meta = template.get("metadata") if isinstance(template, dict) else None
    return meta.pop("labels", None) if isinstance(meta, dict) else None


def _checksums(template: Any) -> dict[str, Any]:
    annotations = _get(template, ("metadata", "annotations"))
    if not isinstance(annotations, dict):
        return {}
    return {k: v for k, v in annotations.items() if str(k).startswith("checksum/")}


def _split_pod(template: Any, sonataflow: bool) -> tuple[dict[str, list[Any]], Any]:
    """(image, env, envFrom, resources of every container, by container) and the rest of the
    template with those and the checksum annotations taken out."""
    rest = copy.deepcopy(template) if isinstance(template, dict) else {}
    annotations = _get(rest, ("metadata", "annotations"))
    if isinstance(annotations, dict):
        for k in [k for k in annotations if str(k).startswith("checksum/")]:
            del annotations[k]
    spec = rest if sonataflow else rest.get("spec")
    containers: list[Any] = []
    if isinstance(spec, dict):
        for group in ("initContainers", "containers"):
            if isinstance(spec.get(group), list):
                containers += spec[group]
        if sonataflow and isinstance(spec.get("container"), dict):
            containers.append(spec["container"])
    parts: dict[str, list[Any]] = {p: [] for p in _CONTAINER_PARTS}
    for c in containers:
        if isinstance(c, dict):
            for p in _CONTAINER_PARTS:
                parts[p].append((c.get("name"), c.pop(p, None)))
    return parts, rest
