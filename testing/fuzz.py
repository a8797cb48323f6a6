"""A seeded, structure-aware fuzzer of chartgen's inputs (no dependencies: random.Random).

Each case starts from a real input tree (examples/, optionally with a workflow project of a
real repository read in place), applies one to three mutations that know the file formats,
and runs `chartgen validate` and `chartgen generate` in-process (the real command line, its
error boundary included). A case fails when

- the exit code is not 0, 1 or 2 (3 is an internal error: the traceback is kept),
- an error is reported without a location (path:line:col), or a traceback is printed,
- the case takes longer than the time bound (a run is stopped after HARD_STOP seconds).

Mutations of YAML and JSON files parse the file, pick a node and replace it with a hostile
value (huge integers, explicit tags, control characters, NUL, unicode, deep nesting, alias
bombs, non-string keys, `{{ }}`, line breaks), delete or rename a key, add a key the format
knows (from chartgen's own models: the fuzzer reaches past unknown-key errors) or change a
value's type; text mutations duplicate lines (duplicate keys), insert odd characters or cut
the file; properties and file-tree mutations cover the rest of the inputs.

Case i of seed s is always the same input:
    python -m testing.fuzz --seed s --case i --keep DIR    (writes it, runs it, prints the result)
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import multiprocessing
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chartgen.cli.main import main
from chartgen.config import ConfigFile
from chartgen.formats.source import FastLoader
from chartgen.profile.model import ProfileSettings
from chartgen.schema.spec import Type, fields
from chartgen.workflow import keys as workflow_keys
from testing.timing import time_limit

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
COMMANDS = ("validate", "generate")
# CPU seconds a case (both commands) may take: the work an input causes, not the time others
# take from it. A 100,000-line properties case costs 1.47 s alone on this 2-core machine and
# 2.0-2.1 s of CPU with the unit tier's workers on both cores (cache and core sharing): 3 s
# leaves room for that and still catches work that grows faster than the input.
BOUND = 3.0
HARD_STOP = 20.0  # seconds after which a run is interrupted (a stall)
WORKFLOW_SUFFIXES = (".sw.yaml", ".sw.yml", ".sw.json")

Tree = dict[str, bytes]
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Errors about the file system rather than a file's content: nothing to point at.
NOT_IN_A_FILE = re.compile(r"(workflows|profiles) folder not found: ")


# -- seeds -------------------------------------------------------------------------------------


def read_tree(root: Path) -> Tree:
    """Every file under `root` (charts/ left out), by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "charts" not in p.relative_to(root).parts
    }


def corpus_projects(corpus: Path, limit: int = 200) -> list[Tree]:
    """Workflow projects of real repositories: each workflow file's folder, its small files
    (no generated manifests), read in place."""
    found: list[Tree] = []
    folders = sorted({p.parent for p in corpus.rglob("*") if p.name.lower().endswith(WORKFLOW_SUFFIXES)})
    for folder in folders[:limit]:
        tree: Tree = {}
        for p in sorted(folder.rglob("*")):
            rel = p.relative_to(folder)
            if p.is_file() and p.stat().st_size < 200_000 and not {"manifests", "target"} & set(rel.parts):
                tree[rel.as_posix()] = p.read_bytes()
        found.append(tree)
    return found


def _model_keys(model: type, out: set[str]) -> set[str]:
    def walk(t: Type) -> None:
        if t.kind == "model" and t.model is not None:
            _model_keys(t.model, out)
        for inner in (t.items, t.keys, *[c for c in t.choices if isinstance(c, Type)]):
            if inner is not None:
                walk(inner)

    for f in fields(model):
        out.add(f.key)
        walk(f.type)
    return out


_WORKFLOW_KEYS = sorted(
    {key for kind in workflow_keys.KINDS.values() for key in kind.fields}
    | set().union(*workflow_keys.STATE_KEYS.values())
    | {"kind", "apiVersion", "spec", "flow", "states", "extensions"}
)
_PROFILE_KEYS = sorted(_model_keys(ProfileSettings, set()))
_CONFIG_KEYS = sorted(_model_keys(ConfigFile, set()))


def _known_keys(path: str) -> list[str]:
    if path.startswith("profiles/"):
        return _PROFILE_KEYS
    if path == "chartgen.yaml":
        return _CONFIG_KEYS
    return _WORKFLOW_KEYS


# -- hostile values ----------------------------------------------------------------------------


class Raw:
    """Text written as is where a value goes (what a dumper cannot write: tags, aliases...)."""

    def __init__(self, text: str) -> None:
        self.text = text


_STRINGS = [
    "", " ", "\n", "a\nb", "a\r\nb", "\t", "\x00", "a\x00b", "\x01", "\x1b[31mred", "\x7f", "\x85",
    "\u2028", "\ufeff", "\ufffe", "\u202e", "{{ .Values.x }}", "{{", "}}", "{{- fail \"x\" }}",
    "${VAR}", "${VAR:default}", "$SECRET.x", "${ .x }", "%s%n", "../../etc/passwd", "/etc/passwd",
    "a" * 3000, "é", "日本語", "🙂", "null", "true", "no", "1e3", "0x1F", "1.0", "v1.0.0-01",
    "1.0.0-a..b", "-", "*", "&a", "!!str", "# x", ": x", "- x", "'", '"', "\\", "a b", "A_B", "a.b",
    "a/b", "http://user:pass@host/x", "password", "classpath:x.json", "x.json#op", "specs/x.yaml#op",
]  # fmt: skip
_NUMBERS: list[Any] = [
    0,
    -1,
    1,
    2**31,
    2**63,
    2**64,
    -(2**63) - 1,
    10**20,
    1.5,
    -0.0,
    1e308,
    True,
    False,
    None,
]


def _deep(rnd: random.Random, fmt: str) -> Raw:
    depth = rnd.choice([50, 99, 100, 101, 150, 300, 1000, 5000])
    if rnd.random() < 0.5:
        return Raw("[" * depth + "]" * depth)
    opener = '{"a": ' if fmt == "json" else "{a: "
    return Raw(opener * depth + "1" + "}" * depth)


def _laughs(rnd: random.Random) -> Raw:
    """A billion-laughs mapping in flow style: each level repeats the previous `width` times."""
    width, levels = rnd.randint(2, 9), rnd.randint(3, 10)
    parts, prev = [], None
    for i in range(levels):
        name = f"l{i}"
        items = ["x"] * width if prev is None else [f"*{prev}"] * width
        parts.append(f"{name}: &{name} [{', '.join(items)}]")
        prev = name
    return Raw("{" + ", ".join(parts) + "}")


def _yaml_raw(rnd: random.Random) -> Raw:
    return Raw(
        rnd.choice(
            [
                "!!bool maybe", "!!timestamp 2020-13-45", "!!timestamp 2020-01-01", "!!int x1", "!!int 0b_",
                "!!float 1.2.3", "!!float ''", "!!binary AAAA", "!!set {a, b}", "!!omap [a: 1]",
                "!!pairs [a: 1]", "!!str 1", "!!null x", "!foo bar", "!!python/object:os.system x",
                "9" * 5000, "-" + "9" * 4301, "0x" + "f" * 4000, "1" + ":1" * 3000, "0b_", "0x_",
                "2020-13-45", "&c [1, *c]", "&m {a: *m}", "*undefined", "{<<: *undefined}",
                "{? [a, b] : c}", "{? {a: 1} : c}", '"\\ud800"', '"\\x7f"', '"\\0"', '"\\e"', "'a\nb'",
                "&s x", "[&t x, *t, *t]", "{<<: [{a: 1}, {b: 2}], c: 3}", "{1: a, '1': b}",
                "{true: a, 1: b}", "{null: a, ~: b}", ".nan", "-.inf", "1_000", "0o17", "017", "+1",
                "[" + ", ".join(["x"] * 20000) + "]",
            ]
        )
    )  # fmt: skip


def _json_raw(rnd: random.Random) -> Raw:
    return Raw(
        rnd.choice(
            [
                "9" * 5000, "-" + "9" * 4301, "1e999", "-1e999", "NaN", "Infinity", '"\\ud800"',
                '"\\udc00x"', '"\\u0000"', '"\x7f"', '"\x01"', '"\x85"', '"\u2028"', '{"a": 1, "a": 2}',
                "0." + "0" * 5000 + "1", '"\\uZZZZ"', "[" + ", ".join(["1"] * 20000) + "]",
            ]
        )
    )  # fmt: skip


def hostile(rnd: random.Random, fmt: str) -> Any:
    """One hostile value: plain data, or Raw text in the file's own syntax."""
    pick = rnd.random()
    if pick < 0.35:
        return rnd.choice(_STRINGS)
    if pick < 0.5:
        return rnd.choice(_NUMBERS)
    if pick < 0.6:
        return rnd.choice(
            [[], {}, [None], {"": ""}, {1: "x"}, {None: 1}, {True: "a"}, {1.5: "b"}, ["a"] * 50]
        )
    if pick < 0.7:
        return _deep(rnd, fmt)
    if pick < 0.78 and fmt == "yaml":
        return _laughs(rnd)
    return _yaml_raw(rnd) if fmt == "yaml" else _json_raw(rnd)


def hostile_key(rnd: random.Random, path: str) -> Any:
    pick = rnd.random()
    if pick < 0.5:
        return rnd.choice(_known_keys(path))
    if pick < 0.7:
        return rnd.choice([1, 0, -1, True, False, None, 1.5, 2**70])
    return rnd.choice(_STRINGS)


# -- structured mutations ----------------------------------------------------------------------


def _pick(rnd: random.Random, root: list[Any]) -> tuple[Any, Any]:
    """(container, key) of a random node (the document itself is root[0])."""
    container: Any = root
    key: Any = 0
    while True:
        value = container[key]
        children = (
            list(value) if isinstance(value, dict) else range(len(value)) if isinstance(value, list) else []
        )
        if not children or rnd.random() < 0.25:
            return container, key
        container, key = value, rnd.choice(list(children))


def _typo(rnd: random.Random, word: str) -> str:
    if not word:
        return "x"
    i = rnd.randrange(len(word))
    return rnd.choice(
        [word[:i] + word[i + 1 :], word[:i] + word[i].swapcase() + word[i + 1 :], word + "s", word.upper()]
    )


_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _tweak(rnd: random.Random, text: str) -> str:
    """A value almost as written: what a pattern with `$` or `\\d` lets through in Python."""
    return rnd.choice(
        [text + "\n", " " + text, text + " ", text.upper(), text + "\x00", text.translate(_DIGITS), text * 60,
         text + "\u200b", "\ufeff" + text, text.replace("-", "\u2010"), text + "\r"]
    )  # fmt: skip


def _other_type(value: Any) -> list[Any]:
    return [[value], {"value": value}, str(value), 1, None, True, "", {}, []]


def _struct_op(rnd: random.Random, root: list[Any], path: str, fmt: str) -> str:
    container, key = _pick(rnd, root)
    value = container[key]
    op = rnd.choice(["replace", "replace", "delete", "rename", "insert", "insert", "type", "copy", "tweak"])
    where = f"{path} at {key!r}"
    if op == "tweak" and isinstance(value, str | int) and not isinstance(value, bool):
        container[key] = tweaked = _tweak(rnd, str(value))
        return f"tweak {where} to {tweaked[:40]!r}"
    if op == "delete" and container is not root:
        del container[key]
        return f"delete {where}"
    if op == "rename" and isinstance(container, dict):
        new = _typo(rnd, str(key)) if rnd.random() < 0.5 else hostile_key(rnd, path)
        items = [(new if k == key else k, v) for k, v in container.items()]
        container.clear()
        container.update(items)
        return f"rename key {where} to {new!r}"
    if op == "insert" and isinstance(value, dict):
        new_key = hostile_key(rnd, path)
        value[new_key] = hostile(rnd, fmt) if rnd.random() < 0.7 else rnd.choice(list(value.values()) or [1])
        return f"insert key {new_key!r} under {where}"
    if op == "insert" and isinstance(value, list):
        item = rnd.choice(value) if value and rnd.random() < 0.5 else hostile(rnd, fmt)
        value.insert(rnd.randint(0, len(value)), item)  # a copy: duplicate names and ids
        return f"insert item under {where}"
    if op == "type":
        container[key] = rnd.choice(_other_type(value))
        return f"change type of {where}"
    if op == "copy":  # shared (YAML writes an anchor and an alias) unless it would contain itself
        other, other_key = _pick(rnd, root)
        copied = other[other_key]
        container[key] = copy.deepcopy(copied) if _contains(copied, container) else copied
        return f"copy {path} at {other_key!r} to {key!r}"
    container[key] = new_value = hostile(rnd, fmt)
    shown = new_value.text[:40] if isinstance(new_value, Raw) else repr(new_value)[:40]
    return f"replace {where} with {shown}"


def _contains(data: Any, target: Any) -> bool:
    stack, seen = [data], set()
    while stack:
        value = stack.pop()
        if value is target:
            return True
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _with_raw(data: Any, raws: dict[str, str], memo: dict[int, Any] | None = None) -> Any:
    """`data` with each Raw replaced by a token the dumped text then swaps back; shared values
    stay shared (YAML writes them as anchor and aliases)."""
    memo = {} if memo is None else memo
    if id(data) in memo:
        return memo[id(data)]
    if isinstance(data, Raw):
        token = f"RAWTOKEN{len(raws)}X"
        raws[token] = data.text
        return token
    if isinstance(data, dict):
        out: Any = memo.setdefault(id(data), {})
        out.update({k: _with_raw(v, raws, memo) for k, v in data.items()})
        return out
    if isinstance(data, list):
        out = memo.setdefault(id(data), [])
        out.extend(_with_raw(v, raws, memo) for v in data)
        return out
    return data


def _dump(rnd: random.Random, docs: list[Any], fmt: str) -> str:
    raws: dict[str, str] = {}
    memo: dict[int, Any] = {}
    plain = [_with_raw(d, raws, memo) for d in docs]
    if fmt == "json":
        text = json.dumps(plain[0], indent=rnd.choice([None, 2]), ensure_ascii=rnd.random() < 0.5)
        for token, raw in raws.items():
            text = text.replace(f'"{token}"', raw)
        return text + "\n"
    text = yaml.safe_dump_all(
        plain,
        sort_keys=False,
        allow_unicode=rnd.random() < 0.5,
        default_flow_style=rnd.choice([False, False, None, True]),
        width=rnd.choice([80, 1000]),
    )
    for token, raw in raws.items():
        text = text.replace(token, raw)
    return text


def mutate_structured(rnd: random.Random, files: Tree) -> str:
    candidates = [p for p in files if p.endswith((".yaml", ".yml", ".json"))]
    if not candidates:
        return mutate_text(rnd, files)
    path = rnd.choice(candidates)
    fmt = "json" if path.endswith(".json") else "yaml"
    try:  # the fuzzer's own parsing and dumping: deep or odd input falls back to text
        text = files[path].decode("utf-8-sig")
        docs = [json.loads(text)] if fmt == "json" else list(yaml.load_all(text, Loader=_LOADER))
        docs = docs or [{}]
        root = [docs]  # root[0][i]: document i
        described = [_struct_op(rnd, root, path, fmt) for _ in range(rnd.choice([1, 1, 2, 3]))]
        docs = root[0] if isinstance(root[0], list) and root[0] else [root[0]]
        dumped = _dump(rnd, docs if fmt == "yaml" else docs[:1], fmt)
    except Exception:  # PyYAML's own loader fails in many ways on what earlier mutations wrote
        return mutate_text(rnd, files)
    files[path] = dumped.encode("utf-8", "surrogatepass")
    return "; ".join(described)


# -- text, properties and tree mutations -------------------------------------------------------

_INSERTS = [
    b"\x00", b"\x7f", b"\xc2\x85", b"\xe2\x80\xa8", b"\xef\xbb\xbf", b"\xff\xfe", b"\r", b"\t", b"\n",
    b"\x1b", b"&a ", b"*a", b"<<: *a\n", b"{{ .Values.x }}", b"- ", b": ", b"\\", b'"', b"'", b"%YAML 1.2\n",
    b"---\n", b"...\n", b"!!binary ", b"? ", b"|\n", b"\xed\xa0\x80",
]  # fmt: skip


def mutate_text(rnd: random.Random, files: Tree) -> str:
    path = rnd.choice(sorted(files))
    data = files[path]
    lines = data.split(b"\n")
    op = rnd.choice(["dupline", "dupline", "insert", "cut", "swap", "indent"])
    i = rnd.randrange(len(lines))
    if op == "dupline":  # duplicate keys, states, functions, properties
        lines.insert(i, lines[rnd.randrange(len(lines))])
    elif op == "insert":
        at = rnd.randint(0, len(data))
        files[path] = data[:at] + rnd.choice(_INSERTS) + data[at:]
        return f"insert bytes in {path} at {at}"
    elif op == "cut":
        at = rnd.randint(0, len(data))
        files[path] = data[:at]
        return f"cut {path} at {at}"
    elif op == "swap":
        j = rnd.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    else:
        lines[i] = b" " * rnd.choice([1, 2, 3, 8]) + lines[i]
    files[path] = b"\n".join(lines)
    return f"{op} line {i + 1} of {path}"


_PROPERTY_LINES = [
    "%foo=bar", "%dev.quarkus.log.level=DEBUG", "%.x=1", "%dev.=1", "a.password=secret", "db.url=jdbc:x://u:p@h/d",
    "key=value\\", "k=\\u12", "k=\\uZZZZ", "=novalue", ":x", "k", "k:v", "k v", "k\\=x=y", "x=${UNSET}",
    "quarkus.rest-client.\"a\".url=http://x", "quarkus.rest-client.billing_openapi_yaml.url=http://h:99999",
    "k=" + "v" * 100_000, "k=a\x01b", "k=a\x7fb", "k\x00=v", "k=\u2028", "ключ=значение", "{{ x }}=y",
    "k=${VAR:literal-password}", "  # comment", "! comment", "\\", "k=v\\\n  continued",
]  # fmt: skip


# A properties file of short lines, just under the ConfigMap budget: every line judged, once.
BULK_LINES = 100_000


def mutate_properties(rnd: random.Random, files: Tree) -> str:
    candidates = [p for p in files if p.endswith(".properties")]
    if not candidates:
        return mutate_text(rnd, files)
    path = rnd.choice(candidates)
    lines = files[path].decode("utf-8", "replace").split("\n")
    if rnd.random() < 0.05:
        secret = rnd.choice(["", "x.password=literal", "x.url=http://u:p@h", "x=${UNSET}"])
        lines += [secret if i % 997 == 0 and secret else f"k{i}=v" for i in range(BULK_LINES)]
        files[path] = "\n".join(lines).encode()
        return f"add {BULK_LINES:,} lines to {path} ({secret or 'plain'} every 997)"
    line = rnd.choice(_PROPERTY_LINES)
    lines.insert(rnd.randint(0, len(lines)), line)
    files[path] = "\n".join(lines).encode("utf-8", "surrogatepass")
    return f"add {line[:40]!r} to {path}"


def mutate_tree(rnd: random.Random, files: Tree) -> str:
    op = rnd.choice(["remove", "duplicate", "rename", "empty", "odd name", "extends"])
    path = rnd.choice(sorted(files))
    if op == "remove":
        del files[path]
        return f"remove {path}"
    if op == "duplicate":  # the same workflow (same id) in another project
        target = f"workflows/copy-{rnd.randint(0, 3)}/{path.rsplit('/', 1)[-1]}"
        files[target] = files[path]
        return f"copy {path} to {target}"
    if op == "rename":
        folder, _, name = path.rpartition("/")
        new = rnd.choice(["Prod", "a_b", "-x", "x" * 80, "é", "{{x}}", "a b"]) + "." + name.rsplit(".", 1)[-1]
        files[f"{folder}/{new}" if folder else new] = files.pop(path)
        return f"rename {path} to {new}"
    if op == "empty":
        files[path] = rnd.choice([b"", b"\n", b"---\n", b"null\n", b"[]\n", b"0\n", b"\xef\xbb\xbf"])
        return f"empty {path}"
    if op == "odd name":
        project = rnd.choice([p.split("/")[1] for p in files if p.startswith("workflows/")] or ["x"])
        name = rnd.choice(
            ["a b.json", "{{x}}.yaml", "x" * 200 + ".txt", "é.sw.yaml", "UP.SW.YAML", "x\\y.txt"]
        )
        files[f"workflows/{project}/{name}"] = rnd.choice([b"{}", b"id: x\n", b"\x00\x01", b"plain text\n"])
        return f"add workflows/{project}/{name}"
    env = rnd.choice(["qa", "dev", "prod", "base", "loop"])
    files[f"profiles/{env}.yaml"] = (
        f"extends: {rnd.choice(['loop', 'qa', 'base', 'nope'])}\nmode: production\n".encode()
    )
    return f"write profiles/{env}.yaml (extends)"


_MUTATIONS: list[tuple[float, Callable[[random.Random, Tree], str]]] = [
    (0.6, mutate_structured),
    (0.15, mutate_text),
    (0.1, mutate_properties),
    (0.15, mutate_tree),
]


# -- cases and runs ----------------------------------------------------------------------------


@dataclass
class Case:
    seed: int
    index: int
    files: Tree
    mutations: list[str]


class Fuzzer:
    def __init__(self, seeds: list[Tree], projects: list[Tree] | None = None) -> None:
        self.seeds = seeds
        self.projects = projects or []

    def case(self, seed: int, index: int) -> Case:
        rnd = random.Random(f"{seed}/{index}")
        files = dict(rnd.choice(self.seeds))
        mutations = []
        projects = sorted({p.split("/")[1] for p in files if p.startswith("workflows/") and p.count("/") > 1})
        if len(projects) > 1 and rnd.random() < 0.75:  # one project of the tree: a faster case
            keep = rnd.choice(projects)
            files = {
                p: d for p, d in files.items() if not p.startswith("workflows/") or p.split("/")[1] == keep
            }
            mutations.append(f"only project {keep}")
        if self.projects and rnd.random() < 0.4:
            project = rnd.choice(self.projects)
            files.update({f"workflows/real/{rel}": data for rel, data in project.items()})
            mutations.append(f"add a real project ({len(project)} files)")
        for _ in range(rnd.choice([1, 1, 1, 2, 2, 3])):
            weights = [w for w, _ in _MUTATIONS]
            mutate = rnd.choices([m for _, m in _MUTATIONS], weights)[0]
            if files:
                mutations.append(mutate(rnd, files))
        return Case(seed, index, files, mutations)


class _Stalled(BaseException):
    """Raised into a run past HARD_STOP (a BaseException: the CLI's boundary does not catch it)."""


@dataclass
class Problem:
    case: Case
    kind: str  # internal error | unlocated error | traceback | over time bound | stall
    detail: str

    def __str__(self) -> str:
        return (
            f"case {self.case.seed}/{self.case.index} ({self.kind}): {self.detail}\n"
            f"  mutations: {' | '.join(self.case.mutations)}\n"
            f"  replay: python -m testing.fuzz --seed {self.case.seed} --case {self.case.index} --keep DIR"
        )


@dataclass
class Report:
    cases: int = 0
    linted: int = 0  # cases whose charts real helm checked (helm_every)
    exit_codes: dict[int, int] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)  # seconds per case (both commands)
    problems: list[Problem] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for p in self.problems if p.kind == kind)

    def figures(self) -> dict[str, Any]:
        times = sorted(self.times)
        return {
            "cases": self.cases,
            "runs": self.cases * len(COMMANDS),
            "exit codes": dict(sorted(self.exit_codes.items())),
            "internal errors": self.count("internal error"),
            "unlocated errors": self.count("unlocated error"),
            "tracebacks": self.count("traceback"),
            "charts linted with helm": self.linted,
            "charts helm refuses": self.count("chart helm refuses"),
            f"over {BOUND:g} s": self.count("over time bound") + self.count("stall"),
            "max s": round(times[-1], 3) if times else 0,
            "p99 s": round(times[int(len(times) * 0.99) - 1], 3) if len(times) >= 100 else None,
            "median s": round(statistics.median(times), 3) if times else 0,
            "total s": round(sum(times), 1),
        }


def _write(files: Tree, root: Path) -> None:
    for rel, data in files.items():
        path = root / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError:  # a name the file system refuses (too long...): not an input
            continue


def run_case(
    case: Case, work: Path, crash_dir: Path, bound: float = BOUND, check_charts: bool = True
) -> tuple[list[int], float, list[Problem]]:
    """Exit codes of the commands, seconds taken, and what went wrong."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    _write(case.files, work)
    problems: list[Problem] = []
    codes: list[int] = []
    cwd, saved_tempdir = os.getcwd(), tempfile.tempdir
    crash_log = crash_dir / "chartgen-crash.log"  # where chartgen's boundary writes the traceback
    elapsed = 0.0  # chartgen's CPU time only (not the fuzzer's checks)
    for command in COMMANDS:
        out, err = io.StringIO(), io.StringIO()
        crash_log.unlink(missing_ok=True)
        tempfile.tempdir = str(crash_dir)
        start = time.process_time()
        try:
            with (
                time_limit(HARD_STOP, _Stalled()),
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
            ):
                code = main(["-C", str(work), "--output", "json", command])
        except _Stalled:
            problems.append(Problem(case, "stall", f"{command} still running after {HARD_STOP:g} s"))
            return codes, elapsed + HARD_STOP, problems
        finally:
            elapsed += time.process_time() - start
            os.chdir(cwd)
            tempfile.tempdir = saved_tempdir
        codes.append(code)
        problems += _judge(case, command, code, out.getvalue(), err.getvalue(), crash_log)
        if command == "generate" and code == 0 and check_charts:
            with contextlib.suppress(ValueError, KeyError, TypeError):  # no envelope: judged above
                charts = Path(json.loads(out.getvalue())["result"]["out"])
                problems += [Problem(case, "chart helm refuses", p) for p in chart_problems(charts)]
    if elapsed > bound:
        problems.append(Problem(case, "over time bound", f"{elapsed:.2f} s (bound {bound:g} s)"))
    return codes, elapsed, problems


def _judge(case: Case, command: str, code: int, out: str, err: str, crash_log: Path) -> list[Problem]:
    problems = []
    if code not in (0, 1, 2):
        named = re.search(r"details in (\S+\.log)", out + err)
        log = Path(named.group(1)) if named else crash_log
        trace = log.read_text() if log.exists() else out + err
        last = [line for line in trace.strip().splitlines() if line.strip()][-3:]
        problems.append(Problem(case, "internal error", f"{command} exit {code}: {' / '.join(last)}"))
        return problems
    if "Traceback" in out or "Traceback" in err:
        problems.append(Problem(case, "traceback", f"{command} printed a traceback"))
    try:
        document = json.loads(out)
    except ValueError:
        problems.append(Problem(case, "unlocated error", f"{command}: no JSON envelope: {out[:200]!r}"))
        return problems
    errors = [d for d in document["diagnostics"] if d["severity"] == "error"]
    for d in errors:
        if not (d["path"] and d["line"] and d["col"]) and not NOT_IN_A_FILE.match(d["message"]):
            problems.append(Problem(case, "unlocated error", f"{command}: {d['message'][:200]}"))
    if code != 0 and not errors:
        problems.append(
            Problem(case, "unlocated error", f"{command} exit {code}: {str(document['error'])[:200]}")
        )
    return problems


# What helm refuses in a chart that chartgen writes (checked after every generate that succeeds):
# YAML it cannot read back, characters Go's YAML refuses in ConfigMap text (even after toJson),
# versions that are not SemVer 2 with 64-bit numbers, values against the chart's own schema.
_HELM_REFUSES = re.compile("[\x7f-\x84\x86-\x9f\ufffe\uffff]")
_SEMVER_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    rf"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-{_SEMVER_ID}(?:\.{_SEMVER_ID})*)?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)


def chart_problems(charts: Path) -> list[str]:
    problems: list[str] = []
    for chart in sorted(p.parent for p in charts.glob("*/Chart.yaml")):
        docs: dict[str, Any] = {}
        for path in sorted(chart.rglob("*")):
            rel = path.relative_to(charts).as_posix()
            if not path.is_file() or "templates" in path.relative_to(chart).parts:
                continue
            data = path.read_bytes()
            inner = path.relative_to(chart).as_posix()
            if path.suffix == ".yaml" and (
                inner.count("/") == 0 or inner.startswith(("ci/", "files/chartgen"))
            ):
                try:  # what chartgen wrote (the project's own files are copied as they are)
                    docs[rel] = yaml.load(data, Loader=FastLoader)
                except yaml.YAMLError as exc:
                    problems.append(f"{rel}: not YAML helm can read: {str(exc)[:120]}")
        plan = docs.get(f"{chart.name}/files/chartgen-data.yaml") or {}
        for source in _text_sources(plan):  # files the templates put in a ConfigMap's `data`
            with contextlib.suppress(OSError, UnicodeDecodeError):
                found = _HELM_REFUSES.search((chart / source).read_bytes().decode("utf-8"))
                if found:
                    problems.append(
                        f"{chart.name}/{source}: U+{ord(found.group()):04X} in text data (YAML refuses it)"
                    )
        meta = docs.get(f"{chart.name}/Chart.yaml") or {}
        version = str(meta.get("version"))
        semver = _SEMVER.fullmatch(version)
        if not semver or any(int(n) >= 2**64 for n in semver.groups()):
            problems.append(f"{chart.name}/Chart.yaml: version {version!r} is not SemVer 2")
        schema_path = chart / "values.schema.json"
        if schema_path.exists():
            problems += _values_problems(chart, json.loads(schema_path.read_text()), docs)
    return problems


def _text_sources(plan: Any) -> list[str]:
    entries = [f for cm in plan.get("configMaps") or [] for f in cm.get("text") or []]
    entries += plan.get("properties") or []
    return [str(f["source"]) for f in entries if isinstance(f, dict) and "source" in f]


def _values_problems(chart: Path, schema: Any, docs: dict[str, Any]) -> list[str]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    base = docs.get(f"{chart.name}/values.yaml") or {}
    overlays = {
        r: o for r, o in docs.items() if r.startswith(f"{chart.name}/values-") and isinstance(o, dict)
    }
    problems = []
    for rel, overlay in (overlays or {f"{chart.name}/values.yaml": {}}).items():
        for error in list(validator.iter_errors(_merge(base, overlay)))[:3]:
            where = "/".join(str(p) for p in error.absolute_path)
            problems.append(f"{rel}: schema: {where}: {error.message[:120]}")
    return problems


def _merge(base: Any, over: Any) -> Any:
    """helm's merge of a values file over values.yaml: maps merge, the rest replaces."""
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in over.items()}}
    return over


def helm_problems(case: Case, work: Path) -> list[Problem]:
    """`chartgen lint` (helm lint --strict, helm template, Kubernetes schemas) of what generate wrote."""
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["-C", str(work), "lint"])
    finally:
        os.chdir(cwd)
    if code == 0:
        return []
    failed = [
        line.strip()
        for line in (out.getvalue() + err.getvalue()).splitlines()
        if "✖" in line or "ERROR" in line
    ]
    return [Problem(case, "chart helm refuses", f"lint exit {code}: {' / '.join(failed[:4])[:400]}")]


def fuzz(
    fuzzer: Fuzzer,
    seed: int,
    cases: int,
    work: Path,
    bound: float = BOUND,
    progress: Callable[[int, Report], None] | None = None,
    helm_every: int = 0,
    workers: int = 1,
) -> Report:
    """Run cases 0..`cases`-1 of `seed` in `work` (chartgen's crash log goes to a folder of its
    own); with `helm_every` N, every Nth case whose generate succeeds is also linted with real
    helm. `workers` > 1 runs them in that many forked processes (the same cases, the same report)."""
    if workers <= 1:
        return _fuzz_part(fuzzer, seed, range(cases), work, bound, progress, helm_every)
    context = multiprocessing.get_context("fork")
    parts = [range(w, cases, workers) for w in range(workers)]
    with context.Pool(workers) as pool:
        results = [
            pool.apply_async(_fuzz_part, (fuzzer, seed, part, work / f"w{w}", bound, None, helm_every))
            for w, part in enumerate(parts)
        ]
        reports = [r.get() for r in results]
    report = Report()
    for part in reports:
        report.cases += part.cases
        report.linted += part.linted
        report.times += part.times
        report.problems += part.problems
        for code, count in part.exit_codes.items():
            report.exit_codes[code] = report.exit_codes.get(code, 0) + count
    report.problems.sort(key=lambda p: p.case.index)
    return report


def _fuzz_part(
    fuzzer: Fuzzer,
    seed: int,
    indexes: range,
    work: Path,
    bound: float,
    progress: Callable[[int, Report], None] | None,
    helm_every: int,
) -> Report:
    report = Report()
    crash_dir = work / "tmp"
    crash_dir.mkdir(parents=True, exist_ok=True)
    for index in indexes:
        case = fuzzer.case(seed, index)
        codes, elapsed, problems = run_case(case, work / "case", crash_dir, bound)
        if helm_every and index % helm_every == 0 and codes[-1:] == [0]:
            report.linted += 1
            problems += helm_problems(case, work / "case")
        report.cases += 1
        report.times.append(elapsed)
        for code in codes:
            report.exit_codes[code] = report.exit_codes.get(code, 0) + 1
        report.problems += problems
        if progress is not None:
            progress(index, report)
    return report


def default_fuzzer(corpus: Path | None = None) -> Fuzzer:
    return Fuzzer([read_tree(EXAMPLES)], corpus_projects(corpus) if corpus else None)


def _cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testing.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--case", type=int, required=True, help="the case to replay")
    parser.add_argument("--keep", type=Path, required=True, help="folder to write the case into")
    parser.add_argument("--corpus", type=Path, help="real projects to mix in (as the run did)")
    args = parser.parse_args(argv)
    if args.keep.exists():
        parser.error(f"{args.keep} exists: give a new folder")
    case = default_fuzzer(args.corpus).case(args.seed, args.case)
    print("mutations:", *case.mutations, sep="\n  ")
    with tempfile.TemporaryDirectory() as crash:
        codes, elapsed, problems = run_case(case, args.keep.resolve(), Path(crash))
    print(f"exit codes {codes} in {elapsed:.2f} s; the input is in {args.keep}")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(_cli())
