"""`chartgen run` on the dev chart: its pod's files run the way the devmode image runs them.

The SonataFlow devmode image is a Maven project at /home/kogito/serverless-workflow-project
whose `src/main/resources` is the dev chart's projected volume (every workflow, spec, schema
and the merged application.properties); it runs `mvn quarkus:dev` there, offline, and Quarkus
restarts the app inside the same JVM when a file of that folder changes (checked on the next
HTTP request, at most every 2 s).

Here, from the objects helm renders for the dev chart: the same project under a temp root
(`<root>/home/kogito/serverless-workflow-project`), its resources folder laid out as the
kubelet projects a volume (each file a symlink through `..data` to a timestamped folder,
replaced atomically on update), a pom with the pinned SonataFlow and Quarkus versions and the
extensions the files need (chartgen build's pom, plus the devmode image's event extension the
dev chart's properties configure), the container's env (the chart's values, optional Secret
keys from a secrets file), and `mvn quarkus:dev` on a free 127.0.0.1 port until the chart's
startup probe passes.

Not carried over from the image: its Dev UI, data index, embedded Jobs Service and monitoring
extensions (none changes how the workflows run; they need artifacts beyond chartgen's pinned
set, and the data index an embedded PostgreSQL). As in the pod, nothing is persisted: a
restart, and each hot reload, loses every instance.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from chartgen.errors import UserError
from chartgen.plan.dev import RESOURCES_PATH
from chartgen.runtime.container import TIMEOUT_CAP, Resolved, resolve
from chartgen.runtime.context import KIE, PINNED, RESOURCES, Extension, Versions, extensions, pom
from chartgen.runtime.in_container import check_non_root, container_args, removed_with, with_image
from chartgen.runtime.local import HOST_ENV, localize
from chartgen.runtime.pod_files import write_files
from chartgen.runtime.postgres import free_port
from chartgen.runtime.running import LOG_LINES, RunningRuntime, RuntimeFailed, wait_started
from chartgen.tools.podman import Podman
from chartgen.tools.processes import Process, find_maven, start_group
from chartgen.tools.reaper import REAPER

PROJECT_PATH = RESOURCES_PATH.removesuffix("/src/main/resources")  # the image's Maven project
# The devmode image's extensions that the dev chart's configuration relies on: its
# application.properties routes events through this one's quarkus-http connectors.
DEVMODE_EXTENSIONS = (
    Extension(
        KIE,
        "kie-addons-quarkus-knative-eventing",
        "the devmode image carries it: events in and out over HTTP (kogito_incoming_stream, K_SINK)",
        kie=True,
    ),
)
# What Maven needs of this machine besides HOST_ENV (its settings and local repository).
MAVEN_ENV = ("HOME", "USER", "MAVEN_OPTS", "MAVEN_ARGS", "MAVEN_HOME", "M2_HOME")
DEV_FLAGS = (
    # as the image runs it (run-app-devmode.sh); the host is the caller's (-D or QUARKUS_HTTP_HOST)
    "-DskipTests",
    "-Dquarkus.test.continuous-testing=disabled",
    "-Dquarkus.analytics.disabled=true",
    # no debug port (5005 would clash between two runs), no interactive console (no terminal)
    "-Ddebug=false",
    "-Dquarkus.console.enabled=false",
    # no container-based dev services (the Data Index one needs Docker; the image has none:
    # its data index is embedded)
    "-Dquarkus.devservices.enabled=false",
    "-Dquarkus.kogito.devservices.enabled=false",
    # Quarkus 3.8.4 with SonataFlow 10.0.0: every live reload failed in the health and OpenAPI
    # build steps ("SRCFG00014: The config property quarkus.smallrye-health.management.enabled
    # is required but it could not be found in any config source"). Given explicitly, reloads
    # work; false keeps those routes on the HTTP port, where they are anyway while the
    # management interface is off (the dev chart does not turn it on; its probes use the port).
    "-Dquarkus.smallrye-health.management.enabled=false",
    "-Dquarkus.smallrye-openapi.management.enabled=false",
)
# Maven's words when -o lacks an artifact: then the run is retried online once.
_OFFLINE_MISS = re.compile(r"in offline mode and the artifact|has not been downloaded from it before")
_START_FAILED = re.compile(r"Failed to start quarkus.*")
_COLOUR = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
DATA = "..data"  # the kubelet's symlink to the current payload of a projected volume


# --- the project (pure) ----------------------------------------------------------------------


@dataclass
class DevProject:
    """The devmode pod's Maven project: the container as resolved, and the pom."""

    resolved: Resolved  # env, files by container path, port, startup probe
    extensions: list[Extension]
    pom: str

    @property
    def resources(self) -> dict[str, bytes]:
        """The projected files by path inside the resources folder."""
        return resources_of(self.resolved.files)


def resources_of(files: Mapping[str, bytes]) -> dict[str, bytes]:
    prefix = RESOURCES_PATH + "/"
    return {p[len(prefix) :]: c for p, c in sorted(files.items()) if p.startswith(prefix)}


def dev_project(
    objects: list[dict[str, Any]],
    secrets: Mapping[str, str] | None = None,
    versions: Versions = PINNED,
    timeout_cap: float = TIMEOUT_CAP,
    name: str = "devmode",
) -> DevProject:
    """The dev chart's rendered `objects` -> the project the devmode image would run."""
    resolved = resolve(objects, secrets or {}, "", timeout_cap)
    if RESOURCES_PATH not in (m.rstrip("/") for m in resolved.mounts):
        raise UserError(
            f"not a dev chart: its pod mounts nothing at {RESOURCES_PATH} "
            "(the devmode image's resources folder)"
        )
    found = devmode_extensions(resources_of(resolved.files))
    return DevProject(resolved, found, pom(name, found, versions))


def devmode_extensions(resources: Mapping[str, bytes]) -> list[Extension]:
    """The extensions the devmode project needs for these resources (paths inside the folder):
    what the workflows need, plus the devmode image's own that the dev chart relies on."""
    found = extensions({RESOURCES + rel: content for rel, content in resources.items()})
    return found + [e for e in DEVMODE_EXTENSIONS if e.artifact not in {f.artifact for f in found}]


def maven_argv(mvn: str, offline: bool, host: str | None = "127.0.0.1") -> list[str]:
    """`mvn quarkus:dev` as the devmode image runs it (`clean`: nothing of an earlier run);
    `host`: the address to listen on (None: QUARKUS_HTTP_HOST's, as the image sets it)."""
    listen = [f"-Dquarkus.http.host={host}"] if host else []
    return [mvn, "-B", *(["-o"] * offline), *DEV_FLAGS, *listen, "clean", "quarkus:dev"]


def offline_miss(log: str) -> bool:
    """Whether an offline run lacked an artifact (then online may succeed)."""
    return bool(_OFFLINE_MISS.search(log))


# --- the projected volume, as the kubelet writes it ------------------------------------------


def project_volume(folder: Path, files: Mapping[str, bytes]) -> None:
    """Make `folder` hold `files` (path inside the volume -> content) as the kubelet's atomic
    writer does: a new `..<timestamp>` payload folder, `..data` switched to it by one rename,
    a symlink `<name> -> ..data/<name>` for each top-level name, stale names and the old payload
    removed. A reader sees the old files or the new ones, never a mix; an update changes every
    file's modification time (the runtime's file watch sees them all)."""
    for rel in files:
        parts = PurePosixPath(rel).parts
        if not parts or rel.startswith("/") or any(part.startswith("..") for part in parts):
            raise UserError(f"{rel}: not a path inside a volume")
    folder.mkdir(parents=True, exist_ok=True)
    payload = folder / time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime())
    payload = payload.with_name(f"{payload.name}{time.time_ns() % 10**9:09d}")
    for rel, content in files.items():
        target = payload.joinpath(*PurePosixPath(rel).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    payload.mkdir(exist_ok=True)  # an empty volume still has its payload
    link = folder / DATA
    old = os.readlink(link) if link.is_symlink() else None
    tmp = folder / f"{DATA}_tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(payload.name)
    tmp.replace(link)
    names = {PurePosixPath(rel).parts[0] for rel in files}
    for name in sorted(names):
        entry = folder / name
        if not entry.is_symlink():
            if entry.is_dir():
                shutil.rmtree(entry)
            elif entry.exists():
                entry.unlink()
            entry.symlink_to(f"{DATA}/{name}")
    for entry in folder.iterdir():
        if entry.is_symlink() and entry.name not in names and os.readlink(entry).startswith(f"{DATA}/"):
            entry.unlink()
    if old and old != payload.name and old.startswith(".."):
        shutil.rmtree(folder / old, ignore_errors=True)


def projected(folder: Path) -> dict[str, bytes]:
    """The files of a volume `project_volume` wrote, by path inside it."""
    payload = folder / DATA
    if not payload.is_dir():
        return {}
    return {
        p.relative_to(payload).as_posix(): p.read_bytes() for p in sorted(payload.rglob("*")) if p.is_file()
    }


def dev_jvm(mvn_pid: int) -> int | None:
    """The PID of the JVM `quarkus:dev` forked (its argv ends with `<app>-dev.jar`), on Linux."""
    seen, todo = set(), [mvn_pid]
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            args = [a for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
        except OSError:
            continue
        if pid != mvn_pid and args and args[-1].endswith(b"-dev.jar"):
            return pid
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError, ValueError):
                todo += [int(c) for c in task.read_text().split()]
    return None


# --- running ---------------------------------------------------------------------------------


@dataclass
class RunningDevmode(RunningRuntime):
    """`mvn quarkus:dev` on the dev pod's project. `resources`: the folder to drop workflow
    files into (the pod's projected volume); `project(files)` replaces its content as the
    kubelet does after `chartgen dev sync`; `pid`: the app's JVM (Maven's when not found; in a
    container, podman's)."""

    project: Path = field(default_factory=Path)
    offline: bool = True

    @property
    def resources(self) -> Path:
        return self.project / "src/main/resources"

    @property
    def pid(self) -> int:
        return dev_jvm(self.process.pid) or self.process.pid

    def projected(self) -> dict[str, bytes]:
        return projected(self.resources)

    def update(self, files: Mapping[str, bytes]) -> None:
        project_volume(self.resources, files)

    def logs(self, last: int | None = None) -> str:
        return _COLOUR.sub("", super().logs(last))


def start_devmode(
    objects: list[dict[str, Any]],
    *,
    label: str = "devmode",
    name: str = "devmode",
    secrets: Mapping[str, str] | None = None,
    port: int | None = None,
    offline: bool | None = None,
    versions: Versions = PINNED,
    timeout_cap: float = TIMEOUT_CAP,
    on_status: Callable[[str], None] | None = None,
    image: str | None = None,
) -> RunningDevmode:
    """Run the dev chart (rendered `objects`) in Quarkus dev mode until its startup probe
    passes. `offline`: None tries Maven offline first, then online once if an artifact is
    missing. `image`: run that devmode image with podman as the pod would (its own command,
    offline) instead of this machine's Maven. Raises RuntimeFailed with the last log lines when
    it never becomes ready."""
    status = on_status or (lambda _message: None)
    project = dev_project(objects, secrets, versions, timeout_cap, name)
    if image is not None:
        launch = _in_container(with_image(image, name), image, project.resolved)
        status(f"the devmode image {image}, with podman")
        tries: list[bool | None] = [True]
    else:
        launch = _with_maven(find_maven())
        tries = [offline] if offline is not None else [True, False]
    for attempt, use_offline in enumerate(tries):
        running = _launch(project, launch, bool(use_offline), label, port, status)
        try:
            problem = wait_ready(running, project.resolved, status)
        except BaseException:
            running.stop()
            raise
        if not problem:
            return running
        running.stop()
        log = running.logs()
        if attempt + 1 < len(tries) and offline_miss(log):
            status("an artifact is not in the local Maven repository: running Maven online")
            continue
        raise RuntimeFailed(f"{label} {problem}", log.splitlines()[-LOG_LINES:])
    raise AssertionError("unreachable")  # pragma: no cover


def wait_ready(running: RunningDevmode, resolved: Resolved, status: Callable[[str], None]) -> str:
    """ "" once the startup probe passes; why not when Maven exits, Quarkus reports that the
    app failed to start (dev mode would wait for a fix), or the allowance runs out."""
    path, allowance = resolved.startup_path, resolved.startup_timeout
    status(f"compiling and starting; waiting for {path} (up to {allowance:.0f} s)")
    deadline = time.monotonic() + allowance
    while time.monotonic() < deadline:
        failed = _START_FAILED.search(running.logs())
        if failed:
            return f"failed to start ({failed.group(0).strip()})"
        problem = wait_started(running, path, min(2.0, deadline - time.monotonic()), lambda _m: None)
        if not problem or "exited with" in problem:
            return problem
    return f"did not answer {path} within {allowance:.0f} s"


# (project, its folder under the run's root, the root, the port, offline, where to log, the
# clean-up stack) -> the started process
Launcher = Callable[[DevProject, Path, Path, int, bool, Path, contextlib.ExitStack], Process]


def _with_maven(mvn: str) -> Launcher:
    """`mvn quarkus:dev` in the project folder, with this machine's Maven and repository."""

    def launch(
        project: DevProject,
        folder: Path,
        root: Path,
        port: int,
        offline: bool,
        log_path: Path,
        _stack: contextlib.ExitStack,
    ) -> Process:
        (folder / "pom.xml").write_text(project.pom)
        env = {k: os.environ[k] for k in (*HOST_ENV, *MAVEN_ENV) if k in os.environ}
        env.update(localize(project.resolved, root, port, None))
        return start_group(maven_argv(mvn, offline), folder, env, log_path)

    return launch


def _in_container(podman: Podman, image: str, resolved: Resolved) -> Launcher:
    """The devmode image run as the pod runs it: its own project, pom, repository and command;
    the pod's env, mounts (the resources folder among them) and securityContext."""
    check_non_root(podman, image, resolved.security)

    def launch(
        _project: DevProject,
        _folder: Path,
        root: Path,
        port: int,
        _offline: bool,
        log_path: Path,
        stack: contextlib.ExitStack,
    ) -> Process:
        name = f"chartgen-devmode-{port}"
        removed_with(stack, podman, name)
        env = localize(resolved, root, port, None, in_container=True)
        args = container_args(image, name, resolved, root, env)
        return start_group(podman.argv(*args), root, podman.environment(), log_path)

    return launch


def _launch(
    project: DevProject,
    launch: Launcher,
    offline: bool,
    label: str,
    port: int | None,
    status: Callable[[str], None],
) -> RunningDevmode:
    stack = contextlib.ExitStack()
    try:
        root = REAPER.temp_folder("chartgen-dev-", stack)
        root.chmod(0o700)
        resolved = project.resolved
        others = {p: c for p, c in resolved.files.items() if not p.startswith(RESOURCES_PATH + "/")}
        write_files(root, dataclasses.replace(resolved, files=others))
        folder = root / PROJECT_PATH.lstrip("/")
        project_volume(folder / "src/main/resources", project.resources)
        local_port = port or free_port()
        log_path = root / "devmode.log"
        status(f"running mvn{' -o' * offline} quarkus:dev")
        process = launch(project, folder, root, local_port, offline, log_path, stack)
        return RunningDevmode(
            f"http://127.0.0.1:{local_port}",
            process,
            root,
            log_path,
            resolved.secret_values,
            None,
            resolved.placeholders,
            resolved.notes,
            stack,
            project=folder,
            offline=offline,
        )
    except BaseException:
        stack.close()
        raise
