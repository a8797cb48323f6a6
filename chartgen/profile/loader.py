"""load: `profiles/*.yaml` -> Profiles, every problem located."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema

from chartgen.errors import Diagnostics, Location
from chartgen.formats.source import ParseError, SourceFile, display_path
from chartgen.profile.model import Profile, ProfileFile
from chartgen.profile.schema import PLACEHOLDER_FIELDS, PROFILE_SCHEMA

ENV_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_VALIDATOR = jsonschema.Draft202012Validator(PROFILE_SCHEMA)


def load_profiles(folder: Path, diag: Diagnostics) -> list[Profile]:
    """Every profile that produces something (has a `mode`), sorted by environment."""
    if not folder.is_dir():
        diag.error(f"profiles folder not found: {display_path(folder)}")
        return []
    broken: set[str] = set()
    files = {pf.env: pf for pf in _read_files(folder, diag, broken)}
    profiles = []
    for env in sorted(files):
        chain = _chain(files[env], files, broken, diag)
        if chain is None:
            continue
        profile = Profile(env, chain, merge_chain(chain))
        if _check_merged(profile, diag):
            profiles.append(profile)
    return [p for p in profiles if p.mode is not None]


def _read_files(folder: Path, diag: Diagnostics, broken: set[str]) -> Iterator[ProfileFile]:
    """Well-formed profile files; the names of the others go to `broken` (already reported)."""
    paths = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    for path in paths:
        source = SourceFile(path)
        env = path.stem
        if not ENV_NAME.fullmatch(env):
            diag.error(
                f"profile file name '{path.name}' must be an environment name "
                "(lowercase letters, digits, '-')",
                source.location(),
            )
            broken.add(env)
            continue
        try:
            docs = source.documents()
        except ParseError as exc:
            diag.error(exc.message, Location(source.display, exc.line, exc.col))
            broken.add(env)
            continue
        data = docs[0] if docs else None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            diag.error("a profile must be a mapping of settings", source.location())
            broken.add(env)
        elif _check_shape(source, data, diag):
            yield ProfileFile(env, source, data)
        else:
            broken.add(env)


def _check_shape(source: SourceFile, data: dict[str, Any], diag: Diagnostics) -> bool:
    ok = True
    for err in sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        ok = False
        for message, pointer, key in _describe(err):
            diag.error(message, source.location(0, pointer, key))
    for pointer, allowed in PLACEHOLDER_FIELDS.items():
        value = _get(data, pointer)
        if isinstance(value, str):
            for name in PLACEHOLDER.findall(value):
                if name not in allowed:
                    ok = False
                    diag.error(
                        f"unknown placeholder '{{{name}}}' in '{'.'.join(pointer)}' "
                        f"(allowed: {', '.join('{' + a + '}' for a in sorted(allowed))})",
                        source.location(0, pointer),
                    )
    return ok


def _describe(err: jsonschema.ValidationError) -> Iterator[tuple[str, tuple[str | int, ...], bool]]:
    """Our wording for a schema error: (message, where, point at the key?)."""
    pointer = tuple(err.absolute_path)
    where = ".".join(str(p) for p in pointer) or "profile"
    schema: dict[str, Any] = err.schema if isinstance(err.schema, dict) else {}
    expected = schema.get("x-expected")
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        known = sorted(schema.get("properties", {}))
        for key in sorted(set(err.instance) - set(known)):
            scope = f"in '{where}'" if pointer else "in profile"
            yield (f"unknown key '{key}' {scope} (known keys: {', '.join(known)})", (*pointer, key), True)
    elif err.validator == "enum":
        allowed = ", ".join(str(v) for v in schema.get("enum", []))
        yield (f"'{where}' must be one of {allowed}; got {err.instance!r}", pointer, False)
    elif err.validator == "type":
        wanted = schema.get("type", "")
        wanted_text = " or ".join(wanted) if isinstance(wanted, list) else str(wanted)
        got = _YAML_TYPE.get(type(err.instance), type(err.instance).__name__)
        yield (f"'{where}' must be {_article(wanted_text)}, not {_article(got)}", pointer, False)
    elif err.validator == "propertyNames":
        yield (f"invalid key {err.instance!r} in '{where}'", pointer, True)
    elif expected:
        yield (f"'{where}' must be {expected}; got {err.instance!r}", pointer, False)
    else:
        yield (f"'{where}': {err.message}", pointer, False)


_YAML_TYPE = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string",
              dict: "mapping", list: "list"}  # fmt: skip


def _article(word: str) -> str:
    if word == "null":
        return "null"
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _chain(
    start: ProfileFile, files: dict[str, ProfileFile], broken: set[str], diag: Diagnostics
) -> list[ProfileFile] | None:
    chain = [start]
    while "extends" in chain[-1].data:
        current = chain[-1]
        target = str(current.data["extends"])
        if target in broken:
            return None
        if target not in files:
            where = current.source.location(0, ("extends",))
            diag.error(
                f"profile '{current.env}' extends '{target}', which does not exist in the profiles folder",
                where,
            )
            return None
        if any(pf.env == target for pf in chain):
            cycle = " -> ".join([pf.env for pf in chain] + [target])
            diag.error(f"extends cycle: {cycle}", start.source.location(0, ("extends",)))
            return None
        chain.append(files[target])
    return chain


def merge_chain(chain: list[ProfileFile]) -> dict[str, Any]:
    """Maps merge deeply, lists and scalars replace; the nearest file wins."""
    merged: dict[str, Any] = {}
    for pf in reversed(chain):
        merged = deep_merge(merged, pf.data)
    merged.pop("extends", None)
    return merged


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """A new dict: `over` merged into `base`; neither input is shared with the result."""
    out = {key: clone(value) for key, value in base.items() if key not in over}
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = deep_merge(base[key], value)
        else:
            out[key] = clone(value)
    return {key: out[key] for key in [*base, *(k for k in over if k not in base)]}


def clone(value: Any) -> Any:
    """Copy of plain data (dicts, lists, scalars); much cheaper than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def _check_merged(profile: Profile, diag: Diagnostics) -> bool:
    if profile.mode is not None and not profile.namespace:
        diag.error(
            f"profile '{profile.env}' has mode '{profile.mode}' but no 'namespace'",
            profile.location("mode", key=True),
        )
        return False
    return True


def _get(data: dict[str, Any], pointer: tuple[str, ...]) -> Any:
    node: Any = data
    for part in pointer:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node
