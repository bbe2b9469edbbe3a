"""Schema creation under a lock, and numbered migrations that run once per store.

Two processes opening a new store at the same moment must not race on
``CREATE TABLE`` (PostgreSQL creates a row type per table and a second creator
fails on ``pg_type_typname_nsp_index``). So every schema change runs under a
lock: a session advisory lock on PostgreSQL, a ``BEGIN IMMEDIATE`` write
transaction on SQLite. Inside it, ``schema_version`` says which migrations ran;
each one runs once and is recorded in the same transaction.

Migrations are append-only: never change one that has shipped, add the next.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

# one number for every Vangnet store: "vangnet schema" as a 63-bit integer
PG_SCHEMA_LOCK = 0x76616E67_6E6574

SCHEMA_VERSION_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)"
)


def add_column(cursor: Any, dialect: str, table: str, col: str, typ: str) -> None:
    """ALTER TABLE ADD COLUMN, a no-op when the column exists (a migration may meet a
    store whose version record was lost)."""
    if dialect == "postgres":
        cursor.execute(f'ALTER TABLE {table} ADD COLUMN IF NOT EXISTS "{col}" {typ}')
        return
    cursor.execute(f"PRAGMA table_info({table})")
    if col not in {r["name"] for r in cursor.fetchall()}:
        cursor.execute(f'ALTER TABLE {table} ADD COLUMN "{col}" {typ}')


def _nothing(cursor: Any, dialect: str) -> None:
    """Version 1: the tables of ``adapters.store.sql.TABLES`` (created before the migrations)."""


def _outbox_claims(cursor: Any, dialect: str) -> None:
    """Version 2: outbox items are claimed before delivery (one process delivers each),
    failures are counted with their last reason; provider sends are recorded once per
    item id across processes."""
    for col, typ in (("claimed_by", "TEXT"), ("claimed_until", "TEXT"), ("attempts", "INTEGER DEFAULT 0"),
                     ("last_error", "TEXT"), ("last_attempt_at", "TEXT")):
        add_column(cursor, dialect, "outbox", col, typ)
    cursor.execute("CREATE TABLE IF NOT EXISTS provider_sends (item_id TEXT PRIMARY KEY, provider TEXT, "
                   "sent_at TEXT, provider_ref TEXT)")


def _imports(cursor: Any, dialect: str) -> None:
    """Version 3: bulk imports written in chunks under one import id (``imports``)."""
    cursor.execute("CREATE TABLE IF NOT EXISTS imports (import_id TEXT PRIMARY KEY, source TEXT, "
                   "digest TEXT, status TEXT, total INTEGER, written INTEGER, started_at TEXT, finished_at TEXT)")


def _representatives(cursor: Any, dialect: str) -> None:
    """Version 4: who acts for the tenant (protection administrator, debt counsellor):
    personal data beside the contact directory, one row per tenancy and role."""
    cursor.execute("CREATE TABLE IF NOT EXISTS representatives (rep_id TEXT PRIMARY KEY, tenancy_id TEXT, "
                   "role TEXT, name TEXT, organisation TEXT, address TEXT, since TEXT)")


def _redactions(cursor: Any, dialect: str) -> None:
    """Version 5: events whose plain free text was erased (application.redaction)."""
    cursor.execute("CREATE TABLE IF NOT EXISTS redactions (event_key TEXT PRIMARY KEY, tenancy_id TEXT, "
                   "state_sha256 TEXT, redacted_on TEXT)")


def _unpaid_index_partial(cursor: Any, dialect: str) -> None:
    """Version 6: the index of unpaid tenancies without a case holds only those rows
    (``unpaid_since IS NOT NULL``): the old one held every tenancy without a case, so
    every save of a paid tenancy wrote an index entry nobody reads."""
    from adapters.store.sql import RM_TEN_UNPAID_DDL

    cursor.execute("DROP INDEX IF EXISTS rm_ten_unpaid")
    cursor.execute(RM_TEN_UNPAID_DDL)


MIGRATIONS: list[tuple[int, str, Callable[[Any, str], None]]] = [
    (1, "base tables", _nothing),
    (2, "outbox claims and provider sends", _outbox_claims),
    (3, "chunked imports", _imports),
    (4, "representatives", _representatives),
    (5, "redactions", _redactions),
    (6, "unpaid tenancies index on unpaid rows only", _unpaid_index_partial),
]
LATEST = MIGRATIONS[-1][0]


def current_version(cursor: Any) -> int:
    cursor.execute("SELECT MAX(version) AS v FROM schema_version")
    row = cursor.fetchone()
    v = row["v"] if row is not None else None
    return int(v) if v is not None else 0


def migrate(cursor: Any, dialect: str) -> list[int]:
    """Run the migrations this store has not had, in order, each recorded once.
    The caller holds the schema lock and the transaction."""
    cursor.execute(SCHEMA_VERSION_DDL)
    have = current_version(cursor)
    ph = "?" if dialect == "sqlite" else "%s"
    ran = []
    for version, name, step in MIGRATIONS:
        if version <= have:
            continue
        step(cursor, dialect)
        cursor.execute(f"INSERT INTO schema_version (version, name, applied_at) VALUES ({ph}, {ph}, {ph})",
                       (version, name, datetime.now(UTC).isoformat(timespec="seconds")))
        ran.append(version)
    return ran


def _is_current(recorder: Any, exists_sql: str) -> bool:
    """The store has every migration: nothing to create, no lock to take (opening a
    store while an import writes must not wait on DDL locks)."""
    try:
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(exists_sql)
            row = c.fetchone()
            if row is None or not row["n"]:
                return False
            return current_version(c) >= LATEST
    except Exception:  # noqa: BLE001 - anything odd: take the slow, locked path
        return False


def create_sqlite(recorder: Any) -> None:
    """The library's tables, Vangnet's side tables and the migrations, in one
    ``BEGIN IMMEDIATE`` transaction: a second process waits for the first (busy
    timeout) and then finds everything created."""
    if _is_current(recorder, "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"):
        return
    with recorder.datastore.get_connection(commit=True) as conn:
        c = conn.cursor()
        c.execute("BEGIN IMMEDIATE")
        try:
            recorder._create_table(c)
            migrate(c, "sqlite")
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def create_postgres_locked(recorder: Any, create_tables: Callable[[], None]) -> None:
    """``create_tables`` while this session holds the schema advisory lock (the snapshots
    table: ``CREATE TABLE IF NOT EXISTS`` run by two sessions at once can fail on
    PostgreSQL's catalog, "duplicate key ... pg_type_typname_nsp_index")."""
    with recorder.datastore.get_connection() as lock_conn:  # autocommit: a session lock
        lock_conn.execute("SELECT pg_advisory_lock(%s)", (PG_SCHEMA_LOCK,))
        try:
            create_tables()
        finally:
            lock_conn.execute("SELECT pg_advisory_unlock(%s)", (PG_SCHEMA_LOCK,))


def create_postgres(recorder: Any, create_tables: Callable[[], None]) -> None:
    """``create_tables`` (the library's types, tables and functions, then ours) and the
    migrations, while this session holds the schema advisory lock: a second process
    waits on the lock, then finds every table and type created."""
    if _is_current(recorder, "SELECT COUNT(*) AS n FROM pg_tables WHERE tablename = 'schema_version' "
                             "AND schemaname = current_schema()"):
        recorder.datastore.register_type_adapters()
        return
    with recorder.datastore.get_connection() as lock_conn:  # autocommit: a session lock
        lock_conn.execute("SELECT pg_advisory_lock(%s)", (PG_SCHEMA_LOCK,))
        try:
            create_tables()
            with recorder.datastore.transaction(commit=True) as curs:
                migrate(curs, "postgres")
        finally:
            lock_conn.execute("SELECT pg_advisory_unlock(%s)", (PG_SCHEMA_LOCK,))
