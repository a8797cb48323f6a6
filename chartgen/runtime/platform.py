"""The platform's services, here: the Jobs Service (where `chartgen run` and the runtime tier
send timers) and the Data Index (where runtimes send their instances' events, and what
`chartgen instances` asks).

Production charts send timers to the Jobs Service the platform runs (values: jobService.url)
and process events to its Data Index (values: dataIndex.url). On this machine no image can be
pulled, so each service is built from Maven Central (org.kie.kogito:jobs-service-postgresql,
data-index-service-postgresql, at the version SonataFlow pins) into chartgen's cache, once,
and run as a plain Java process on 127.0.0.1 against a PostgreSQL schema of its own. Kafka is
left out of both: events reach them over HTTP.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from chartgen.errors import ToolError
from chartgen.plan.model import CREDENTIALS_ORDINAL
from chartgen.plan.platform_services import Service, service_env
from chartgen.runtime.container import DB_PASSWORD_ENV, DB_USER_ENV
from chartgen.runtime.context import PINNED, Versions, containerfile, quarkus_pom
from chartgen.runtime.maven import APP_JAR, package
from chartgen.runtime.postgres import Database, ensure_schema, free_port
from chartgen.runtime.running import LOG_LINES, RunningRuntime, RuntimeFailed, wait_started
from chartgen.tools.locate import cache_dir
from chartgen.tools.processes import find_java, start_group
from chartgen.tools.reaper import REAPER

READY = "/q/health/ready"


def service_pom(service: Service, versions: Versions) -> str:
    exclusions = "".join(
        f"<exclusion><groupId>{group}</groupId><artifactId>{artifact}</artifactId></exclusion>"
        for group, artifact in service.excluded
    )
    return quarkus_pom(
        service.name,
        f"for {service.title}, built from Maven Central. Do not edit: regenerate with chartgen build",
        "\n    <quarkus.container-image.build>false</quarkus.container-image.build>",
        f"    <dependency><groupId>org.kie.kogito</groupId><artifactId>{service.artifact}</artifactId>"
        "<version>${sonataflow.version}</version>\n"
        f"      <exclusions>{exclusions}</exclusions>\n"
        "    </dependency>\n"
        "    <!-- the database login read as files of the chart's Secret volume -->\n"
        "    <dependency><groupId>io.smallrye.config</groupId>"
        "<artifactId>smallrye-config-source-file-system</artifactId></dependency>",
        versions,
    )


def service_context(service: Service, chart: str, uid: int, versions: Versions) -> dict[str, bytes]:
    """The build context of `service`'s image (for the platform chart `chart`): its pom, and the
    Containerfile contract of the runtimes' without sources."""
    return {
        "pom.xml": service_pom(service, versions).encode(),
        "Containerfile": containerfile(chart, uid, sources=False).encode(),
        ".dockerignore": b"target/\n",
    }


def service_app(
    service: Service, versions: Versions = PINNED, status: Callable[[str], None] | None = None
) -> Path:
    """The built service (cached per SonataFlow version; built by Maven when missing)."""
    folder = cache_dir() / service.name / versions.sonataflow
    pom = service_pom(service, versions)
    app = folder / APP_JAR
    pom_path = folder / "pom.xml"
    if app.is_file() and pom_path.is_file() and pom_path.read_text() == pom:
        return app
    folder.mkdir(parents=True, exist_ok=True)
    pom_path.write_text(pom)
    if status:
        status(f"building {service.title} {versions.sonataflow} with Maven (once, into {folder})")
    built = package(folder)
    if not built.ok or built.app is None:
        raise ToolError(f"{service.title} did not build:\n  " + "\n  ".join(built.problems))
    return built.app


def service_credentials(db: Database) -> dict[str, str]:
    """A service's credentials folder, as the platform chart's Secret volume holds it: the
    database login, and the folder's precedence as a config source."""
    return {DB_USER_ENV: db.user, DB_PASSWORD_ENV: db.password, "config_ordinal": str(CREDENTIALS_ORDINAL)}


def start_service(
    service: Service,
    db: Database,
    stack: contextlib.ExitStack,
    versions: Versions = PINNED,
    status: Callable[[str], None] | None = None,
    data_index: str | None = None,
    app: Path | None = None,
    sink: str | None = None,
) -> str:
    """Start `service` on 127.0.0.1 against `db` (its own schema) until it is ready, as the
    platform chart runs it: its settings, job events to `data_index` (the Jobs Service; a URL,
    or BROKER_SINK), the database login as files of a credentials folder. `app`: the jar to run
    (default: the one built into chartgen's cache). `sink`: K_SINK, as a SinkBinding gives it
    to the pods. `stack` stops it. Returns its URL."""
    say = status or (lambda _message: None)
    app = app or service_app(service, versions, say)
    ensure_schema(db, service.schema)
    inner = contextlib.ExitStack()
    root = REAPER.temp_folder(f"chartgen-{service.name}-", inner)
    port = free_port()
    env = {k: os.environ[k] for k in ("PATH", "LANG", "JAVA_HOME") if k in os.environ}
    env.update(QUARKUS_HTTP_HOST="127.0.0.1", QUARKUS_HTTP_PORT=str(port))
    env.update((v.name, v.value) for v in service_env(service, db.host, db.port, db.database, data_index))
    if sink:
        env["K_SINK"] = sink
    credentials = root / "credentials"
    credentials.mkdir(mode=0o700)
    for name, value in service_credentials(db).items():
        (credentials / name).write_text(value)
    env["SMALLRYE_CONFIG_SOURCE_FILE_LOCATIONS"] = str(credentials)
    log_path = root / f"{service.name}.log"
    say(f"starting {service.title}")
    argv: list[str | Path] = [find_java(), f"-Djava.io.tmpdir={root}", "-jar", app]
    process = start_group(argv, root, env, log_path)
    running = RunningRuntime(
        f"http://127.0.0.1:{port}", process, root, log_path, [db.password], db, [], [], inner
    )
    stack.callback(running.stop)
    problem = wait_started(running, READY, 120, say)
    if problem:
        raise RuntimeFailed(f"{service.title} {problem}", running.logs(LOG_LINES).splitlines())
    return running.url
