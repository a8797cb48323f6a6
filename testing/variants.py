"""examples/ with its production profiles switched to each secrets provider and runtime."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
PRODUCTION_PROFILES = ("staging.yaml", "prod.yaml")

# name -> settings merged into every production profile of examples/
VARIANTS: dict[str, dict[str, Any]] = {
    "vso": {},
    "eso": {"secrets": {"provider": "eso"}},
    "injector": {"secrets": {"provider": "injector"}},
    "existing": {"secrets": {"provider": "existing", "existingSecret": "workflow-credentials"}},
    "sonataflow": {"runtime": "sonataflow", "operatorVersion": "1.37"},
    "sonataflow-1.36": {"runtime": "sonataflow", "operatorVersion": "1.36"},
    # The repository's own platform chart instead of the operator's Jobs Service (None: unset).
    "platform": {"platform": {"jobService": True, "dataIndex": True}, "jobService": None},
    # The same, its events reaching the Data Index through the Knative broker.
    "platform-knative": {
        "platform": {"jobService": True, "dataIndex": True, "events": "knative"},
        "jobService": None,
    },
}


def make_variant(dest: Path, name: str, extra: dict[str, Any] | None = None) -> Path:
    """A copy of examples/ at dest/<name> whose production profiles carry the variant (and `extra`)."""
    target = dest / name
    shutil.copytree(REPO / "examples", target, ignore=shutil.ignore_patterns("charts"))
    for file in PRODUCTION_PROFILES:
        path = target / "profiles" / file
        data = yaml.safe_load(path.read_text())
        for key, value in {**VARIANTS[name], **(extra or {})}.items():
            if value is None:
                data.pop(key, None)
            elif isinstance(value, dict):
                data.setdefault(key, {}).update(value)
            else:
                data[key] = value
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return target
