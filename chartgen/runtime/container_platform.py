"""PostgreSQL and the platform's services in containers, beside a runtime container on one podman
network (`chartgen run --container`), as the cluster runs them beside its pods: each reached
by name on the network, as a Service is, and published on 127.0.0.1 for this machine.

- PostgreSQL: an image made here from Debian's postgresql package (no registry serves one); a
  new server with password logins in the container's tmpfs, which lives as long as the
  container does;
- the Jobs Service and the Data Index: the image of the build context `chartgen build` writes
  for the platform chart (service_context), built with podman once per content, run with the
  platform chart's pod settings (its user, read-only root, no capabilities, the database login
  as files).
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import secrets
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from chartgen.errors import ToolError, UserError
from chartgen.plan.model import CredentialFiles
from chartgen.plan.platform_services import Service, service_env
from chartgen.runtime.container import FILE_LOCATIONS_ENV, Resolved, Security
from chartgen.runtime.context import DEFAULT_UID, PINNED, Versions
from chartgen.runtime.images import Recipe, build_image, ensure_base_images, ensure_images, maven_repository
from chartgen.runtime.in_container import Attachment, container_args, removed_with
from chartgen.runtime.platform import READY, service_context, service_credentials
from chartgen.runtime.pod_files import write_files
from chartgen.runtime.postgres import DEFAULT_DATABASE, SUPERUSER, Database, ensure_schema, free_port, psql
from chartgen.runtime.running import LOG_LINES, RunningRuntime, RuntimeFailed, wait_started
from chartgen.tools.locate import cache_dir
from chartgen.tools.podman import Podman
from chartgen.tools.processes import start_group
from chartgen.tools.reaper import REAPER

POSTGRES_PORT = 5432
SERVICE_PORT = 8080  # the platform chart's containerPort and QUARKUS_HTTP_PORT (the Containerfile's EXPOSE)
SERVICE_READY_SECONDS = 180  # a cold JVM beside a Maven build on two cores
_PASSWORD_ENV = "CHARTGEN_POSTGRES_PASSWORD"
_START_POSTGRES = f"""#!/bin/sh
# chartgen's PostgreSQL container: a new server in /tmp (a tmpfs), password logins from anywhere
# on its network (the port is published on the host's loopback only).
set -eu
bin=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)
umask 077
printf '%s' "${_PASSWORD_ENV}" > /tmp/password
unset {_PASSWORD_ENV}
"$bin/initdb" -D /tmp/data -U {SUPERUSER} --pwfile=/tmp/password --auth=scram-sha-256 \\
  --encoding=UTF8 --locale=C --no-sync > /tmp/initdb.log
rm /tmp/password
echo "host all all all scram-sha-256" >> /tmp/data/pg_hba.conf
exec "$bin/postgres" -D /tmp/data -k /tmp -c listen_addresses='*' -c fsync=off -c full_page_writes=off
"""
POSTGRES = Recipe(
    "localhost/chartgen/postgresql:15",
    ("postgresql-15",),
    files=(("/usr/local/bin/chartgen-postgres", _START_POSTGRES),),
    changes=('CMD ["/bin/sh", "/usr/local/bin/chartgen-postgres"]', "USER postgres"),
    local_cas=False,
)
# The platform chart's container settings (its securityContext), for the services' containers
# (tests/unit/test_run_container_args.py holds them equal to its rendering).
SERVICE_SECURITY = Security(
    user=DEFAULT_UID,
    group=DEFAULT_UID,
    read_only_root=True,
    drop_all=True,
    no_new_privileges=True,
    non_root=True,
)


def create_network(podman: Podman, stack: contextlib.ExitStack) -> str:
    """A new podman network (with DNS: containers reach each other by name), removed with
    everything on it when `stack` closes."""
    name = f"chartgen-{secrets.token_hex(4)}"
    podman.checked("network", "create", name)
    removed_with(stack, podman, name, kind="network")
    return name


def check_reachable(what: str, host: str) -> None:
    """A container on a podman network cannot reach this machine's loopback (nor can a pod)."""
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if loopback:
        raise UserError(
            f"{what} is on {host}, this machine's loopback, which a container on a podman network "
            "cannot reach (as a pod cannot reach its node's): give an address the containers reach, "
            "or leave it out and run starts one in a container"
        )


def check_url_reachable(what: str, url: str) -> None:
    check_reachable(what, urlsplit(url).hostname or "")


@contextlib.contextmanager
def container_postgres(
    network: str | None = None, status: Callable[[str], None] = lambda _m: None
) -> Iterator[Database]:
    """A PostgreSQL server in a container for this run only, on `network` (default: a network
    of its own); both removed on exit."""
    podman = Podman.find()
    with contextlib.ExitStack() as stack:
        yield start_postgres(podman, stack, network or create_network(podman, stack), status)


def start_postgres(
    podman: Podman, stack: contextlib.ExitStack, network: str, status: Callable[[str], None]
) -> Database:
    """Start a PostgreSQL container on `network`, removed when `stack` closes; returns it once it
    takes logins: reached from here on a published 127.0.0.1 port, on the network by its name."""
    ensure_images(podman, [POSTGRES], status)
    name = f"chartgen-postgres-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(24)
    root = REAPER.temp_folder("chartgen-postgres-", stack)
    env_file = root / "postgres.env"
    env_file.write_text(f"{_PASSWORD_ENV}={password}\n")
    env_file.chmod(0o600)
    published = free_port()
    removed_with(stack, podman, name)
    status(f"starting PostgreSQL in a container ({name})")
    podman.checked(
        "run", "--detach", "--rm", "--pull=never", f"--name={name}", f"--network={network}",
        f"--publish=127.0.0.1:{published}:{POSTGRES_PORT}", f"--env-file={env_file}",
        "--read-only", "--tmpfs=/tmp:rw,mode=1777", "--tmpfs=/run/postgresql:rw,mode=1777",
        "--cap-drop=ALL", "--security-opt=no-new-privileges", POSTGRES.name,
    )  # fmt: skip
    db = Database(
        "127.0.0.1",
        published,
        SUPERUSER,
        password,
        DEFAULT_DATABASE,
        throwaway=True,
        network=network,
        network_address=(name, POSTGRES_PORT),
    )
    deadline = time.monotonic() + 60
    while not psql(db, "SELECT 1").ok:
        if time.monotonic() > deadline or not podman("container", "exists", name).ok:
            logs = podman("logs", "--tail", str(LOG_LINES), name)
            raise ToolError(f"PostgreSQL in container {name} did not take logins within 60 s: {logs.stderr}")
        time.sleep(0.5)
    return db


def service_image(
    podman: Podman,
    service: Service,
    versions: Versions = PINNED,
    status: Callable[[str], None] = lambda _m: None,
) -> str:
    """The image of `service`, built from the context `chartgen build` writes for it, once per
    content (tagged with its digest) into podman's storage."""
    files = service_context(service, service.name, DEFAULT_UID, versions)
    digest = hashlib.sha256()
    for rel, content in sorted(files.items()):
        digest.update(rel.encode() + b"\0" + content + b"\0")
    short = digest.hexdigest()[:12]
    tag = f"localhost/chartgen/{service.name}:{versions.sonataflow}-{short}"
    if podman.has_image(tag):
        return tag
    ensure_base_images(podman, status)
    context = cache_dir() / "images" / service.name / short
    for rel, content in files.items():
        (context / rel).parent.mkdir(parents=True, exist_ok=True)
        (context / rel).write_bytes(content)
    status(f"building the image of {service.title} (once: podman build {tag})")
    build_image(podman, context, tag, maven_repository())
    return tag


def start_service_container(
    service: Service,
    db: Database,
    stack: contextlib.ExitStack,
    network: str,
    versions: Versions = PINNED,
    status: Callable[[str], None] = lambda _m: None,
    data_index: str | None = None,
) -> tuple[str, str]:
    """Start `service`'s image on `network` against `db` (its own schema) until it is ready:
    its settings, job events to `data_index` (the Jobs Service; a URL on the network), the
    database login as files. `stack` stops it. Returns (its URL on the network, from here)."""
    podman = Podman.find()
    image = service_image(podman, service, versions, status)
    ensure_schema(db, service.schema)
    inner = contextlib.ExitStack()
    root = REAPER.temp_folder(f"chartgen-{service.name}-", inner)
    folder = str(CredentialFiles.folder)
    files = {f"{folder}/{name}": value.encode() for name, value in service_credentials(db).items()}
    resolved = Resolved(
        env={},
        files=files,
        dirs=["/tmp"],
        mounts=["/tmp", folder],
        port=SERVICE_PORT,
        startup_path=READY,
        startup_timeout=SERVICE_READY_SECONDS,
        secret_values=[db.password],
        placeholders=[],
        database_keys=[],
        notes=[],
        security=SERVICE_SECURITY,
    )
    write_files(root, resolved, owner=SERVICE_SECURITY)
    host, port = db.reached(on_network=True)
    env = {v.name: v.value for v in service_env(service, host, port, db.database, data_index)}
    env.update({FILE_LOCATIONS_ENV: folder, "QUARKUS_HTTP_PORT": str(SERVICE_PORT)})
    published = free_port()
    name = f"chartgen-{service.name}-{secrets.token_hex(4)}"
    removed_with(inner, podman, name)
    attachment = Attachment(network, service.name, SERVICE_PORT, published)
    args = container_args(image, name, resolved, root, env, attachment)
    log_path = root / f"{service.name}.log"
    status(f"starting {service.title} in a container ({name})")
    process = start_group(podman.argv(*args), root, podman.environment(), log_path)
    running = RunningRuntime(
        f"http://127.0.0.1:{published}", process, root, log_path, [db.password], db, [], [], inner
    )
    stack.callback(running.stop)
    problem = wait_started(running, READY, SERVICE_READY_SECONDS, status)
    if problem:
        raise RuntimeFailed(f"{service.title} {problem}", running.logs(LOG_LINES).splitlines())
    return f"http://{service.name}:{SERVICE_PORT}", running.url
