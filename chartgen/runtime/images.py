"""The images chartgen's Containerfiles describe, built here with podman: the base images their
FROM lines name, made from Debian packages (no registry serves them here), then each build
context's Containerfile as it is, both stages."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chartgen.errors import ToolError
from chartgen.runtime.context import BUILD_IMAGE, RUNTIME_IMAGE
from chartgen.tools.podman import Podman
from chartgen.tools.runner import run

SUITE = "bookworm"
# The FROM names of chartgen's Containerfiles, and the Debian packages that stand in for them:
# a JDK with Maven for the build stage, a JRE for the runtime stage.
BASES = {
    BUILD_IMAGE: ("openjdk-17-jdk-headless", "maven", "ca-certificates"),
    RUNTIME_IMAGE: ("openjdk-17-jre-headless", "ca-certificates"),
}
HOST_CACERTS = Path("/etc/ssl/certs/java/cacerts")  # trusts what this machine trusts (a TLS proxy)


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    seconds: float
    size: int  # bytes


def ensure_base_images(podman: Podman, status: Callable[[str], None] = lambda _m: None) -> list[str]:
    """The base images, made once (mmdebstrap, podman import) and kept in podman's storage.
    Returns the names it made now."""
    made = []
    for name, packages in BASES.items():
        if podman.has_image(name):
            continue
        status(f"making base image {name} from Debian packages ({', '.join(packages)})")
        with tempfile.TemporaryDirectory(prefix="chartgen-base-") as tmp:
            tar = Path(tmp) / "root.tar"
            done = run(
                ["mmdebstrap", "--variant=minbase", f"--include={','.join(packages)}", SUITE, tar],
                timeout=900,
            )
            if not done.ok:
                raise ToolError(f"mmdebstrap {SUITE} ({', '.join(packages)}): {done.stderr.strip()[-2000:]}")
            podman.checked("import", tar, name, timeout=600)
        made.append(name)
    return made


def maven_repository() -> Path:
    """The local repository this machine's Maven uses (MAVEN_OPTS' -Dmaven.repo.local, else
    ~/.m2/repository)."""
    for option in os.environ.get("MAVEN_OPTS", "").split():
        if option.startswith("-Dmaven.repo.local="):
            return Path(option.split("=", 1)[1])
    return Path.home() / ".m2" / "repository"


def build_image(
    podman: Podman,
    context: Path,
    tag: str,
    repository: Path | None = None,
    cold: bool = False,
    repository_at: str = "/root/.m2/repository",
) -> BuiltImage:
    """Build `context`'s Containerfile, unchanged. `repository`: a local Maven repository the
    build reuses (mounted at `repository_at`, which may end in `:ro`); `cold`: no layer from
    the cache."""
    volumes: dict[Path, str] = {}
    if repository is not None:
        repository.mkdir(parents=True, exist_ok=True)
        volumes[repository] = repository_at
    if HOST_CACERTS.is_file():
        volumes[HOST_CACERTS] = f"{HOST_CACERTS}:ro"
    start = time.monotonic()
    done = podman.build(context, tag, volumes, ["--no-cache"] if cold else [])
    if not done.ok:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
        raise ToolError(f"podman build of {context.name} failed:\n{tail}")
    return BuiltImage(tag, time.monotonic() - start, podman.image_size(tag))
