"""The platform's Jobs Service, here: where `chartgen run` and the runtime tier send timers.

Production charts send their workflows' timers (sleeps, timeouts) to the Jobs Service the
platform runs (values: jobService.url). On this machine no image can be pulled, so the same
service is built from Maven Central (org.kie.kogito:jobs-service-postgresql, at the version
SonataFlow pins) into chartgen's cache, once, and run as a plain Java process on 127.0.0.1
against a PostgreSQL schema of its own.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from chartgen.errors import ToolError
from chartgen.runtime.context import PINNED, Versions, quarkus_pom
from chartgen.runtime.maven import APP_JAR, package
from chartgen.runtime.postgres import Database, ensure_schema, free_port
from chartgen.runtime.running import LOG_LINES, RunningRuntime, RuntimeFailed, wait_started
from chartgen.tools.locate import cache_dir
from chartgen.tools.processes import find_java, start_group
from chartgen.tools.reaper import REAPER

SCHEMA = "jobs_service"
READY = "/q/health/ready"


def jobs_service_pom(versions: Versions) -> str:
    # Kafka messaging is left out (events reach it over HTTP); its image build is off: no registry.
    return quarkus_pom(
        "jobs-service",
        "to run the Jobs Service here, built from Maven Central",
        "\n    <quarkus.container-image.build>false</quarkus.container-image.build>",
        "    <dependency><groupId>org.kie.kogito</groupId><artifactId>jobs-service-postgresql</artifactId>"
        "<version>${sonataflow.version}</version>\n"
        "      <exclusions><exclusion><groupId>org.kie.kogito</groupId>"
        "<artifactId>jobs-service-messaging-kafka</artifactId></exclusion></exclusions>\n"
        "    </dependency>",
        versions,
    )


def jobs_service_app(versions: Versions = PINNED, status: Callable[[str], None] | None = None) -> Path:
    """The built Jobs Service (cached per SonataFlow version; built by Maven when missing)."""
    folder = cache_dir() / "jobs-service" / versions.sonataflow
    pom = jobs_service_pom(versions)
    app = folder / APP_JAR
    pom_path = folder / "pom.xml"
    if app.is_file() and pom_path.is_file() and pom_path.read_text() == pom:
        return app
    folder.mkdir(parents=True, exist_ok=True)
    pom_path.write_text(pom)
    if status:
        status(f"building the Jobs Service {versions.sonataflow} with Maven (once, into {folder})")
    built = package(folder)
    if not built.ok or built.app is None:
        raise ToolError("the Jobs Service did not build:\n  " + "\n  ".join(built.problems))
    return built.app


def start_jobs_service(
    db: Database,
    stack: contextlib.ExitStack,
    versions: Versions = PINNED,
    status: Callable[[str], None] | None = None,
) -> str:
    """Start the Jobs Service on 127.0.0.1 against `db` (schema jobs_service) until it is ready;
    `stack` stops it. Returns its URL."""
    say = status or (lambda _message: None)
    app = jobs_service_app(versions, say)
    ensure_schema(db, SCHEMA)
    inner = contextlib.ExitStack()
    root = REAPER.temp_folder("chartgen-jobs-service-", inner)
    port = free_port()
    env = {k: os.environ[k] for k in ("PATH", "LANG", "JAVA_HOME") if k in os.environ}
    address = f"{db.host}:{db.port}/{db.database}"
    env.update(
        QUARKUS_HTTP_HOST="127.0.0.1",
        QUARKUS_HTTP_PORT=str(port),
        QUARKUS_DATASOURCE_JDBC_URL=f"jdbc:postgresql://{address}?currentSchema={SCHEMA}",
        QUARKUS_DATASOURCE_REACTIVE_URL=f"postgresql://{address}?search_path={SCHEMA}",
        QUARKUS_DATASOURCE_USERNAME=db.user,
        QUARKUS_DATASOURCE_PASSWORD=db.password,
    )
    log_path = root / "jobs-service.log"
    say("starting the Jobs Service")
    argv: list[str | Path] = [find_java(), f"-Djava.io.tmpdir={root}", "-jar", app]
    process = start_group(argv, root, env, root / "jobs-service.log")
    log_path = root / "jobs-service.log"
    running = RunningRuntime(
        f"http://127.0.0.1:{port}", process, root, log_path, [db.password], db, [], [], inner
    )
    stack.callback(running.stop)
    problem = wait_started(running, READY, 120, say)
    if problem:
        raise RuntimeFailed(f"the Jobs Service {problem}", running.logs(LOG_LINES).splitlines())
    return running.url
