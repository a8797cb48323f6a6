"""How each environment's values split into files, and values.yaml with a comment per value.

`values.yaml` holds what every environment shares; `values-<env>.yaml` only what differs,
so `values.yaml` + `values-<env>.yaml` (merged the way Helm merges) is exactly that
environment's values. `environment` is never shared: values.yaml alone is no environment.
"""

from __future__ import annotations

from typing import Any

from chartgen.formats.yaml_out import dump_yaml, scalar

_MISSING = object()


def split_values(
    environments: dict[str, dict[str, Any]], defaults: dict[str, Any], whole: dict[str, set[str]]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(values.yaml, {env: values-<env>.yaml}) from each environment's complete values: the
    defaults overlaid with what every environment shares, then each environment's differences.

    `whole` maps a section to its required keys: such a section is shared only when complete,
    so values.yaml always passes the values schema on its own (and is refused by the chart,
    which then says why: it names no environment)."""
    common = common_values(list(environments.values()))
    for section, required in whole.items():
        if section in common and not required <= set(common[section]):
            del common[section]
    shared = merge(defaults, common)
    shared["environment"] = ""
    return shared, {env: values_diff(values, shared) for env, values in environments.items()}


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of two values documents: maps merge, everything else replaces."""
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
        )
    return out


def common_values(all_values: list[dict[str, Any]]) -> dict[str, Any]:
    """Entries equal in every dict (recursively for maps), in the first dict's order."""
    first, rest = all_values[0], all_values[1:]
    common: dict[str, Any] = {}
    for key, value in first.items():
        others = [v.get(key, _MISSING) for v in rest]
        if any(o is _MISSING for o in others):
            continue
        if isinstance(value, dict) and value and all(isinstance(o, dict) for o in others):
            sub = common_values([value, *others])
            if sub:
                common[key] = sub
        elif all(o == value for o in others):
            common[key] = value
    return common


def values_diff(full: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """What `full` sets differently from `base` (Helm merges maps, replaces the rest, and drops a
    key set to null: how an environment leaves out a section others use)."""
    diff: dict[str, Any] = {key: None for key in base if key not in full}
    for key, value in full.items():
        if key not in base:
            diff[key] = value
        elif isinstance(value, dict) and isinstance(base[key], dict) and value:
            sub = values_diff(value, base[key])
            if sub:
                diff[key] = sub
        elif value != base[key]:
            diff[key] = value
    return diff


def commented_yaml(data: dict[str, Any], docs: dict[tuple[str, ...], str], header: str) -> bytes:
    """YAML with the one-line description of each value above it (nested models too)."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    _emit(data, (), "", docs, lines)
    return ("\n".join(lines) + "\n").encode()


def _emit(
    data: dict[str, Any], path: tuple[str, ...], pad: str, docs: dict[tuple[str, ...], str], out: list[str]
) -> None:
    for key, value in data.items():
        here = (*path, key)
        doc = docs.get(here)
        if doc:
            if not path:
                out.append("")
            out.append(f"{pad}# {doc}")
        if isinstance(value, dict) and value and any((*here, k) in docs for k in value):
            out.append(f"{pad}{scalar(key)}:")
            _emit(value, here, pad + "  ", docs, out)
        else:
            out.extend(pad + line for line in dump_yaml({key: value}).decode().splitlines())
