"""Chart.yaml as state: write a chart's version fields with ruamel.yaml round-trip (comments,
order and quoting kept); `chartgen.charts.chart` reads them.

`generate` keeps what a chart has; `version bump` writes it here. Both sides must give the same
bytes for the same fields (a test holds them to it), or `generate --check` would see drift.
"""

from __future__ import annotations

import io
from pathlib import Path

from chartgen.plan.layout import CHANGES_KEY


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
