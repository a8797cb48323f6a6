"""`chartgen run`: a production chart's runtime on this machine, as the cluster would run it
(`runtime/container.py` resolves what the cluster would start).

The few changes running here needs, nothing else: mount paths become paths under a temp
root and the process runs in `<root>/deployments` (the image's working directory), the HTTP
port is a free 127.0.0.1 port, and the JDBC URL's host and port (and credentials) are those
of a throwaway PostgreSQL or the one given. Secret values are never printed: every log line
shown has them replaced by `***`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qsl

from chartgen.errors import UserError
from chartgen.plan.model import DATA_INDEX_CHANNELS
from chartgen.plan.platform_services import BROKER_SINK, DATA_INDEX, JOBS_SERVICE
from chartgen.runtime.container import (
    DB_PASSWORD_ENV,
    DB_USER_ENV,
    FILE_LOCATIONS_ENV,
    JDBC_ENV,
    TIMEOUT_CAP,
    WORKING_DIR,
    Resolved,
    Security,
    resolve,
)
from chartgen.runtime.in_container import check_non_root, container_args, removed_with, with_image
from chartgen.runtime.platform import start_service
from chartgen.runtime.postgres import Database, ensure_database, ensure_schema, free_port, throwaway_postgres
from chartgen.runtime.running import LOG_LINES, RunningRuntime, RuntimeFailed, wait_started
from chartgen.tools.processes import find_java, start_group
from chartgen.tools.reaper import REAPER

SERVICE_URL_ENV = "KOGITO_SERVICE_URL"  # where the Jobs Service calls back when a timer is due
JOBS_SERVICE_ENV = "KOGITO_JOBS_SERVICE_URL"  # where timers go (the platform's Jobs Service)
# What a process needs of this machine; everything else comes from the chart.
HOST_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "JAVA_HOME")


# --- running here ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Jdbc:
    host: str  # host[:port] as written
    database: str
    params: list[tuple[str, str]]

    @property
    def schema(self) -> str:
        return next((v for k, v in self.params if k == "currentSchema"), "")

    def url(self, host: str, port: int, database: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.params)
        return f"jdbc:postgresql://{host}:{port}/{database}" + (f"?{query}" if query else "")


def parse_jdbc(url: str) -> Jdbc | None:
    m = re.fullmatch(r"jdbc:postgresql://([^/?]*)(?:/([^?]*))?(?:\?(.*))?", url.strip())
    if not m:
        return None
    params = parse_qsl(m.group(3) or "", keep_blank_values=True)
    return Jdbc(m.group(1), m.group(2) or "postgres", params)


def persistence_on(env: Mapping[str, str]) -> bool:
    return env.get("KOGITO_PERSISTENCE_TYPE") == "jdbc" or JDBC_ENV in env


def localize(
    resolved: Resolved,
    root: Path,
    port: int,
    database: Database | None,
    jobs_service: str | None = None,
    service_url: str | None = None,
    in_container: bool = False,
) -> dict[str, str]:
    """The env for running here: container paths under `root` (unless `in_container`: the
    files are mounted where the pod has them), the port on 127.0.0.1, the JDBC URL (and
    credentials) pointing at `database`, timers going to `jobs_service` and called back at
    `service_url` (default: this runtime itself)."""
    env = dict(resolved.env)
    for name, value in env.items():
        env[name] = value if in_container else _local_paths(value, resolved.mounts, root)
    env["QUARKUS_HTTP_PORT"] = str(port)
    env["QUARKUS_HTTP_HOST"] = "127.0.0.1"
    if SERVICE_URL_ENV in env:
        env[SERVICE_URL_ENV] = service_url or f"http://127.0.0.1:{port}"
    if jobs_service and JOBS_SERVICE_ENV in env:
        env[JOBS_SERVICE_ENV] = jobs_service
    if database is not None and persistence_on(env):
        jdbc = parse_jdbc(env.get(JDBC_ENV, "")) or Jdbc("", database.database, [])
        env[JDBC_ENV] = jdbc.url(database.host, database.port, database.database)
        as_files = credential_files(resolved)
        for name, value in ((DB_USER_ENV, database.user), (DB_PASSWORD_ENV, database.password)):
            if name not in as_files:  # a file of the credentials folder otherwise: with_database_files
                env[name] = value
    return env


def sends_instance_events(resolved: Resolved) -> bool:
    """Whether the chart sends its instances' events to a Data Index this run must point them at
    (its properties say where). Not when they go to the broker and the pod has K_SINK (a
    SinkBinding applied): then they go there, as in the cluster."""
    wanted = f"mp.messaging.outgoing.{DATA_INDEX_CHANNELS[0].channel}.url="
    to_broker = re.compile(rb"^" + re.escape(f"{wanted}{BROKER_SINK}".encode()) + rb"\s*$", re.MULTILINE)
    properties = [content for path, content in resolved.files.items() if path.endswith(".properties")]
    if "K_SINK" in resolved.env and any(to_broker.search(content) for content in properties):
        return False
    return any(wanted.encode() in content for content in properties)


def data_index_env(url: str) -> dict[str, str]:
    """Variables pointing each event channel at the Data Index at `url` (over the chart's file)."""
    return {
        f"MP_MESSAGING_OUTGOING_{c.channel.upper().replace('-', '_')}_URL": url.rstrip("/") + c.path
        for c in DATA_INDEX_CHANNELS
    }


def credential_files(resolved: Resolved) -> dict[str, str]:
    """Variable name -> container path of each credential the runtime reads as a file (in a
    folder SMALLRYE_CONFIG_SOURCE_FILE_LOCATIONS names): the chart's Secret volume."""
    named = resolved.env.get(FILE_LOCATIONS_ENV, "").split(",")
    folders = {f.strip().rstrip("/") for f in named if f.strip()}
    found = {}
    for path in resolved.files:
        where = PurePosixPath(path)
        if str(where.parent) in folders:
            found[where.name] = path
    return found


def with_database_files(resolved: Resolved, database: Database | None) -> Resolved:
    """The database credentials the chart reads as files, holding those of `database`."""
    as_files = credential_files(resolved)
    if database is None or not persistence_on(resolved.env) or not as_files:
        return resolved
    files = dict(resolved.files)
    for name, value in ((DB_USER_ENV, database.user), (DB_PASSWORD_ENV, database.password)):
        if name in as_files:
            files[as_files[name]] = value.encode()
    return dataclasses.replace(resolved, files=files)


def _local_paths(value: str, mounts: Iterable[str], root: Path) -> str:
    """A container path in a value (a mount or a path under one) -> the same path under root
    (one pass: a replaced path is never replaced again, though root may itself be under /tmp)."""
    paths = sorted({m.rstrip("/") for m in mounts if m.rstrip("/")}, key=len, reverse=True)
    if not paths:
        return value
    pattern = re.compile(r"(?<![\w/.-])(" + "|".join(re.escape(p) for p in paths) + r")(?![\w.-])")
    return pattern.sub(lambda m: str(root) + m.group(1), value)


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


def read_secrets_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (keys are the Secret's key names; `#` comments and blank lines are
    skipped; one pair of surrounding quotes is removed). Errors name the line, never a value."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"--secrets {path}: not UTF-8 text") from None
    secrets = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[-._A-Za-z0-9]+", key):
            raise UserError(f"--secrets {path}:{number}: expected KEY=VALUE (a Secret key name, then =)")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        secrets[key] = value
    return secrets


def start_runtime(
    objects: list[dict[str, Any]],
    app: Path,
    *,
    label: str = "runtime",
    prefer: str = "",
    secrets: Mapping[str, str] | None = None,
    database: Database | None = None,
    port: int | None = None,
    timeout_cap: float = TIMEOUT_CAP,
    on_status: Callable[[str], None] | None = None,
    jobs_service: str | None = None,
    data_index: str | None = None,
    service_url: str | None = None,
    image: str | None = None,
) -> RunningRuntime:
    """Run the chart's runtime (rendered `objects`) with the built `app` until its startup probe
    passes. With persistence and no `database`, a throwaway PostgreSQL is started (and stopped
    with the runtime). Raises RuntimeFailed with the masked last log lines when it never
    becomes ready; everything started is stopped then. Timers go to `jobs_service`; without it,
    when the chart sends timers to a Jobs Service, one is started here (and stopped with it).
    `service_url`: where the Jobs Service calls back (the chart's Service, in front of every
    replica); default: this runtime. `image`: run that image with podman as the pod would
    (in_container.py) instead of `app` with this machine's Java."""
    status = on_status or (lambda _message: None)
    if image is None and not app.is_file():
        raise UserError(
            f"no runtime app at {app}: build it first (chartgen build --chart {prefer or 'NAME'})"
        )
    podman = with_image(image, prefer) if image else None
    java = find_java() if image is None else None
    resolved = resolve(objects, secrets or {}, prefer, timeout_cap)
    if podman is not None and image is not None:
        check_non_root(podman, image, resolved.security)
    stack = contextlib.ExitStack()
    try:
        root = REAPER.temp_folder("chartgen-run-", stack)
        root.chmod(0o700)
        db = database
        if persistence_on(resolved.env):
            jdbc = parse_jdbc(resolved.env.get(JDBC_ENV, ""))
            if db is None:
                status("starting a throwaway PostgreSQL")
                server = stack.enter_context(throwaway_postgres())
                db = server.with_database(jdbc.database if jdbc else server.database)
                ensure_database(server, db.database)
            if jdbc and jdbc.schema:
                ensure_schema(db, jdbc.schema)
        # The platform's services the chart sends to and none was given: started here.
        to_index = sends_instance_events(resolved)
        start_jobs = JOBS_SERVICE_ENV in resolved.env and jobs_service is None
        start_index = to_index and data_index is None
        if start_jobs or start_index:
            if db is None:
                db = stack.enter_context(throwaway_postgres())
            if start_index:
                data_index = start_service(DATA_INDEX, db, stack, status=status)
            if start_jobs:  # its job events go to the Data Index, as in the platform chart
                jobs_service = start_service(JOBS_SERVICE, db, stack, status=status, data_index=data_index)
        write_files(root, with_database_files(resolved, db), owner=resolved.security if image else None)
        local_port = port or free_port()
        runtime_env = localize(
            resolved, root, local_port, db, jobs_service, service_url, in_container=bool(image)
        )
        if data_index and to_index:
            runtime_env.update(data_index_env(data_index))
        secret_values = [*resolved.secret_values, *([db.password] if db and db.password else [])]
        log_path = root / "runtime.log"
        status(f"starting {label}" + (f" (image {image}, podman)" if image else ""))
        if podman is not None and image is not None:
            name = f"chartgen-{prefer or 'runtime'}-{local_port}"
            removed_with(stack, podman, name)
            args = container_args(image, name, resolved, root, runtime_env)
            process = start_group(podman.argv(*args), root, podman.environment(), log_path)
        else:
            assert java is not None
            env = {k: os.environ[k] for k in HOST_ENV if k in os.environ}
            env["HOME"] = str(root / "home")
            (root / "home").mkdir()
            env.update(runtime_env)
            argv: list[str | Path] = [java, f"-Djava.io.tmpdir={root / 'tmp'}", "-jar", app.resolve()]
            process = start_group(argv, root / WORKING_DIR.lstrip("/"), env, log_path)
        running = RunningRuntime(
            f"http://127.0.0.1:{local_port}",
            process,
            root,
            log_path,
            secret_values,
            db,
            [k for k in resolved.placeholders if db is None or k not in resolved.database_keys],
            resolved.notes,
            stack,
            services={
                name: url
                for name, url in (
                    ("Jobs Service", jobs_service),
                    ("Data Index", data_index if to_index else None),
                )
                if url
            },
        )
    except BaseException:
        stack.close()
        raise
    try:
        problem = wait_started(running, resolved.startup_path, resolved.startup_timeout, status)
    except BaseException:
        running.stop()
        raise
    if problem:
        running.stop()
        raise RuntimeFailed(f"{label} {problem}", running.logs(LOG_LINES).splitlines())
    return running
