"""The throwaway PostgreSQL `chartgen run` starts: loopback only, a schema, gone afterwards."""

from __future__ import annotations

import socket
import tempfile
import time
from pathlib import Path

import pytest

from chartgen.runtime.postgres import ensure_database, ensure_schema, psql, throwaway_postgres

pytestmark = pytest.mark.runtime


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_throwaway_postgres_serves_a_schema_then_is_stopped_and_removed(postgres_programs: None) -> None:
    before = set(Path(tempfile.gettempdir()).glob("chartgen-pg-*"))
    start = time.monotonic()
    with throwaway_postgres() as server:
        print(f"\n[runtime] throwaway PostgreSQL up in {time.monotonic() - start:.1f}s")
        (folder,) = set(Path(tempfile.gettempdir()).glob("chartgen-pg-*")) - before
        assert server.host == "127.0.0.1" and _listening(server.port)
        ensure_database(server, "workflows")
        db = server.with_database("workflows")
        ensure_schema(db, "order_approval")
        ensure_schema(db, "order_approval")  # again: nothing to do
        done = psql(db, "SELECT nspname FROM pg_namespace WHERE nspname = 'order_approval'")
        assert done.ok and done.stdout.strip() == "order_approval", done.stderr
        listen = psql(server, "SHOW listen_addresses")
        assert listen.stdout.strip() == "127.0.0.1"
    assert not folder.exists()
    assert not _listening(server.port)
