"""The 40,000-row import that hung on PostgreSQL (issue "What was seen"): client and
server both idle, the server waiting in ClientRead inside the events INSERT while
holding the events table lock, every other writer blocked behind it, for ever.

Cause: the library's PostgreSQL recorder sends a write transaction (side tables,
``LOCK TABLE``, ``NOTIFY``, the events ``INSERT``) in psycopg's pipeline mode and then
calls ``pipeline.sync()``. psycopg's sync stops sending once its queue of commands is
empty, even when libpq could not yet write all of the last, large message to the
socket, and then only waits for results. When the server is not reading while the
INSERT is sent (it waits for the events table lock held by another writer, or is
still busy with the import's ledger rows), the socket buffers fill; once the server
reaches the INSERT it reads what is there and waits for the rest, which the client
never sends. ``VangnetPostgresRecorder`` now leaves the pipeline (its exit sends
everything) before the INSERT and sends the INSERT as a plain statement.

The test reproduces it without depending on the machine's load: a second writer
holds the events table lock for a moment while one write of 20 MB of events is sent
(an unchunked 40,000-row import sent about 22 MB; on this machine's loopback the
stall began between 8 and 11 MB). The write runs in a child process with a timeout:
before the fix it never ends."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from adapters.bootstrap import Settings, build
from adapters.memory import FixedClock
from tests.conftest import PG_ADMIN_URL, START, _pg_connect
from tests.integration.test_two_processes import ROOT

pytestmark = pytest.mark.postgres


@pytest.fixture()
def fresh_pg(pg_database: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (skipped without a server, like ``pg_database``)."""
    name = f"vangnet_reliab_{uuid.uuid4().hex[:10]}"
    with _pg_connect(PG_ADMIN_URL) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(urlparse(PG_ADMIN_URL)._replace(path=f"/{name}"))
    finally:
        with _pg_connect(PG_ADMIN_URL) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sessions(db: str) -> list[tuple[str, str | None, str | None, str]]:
    with _pg_connect(db) as conn:
        return conn.execute(
            "SELECT state, wait_event_type, wait_event, left(query, 50) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'").fetchall()


def test_a_large_write_finishes_after_waiting_for_another_writers_lock(fresh_pg: str, tmp_path: Path) -> None:
    build(Settings(db=fresh_pg, out_dir=str(tmp_path / "out")), clock=FixedClock(START)).close()  # the schema
    other = _pg_connect(fresh_pg)
    other.autocommit = False
    other.execute("LOCK TABLE vangnet_events IN EXCLUSIVE MODE")  # another writer, mid-transaction
    child = subprocess.Popen([sys.executable, "-m", "tests.integration.reliab_worker", "bigwrite", fresh_pg,
                              str(tmp_path / "go"), "1000", "20000"], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while not any(s[1] == "Lock" for s in _sessions(fresh_pg)):  # the write waits for the lock
            assert child.poll() is None, child.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, "the write never reached the events table lock"
            time.sleep(0.1)
        time.sleep(2)  # meanwhile the client sends the INSERT into the socket, which nobody reads
        other.commit()  # the other writer is done
        try:
            out, err = child.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            stuck = _sessions(fresh_pg)
            child.kill()
            child.communicate()
            pytest.fail(f"the write never finished; the server's sessions: {stuck}")
    finally:
        other.close()
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, err.decode()[-2000:]
    assert out.decode().strip() == "wrote 1000"
    with _pg_connect(fresh_pg) as conn:
        assert conn.execute("SELECT count(*) FROM vangnet_events").fetchone()[0] == 1000
        assert conn.execute("SELECT count(*) FROM event_chain").fetchone()[0] == 1000
