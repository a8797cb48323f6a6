"""`chartgen build`: each production chart -> the build context of its runtime, then `mvn package`.

Reads the generated charts (charts/ is the state), never the workflows again: the runtime gets
exactly the files its chart carries. A chart that does not build is reported with the build's
own messages; the others go on.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from chartgen.charts.chart import GeneratedChart, working_files
from chartgen.emit.switch import settled_charts
from chartgen.errors import ToolError, UserError
from chartgen.formats.source import ParseError, SourceFile
from chartgen.plan.layout import VALUES_FILE
from chartgen.plan.platform_services import SERVICES
from chartgen.runtime.context import DEFAULT_UID, PINNED, Extension, Versions, build_context, extensions
from chartgen.runtime.devmode_image import (
    HOST_REPOSITORY,
    chart_extensions,
    devmode_context,
    devmode_image_name,
)
from chartgen.runtime.images import BuiltImage, build_image, ensure_base_images, maven_repository
from chartgen.runtime.maven import package
from chartgen.runtime.platform import service_context
from chartgen.tools.podman import Podman
from chartgen.version.git import changed_since

IMAGE_FILE = "image.txt"  # the context's image reference, for the pipeline's image stage


@dataclass
class ChartBuild:
    name: str
    context: Path
    extensions: list[Extension]
    image: str = ""  # REPOSITORY:TAG the image is pushed as (the chart's values.yaml)
    app: Path | None = None
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    built_image: BuiltImage | None = None  # the Containerfile built with podman (--image)
    devmode: bool = False  # the dev chart's devmode image: no app of its own


def run_build(
    charts: Path,
    out: Path,
    only: Sequence[str] = (),
    packaged: bool = True,
    offline: bool = False,
    on_chart: Callable[[ChartBuild], None] | None = None,
    versions: Versions = PINNED,
    base: str | None = None,
    image: bool = False,
    status: Callable[[str], None] = lambda _m: None,
) -> list[ChartBuild]:
    """Build `only` (default: every production chart); with `base`, only those changed since it;
    with `image`, each context's Containerfile too, as it is, with podman (images.py), and the
    dev chart's devmode image (devmode_image.py): the dev chart has no other build."""
    settled = [c for c in settled_charts(charts) if c.folder and c.generated]
    found = {
        c.name: c.folder
        for c in settled
        if c.folder and (c.mode == "production" or (image and c.mode == "dev"))
    }
    dev = {c.name for c in settled if c.mode == "dev"}
    unknown = sorted(set(only) - set(found))
    if unknown:
        if set(unknown) <= dev:
            raise UserError(
                f"--chart {', '.join(unknown)}: the dev chart's build is its devmode image: add --image"
            )
        known = ", ".join(sorted(found)) or "none"
        raise UserError(f"--chart {', '.join(unknown)}: no production chart of that name (charts: {known})")
    names = sorted(only or found)
    if base:
        changed = changed_since(charts, base)
        names = [n for n in names if n in changed]
    results = []
    podman = Podman.find() if image else None
    if podman is not None:
        ensure_base_images(podman, status)
    for name in names:
        files = working_files(found[name])
        for result in _contexts(name, files, out, versions):
            if packaged and not result.devmode:
                start = time.monotonic()
                built = package(result.context, offline)
                result.app, result.problems = built.app, built.problems
                result.seconds = time.monotonic() - start
            if podman is not None and not result.problems:
                status(f"podman build {result.image}")
                try:
                    result.built_image = build_chart_image(
                        podman, result.context, result.image, result.devmode
                    )
                except ToolError as exc:
                    result.problems.append(str(exc))
            results.append(result)
            if on_chart is not None:
                on_chart(result)
    return results


def build_chart_image(
    podman: Podman, context: Path, tag: str, devmode: bool, cold: bool = False
) -> BuiltImage:
    """podman build of a context `_contexts` wrote, reusing this machine's Maven repository: the
    build stage's own (a runtime's), or read-only, where the devmode image's warm-up reads it."""
    at = f"{HOST_REPOSITORY}:ro" if devmode else "/root/.m2/repository"
    return build_image(podman, context, tag, maven_repository(), cold, repository_at=at)


def _contexts(name: str, files: dict[str, bytes], out: Path, versions: Versions) -> list[ChartBuild]:
    """Write the build context of each image the chart runs (named as the image stage's digest
    files are): its runtime's, or (the platform chart) each service's, from the service's
    Maven Central artifact with the same Containerfile contract."""
    uid = _uid(files)
    chart = GeneratedChart.of(name, files)
    if chart.mode == "dev":
        context, tag = out / name, devmode_image_name(name, versions)
        upstream = _image_ref(files).decode().strip()
        write_context(
            context, {**devmode_context(name, files, upstream, versions), IMAGE_FILE: f"{tag}\n".encode()}
        )
        return [ChartBuild(name, context, chart_extensions(files), tag, devmode=True)]
    if chart.raw_data.get("kind") != "platform":
        context = out / name
        image = _image_ref(files)
        write_context(context, {**build_context(name, files, uid, versions), IMAGE_FILE: image})
        return [ChartBuild(name, context, extensions(files), image.decode().strip())]
    by_section = {f"{s.key}.image": s for s in SERVICES}
    built = []
    for image_name, section in chart.images.items():
        service = by_section[section]
        image = _image_ref(files, service.key)
        context = out / image_name
        write_context(context, {**service_context(service, name, uid, versions), IMAGE_FILE: image})
        why = f"{service.title}, as SonataFlow {versions.sonataflow} ships it"
        artifact = Extension("org.kie.kogito", service.artifact, why, kie=True)
        built.append(ChartBuild(image_name, context, [artifact], image.decode().strip()))
    return built


def write_context(folder: Path, files: dict[str, bytes]) -> None:
    """Write the context's files (only those whose bytes change: Maven's up-to-date checks see
    mtimes) and remove the files it no longer has; Maven's own target/ is left alone."""
    for rel, content in files.items():
        path = folder / rel
        if path.is_file() and not path.is_symlink() and path.read_bytes() == content:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            path.unlink()
        path.write_bytes(content)
    for dirpath, dirnames, filenames in os.walk(folder):
        rel_dir = os.path.relpath(dirpath, folder)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d != "target"]
        for name in filenames:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if rel not in files:
                os.unlink(os.path.join(dirpath, name))


def _image_ref(files: dict[str, bytes], section: str = "") -> bytes:
    """REPOSITORY:TAG from the chart's values.yaml (the image the chart runs by default; of a
    platform service: its `section`'s)."""
    values = SourceFile(Path(VALUES_FILE), files[VALUES_FILE]).documents()
    root = values[0] if values and isinstance(values[0], dict) else {}
    holder = root.get(section) if section else root
    image = holder.get("image") if isinstance(holder, dict) else None
    if not isinstance(image, dict) or not image.get("repository"):
        where = f"{section}.image" if section else "image"
        raise UserError(f"values.yaml has no {where}.repository: regenerate the chart")
    return f"{image['repository']}:{image.get('tag') or 'latest'}\n".encode()


def _uid(files: dict[str, bytes]) -> int:
    """The UID the chart runs its pods as (values.yaml securityContext.runAsUser)."""
    try:
        docs = SourceFile(Path(VALUES_FILE), files.get(VALUES_FILE, b"")).documents()
    except ParseError as exc:
        raise UserError(f"values.yaml:{exc.line}:{exc.col}: {exc.message}") from None
    values = docs[0] if docs and isinstance(docs[0], dict) else {}
    context = values.get("securityContext")
    uid = context.get("runAsUser") if isinstance(context, dict) else None
    return uid if isinstance(uid, int) and not isinstance(uid, bool) and 0 < uid < 2**31 else DEFAULT_UID
