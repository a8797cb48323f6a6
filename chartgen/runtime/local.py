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
from chartgen.plan.platform_services import BROKER_SINK, DATA_INDEX, JOBS_SERVICE, Service
from chartgen.runtime.container import (
    DB_PASSWORD_ENV,
    DB_USER_ENV,
    FILE_LOCATIONS_ENV,
    JDBC_ENV,
    TIMEOUT_CAP,
    WORKING_DIR,
    Resolved,
    resolve,
)
from chartgen.runtime.container_platform import (
    check_reachable,
    check_url_reachable,
    container_postgres,
    create_network,
    start_service_container,
)
from chartgen.runtime.in_container import Attachment, check_non_root, container_args, removed_with, with_image
from chartgen.runtime.platform import start_service
from chartgen.runtime.pod_files import write_files
from chartgen.runtime.postgres import Database, ensure_database, ensure_schema, free_port, throwaway_postgres
from chartgen.runtime.running import LOG_LINES, RunningRuntime, RuntimeFailed, wait_started
from chartgen.tools.podman import Podman
from chartgen.tools.processes import Process, find_java, start_group
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
    on_network: bool = False,
) -> dict[str, str]:
    """The env for running here: container paths under `root` (unless `in_container`: the
    files are mounted where the pod has them), the port on 127.0.0.1 (unless `on_network`: a
    container on a podman network listens as the pod does, its port published), the JDBC URL
    (and credentials) pointing at `database`, timers going to `jobs_service` and called back at
    `service_url` (default: this runtime itself)."""
    env = dict(resolved.env)
    for name, value in env.items():
        env[name] = value if in_container else _local_paths(value, resolved.mounts, root)
    if not on_network:
        env["QUARKUS_HTTP_PORT"] = str(port)
        env["QUARKUS_HTTP_HOST"] = "127.0.0.1"
    if SERVICE_URL_ENV in env:
        env[SERVICE_URL_ENV] = service_url or f"http://127.0.0.1:{port}"
    if jobs_service and JOBS_SERVICE_ENV in env:
        env[JOBS_SERVICE_ENV] = jobs_service
    if database is not None and persistence_on(env):
        jdbc = parse_jdbc(env.get(JDBC_ENV, "")) or Jdbc("", database.database, [])
        env[JDBC_ENV] = jdbc.url(*database.reached(on_network), database.database)
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
        network = _network(podman, stack, database, jobs_service, data_index) if podman else None
        to_index = sends_instance_events(resolved)
        db, jobs_service, data_index, shown = _platform(
            resolved, to_index, database, jobs_service, data_index, stack, network, status
        )
        write_files(root, with_database_files(resolved, db), owner=resolved.security if image else None)
        local_port = port or free_port()
        alias = prefer or "runtime"  # its name on the network, as its Service's in the cluster
        if network is not None and service_url is None:
            service_url = f"http://{alias}:{resolved.port}"
        runtime_env = localize(
            resolved,
            root,
            local_port,
            db,
            jobs_service,
            service_url,
            in_container=bool(image),
            on_network=network is not None,
        )
        if data_index and to_index:
            runtime_env.update(data_index_env(data_index))
        secret_values = [*resolved.secret_values, *([db.password] if db and db.password else [])]
        log_path = root / "runtime.log"
        status(f"starting {label}" + (f" (image {image}, podman)" if image else ""))
        if podman is not None and image is not None:
            name = f"chartgen-{alias}-{local_port}"
            removed_with(stack, podman, name)
            attachment = Attachment(network, alias, resolved.port, local_port) if network else None
            args = container_args(image, name, resolved, root, runtime_env, attachment)
            process = start_group(podman.argv(*args), root, podman.environment(), log_path)
        else:
            assert java is not None
            process = _on_host(java, app, root, runtime_env, log_path)
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
            services=shown,
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


def _on_host(java: Path, app: Path, root: Path, runtime_env: Mapping[str, str], log_path: Path) -> Process:
    """The built app run with this machine's Java, in `<root>/deployments`."""
    env = {k: os.environ[k] for k in HOST_ENV if k in os.environ}
    env["HOME"] = str(root / "home")
    (root / "home").mkdir()
    env.update(runtime_env)
    argv: list[str | Path] = [java, f"-Djava.io.tmpdir={root / 'tmp'}", "-jar", app.resolve()]
    return start_group(argv, root / WORKING_DIR.lstrip("/"), env, log_path)


def _platform(
    resolved: Resolved,
    to_index: bool,
    database: Database | None,
    jobs_service: str | None,
    data_index: str | None,
    stack: contextlib.ExitStack,
    network: str | None,
    status: Callable[[str], None],
) -> tuple[Database | None, str | None, str | None, dict[str, str]]:
    """What the runtime needs beside it and was not given, started (as processes here, or in
    containers on `network`): a throwaway database when it persists, the platform's services
    it sends to. Returns (the database, the Jobs Service's and Data Index's URLs for the
    runtime, the URL of each service it uses from this machine). `to_index`: it sends its
    instances' events to a Data Index."""
    db = database
    if persistence_on(resolved.env):
        jdbc = parse_jdbc(resolved.env.get(JDBC_ENV, ""))
        if db is None:
            server = _throwaway_database(stack, network, status)
            db = server.with_database(jdbc.database if jdbc else server.database)
            ensure_database(server, db.database)
        if jdbc and jdbc.schema:
            ensure_schema(db, jdbc.schema)
    shown = {"Jobs Service": jobs_service, "Data Index": data_index if to_index else None}
    start_jobs = JOBS_SERVICE_ENV in resolved.env and jobs_service is None
    start_index = to_index and data_index is None
    if start_jobs or start_index:
        if db is None:
            db = _throwaway_database(stack, network, status)
        if start_index:
            data_index, shown["Data Index"] = _service(DATA_INDEX, db, stack, network, status)
        if start_jobs:  # its job events go to the Data Index, as in the platform chart
            jobs_service, shown["Jobs Service"] = _service(
                JOBS_SERVICE, db, stack, network, status, data_index
            )
    return db, jobs_service, data_index, {name: url for name, url in shown.items() if url}


def _network(
    podman: Podman,
    stack: contextlib.ExitStack,
    database: Database | None,
    jobs_service: str | None,
    data_index: str | None,
) -> str:
    """The podman network the runtime container joins: the given database's, else a new one.
    What is given must be reachable from it."""
    for what, url in (("the Jobs Service", jobs_service), ("the Data Index", data_index)):
        if url:
            check_url_reachable(what, url)
    if database is not None and database.network:
        return database.network
    if database is not None:
        check_reachable("the database", database.host)
    return create_network(podman, stack)


def _throwaway_database(
    stack: contextlib.ExitStack, network: str | None, status: Callable[[str], None]
) -> Database:
    """A PostgreSQL for this run only: in a container on `network`, else a process here."""
    if network is not None:
        return stack.enter_context(container_postgres(network, status))
    status("starting a throwaway PostgreSQL")
    return stack.enter_context(throwaway_postgres())


def _service(
    service: Service,
    db: Database,
    stack: contextlib.ExitStack,
    network: str | None,
    status: Callable[[str], None],
    data_index: str | None = None,
) -> tuple[str, str]:
    """Start `service` (in a container on `network`, else a process here); returns (its URL
    for the runtime, its URL from this machine)."""
    if network is not None:
        return start_service_container(service, db, stack, network, status=status, data_index=data_index)
    url = start_service(service, db, stack, status=status, data_index=data_index)
    return url, url
