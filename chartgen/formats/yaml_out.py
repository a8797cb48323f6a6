"""Deterministic YAML: insertion order kept, block style, LF, one trailing newline."""

from __future__ import annotations

from typing import Any

import yaml

_BASE: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class Quoted(str):
    """A string always written in double quotes (Chart.yaml appVersion)."""


class _Dumper(_BASE):  # type: ignore[misc]
    pass


def _quoted(dumper: yaml.SafeDumper, data: Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style='"')


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(Quoted, _quoted)
_Dumper.add_representer(str, _str)


def dump_yaml(data: Any, header: str = "") -> bytes:
    text = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100
    )
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return (comment + text).encode()
