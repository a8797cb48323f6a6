"""The images chartgen's Containerfiles describe, built here with podman: the base images their
FROM lines name, made from Debian packages (no registry serves them here), then each build
context's Containerfile as it is, both stages."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from chartgen.errors import ToolError
from chartgen.runtime.context import BUILD_IMAGE, RUNTIME_IMAGE
from chartgen.tools.podman import Podman
from chartgen.tools.runner import run

SUITE = "bookworm"
# This machine's own CAs (a TLS-intercepting proxy's, say): the base images trust them too, so a
# build reaches Maven Central from any builder (podman here, a pipeline's buildah) unchanged.
LOCAL_CAS = Path("/usr/local/share/ca-certificates")
RECIPE_LABEL = "io.chartgen.base"  # what an image was made from: remade when that changes


@dataclass(frozen=True)
class Recipe:
    """An image made from Debian packages: its name, packages, files copied in (path inside ->
    content), podman import's --change lines (CMD, USER) and whether it trusts this machine's CAs."""

    name: str
    packages: tuple[str, ...]
    files: tuple[tuple[str, str], ...] = ()
    changes: tuple[str, ...] = ()
    local_cas: bool = True


# The FROM names of chartgen's Containerfiles, and the Debian packages that stand in for them:
# a JDK with Maven for the build stage, a JRE for the runtime stage.
BASES = (
    Recipe(BUILD_IMAGE, ("openjdk-17-jdk-headless", "maven", "ca-certificates")),
    Recipe(RUNTIME_IMAGE, ("openjdk-17-jre-headless", "ca-certificates")),
)


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    seconds: float
    size: int  # bytes


def ensure_base_images(podman: Podman, status: Callable[[str], None] = lambda _m: None) -> list[str]:
    """The base images of chartgen's Containerfiles (ensure_images)."""
    return ensure_images(podman, BASES, status)


def ensure_images(
    podman: Podman, recipes: Sequence[Recipe], status: Callable[[str], None] = lambda _m: None
) -> list[str]:
    """Each recipe's image, made once (mmdebstrap, podman import) and kept in podman's storage
    until its recipe changes. Returns the names it made now."""
    made = []
    cas = sorted(LOCAL_CAS.glob("*.crt")) if LOCAL_CAS.is_dir() else []
    for recipe in recipes:
        trusted = cas if recipe.local_cas else []
        digest = recipe_digest(recipe, {ca.name: ca.read_bytes() for ca in trusted})
        if podman.has_image(recipe.name) and podman.label(recipe.name, RECIPE_LABEL) == digest:
            continue
        status(f"making image {recipe.name} from Debian packages ({', '.join(recipe.packages)})")
        with tempfile.TemporaryDirectory(prefix="chartgen-base-") as tmp:
            hooks = []
            for number, (inside, content) in enumerate(recipe.files):
                local = Path(tmp) / f"file-{number}"
                local.write_text(content)
                hooks.append(f"upload {local} {inside}")
            if trusted:
                hooks += [f"copy-in {LOCAL_CAS} {LOCAL_CAS.parent}", 'chroot "$1" update-ca-certificates']
            tar = Path(tmp) / "root.tar"
            argv: list[str | Path] = [
                "mmdebstrap",
                "--variant=minbase",
                f"--include={','.join(recipe.packages)}",
                *(f"--customize-hook={hook}" for hook in hooks),
                SUITE,
                tar,
            ]
            done = run(argv, timeout=900)
            if not done.ok:
                raise ToolError(
                    f"mmdebstrap {SUITE} ({', '.join(recipe.packages)}): {done.stderr.strip()[-2000:]}"
                )
            changes = [f"--change={change}" for change in (*recipe.changes, f"LABEL {RECIPE_LABEL}={digest}")]
            podman.checked("import", *changes, tar, recipe.name, timeout=600)
        made.append(recipe.name)
    return made


def recipe_digest(recipe: Recipe, local_cas: dict[str, bytes]) -> str:
    """A short digest of what an image is made from: the suite, packages, files, changes and
    trusted CAs."""
    digest = hashlib.sha256(f"{SUITE}\n{' '.join(recipe.packages)}\n".encode())
    for inside, text in recipe.files:
        digest.update(f"{inside}\0{text}\0".encode())
    for change in recipe.changes:
        digest.update(f"{change}\0".encode())
    for file_name, content in sorted(local_cas.items()):
        digest.update(file_name.encode() + b"\0" + content)
    return digest.hexdigest()[:16]


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
    start = time.monotonic()
    done = podman.build(context, tag, volumes, ["--no-cache"] if cold else [])
    if not done.ok:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
        raise ToolError(f"podman build of {context.name} failed:\n{tail}")
    return BuiltImage(tag, time.monotonic() - start, podman.image_size(tag))
