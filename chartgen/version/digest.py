"""The content digest of a chart: what changed, independent of the version it is released as.

Everything under the chart counts except its version fields (`version`, and the annotations
`chartgen/digest` and `artifacthub.io/changes`). Chart.yaml counts as data, not bytes:
`helm package` writes that file anew, so a chart pulled back from a registry has the same
digest as the committed one. Every other file counts byte for byte.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from chartgen.plan.layout import CHANGES_KEY, CHART_FILE, DIGEST_KEY

VERSION_ANNOTATIONS = (DIGEST_KEY, CHANGES_KEY)


def content_of(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Chart.yaml's data without the version fields."""
    data = copy.deepcopy(dict(meta))
    data.pop("version", None)
    annotations = data.get("annotations")
    if isinstance(annotations, dict):
        for key in VERSION_ANNOTATIONS:
            annotations.pop(key, None)
        if not annotations:
            del data["annotations"]
    return data


def chart_digest(meta: Mapping[str, Any], files: Mapping[str, bytes]) -> str:
    """`sha256:<hex>` of Chart.yaml's content (`meta`) and every other file (by path)."""
    h = hashlib.sha256()
    h.update(json.dumps(content_of(meta), sort_keys=True, ensure_ascii=False, default=str).encode())
    for rel in sorted(files):
        if rel != CHART_FILE:
            h.update(f"\n{rel}\0{hashlib.sha256(files[rel]).hexdigest()}".encode())
    return f"sha256:{h.hexdigest()}"
