"""What chartgen ships beside its code: the built-in policies, the CI pipelines and the script
that builds the pinned external tools.

In a source checkout they are files of the repository (`CHECKOUT` says where); an installed
wheel carries copies under `chartgen/_shipped/` (setup.py copies them, reading this table). An
environment variable moves the policies or the pipelines: CHARTGEN_POLICIES, CHARTGEN_PIPELINES.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# name in the wheel -> path in the repository
CHECKOUT = {"policies": "policies", "pipelines": "pipelines", "toolchain.sh": "scripts/toolchain.sh"}
MOVABLE = {"policies": "CHARTGEN_POLICIES", "pipelines": "CHARTGEN_PIPELINES"}


def shipped(name: str) -> Path:
    """Where a shipped folder or file is: its variable, else the wheel's copy, else the checkout's."""
    explicit = os.environ.get(MOVABLE.get(name, ""))
    if explicit:
        return Path(explicit)
    packaged = PACKAGE / "_shipped" / name
    return packaged if packaged.exists() else PACKAGE.parent / CHECKOUT[name]
