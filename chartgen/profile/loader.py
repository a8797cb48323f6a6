"""load: `profiles/*.yaml` -> Profiles, every problem located."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chartgen.errors import Diagnostics, Location
from chartgen.formats.confine import NotRead, read_inside
from chartgen.formats.source import ParseError, SourceFile, display_path
from chartgen.profile.environment import ENV_NAME_RULE, is_env_name
from chartgen.profile.model import PLACEHOLDER_FIELDS, Profile, ProfileFile, ProfileSettings
from chartgen.profile.rbac import check_rbac
from chartgen.schema.check import Checker, did_you_mean

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


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
        checker = Checker("profile")
        settings = checker.load(ProfileSettings, merge_chain(chain))
        if checker.problems or settings is None:  # each file passed: only a merge can get here
            for problem in checker.problems:
                diag.error(
                    f"profile '{env}' (with what it extends): {problem.message}", files[env].source.location()
                )
            continue
        profile = Profile(env, chain, settings)
        if _check_merged(profile, diag):
            profiles.append(profile)
    return [p for p in profiles if p.mode is not None]


def _read_files(folder: Path, diag: Diagnostics, broken: set[str]) -> Iterator[ProfileFile]:
    """Well-formed profile files; the names of the others go to `broken` (already reported)."""
    paths = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    for path in paths:
        try:
            source = SourceFile(path, read_inside(path, folder), string_keys=True)
        except (NotRead, OSError) as exc:
            why = f"it {exc}" if isinstance(exc, NotRead) else f"cannot read it: {exc.strerror}"
            diag.error(f"profile not read: {why}", Location(display_path(path)))
            broken.add(path.stem)
            continue
        env = path.stem
        if not is_env_name(env):
            diag.error(
                f"profile file name '{path.name}' must be an environment name ({ENV_NAME_RULE})",
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
    checker = Checker("profile")
    checker.load(ProfileSettings, data)
    for problem in checker.problems:
        report = diag.policy_error if problem.policy else diag.error
        report(problem.message, source.location(0, problem.at, problem.key))
    ok = not checker.problems
    for pointer, allowed in PLACEHOLDER_FIELDS.items():
        value = _get(data, pointer)
        if isinstance(value, str):
            for name in PLACEHOLDER.findall(value):
                if name not in allowed:
                    ok = False
                    diag.error(
                        f"unknown placeholder '{{{name}}}' in '{'.'.join(pointer)}'"
                        f"{did_you_mean(name, allowed)} "
                        f"(allowed: {', '.join('{' + a + '}' for a in sorted(allowed))})",
                        source.location(0, pointer),
                    )
    return ok


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
                f"profile '{current.env}' extends '{target}', which does not exist in the profiles folder"
                f"{did_you_mean(target, files)}",
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
    check_rbac(profile, diag)
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
