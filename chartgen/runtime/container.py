"""What the cluster would run, from the objects helm renders for one environment: the
runtime container (a Deployment's first container, or a SonataFlow's
`spec.podTemplate.container` with what the operator adds: its `<workflow>-props` ConfigMap and
spec.persistence), its env (values, secretKeyRef from a secrets file or test values,
configMapKeyRef, `$(VAR)` references), its mounted files (ConfigMap volumes, `items` keys to
paths, projected sources, emptyDirs) and its probes. `runtime/local.py` runs it here."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from chartgen.errors import UserError

WORKING_DIR = "/deployments"  # the runtime image's working directory (chartgen build's Containerfile)
DEFAULT_PORT = 8080
DEFAULT_STARTUP_PATH = "/q/health/started"
TIMEOUT_CAP = 300.0
DB_USER_ENV = "QUARKUS_DATASOURCE_USERNAME"
DB_PASSWORD_ENV = "QUARKUS_DATASOURCE_PASSWORD"
JDBC_ENV = "QUARKUS_DATASOURCE_JDBC_URL"
FILE_LOCATIONS_ENV = "SMALLRYE_CONFIG_SOURCE_FILE_LOCATIONS"  # folders of files named like properties


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
    pod_security: dict[str, Any] = field(default_factory=dict)  # the pod's securityContext


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
            runtime = Runtime("Deployment", name, container, _list(spec.get("volumes")), annotations)
            runtime.pod_security = _dict(spec.get("securityContext"))
            candidates.append(runtime)
        elif kind == "SonataFlow":
            candidates.append(_sonataflow(obj, name, config_maps))
    if not candidates:
        raise UserError("the chart renders no Deployment or SonataFlow: nothing to run")
    return next((c for c in candidates if c.name == prefer), candidates[0])


def _sonataflow(obj: Mapping[str, Any], name: str, config_maps: Mapping[str, dict[str, str]]) -> Runtime:
    """A SonataFlow's container plus what the operator gives its pod: the `<name>-props`
    properties at /deployments/config/application.properties and spec.persistence as env."""
    spec = _dict(obj.get("spec"))
    pod = _dict(spec.get("podTemplate"))
    container = _dict(pod.get("container"))
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
    return Runtime("SonataFlow", name, container, _list(pod.get("volumes")), {}, env, files)


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
    security: Security = field(default_factory=lambda: Security())
    limits: dict[str, str] = field(default_factory=dict)  # resources.limits (cpu, memory)


@dataclass(frozen=True)
class Security:
    """What the pod's and container's securityContext ask of the process (the container's
    settings over the pod's)."""

    user: int | None = None
    group: int | None = None
    read_only_root: bool = False
    drop_all: bool = False
    no_new_privileges: bool = False
    non_root: bool = False  # runAsNonRoot: the kubelet refuses an image whose user is root


def _security(runtime: Runtime) -> Security:
    pod, own = runtime.pod_security, _dict(runtime.container.get("securityContext"))

    def pick(key: str) -> Any:
        return own.get(key, pod.get(key))

    user, group = pick("runAsUser"), pick("runAsGroup")
    drop = _list(_dict(own.get("capabilities")).get("drop"))
    return Security(
        user=user if isinstance(user, int) else None,
        group=group if isinstance(group, int) else None,
        read_only_root=own.get("readOnlyRootFilesystem") is True,
        drop_all="ALL" in drop,
        no_new_privileges=own.get("allowPrivilegeEscalation") is False,
        non_root=pick("runAsNonRoot") is True,
    )


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
    database_keys += _database_file_keys(runtime.volumes)
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
        _security(runtime),
        {str(k): str(v) for k, v in _dict(_dict(runtime.container.get("resources")).get("limits")).items()},
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


def _database_file_keys(volumes: Iterable[Any]) -> list[str]:
    """The Secret keys a volume gives as the database credential files."""
    keys = []
    for volume in (_dict(v) for v in volumes):
        sources = [_dict(volume.get("secret"))]
        projected = _list(_dict(volume.get("projected")).get("sources"))
        sources += [_dict(_dict(s).get("secret")) for s in projected]
        for source in sources:
            for item in (_dict(i) for i in _list(source.get("items"))):
                if item.get("path") in (DB_USER_ENV, DB_PASSWORD_ENV):
                    keys.append(str(item.get("key", "")))
    return keys


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
