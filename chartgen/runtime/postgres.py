"""PostgreSQL for a runtime run here: a throwaway server in a temp folder, or one given by URL.

The throwaway server listens on 127.0.0.1 only, on a free port, with its unix socket in its own
folder and trust authentication (nothing but this machine reaches it); it is stopped and its
folder deleted on exit. PostgreSQL refuses to run as root: then initdb and the server run as
the `postgres` user (runuser), in a folder owned by it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from chartgen.errors import ToolError, UserError
from chartgen.tools.processes import find_psql, postgres_bin_dir
from chartgen.tools.reaper import REAPER
from chartgen.tools.runner import Completed, run

SUPERUSER = "chartgen"
DEFAULT_DATABASE = "postgres"
SERVICE_USER = "postgres"  # the account the server runs as when chartgen runs as root


@dataclass(frozen=True)
class Database:
    """A PostgreSQL server to connect to (the password is never part of a printed form)."""

    host: str
    port: int
    user: str
    password: str = ""
    database: str = DEFAULT_DATABASE
    throwaway: bool = False
    network: str = ""  # the podman network of a server in a container (host, port: published)
    network_address: tuple[str, int] | None = None  # its address on that network

    def display(self) -> str:
        secret = ":***" if self.password else ""
        return f"postgresql://{self.user}{secret}@{self.host}:{self.port}/{self.database}"

    def with_database(self, name: str) -> Database:
        return dataclasses.replace(self, database=name)

    def reached(self, on_network: bool) -> tuple[str, int]:
        """(host, port) from this machine, or (`on_network`) from a container on its network."""
        return self.network_address if on_network and self.network_address else (self.host, self.port)


def parse_database_url(url: str) -> Database:
    """`postgresql://USER:PASSWORD@HOST:PORT/DB` (user and password percent-decoded). Errors
    never repeat the URL: it holds a password."""
    try:
        parts = urlsplit(url)
        port = parts.port or 5432
    except ValueError:
        raise UserError("--database: not a URL like postgresql://USER:PASSWORD@HOST:PORT/DB") from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise UserError(
            "--database: the URL must start with postgresql:// (postgresql://USER:PASSWORD@HOST:PORT/DB)"
        )
    if not parts.hostname or not parts.username:
        raise UserError(
            "--database: the URL needs a user and a host (postgresql://USER:PASSWORD@HOST:PORT/DB)"
        )
    database = unquote(parts.path.lstrip("/")) or DEFAULT_DATABASE
    if "/" in database:
        raise UserError("--database: the URL's path is one database name")
    return Database(parts.hostname, port, unquote(parts.username), unquote(parts.password or ""), database)


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (free now: the caller binds it next)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(argv: list[str | Path]) -> list[str | Path]:
    return ["runuser", "-u", SERVICE_USER, "--", *argv] if os.geteuid() == 0 else argv


def _check(done: Completed, what: str) -> None:
    if not done.ok:
        lines = [ln for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
        raise ToolError(f"{what} failed: " + (" | ".join(lines[-5:]) or f"exit {done.returncode}"))


@contextlib.contextmanager
def throwaway_postgres(parent: Path | None = None) -> Iterator[Database]:
    """Start a PostgreSQL server for this run only; stop it and delete its folder on exit.
    `parent` (default: the system temp folder) must be one the `postgres` user can enter when
    chartgen runs as root. The server runs in its own session: Ctrl-C reaches chartgen only,
    which stops the runtime first, then the server."""
    binaries = postgres_bin_dir()
    cleanup = contextlib.ExitStack()
    folder = REAPER.temp_folder("chartgen-pg-", cleanup, parent)
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, SERVICE_USER, SERVICE_USER)
        data, sockets, log = folder / "data", folder / "socket", folder / "server.log"
        _check(
            run(
                _as_server_user(
                    [
                        binaries / "initdb",
                        "-D",
                        data,
                        "-U",
                        SUPERUSER,
                        "--auth=trust",
                        "--encoding=UTF8",
                        "--locale=C",
                        "--no-sync",
                    ]
                ),
                timeout=120,
                cwd=folder,
            ),
            "initdb",
        )
        (data / "pg_hba.conf").write_text(
            "# chartgen run: this machine only\nlocal all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        sockets.mkdir()
        if os.geteuid() == 0:
            shutil.chown(sockets, SERVICE_USER, SERVICE_USER)
        REAPER.watch("postgres", data)  # pg_ctl detaches the server: if chartgen dies, stop it
        port = _start(binaries, data, sockets, log, folder)
        try:
            yield Database("127.0.0.1", port, SUPERUSER, "", DEFAULT_DATABASE, throwaway=True)
        finally:
            run(
                _as_server_user([binaries / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"]),
                timeout=60,
                cwd=folder,
            )
            REAPER.forget("postgres", data)
    finally:
        cleanup.close()


def _start(binaries: Path, data: Path, sockets: Path, log: Path, cwd: Path) -> int:
    """pg_ctl -w start on a free port (another program may take the port first: try again)."""
    last: Completed | None = None
    for _ in range(3):
        port = free_port()
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        last = run(
            _as_server_user(
                [binaries / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "60", "-o", options, "start"]
            ),
            timeout=90,
            cwd=cwd,
        )
        if last.ok:
            return port
    assert last is not None
    with contextlib.suppress(OSError):
        tail = log.read_text(errors="replace").splitlines()[-5:]
        last = Completed(last.argv, last.returncode, last.stdout, "\n".join([last.stderr, *tail]))
    _check(last, "starting PostgreSQL")
    raise AssertionError("unreachable")


def psql(db: Database, sql: str, database: str | None = None) -> Completed:
    """Run SQL with psql over TCP (the password goes in the environment, never in argv)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PGPASSWORD=db.password, PGCONNECT_TIMEOUT="10")
    client = find_psql()
    argv: list[str | Path] = [client, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", db.host, "-p", str(db.port)]
    argv += ["-U", db.user, "-d", database or db.database, "-At", "-c", sql]
    return run(argv, timeout=60, env=env)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ensure_database(db: Database, name: str) -> None:
    """Create database `name` when it does not exist yet."""
    found = psql(db, f"SELECT 1 FROM pg_database WHERE datname = {quote_literal(name)}")
    _check(found, f"looking up database {name}")
    if found.stdout.strip() != "1":
        _check(psql(db, f"CREATE DATABASE {quote_ident(name)}"), f"creating database {name}")


def ensure_schema(db: Database, schema: str) -> None:
    """Create `schema` in the database `db` names, when it does not exist yet."""
    _check(psql(db, f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}"), f"creating schema {schema}")
