"""Side tables beside the event store (SQLite and PostgreSQL) and the recorders that
write them in the same transaction as the events.

Tables: read models (rm_tenancies, rm_cases, rm_tasks), the ledger transaction
index (ledger_tx), the outbox, meta (last run day), the contact directory (personal
data, deletable), tenancy_keys (sealing keys, deletable), erasures, and the hash
chain over the stored events (event_chain, checked by ``vangnet audit verify``).

Stored format: the recorder class paths below are named in configuration
(APPLICATION_RECORDER_TOPIC); keep them stable.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.sqlite import SQLiteApplicationRecorder

from adapters.store.claims import ImportLog, OutboxClaims
from application.ports import Contact
from application.store import Delete, SideOp, TouchCase, Upsert

TABLES: dict[str, list[tuple[str, str]]] = {
    "rm_tenancies": [
        ("tenancy_id", "TEXT PRIMARY KEY"), ("ref", "TEXT"), ("rent_cents", "BIGINT"), ("due_day", "INTEGER"),
        ("start_date", "TEXT"), ("balance_cents", "BIGINT"), ("unpaid_since", "TEXT"), ("open_case_id", "TEXT"),
        ("profile_active", "INTEGER"), ("worry", "INTEGER"), ("ended_on", "TEXT"), ("version", "INTEGER"),
    ],
    "rm_cases": [
        ("case_id", "TEXT PRIMARY KEY"), ("tenancy_id", "TEXT"), ("ref", "TEXT"), ("period", "TEXT"),
        ("track", "TEXT"), ("status", "TEXT"), ("due_date", "TEXT"), ("opened_on", "TEXT"), ("closed_on", "TEXT"),
        ("next_check_on", "TEXT"), ("version", "INTEGER"),
    ],
    "rm_tasks": [
        ("task_id", "TEXT PRIMARY KEY"), ("case_id", "TEXT"), ("tenancy_id", "TEXT"), ("ref", "TEXT"),
        ("kind", "TEXT"), ("rule", "TEXT"), ("due_on", "TEXT"), ("created_on", "TEXT"), ("status", "TEXT"),
        ("track", "TEXT"), ("priority", "INTEGER"), ("case_due_date", "TEXT"),
    ],
    "ledger_tx": [
        ("source", "TEXT"), ("tx_id", "TEXT"), ("tenancy_id", "TEXT"), ("kind", "TEXT"), ("cents", "BIGINT"),
        ("booked_on", "TEXT"), ("content_hash", "TEXT"),
    ],
    "outbox": [
        ("item_id", "TEXT PRIMARY KEY"), ("kind", "TEXT"), ("created_on", "TEXT"), ("payload", "TEXT"),
        ("sent_on", "TEXT"),
    ],
    "meta": [("key", "TEXT PRIMARY KEY"), ("value", "TEXT")],
    "contact_directory": [
        ("tenancy_id", "TEXT PRIMARY KEY"), ("name", "TEXT"), ("phone", "TEXT"), ("address", "TEXT"),
        ("iban", "TEXT"), ("municipality", "TEXT"),
    ],
    "tenancy_keys": [("tenancy_id", "TEXT PRIMARY KEY"), ("key", "BLOB")],
    "erasures": [("tenancy_id", "TEXT PRIMARY KEY"), ("erased_on", "TEXT"), ("by", "TEXT")],
    # tamper evidence: h_n = sha256(h_{n-1} || event n), written with the events (application.audit)
    # (SQLite: INTEGER PRIMARY KEY is the rowid; PostgreSQL gets BIGINT, see ddl())
    "event_chain": [("position", "INTEGER PRIMARY KEY"), ("hash", "TEXT")],
    "suspense": [
        ("item_id", "TEXT PRIMARY KEY"), ("statement_id", "TEXT"), ("booked_on", "TEXT"), ("cents", "BIGINT"),
        ("credit_debit", "TEXT"), ("reason", "TEXT"), ("refs", "TEXT"), ("status", "TEXT"),
        ("assigned_ref", "TEXT"), ("assigned_by", "TEXT"),
    ],
}
EXTRA_DDL = [
    "CREATE UNIQUE INDEX IF NOT EXISTS ledger_tx_pk ON ledger_tx (source, tx_id)",
    "CREATE INDEX IF NOT EXISTS rm_cases_due ON rm_cases (status, next_check_on)",
    "CREATE INDEX IF NOT EXISTS rm_tasks_due ON rm_tasks (status, due_on)",
    "CREATE INDEX IF NOT EXISTS rm_tasks_case ON rm_tasks (case_id)",
    "CREATE INDEX IF NOT EXISTS rm_ten_unpaid ON rm_tenancies (unpaid_since) WHERE open_case_id IS NULL",
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (sent_on)",
]


def _pg_type(t: str) -> str:
    return t.replace("BLOB", "BYTEA").replace("INTEGER PRIMARY KEY", "BIGINT PRIMARY KEY")


def ddl(dialect: str) -> list[str]:
    out = []
    for table, cols in TABLES.items():
        defs = ", ".join(f'"{c}" {_pg_type(t) if dialect == "postgres" else t}' for c, t in cols)
        out.append(f"CREATE TABLE IF NOT EXISTS {table} ({defs})")
    out.extend(EXTRA_DDL)
    return out


class SideWriter:
    """Turns side operations into SQL for one dialect."""

    def __init__(self, dialect: str):
        self.dialect = dialect
        self.ph = "?" if dialect == "sqlite" else "%s"
        self._sql_cache: dict[tuple[Any, ...], str] = {}

    def upsert_sql(self, table: str, key: tuple[str, ...], cols: tuple[str, ...]) -> str:
        ck = (table, key, cols)
        sql = self._sql_cache.get(ck)
        if sql is None:
            names = ", ".join(f'"{c}"' for c in cols)
            marks = ", ".join([self.ph] * len(cols))
            updates = ", ".join(f'"{c}"=excluded."{c}"' for c in cols if c not in key)
            conflict = ", ".join(f'"{k}"' for k in key)
            action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({conflict}) {action}"
            self._sql_cache[ck] = sql
        return sql

    def touch_sql(self) -> str:
        p = self.ph
        return (
            f"UPDATE rm_cases SET next_check_on = {p} WHERE case_id = {p} AND status = 'open' "
            f"AND (next_check_on IS NULL OR next_check_on > {p})"
        )

    def apply(self, cursor: Any, ops: Sequence[SideOp]) -> None:
        # group consecutive upserts of the same shape into executemany
        batch_sql: str | None = None
        batch: list[tuple[Any, ...]] = []

        def flush() -> None:
            nonlocal batch_sql, batch
            if batch_sql is not None and batch:
                cursor.executemany(batch_sql, batch)
            batch_sql, batch = None, []

        for op in ops:
            if isinstance(op, Upsert):
                cols = tuple(op.row)
                sql = self.upsert_sql(op.table, op.key, cols)
                if sql != batch_sql:
                    flush()
                    batch_sql = sql
                batch.append(tuple(op.row[c] for c in cols))
            elif isinstance(op, Delete):
                flush()
                where = " AND ".join(f'"{k}" = {self.ph}' for k in op.where)
                cursor.execute(f"DELETE FROM {op.table} WHERE {where}", tuple(op.where.values()))
            elif isinstance(op, TouchCase):
                flush()
                d = op.on.isoformat()
                cursor.execute(self.touch_sql(), (d, str(op.case_id), d))
            else:  # pragma: no cover
                raise TypeError(f"unknown side operation {op!r}")
        flush()


# ------------------------------------------------------------ hash chain
CHAIN_LAST_SQL = "SELECT hash FROM event_chain ORDER BY position DESC LIMIT 1"


def append_chain(cursor: Any, ph: str, stored_events: Sequence[Any], ids: Sequence[int]) -> None:
    """Extend the hash chain with the events just inserted at positions ``ids``, inside
    the inserting transaction (writers are serialised, so the last hash read here is the
    chain's head). A position already in the chain (SQLite reuses the rowid of a deleted
    last event) gets a hash chained from the old head, so verify still reports it."""
    from application.audit import GENESIS, chain_hash

    cursor.execute(CHAIN_LAST_SQL)
    row = cursor.fetchone()
    prev = row["hash"] if row is not None else GENESIS
    rows = []
    for s, pos in zip(stored_events, ids, strict=True):
        prev = chain_hash(prev, pos, s.originator_id, s.originator_version, s.topic, s.state)
        rows.append((pos, prev))
    cursor.executemany(
        f"INSERT INTO event_chain (position, hash) VALUES ({ph}, {ph}) "
        "ON CONFLICT (position) DO UPDATE SET hash = excluded.hash",
        rows,
    )


class VangnetSQLiteRecorder(SQLiteApplicationRecorder):
    """The library's SQLite application recorder, plus side tables written in the
    same transaction as the events (``save(..., side_ops=[...])``)."""

    writer = SideWriter("sqlite")

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + ddl("sqlite")

    def create_table(self) -> None:
        from adapters.store.schema import create_sqlite

        create_sqlite(self)  # under a write lock, with the migrations (adapters.store.schema)

    def _insert_events(self, c: Any, stored_events: Sequence[Any], **kwargs: Any) -> Sequence[int] | None:
        params = [
            (s.originator_id.hex if isinstance(s.originator_id, UUID) else s.originator_id,
             s.originator_version, s.topic, s.state)
            for s in stored_events
        ]
        ids: list[int] = []
        if params:
            # rowids of one write transaction are contiguous: no other writer can interleave
            c.executemany(self.insert_events_statement, params)
            c.execute(f"SELECT MAX(rowid) FROM {self.events_table_name}")
            last = c.fetchone()[0]
            ids = list(range(last - len(params) + 1, last + 1))
            append_chain(c, "?", stored_events, ids)
        ops = kwargs.get("side_ops")
        if ops:
            self.writer.apply(c, ops)
        hook = kwargs.get("after_insert")
        if hook is not None:
            hook(c, stored_events, ids)
        return ids

    # rowids are MAX + 1 and never skipped: a position missing from both the events and
    # the chain is a deleted event (verify reports it)
    chain_positions_dense = True

    def select_chain(self, gt: int | None, lte: int | None, limit: int | None = None) -> list[tuple[int, str]]:
        """Hash-chain rows (position, hash) with gt < position <= lte, in order."""
        sql, params = _chain_select(gt, lte, limit, "?")
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            return [(r[0], r[1]) for r in c.fetchall()]

    def select_event_rows(self, gt: int | None, limit: int, *, with_chain: bool = True) -> list[Any]:
        """Rows (position, originator id as stored: 32 hex digits, version, topic, state,
        chain hash or None) after position ``gt``, in order: one query per page for audit
        export and verify."""
        t = self.events_table_name
        if with_chain:
            sql = (f"SELECT e.rowid, e.originator_id, e.originator_version, e.topic, e.state, c.hash FROM {t} e "
                   "LEFT JOIN event_chain c ON c.position = e.rowid WHERE e.rowid > ? ORDER BY e.rowid LIMIT ?")
        else:
            sql = (f"SELECT rowid, originator_id, originator_version, topic, state, NULL FROM {t} "
                   "WHERE rowid > ? ORDER BY rowid LIMIT ?")
        with self.datastore.transaction(commit=False) as c:
            raw = getattr(c, "sqlite_cursor", None)
            if raw is not None:
                raw.row_factory = None  # plain tuples
            c.execute(sql, (gt or 0, limit))
            return c.fetchall()


def _chain_select(gt: int | None, lte: int | None, limit: int | None, ph: str) -> tuple[str, list[int]]:
    where, params = [], []
    if gt is not None:
        where.append(f"position > {ph}")
        params.append(gt)
    if lte is not None:
        where.append(f"position <= {ph}")
        params.append(lte)
    sql = "SELECT position, hash FROM event_chain"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY position"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql, params


class SqlStore(OutboxClaims, ImportLog):
    """Implements ``application.store.Store`` over the recorder's datastore."""

    def __init__(self, recorder: Any, dialect: str):
        self.recorder = recorder
        self.datastore = recorder.datastore
        self.dialect = dialect
        self.writer = SideWriter(dialect)
        self.ph = self.writer.ph

    # ------------------------------------------------------------- plumbing
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql.replace("?", self.ph), tuple(params))
            return [dict(r) for r in c.fetchall()]

    def apply(self, ops: Sequence[SideOp]) -> None:
        with self.datastore.transaction(commit=True) as c:
            self.writer.apply(c, ops)

    # --------------------------------------------------------- read models
    def unpaid_without_case(self, on: date | None = None) -> list[tuple[UUID, date]]:
        """Unpaid tenancies without an open case that have not ended (by ``on``, when given)."""
        ended = "ended_on IS NULL" if on is None else "(ended_on IS NULL OR ended_on > ?)"
        rows = self._rows(
            "SELECT tenancy_id, unpaid_since FROM rm_tenancies "
            f"WHERE open_case_id IS NULL AND unpaid_since IS NOT NULL AND {ended} ORDER BY ref",
            () if on is None else (on.isoformat(),),
        )
        return [(UUID(r["tenancy_id"]), date.fromisoformat(r["unpaid_since"])) for r in rows]

    def cases_due(self, day: date) -> list[UUID]:
        rows = self._rows(
            "SELECT case_id FROM rm_cases WHERE status = 'open' AND (next_check_on IS NULL OR next_check_on <= ?) "
            "ORDER BY case_id", (day.isoformat(),)
        )
        return [UUID(r["case_id"]) for r in rows]

    def list_cases(self, *, open_only: bool = False) -> list[dict[str, Any]]:
        where = "WHERE c.status = 'open' " if open_only else ""
        return self._rows(
            "SELECT c.case_id, c.ref, c.period, c.track, c.status, c.due_date, c.opened_on, c.closed_on, "
            "c.next_check_on, t.balance_cents FROM rm_cases c LEFT JOIN rm_tenancies t ON t.tenancy_id = c.tenancy_id "
            f"{where}ORDER BY c.opened_on, c.ref"
        )

    def tasks(self, *, until: date | None, status: str = "open") -> list[dict[str, Any]]:
        if until is None:
            return self._rows("SELECT * FROM rm_tasks WHERE status = ? ORDER BY due_on", (status,))
        return self._rows(
            "SELECT * FROM rm_tasks WHERE status = ? AND due_on <= ? ORDER BY due_on", (status, until.isoformat())
        )

    def tenancy_rows(self) -> Iterator[dict[str, Any]]:
        return iter(self._rows("SELECT * FROM rm_tenancies ORDER BY ref"))

    def active_tenancy_ids(self, on: date) -> list[UUID]:
        rows = self._rows(
            "SELECT tenancy_id FROM rm_tenancies WHERE (ended_on IS NULL OR ended_on > ?) AND start_date <= ? "
            "ORDER BY ref", (on.isoformat(), on.isoformat())
        )
        return [UUID(r["tenancy_id"]) for r in rows]

    def tenancies_without_rent(self, on: date, period: str) -> list[UUID]:
        """Running tenancies whose rent for ``period`` Vangnet has not posted yet."""
        rows = self._rows(
            "SELECT t.tenancy_id FROM rm_tenancies t LEFT JOIN ledger_tx l "
            "ON l.source = 'vangnet' AND l.tx_id = t.ref || ? "
            "WHERE l.tx_id IS NULL AND (t.ended_on IS NULL OR t.ended_on > ?) AND t.start_date <= ? ORDER BY t.ref",
            (f"/rent-{period}", on.isoformat(), on.isoformat()),
        )
        return [UUID(r["tenancy_id"]) for r in rows]

    def known_transactions(self, source: str, tx_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        ids = list(tx_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join(["?"] * len(chunk))
            for r in self._rows(f"SELECT * FROM ledger_tx WHERE source = ? AND tx_id IN ({marks})", [source, *chunk]):
                out[r["tx_id"]] = r
        return out

    def transaction_tenancy(self, source: str, tx_id: str) -> UUID | None:
        rows = self._rows("SELECT tenancy_id FROM ledger_tx WHERE source = ? AND tx_id = ?", (source, tx_id))
        return UUID(rows[0]["tenancy_id"]) if rows else None

    def outbox_pending(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM outbox WHERE sent_on IS NULL ORDER BY created_on, item_id")

    def get_meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

    # ------------------------------------------------- contacts and keys
    def contact(self, tenancy_id: UUID) -> Contact | None:
        rows = self._rows("SELECT * FROM contact_directory WHERE tenancy_id = ?", (str(tenancy_id),))
        if not rows:
            return None
        r = rows[0]
        return Contact(tenancy_id=tenancy_id, name=r["name"], phone=r["phone"], address=r["address"],
                       iban=r["iban"], municipality=r["municipality"])

    get = contact  # ContactDirectory protocol

    def key(self, tenancy_id: UUID) -> bytes | None:
        rows = self._rows("SELECT key FROM tenancy_keys WHERE tenancy_id = ?", (str(tenancy_id),))
        return bytes(rows[0]["key"]) if rows else None

    def is_erased(self, tenancy_id: UUID) -> bool:
        return bool(self._rows("SELECT 1 AS x FROM erasures WHERE tenancy_id = ?", (str(tenancy_id),)))

    # --------------------------------------------------- rebuild & verify
    def read_model_rows(self, table: str) -> list[dict[str, Any]]:
        key = TABLES[table][0][0]
        return self._rows(f"SELECT * FROM {table} ORDER BY {key}")

    def replace_read_models(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        with self.datastore.transaction(commit=True) as c:
            for table, table_rows in rows.items():
                c.execute(f"DELETE FROM {table}")
                key = (TABLES[table][0][0],)
                self.writer.apply(c, [Upsert(table, key, r) for r in table_rows])

    def events_of(self, ids: Sequence[UUID]) -> list[Any]:
        """The stored events of many aggregates, in one query per 500 ids, ordered by
        aggregate and version (for bulk loading in the daily run and imports)."""
        from eventsourcing.persistence import StoredEvent

        table = self.recorder.events_table_name
        out: list[Any] = []
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            with self.datastore.transaction(commit=False) as c:
                if self.dialect == "sqlite":
                    marks = ",".join("?" * len(chunk))
                    c.execute(
                        f"SELECT originator_id, originator_version, topic, state FROM {table} "
                        f"WHERE originator_id IN ({marks}) ORDER BY originator_id, originator_version",
                        [u.hex for u in chunk],
                    )
                    out.extend(StoredEvent(UUID(r["originator_id"]), r["originator_version"], r["topic"], r["state"])
                               for r in c.fetchall())
                else:
                    c.execute(
                        f"SELECT originator_id, originator_version, topic, state FROM {table} "
                        "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version",
                        (chunk,),
                    )
                    out.extend(StoredEvent(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"]))
                               for r in c.fetchall())
        return out

    def count_events(self) -> int:
        rows = self._rows(f"SELECT COUNT(*) AS n FROM {self.recorder.events_table_name}")
        return int(rows[0]["n"])
