"""A pod's mounted files, written under a run's root at their container paths (for a process
here, or mounted into a container)."""

from __future__ import annotations

import os
from pathlib import Path

from chartgen.runtime.container import WORKING_DIR, Resolved, Security


def write_files(root: Path, resolved: Resolved, owner: Security | None = None) -> None:
    """Every mounted file under `root` at its container path, readable by this process alone,
    or (`owner`: a container's user) by that user, as the kubelet's volumes are."""
    for path in {WORKING_DIR, "/tmp", *resolved.dirs, *resolved.mounts} - set(resolved.files):
        (root / path.lstrip("/")).mkdir(parents=True, exist_ok=True)
    for path, content in resolved.files.items():
        local = root / path.lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(content)
        local.chmod(0o600)
        if owner is not None and owner.user is not None:
            os.chown(local, owner.user, owner.group if owner.group is not None else owner.user)
