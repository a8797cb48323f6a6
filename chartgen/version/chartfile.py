"""Chart.yaml as state: read the version fields a chart already has, and write new ones with
ruamel.yaml round-trip (comments, order and quoting kept).

`generate` keeps what is read here; `version bump` writes it. Both sides must give the same
bytes for the same fields (a test holds them to it), or `generate --check` would see drift.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chartgen.errors import UserError
from chartgen.formats.source import ParseError, SourceFile, display_path
from chartgen.version.digest import CHANGES_KEY, DIGEST_KEY


@dataclass(frozen=True)
class VersionFields:
    """What a chart's Chart.yaml says about its version (not its content)."""

    version: str
    digest: str = ""
    changes: str = ""  # artifacthub.io/changes: a YAML list, as text


def parse_chart_yaml(raw: bytes, path: Path) -> dict[str, Any]:
    """Chart.yaml's data (bounded, safe), or a located UserError."""
    try:
        docs = SourceFile(path, raw, string_keys=True).documents()
    except ParseError as exc:
        raise UserError(f"{display_path(path)}:{exc.line}:{exc.col}: {exc.message}") from None
    data = docs[0] if docs else None
    if not isinstance(data, dict):
        raise UserError(f"{display_path(path)}:1:1: Chart.yaml is not a mapping")
    return data


def version_fields(meta: dict[str, Any]) -> VersionFields:
    annotations = meta.get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    return VersionFields(
        str(meta.get("version", "")),
        str(annotations.get(DIGEST_KEY, "")),
        str(annotations.get(CHANGES_KEY, "")),
    )


def write_version(path: Path, version: str, changes: str) -> None:
    """Set `version` and the `artifacthub.io/changes` annotation of the Chart.yaml at `path`."""
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 1_000_000  # never fold a long description
    data = yaml.load(path.read_text(encoding="utf-8"))
    data["version"] = DoubleQuotedScalarString(version)
    annotations = data.setdefault("annotations", {})
    if changes:
        annotations[CHANGES_KEY] = LiteralScalarString(changes)
    else:
        annotations.pop(CHANGES_KEY, None)
    out = io.StringIO()
    yaml.dump(data, out)
    tmp = path.with_name(f".{path.name}.chartgen-tmp")
    tmp.write_text(out.getvalue(), encoding="utf-8")
    tmp.replace(path)
