"""Reading YAML and JSON fast and safely, and finding where a value was written only when needed.

Parsing uses the fastest parsers available (json, libyaml). Positions are needed only
for diagnostics, so a file is re-read with marks the first time one of its values
must be located, and the answer is cached.

Input files come from pull requests, so the work a small file can cause is bounded, and
what goes past a bound is a located error (never a stall, a crash or a traceback):

- a file is at most MAX_FILE_BYTES (32 MiB: the public API descriptions workflows call run to
  6-14 MB; a chart carries files in 1 MiB ConfigMaps, and only a spec, cut down to the
  operations used, may be larger than that);
- a document holds at most MAX_DATA_VALUES (4,000,000) values, keys included (GitHub's API
  description, 13 MB, holds 475,000), and a profile or settings file, which people write,
  MAX_VALUES (200,000: a profile that size generates in about 2 s);
- collections nest at most MAX_DEPTH (100) levels (the deepest real spec seen nests 25);
- aliases may repeat values in proportion to the document, as go-yaml (Kubernetes', Helm's
  YAML) allows them: counting each use of an alias as the values it repeats, aliases may make
  99% of the values of a document up to 400,000 values once expanded, a share falling to 10%
  at 4 million (`aliases_excessive`): PyYAML's dumps of shared objects (`&id001`) pass, a
  400-byte "billion laughs" (387 million values) does not; and an alias may not sit inside
  the collection it names (a structure that contains itself);
- an integer has at most MAX_INT_DIGITS (4,300) digits, the limit Python itself puts on
  converting integers to text;
- a value with an explicit tag must be what the tag says (`!!bool maybe` is an error), and
  tags that make something else than plain data (`!!binary`, `!!set`, `!!omap`, `!!pairs`)
  are refused; `!!timestamp` is checked and kept as the text written;
- JSON holds only what YAML can (charts are YAML): no raw DEL or C1 control, no escaped half
  of a surrogate pair.

The checks run once per document, after parsing and before anything walks the data, so
everything downstream can rely on them (recursive code included).
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from chartgen.errors import Location, decode_error_position, text_position
from chartgen.formats.confine import MAX_FILE_BYTES
from chartgen.formats.json_positions import duplicate_keys, json_trees
from chartgen.formats.positions import PosNode, yaml_trees

Pointer = tuple[str | int, ...]

MAX_DEPTH = 100
MAX_VALUES = 200_000  # profiles and settings
MAX_DATA_VALUES = 4_000_000  # workflows, specs, schemas
MAX_INT_DIGITS = 4300
# go-yaml v3's alias budget (decode.go, allowedAliasRatio): the share of a document's values,
# once expanded, that aliases may make falls from 99% to 10% between these sizes.
ALIAS_SHARE_FROM = 400_000
ALIAS_SHARE_TO = 4_000_000
ALIAS_FREE = 100  # this many repeated values, or documents of at most 1,000 values, always pass

_INT_BOUND = 10**MAX_INT_DIGITS
_LOADER_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_KEY_KINDS = {"int": "an integer", "float": "a number", "bool": "a boolean", "null": "null"}


class LimitError(yaml.MarkedYAMLError):
    """A document past one of the bounds above (a YAMLError, so every caller of the loaders
    that handles bad YAML handles this too)."""

    def __init__(self, problem: str, mark: Any, alias: bool = False) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.alias = alias  # the mark is the anchored collection; the alias is found in the text


def _refuse(node: Node, problem: str) -> ConstructorError:
    return ConstructorError(None, None, problem, node.start_mark)


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def _checked(kind: str) -> Any:
    """PyYAML's constructor for `!!kind`, turning a value it cannot convert into a located error."""
    base = SafeConstructor.yaml_constructors[_TAG + kind]

    def construct(self: SafeConstructor, node: Node) -> Any:
        text = self.construct_scalar(node)  # type: ignore[arg-type]
        if kind == "int" and sum(c.isdigit() for c in text) > MAX_INT_DIGITS:
            raise _refuse(node, f"integer with more than {MAX_INT_DIGITS:,} digits")
        try:
            value = base(self, node) if text.strip("+-_") else None
        except (ValueError, KeyError):  # the conversion's own refusals: int('x1'), a bool 'maybe'
            value = None
        if value is None:
            raise _refuse(node, f"{_shown(text)} is not a valid !!{kind}")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _INT_BOUND:
            raise _refuse(node, f"integer with more than {MAX_INT_DIGITS:,} digits")  # 0x..., 1:2:3...
        return value

    return construct


_TIMESTAMP = SafeConstructor.timestamp_regexp


def _timestamp(self: SafeConstructor, node: Node) -> str:
    """An explicit `!!timestamp`: checked, and kept as written (dates are data here)."""
    text = self.construct_scalar(node)  # type: ignore[arg-type]
    match = _TIMESTAMP.match(text)
    try:
        if match is None:
            raise ValueError
        parts = match.groupdict()
        datetime.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        if parts["hour"]:
            datetime.time(int(parts["hour"]), int(parts["minute"]), int(parts["second"]))
    except ValueError:
        raise _refuse(node, f"{_shown(text)} is not a valid !!timestamp") from None
    return text


def _unsupported(self: SafeConstructor, node: Node) -> Any:
    raise _refuse(
        node,
        f"tag !!{node.tag.removeprefix(_TAG)} is not supported: files hold plain data "
        "(text, numbers, booleans, null, lists and mappings)",
    )


@dataclass(frozen=True)
class Duplicate:
    """A key written twice in one mapping, in a file whose reader keeps the last value."""

    key: str
    line: int
    col: int
    first_line: int


class FastLoader(_LOADER_BASE):  # type: ignore[misc]
    """libyaml loader that keeps dates as strings (workflow files are data, not timestamps),
    refuses a key written twice in one mapping (which one was meant?), and holds every document
    to the bounds of this module."""

    string_keys = False  # PlainDataLoader: every mapping key must be a string
    max_values = MAX_DATA_VALUES

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.duplicates: list[Duplicate] = []

    def construct_document(self, node: Node) -> Any:
        check_graph(node, self.max_values)
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: dict[str, yaml.Node] = {}
        for key_node, _ in node.value:
            if self.string_keys and key_node.tag not in (_TAG + "str", _TAG + "merge"):
                raise _refuse(key_node, _key_problem(key_node))
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _TAG + "merge":
                first = seen.setdefault(key_node.value, key_node)
                if first is not key_node:
                    self.duplicate(key_node, first)
        return super().construct_mapping(node, deep)

    def duplicate(self, node: Node, first: Node) -> None:
        raise ConstructorError(
            None,
            None,
            f"duplicate key '{node.value}' (first at line {first.start_mark.line + 1})",
            node.start_mark,
        )


class RuntimeDataLoader(FastLoader):
    """FastLoader for what the workflow runtime reads (workflows, specs, schemas): a key written
    twice keeps its last value, as the runtime's parser does, and is noted for a warning."""

    def duplicate(self, node: Node, first: Node) -> None:
        mark = node.start_mark
        self.duplicates.append(
            Duplicate(str(node.value), mark.line + 1, mark.column + 1, first.start_mark.line + 1)
        )


class PlainDataLoader(FastLoader):
    """FastLoader for files whose keys are names (profiles, chartgen.yaml): `1:` is an error."""

    string_keys = True
    max_values = MAX_VALUES


FastLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TAG + "timestamp"]
    for first, resolvers in _LOADER_BASE.yaml_implicit_resolvers.items()
}
for _kind in ("bool", "int", "float"):
    FastLoader.add_constructor(_TAG + _kind, _checked(_kind))
FastLoader.add_constructor(_TAG + "timestamp", _timestamp)
for _kind in ("binary", "set", "omap", "pairs"):
    FastLoader.add_constructor(_TAG + _kind, _unsupported)


def _key_problem(node: Node) -> str:
    if isinstance(node, ScalarNode):
        kind = _KEY_KINDS.get(node.tag.removeprefix(_TAG), node.tag)
        shown = node.value or "''"
        return f'key {shown} is {kind}, not a string (quote it if it is a name: "{node.value}")'
    return f"a {'list' if isinstance(node, SequenceNode) else 'mapping'} as a key: keys must be strings"


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def aliases_excessive(repeated: int, expanded: int) -> bool:
    """Whether aliases repeating `repeated` values make too large a share of a document of
    `expanded` values (aliases expanded): go-yaml's rule, so a document Helm reads, we read."""
    if repeated <= ALIAS_FREE or expanded <= 1000:
        return False
    if expanded <= ALIAS_SHARE_FROM:
        share = 0.99
    elif expanded >= ALIAS_SHARE_TO:
        share = 0.10
    else:
        share = 0.99 - 0.89 * (expanded - ALIAS_SHARE_FROM) / (ALIAS_SHARE_TO - ALIAS_SHARE_FROM)
    return repeated / expanded > share


def check_graph(root: Node, max_values: int = MAX_DATA_VALUES) -> None:
    """Depth, cycles and alias expansion of one composed document. Raises LimitError.

    Most documents are trees: one pass over their collections, without recursion. A
    collection met twice (an alias) sends the document to the full measure.
    """
    seen: set[int] = set()
    stack = [(root, 1)]
    values = 0
    while stack:
        node, depth = stack.pop()
        values += 1
        if values > max_values:
            raise LimitError(
                f"a document holds at most {max_values:,} values (keys included)", node.start_mark
            )
        if type(node) is ScalarNode:
            continue
        if depth > MAX_DEPTH:
            raise LimitError(f"nested more than {MAX_DEPTH} levels deep", node.start_mark)
        if id(node) in seen:
            _measure_shared(root, max_values)
            return
        seen.add(id(node))
        depth += 1
        if type(node) is MappingNode:
            for key, value in node.value:
                stack.append((key, depth))
                stack.append((value, depth))
        else:
            stack.extend((child, depth) for child in node.value)


def _measure_shared(root: Node, max_values: int) -> None:
    """check_graph for a document with aliases: each node measured once (values once
    expanded, nesting levels), so a bomb costs no more than its text."""
    measured: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            size, height = 1, 0
            for child in _children(node):
                child_size, child_height = measured[id(child)]
                size += child_size
                height = max(height, child_height)
            measured[key] = (size, height + 1)
            continue
        if key in measured:
            continue
        if key in open_nodes:
            raise LimitError("an alias is inside the collection it names", node.start_mark, alias=True)
        if isinstance(node, ScalarNode):
            measured[key] = (1, 0)
            continue
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    size, height = measured[id(root)]
    if len(measured) > max_values:
        raise LimitError(f"a document holds at most {max_values:,} values (keys included)", root.start_mark)
    if height > MAX_DEPTH:
        node = root
        for _ in range(MAX_DEPTH):
            node = max(_children(node), key=lambda child: measured[id(child)][1])
        raise LimitError(f"nested more than {MAX_DEPTH} levels deep", node.start_mark)
    if aliases_excessive(size - len(measured), size):
        raise LimitError(
            f"aliases repeat {size - len(measured):,} of the {size:,} values this document expands "
            f"to: {_share(size)} is the most aliases may make of a document that size",
            root.start_mark,
            alias=True,
        )


def _share(expanded: int) -> str:
    """The share aliases may make of a document of `expanded` values, in words."""
    for pct in range(99, 9, -1):
        if not aliases_excessive(expanded * pct // 100 - 1, expanded):
            return f"{pct}%"
    return "10%"


def _alias_problem(text: str, doc: int) -> tuple[str, Any] | None:
    """The first alias of document `doc` (0-based) that names an open collection, or at which
    aliases pass their share of the values so far (else the one repeating the most), with its
    mark; found from the parser's events."""
    index = -1
    sizes: dict[str, int] = {}
    frames: list[list[Any]] = []  # [anchor, values] of each open collection
    repeated = expanded = 0
    largest: tuple[int, str, Any] | None = None
    for event in yaml.parse(text, Loader=_LOADER_BASE):
        if isinstance(event, yaml.DocumentStartEvent):
            index, sizes, frames, repeated, expanded = index + 1, {}, [], 0, 0
            continue
        if index != doc:
            continue
        if isinstance(event, yaml.AliasEvent):
            if any(frame[0] == event.anchor for frame in frames):
                return f"alias '*{event.anchor}' is inside the collection it names", event.start_mark
            count = sizes.get(event.anchor or "", 1)
            repeated, expanded = repeated + count, expanded + count
            if largest is None or count > largest[0]:
                largest = (count, event.anchor or "", event.start_mark)
            if aliases_excessive(repeated, expanded):
                return _alias_message(event.anchor or "", count, repeated, expanded), event.start_mark
        elif isinstance(event, yaml.CollectionStartEvent):
            frames.append([event.anchor, 1])
            expanded += 1
            continue
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, count = frames.pop()
            if anchor is not None:
                sizes[anchor] = count
        elif isinstance(event, yaml.ScalarEvent):
            count = 1
            expanded += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        else:
            continue
        if frames:
            frames[-1][1] += count
    if largest is None:
        return None
    count, anchor, mark = largest
    return _alias_message(anchor, count, repeated, expanded), mark


def _alias_message(anchor: str, count: int, repeated: int, expanded: int) -> str:
    return (
        f"alias '*{anchor}' repeats {count:,} values: aliases repeat {repeated:,} of the {expanded:,} "
        f"values so far, more than the {_share(expanded)} they may make of a document that size"
    )


class _HugeInteger(Exception):
    def __init__(self, digits: str) -> None:
        self.digits = digits


class _Pairs:
    """json's object_pairs_hook: the last of keys written twice wins (as for the runtime's
    Jackson), and that it happened is noted (rare: then the positions are looked up)."""

    def __init__(self) -> None:
        self.twice = False

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        data = dict(pairs)
        self.twice = self.twice or len(data) != len(pairs)
        return data


def _json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _HugeInteger(digits)
    return int(digits)


_TOO_DEEP = object()
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _json_too_deep(text: str) -> int:
    """Offset of the first bracket nested more than MAX_DEPTH levels (0 if none)."""
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return token.start()
        elif bracket in "]}":
            depth -= 1
    return 0


def _json_shape(data: Any) -> tuple[int, int]:
    """(nesting levels, values with keys) of parsed JSON, as check_graph counts a YAML document."""
    deepest, values = 0, 1
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            values += 2 * len(value)
            value = value.values()
        elif isinstance(value, list):
            values += len(value)
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in value if isinstance(child, dict | list))
    return deepest, values


# JSON takes what YAML (every chart file, a SonataFlow's flow) cannot hold: raw DEL and C1
# controls (but NEL) and U+FFFE/F, and escaped halves of UTF-16 surrogate pairs (not text).
_JSON_RAW_REFUSED = re.compile("[\x7f-\x84\x86-\x9f\ufffe\uffff]")
_HALF_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def _check_json_text(text: str, data: Any) -> None:
    raw = _JSON_RAW_REFUSED.search(text)
    if raw:
        code = ord(raw.group())
        line, col = text_position(text, raw.start())
        raise ParseError(
            f"control character U+{code:04X} must be escaped as \\u{code:04x} "
            "(YAML, which charts and SonataFlow flows are, refuses it raw)",
            line,
            col,
        )
    half = _HALF_SURROGATE.search(text)
    if half:  # an escaped backslash can look like one: refused only when the data holds it
        try:
            json.dumps(data, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            line, col = text_position(text, half.start())
            raise ParseError(
                f"invalid JSON: {half.group()} is half a surrogate pair, not a character", line, col
            ) from None


class ParseError(Exception):
    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


def display_path(path: Path) -> str:
    """Paths in messages are relative to the working directory when possible."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("../../..") else rel


def _read_bounded(path: Path) -> bytes:
    """The file's bytes, reading at most one byte past the limit (documents() refuses more)."""
    with path.open("rb") as f:
        return f.read(MAX_FILE_BYTES + 1)


class SourceFile:
    """One input file: its bytes, its parsed documents and, lazily, their positions.

    `string_keys`: every mapping key must be a string (profiles and settings name things;
    a spec's `200:` response is fine).
    """

    def __init__(
        self, path: Path, raw: bytes | None = None, string_keys: bool = False, runtime_reads: bool = False
    ) -> None:
        self.path = path
        self.display = display_path(path)
        self.raw = _read_bounded(path) if raw is None else raw
        self.string_keys = string_keys
        self.runtime_reads = runtime_reads  # a key written twice keeps the last value (noted)
        self._text: str | None = None
        self._positions: list[Any] | None = None
        self._parsed: list[Any] | ParseError | None = None  # parsed once, however often asked
        self.duplicates: list[Duplicate] = []  # keys written twice (the last one is kept)

    @property
    def is_json(self) -> bool:
        return self.path.suffix.lower() == ".json"

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.raw.decode("utf-8-sig")
        return self._text

    def documents(self) -> list[Any]:
        """Every document of the file (JSON has one). Raises ParseError, located."""
        if self._parsed is None:
            try:
                self._parsed = self._documents()
            except ParseError as exc:
                self._parsed = exc
        if isinstance(self._parsed, ParseError):
            raise self._parsed
        return self._parsed

    def _documents(self) -> list[Any]:
        if len(self.raw) > MAX_FILE_BYTES:
            raise ParseError(
                f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB ({MAX_FILE_BYTES:,} bytes), "
                "the most chartgen reads",
                1,
                1,
            )
        try:
            text = self.text
        except UnicodeDecodeError as exc:  # located at the first byte that is not UTF-8
            line, col = decode_error_position(exc)
            byte = exc.object[exc.start]
            raise ParseError(f"not UTF-8 text: byte 0x{byte:02x} ({exc.reason})", line, col) from None
        return [self._json(text)] if self.is_json else self._yaml(text)

    def _json(self, text: str) -> Any:
        pairs = _Pairs()
        try:
            data = json.loads(text, object_pairs_hook=pairs, parse_int=_json_int)
        except json.JSONDecodeError as exc:
            raise ParseError(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
        except _HugeInteger as exc:
            found = re.search(rf"(?<![0-9]){re.escape(exc.digits)}(?![0-9])", text)
            line, col = text_position(text, found.start() if found else 0)
            raise ParseError(
                f"invalid JSON: integer with more than {MAX_INT_DIGITS:,} digits", line, col
            ) from None
        except RecursionError:  # the C scanner's own bound: only far past MAX_DEPTH
            data = _TOO_DEEP
        depth, values = (MAX_DEPTH + 1, 0) if data is _TOO_DEEP else _json_shape(data)
        if depth > MAX_DEPTH:
            line, col = text_position(text, _json_too_deep(text))
            raise ParseError(f"invalid JSON: nested more than {MAX_DEPTH} levels deep", line, col)
        if values > MAX_DATA_VALUES:
            raise ParseError(
                f"invalid JSON: a document holds at most {MAX_DATA_VALUES:,} values (keys included)", 1, 1
            )
        _check_json_text(text, data)
        if pairs.twice:
            twice = [Duplicate(key, line, col, first) for key, line, col, first in duplicate_keys(text)]
            if not self.runtime_reads and twice:
                d = twice[0]
                problem = f"invalid JSON: duplicate key '{d.key}' (first at line {d.first_line})"
                raise ParseError(problem, d.line, d.col)
            self.duplicates = twice
        return data

    def _yaml(self, text: str) -> list[Any]:
        kind = (
            PlainDataLoader if self.string_keys else RuntimeDataLoader if self.runtime_reads else FastLoader
        )
        loader = kind(text)
        docs: list[Any] = []
        try:
            while loader.check_data():
                docs.append(loader.get_data())
            self.duplicates = loader.duplicates
        except LimitError as exc:
            found = _alias_problem(text, len(docs)) if exc.alias else None
            problem, mark = found if found else (exc.problem, exc.problem_mark)
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise ParseError(f"invalid YAML: {problem}", line, col) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = exc.problem or exc.context or "syntax error"
            raise ParseError(f"invalid YAML: {problem}", line, col) from None
        except yaml.reader.ReaderError as exc:  # a character YAML refuses: the first one in the text
            line, col = text_position(text, max(text.find(chr(exc.character)), 0))
            problem = f"character U+{exc.character:04X} is not allowed ({exc.reason})"
            raise ParseError(f"invalid YAML: {problem}", line, col) from None
        except yaml.YAMLError as exc:
            raise ParseError(f"invalid YAML: {exc}", 1, 1) from None
        finally:
            loader.dispose()
        return docs

    def __reduce__(self) -> tuple[Any, ...]:
        """Crossing to another process, a file travels as its bytes: caches are rebuilt there."""
        return (SourceFile, (self.path, self.raw, self.string_keys, self.runtime_reads))

    def spot(self, doc: int = 0, pointer: Sequence[str | int] = (), key: bool = False) -> Spot:
        """Where `pointer` was written, found only if asked (positions cost a second parse)."""
        return Spot(self, doc, tuple(pointer), key)

    def location(self, doc: int = 0, pointer: Sequence[str | int] = (), key: bool = False) -> Location:
        """Where `pointer` (keys and list indexes) was written; `key` asks for the key itself."""
        line, col = self._find(doc, tuple(pointer), key)
        return Location(self.display, line, col)

    def _find(self, doc: int, pointer: Pointer, key: bool) -> tuple[int, int]:
        trees = self._position_trees()
        if doc >= len(trees) or trees[doc] is None:
            return (1, 1)
        node: PosNode = trees[doc]
        found: tuple[int, int] = node.pos
        for i, part in enumerate(pointer):
            child = node.children.get(part)
            if child is None:
                break
            last = i == len(pointer) - 1
            found = child.key_pos if (last and key and child.key_pos) else child.pos
            node = child
        return found

    def _position_trees(self) -> list[Any]:
        if self._positions is None:
            self._positions = json_trees(self.text) if self.is_json else yaml_trees(self.text, FastLoader)
        return self._positions


@dataclass(frozen=True)
class Spot:
    """A value's place in a file, to locate a diagnostic later, in this process or another."""

    source: SourceFile
    doc: int
    pointer: Pointer
    key: bool = False

    def location(self) -> Location:
        return self.source.location(self.doc, self.pointer, self.key)
