"""`chartgen run`: a production chart's runtime on this machine, as the cluster would run it.

From the objects helm renders for one environment: the runtime container (a Deployment's
first container, or a SonataFlow's `spec.podTemplate.container` with what the operator adds:
its `<workflow>-props` ConfigMap and spec.persistence), its env (values, secretKeyRef from a
secrets file or test values, configMapKeyRef, `$(VAR)` references), its mounted files
(ConfigMap volumes, `items` keys to paths, projected sources, emptyDirs) and its probes.

Then the few changes running here needs, nothing else: mount paths become paths under a temp
root and the process runs in `<root>/deployments` (the image's working directory), the HTTP
port is a free 127.0.0.1 port, and the JDBC URL's host and port (and credentials) are those
of a throwaway PostgreSQL or the one given. Secret values are never printed: every log line
shown has them replaced by `***`.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qsl

from chartgen.errors import UserError
from chartgen.runtime.jobs_service import start_jobs_service
from chartgen.runtime.postgres import Database, ensure_database, ensure_schema, free_port, throwaway_postgres
from chartgen.runtime.running import LOG_LINES, RunningRuntime, RuntimeFailed, wait_started
from chartgen.tools.processes import find_java, start_group
from chartgen.tools.reaper import REAPER

WORKING_DIR = "/deployments"  # the runtime image's working directory (chartgen build's Containerfile)
DEFAULT_PORT = 8080
DEFAULT_STARTUP_PATH = "/q/health/started"
TIMEOUT_CAP = 300.0
DB_USER_ENV = "QUARKUS_DATASOURCE_USERNAME"
DB_PASSWORD_ENV = "QUARKUS_DATASOURCE_PASSWORD"
JDBC_ENV = "QUARKUS_DATASOURCE_JDBC_URL"
SERVICE_URL_ENV = "KOGITO_SERVICE_URL"  # where the Jobs Service calls back when a timer is due
JOBS_SERVICE_ENV = "KOGITO_JOBS_SERVICE_URL"  # where timers go (the platform's Jobs Service)
# What a process needs of this machine; everything else comes from the chart.
HOST_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "JAVA_HOME")


# --- the runtime container, from rendered objects -------------------------------------------


@dataclass
class Runtime:
    """The runtime container of a rendered chart, with what the pod gives it."""

    kind: str  # Deployment | SonataFlow
    name: str
    container: dict[str, Any]
    volumes: list[dict[str, Any]] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    extra_env: list[dict[str, Any]] = field(default_factory=list)  # what an operator adds
    extra_files: dict[str, bytes] = field(default_factory=dict)  # container path -> content


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def find_runtime(objects: Iterable[Mapping[str, Any]], prefer: str = "") -> Runtime:
    """The Deployment (or SonataFlow) that runs the workflows; `prefer`: its name when several."""
    candidates: list[Runtime] = []
    config_maps = _config_maps(objects)
    for obj in objects:
        kind, meta = obj.get("kind"), _dict(obj.get("metadata"))
        name = str(meta.get("name", ""))
        if _dict(meta.get("annotations")).get("helm.sh/hook"):
            continue  # helm test pods and hooks are not the runtime
        if kind == "Deployment":
            pod = _dict(_dict(_dict(obj.get("spec")).get("template")))
            spec = _dict(pod.get("spec"))
            containers = [c for c in _list(spec.get("containers")) if isinstance(c, dict)]
            if not containers:
                continue
            container = next((c for c in containers if c.get("name") == "workflow"), containers[0])
            annotations = {
                str(k): str(v) for k, v in _dict(_dict(pod.get("metadata")).get("annotations")).items()
            }
            candidates.append(Runtime("Deployment", name, container, _list(spec.get("volumes")), annotations))
        elif kind == "SonataFlow":
            candidates.append(_sonataflow(obj, name, config_maps))
    if not candidates:
        raise UserError("the chart renders no Deployment or SonataFlow: nothing to run")
    return next((c for c in candidates if c.name == prefer), candidates[0])


def _sonataflow(obj: Mapping[str, Any], name: str, config_maps: Mapping[str, dict[str, str]]) -> Runtime:
    """A SonataFlow's container plus what the operator gives its pod: the `<name>-props`
    properties at /deployments/config/application.properties and spec.persistence as env."""
    spec = _dict(obj.get("spec"))
    container = _dict(_dict(spec.get("podTemplate")).get("container"))
    files = {}
    props = config_maps.get(f"{name}-props", {}).get("application.properties")
    if props is not None:
        files[f"{WORKING_DIR}/config/application.properties"] = props.encode()
    env: list[dict[str, Any]] = []
    pg = _dict(_dict(spec.get("persistence")).get("postgresql"))
    if pg:
        ref, service = _dict(pg.get("secretRef")), _dict(pg.get("serviceRef"))
        url = str(pg.get("jdbcUrl", ""))
        if not url and service:
            host = f"{service.get('name')}.{service.get('namespace') or 'default'}"
            database = service.get("databaseName") or "sonataflow"
            url = (
                f"jdbc:postgresql://{host}:{service.get('port') or 5432}/{database}"
                f"?currentSchema={service.get('databaseSchema') or name}"
            )
        secret = str(ref.get("name", ""))
        env = [
            {"name": DB_USER_ENV, "valueFrom": {"secretKeyRef": {"name": secret, "key": ref.get("userKey")}}},
            {
                "name": DB_PASSWORD_ENV,
                "valueFrom": {"secretKeyRef": {"name": secret, "key": ref.get("passwordKey")}},
            },
            {"name": "KOGITO_PERSISTENCE_TYPE", "value": "jdbc"},
            {"name": "QUARKUS_DATASOURCE_DB_KIND", "value": "postgresql"},
            {"name": JDBC_ENV, "value": url},
            {"name": "KOGITO_PERSISTENCE_PROTO_MARSHALLER", "value": "false"},
            {"name": "KIE_FLYWAY_ENABLED", "value": "true"},
            {"name": "QUARKUS_FLYWAY_MIGRATE_AT_START", "value": "true"},
        ]
    return Runtime("SonataFlow", name, container, [], {}, env, files)


def _config_maps(objects: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    maps: dict[str, dict[str, str]] = {}
    for obj in objects:
        if obj.get("kind") == "ConfigMap":
            name = str(_dict(obj.get("metadata")).get("name", ""))
            maps[name] = {str(k): str(v) for k, v in _dict(obj.get("data")).items()}
    return maps


# --- env, files and probes ----------------------------------------------------------------


@dataclass
class Resolved:
    """The container as the cluster would start it (before the changes for running here)."""

    env: dict[str, str]
    files: dict[str, bytes]  # container path -> content
    dirs: list[str]  # container paths of emptyDir mounts
    mounts: list[str]  # every container mount path
    port: int
    startup_path: str
    startup_timeout: float
    secret_values: list[str]  # every secret value handed over (to mask)
    placeholders: list[str]  # secret keys the secrets file does not have (test values used)
    database_keys: list[str]  # secret keys of the database credentials (the database in use gives them)
    notes: list[str]


def resolve(
    objects: list[dict[str, Any]],
    secrets: Mapping[str, str],
    prefer: str = "",
    timeout_cap: float = TIMEOUT_CAP,
) -> Resolved:
    runtime = find_runtime(objects, prefer)
    config_maps = _config_maps(objects)
    notes: list[str] = []
    asked = _Secrets(secrets)
    env, database_keys = _env(runtime, config_maps, asked, notes)
    files, dirs, mounts = _mounted_files(runtime, config_maps, asked.value, notes)
    files.update(runtime.extra_files)
    for file_name, content in _vault_agent_files(runtime.annotations, asked.value).items():
        files[f"/vault/secrets/{file_name}"] = content
        mounts.append("/vault/secrets")
    path, timeout = _startup(runtime.container)
    return Resolved(
        env,
        files,
        dirs,
        mounts,
        _http_port(runtime.container),
        path,
        float(min(timeout, timeout_cap)),
        asked.values,
        asked.placeholders,
        database_keys,
        notes,
    )


@dataclass
class _Secrets:
    """The Secret values the runtime reads, from the secrets file; a test value for a key the
    file lacks (`placeholders`)."""

    given: Mapping[str, str]
    values: list[str] = field(default_factory=list)  # every value handed over (to mask)
    placeholders: list[str] = field(default_factory=list)

    def value(self, key: str, optional: bool = False) -> str | None:
        if key in self.given:
            self.values.append(self.given[key])
            return self.given[key]
        if optional:
            return None
        if key not in self.placeholders:
            self.placeholders.append(key)
        return f"test-{key}"


def _env(
    runtime: Runtime, config_maps: Mapping[str, dict[str, str]], secrets: _Secrets, notes: list[str]
) -> tuple[dict[str, str], list[str]]:
    """The container's environment as the kubelet builds it (envFrom, then env in order), and
    the Secret keys of the database credentials."""
    env: dict[str, str] = {}
    database_keys: list[str] = []
    for source in (_dict(s) for s in _list(runtime.container.get("envFrom"))):
        ref = _dict(source.get("configMapRef"))
        if ref:
            prefix = str(source.get("prefix", ""))
            for k, v in config_maps.get(str(ref.get("name", "")), {}).items():
                env[prefix + k] = v
        elif source.get("secretRef"):
            notes.append("envFrom secretRef is not supported here: give each key as env with secretKeyRef")
    for item in [*_list(runtime.container.get("env")), *runtime.extra_env]:
        if isinstance(item, dict) and item.get("name"):
            _env_item(item, env, runtime, config_maps, secrets, notes, database_keys)
    return env, database_keys


def _env_item(
    item: dict[str, Any],
    env: dict[str, str],
    runtime: Runtime,
    config_maps: Mapping[str, dict[str, str]],
    secrets: _Secrets,
    notes: list[str],
    database_keys: list[str],
) -> None:
    """One `env` entry: a value (with `$(VAR)` expanded), or one read from a Secret, a
    ConfigMap or the pod's own fields."""
    name = str(item["name"])
    value_from = _dict(item.get("valueFrom"))
    if "value" in item or not value_from:
        env[name] = _expand(str(item.get("value", "")), env)
    elif value_from.get("secretKeyRef"):
        ref = _dict(value_from["secretKeyRef"])
        found = secrets.value(str(ref.get("key", "")), bool(ref.get("optional")))
        if name in (DB_USER_ENV, DB_PASSWORD_ENV):
            database_keys.append(str(ref.get("key", "")))
        if found is not None:
            env[name] = found
    elif value_from.get("configMapKeyRef"):
        ref = _dict(value_from["configMapKeyRef"])
        data = config_maps.get(str(ref.get("name", "")), {})
        if str(ref.get("key", "")) in data:
            env[name] = data[str(ref.get("key"))]
        elif not ref.get("optional"):
            notes.append(f"{name}: ConfigMap {ref.get('name')} has no key {ref.get('key')}")
    elif value_from.get("fieldRef"):
        path = str(_dict(value_from["fieldRef"]).get("fieldPath", ""))
        env[name] = {"status.podIP": "127.0.0.1", "metadata.name": f"{runtime.name}-local"}.get(path, "")


def _http_port(container: Mapping[str, Any]) -> int:
    for p in _list(container.get("ports")):
        if isinstance(p, dict) and p.get("name") == "http" and isinstance(p.get("containerPort"), int):
            return int(p["containerPort"])
    return DEFAULT_PORT


def _startup(container: Mapping[str, Any]) -> tuple[str, int]:
    """The path the startup (else readiness) probe asks, and how long the kubelet would wait."""
    probe = _dict(container.get("startupProbe")) or _dict(container.get("readinessProbe"))
    path = str(_dict(probe.get("httpGet")).get("path") or DEFAULT_STARTUP_PATH)
    if not probe:
        return path, 120
    period, failures = _int(probe.get("periodSeconds"), 10), _int(probe.get("failureThreshold"), 3)
    return path, _int(probe.get("initialDelaySeconds"), 0) + period * failures


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _expand(value: str, env: Mapping[str, str]) -> str:
    """Kubernetes' `$(VAR)` (an earlier variable) and `$$` (a literal `$`)."""

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))

    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)", one, value)


def _mounted_files(
    runtime: Runtime,
    config_maps: Mapping[str, dict[str, str]],
    secret: Callable[..., str | None],
    notes: list[str],
) -> tuple[dict[str, bytes], list[str], list[str]]:
    volumes = {str(v.get("name")): v for v in runtime.volumes if isinstance(v, dict)}
    files: dict[str, bytes] = {}
    dirs: list[str] = []
    mounts: list[str] = []
    for mount in _list(runtime.container.get("volumeMounts")):
        if not isinstance(mount, dict):
            continue
        target = str(mount.get("mountPath", ""))
        volume = volumes.get(str(mount.get("name")))
        if volume is None or not target.startswith("/"):
            continue
        mounts.append(target)
        if "emptyDir" in volume:
            dirs.append(target)
            continue
        content = _volume_files(volume, config_maps, secret, notes)
        sub = str(mount.get("subPath", ""))
        if sub:
            if sub in content:
                files[target] = content[sub]
            continue
        for rel, data in content.items():
            files[f"{target.rstrip('/')}/{rel}"] = data
    return files, dirs, mounts


def _volume_files(
    volume: Mapping[str, Any],
    config_maps: Mapping[str, dict[str, str]],
    secret: Callable[..., str | None],
    notes: list[str],
) -> dict[str, bytes]:
    """A volume's files by path inside it (ConfigMap, Secret from the secrets file, projected)."""
    sources: list[tuple[str, dict[str, Any]]] = []
    for kind in ("configMap", "secret"):
        if isinstance(volume.get(kind), dict):
            sources.append((kind, volume[kind]))
    for s in _list(_dict(volume.get("projected")).get("sources")):
        for kind in ("configMap", "secret"):
            if isinstance(_dict(s).get(kind), dict):
                sources.append((kind, s[kind]))
    if not sources:
        notes.append(
            f"volume {volume.get('name')}: only ConfigMap, Secret, projected, emptyDir volumes are made here"
        )
    files: dict[str, bytes] = {}
    for kind, ref in sources:
        items = [i for i in _list(ref.get("items")) if isinstance(i, dict)]
        if kind == "configMap":
            data = config_maps.get(str(ref.get("name", "")), {})
            chosen = [(str(i.get("key")), str(i.get("path") or i.get("key"))) for i in items] or [
                (k, k) for k in data
            ]
            for key, path in chosen:
                if key in data:
                    files[path] = data[key].encode()
        else:  # a Secret: only the keys it names can be known here
            for i in items:
                value = secret(str(i.get("key")), bool(ref.get("optional")))
                if value is not None:
                    files[str(i.get("path") or i.get("key"))] = value.encode()
            if not items:
                notes.append(
                    f"Secret volume {ref.get('secretName') or ref.get('name')}: no items, nothing mounted"
                )
    return {p: c for p, c in files.items() if _safe_rel(p)}


def _safe_rel(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and not path.startswith("/") and ".." not in parts


_AGENT_TEMPLATE = "vault.hashicorp.com/agent-inject-template-"
_AGENT_VALUE = re.compile(r"\{\{-?\s*index \.Data\.data \"([^\"]+)\"\s*-?\}\}")


def _vault_agent_files(annotations: Mapping[str, str], secret: Callable[..., str | None]) -> dict[str, bytes]:
    """What the Vault Agent injector would write to /vault/secrets: each template with its
    `{{ index .Data.data "KEY" }}` from the secrets file."""
    if annotations.get("vault.hashicorp.com/agent-inject") != "true":
        return {}
    files = {}
    for key, template in annotations.items():
        if not key.startswith(_AGENT_TEMPLATE):
            continue
        lines = []
        for line in template.splitlines():
            if re.fullmatch(r"\s*\{\{-?\s*(with .*|end)\s*-?\}\}\s*", line):
                continue
            lines.append(_AGENT_VALUE.sub(lambda m: secret(m.group(1)) or "", line.strip()))
        files[key.removeprefix(_AGENT_TEMPLATE)] = ("\n".join(ln for ln in lines if ln) + "\n").encode()
    return files


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
    resolved: Resolved, root: Path, port: int, database: Database | None, jobs_service: str | None = None
) -> dict[str, str]:
    """The env for running here: container paths under `root`, the port on 127.0.0.1, the JDBC
    URL (and credentials) pointing at `database`, timers going to `jobs_service`."""
    env = dict(resolved.env)
    for name, value in env.items():
        env[name] = _local_paths(value, resolved.mounts, root)
    env["QUARKUS_HTTP_PORT"] = str(port)
    env["QUARKUS_HTTP_HOST"] = "127.0.0.1"
    if SERVICE_URL_ENV in env:
        env[SERVICE_URL_ENV] = f"http://127.0.0.1:{port}"
    if jobs_service and JOBS_SERVICE_ENV in env:
        env[JOBS_SERVICE_ENV] = jobs_service
    if database is not None and persistence_on(env):
        jdbc = parse_jdbc(env.get(JDBC_ENV, "")) or Jdbc("", database.database, [])
        env[JDBC_ENV] = jdbc.url(database.host, database.port, database.database)
        env[DB_USER_ENV] = database.user
        env[DB_PASSWORD_ENV] = database.password
    return env


def _local_paths(value: str, mounts: Iterable[str], root: Path) -> str:
    """A container path in a value (a mount or a path under one) -> the same path under root
    (one pass: a replaced path is never replaced again, though root may itself be under /tmp)."""
    paths = sorted({m.rstrip("/") for m in mounts if m.rstrip("/")}, key=len, reverse=True)
    if not paths:
        return value
    pattern = re.compile(r"(?<![\w/.-])(" + "|".join(re.escape(p) for p in paths) + r")(?![\w.-])")
    return pattern.sub(lambda m: str(root) + m.group(1), value)


def write_files(root: Path, resolved: Resolved) -> None:
    for path in {WORKING_DIR, "/tmp", *resolved.dirs, *resolved.mounts} - set(resolved.files):
        (root / path.lstrip("/")).mkdir(parents=True, exist_ok=True)
    for path, content in resolved.files.items():
        local = root / path.lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(content)
        local.chmod(0o600)


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
) -> RunningRuntime:
    """Run the chart's runtime (rendered `objects`) with the built `app` until its startup probe
    passes. With persistence and no `database`, a throwaway PostgreSQL is started (and stopped
    with the runtime). Raises RuntimeFailed with the masked last log lines when it never
    becomes ready; everything started is stopped then. Timers go to `jobs_service`; without it,
    when the chart sends timers to a Jobs Service, one is started here (and stopped with it)."""
    status = on_status or (lambda _message: None)
    if not app.is_file():
        raise UserError(
            f"no runtime app at {app}: build it first (chartgen build --chart {prefer or 'NAME'})"
        )
    java = find_java()
    resolved = resolve(objects, secrets or {}, prefer, timeout_cap)
    stack = contextlib.ExitStack()
    try:
        root = REAPER.temp_folder("chartgen-run-", stack)
        root.chmod(0o700)
        write_files(root, resolved)
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
        if JOBS_SERVICE_ENV in resolved.env and jobs_service is None:
            if db is None:
                server = stack.enter_context(throwaway_postgres())
                db = server
            jobs_service = start_jobs_service(db, stack, status=status)
        local_port = port or free_port()
        env = {k: os.environ[k] for k in HOST_ENV if k in os.environ}
        env["HOME"] = str(root / "home")
        (root / "home").mkdir()
        env.update(localize(resolved, root, local_port, db, jobs_service))
        secret_values = [*resolved.secret_values, *([db.password] if db and db.password else [])]
        log_path = root / "runtime.log"
        status(f"starting {label}")
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
