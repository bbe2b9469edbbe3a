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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.sqlite import SQLiteApplicationRecorder

from adapters.store.claims import ImportLog, OutboxClaims
from application.audit.chain import originator_hexes
from application.ports import Contact, RepresentativeContact
from application.store import Claim, Delete, DropSnapshots, RewriteEvent, SideOp, TouchCase, Upsert

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
    # keyed seal of the chain head of each write transaction (HMAC with a key kept
    # outside the store; application.audit.chain.seal_mac), when a seal key is set
    "chain_seals": [("position", "INTEGER PRIMARY KEY"), ("mac", "TEXT")],
    "suspense": [
        ("item_id", "TEXT PRIMARY KEY"), ("statement_id", "TEXT"), ("booked_on", "TEXT"), ("cents", "BIGINT"),
        ("credit_debit", "TEXT"), ("reason", "TEXT"), ("refs", "TEXT"), ("status", "TEXT"),
        ("assigned_ref", "TEXT"), ("assigned_by", "TEXT"),
    ],  # legacy (before bank_items): no longer written
    # one row per bank item (application.bank): its identity, where it came from, its fate
    "bank_items": [
        ("item_id", "TEXT PRIMARY KEY"), ("source", "TEXT"), ("account", "TEXT"), ("account_label", "TEXT"),
        ("natural_id", "TEXT"), ("statement_id", "TEXT"), ("entry_index", "INTEGER"), ("detail_index", "INTEGER"),
        ("booked_on", "TEXT"), ("cents", "BIGINT"), ("credit_debit", "TEXT"), ("counterparty", "TEXT"),
        ("refs", "TEXT"), ("end_to_end_id", "TEXT"), ("status", "TEXT"), ("reason", "TEXT"), ("tenancy", "TEXT"),
        ("decision", "TEXT"), ("decided_by", "TEXT"), ("decided_on", "TEXT"),
    ],
    # one row per imported statement per account, in import order (continuity)
    "bank_statements": [
        ("account", "TEXT"), ("statement_id", "TEXT"), ("account_label", "TEXT"), ("sequence", "INTEGER"),
        ("opening_cents", "BIGINT"), ("closing_cents", "BIGINT"), ("position", "INTEGER"),
        ("imported_on", "TEXT"),
    ],
    # personal data: every change of the contact details, newest last (deleted on erasure)
    "contact_history": [
        ("change_id", "TEXT PRIMARY KEY"), ("tenancy_id", "TEXT"), ("changed_on", "TEXT"), ("by", "TEXT"),
        ("name", "TEXT"), ("phone", "TEXT"), ("address", "TEXT"), ("iban", "TEXT"), ("municipality", "TEXT"),
    ],
    # personal data: who acts for the tenant (a protection administrator, a debt counsellor),
    # one row per tenancy and role; letters are addressed to them (deleted on erasure)
    "representatives": [
        ("rep_id", "TEXT PRIMARY KEY"), ("tenancy_id", "TEXT"), ("role", "TEXT"), ("name", "TEXT"),
        ("organisation", "TEXT"), ("address", "TEXT"), ("since", "TEXT"),
    ],
    # events whose plain free text was erased (application.redaction): the sha256 of the state
    # now stored, so that audit verify tells a recorded redaction from an edit
    "redactions": [
        ("event_key", "TEXT PRIMARY KEY"), ("tenancy_id", "TEXT"), ("state_sha256", "TEXT"), ("redacted_on", "TEXT"),
    ],
    # workbench accounts (adapters/web): password hashes (argon2), never passwords
    "users": [
        ("name", "TEXT PRIMARY KEY"), ("role", "TEXT"), ("password_hash", "TEXT"), ("created_on", "TEXT"),
        ("active", "INTEGER"),
    ],
    # who works a case (the worklist's officer filter)
    "case_officers": [("case_id", "TEXT PRIMARY KEY"), ("officer", "TEXT"), ("since", "TEXT")],
}
RM_TEN_UNPAID_DDL = ("CREATE INDEX IF NOT EXISTS rm_ten_unpaid_only ON rm_tenancies (unpaid_since) "
                     "WHERE open_case_id IS NULL AND unpaid_since IS NOT NULL")
EXTRA_DDL = [
    "CREATE UNIQUE INDEX IF NOT EXISTS ledger_tx_pk ON ledger_tx (source, tx_id)",
    "CREATE INDEX IF NOT EXISTS rm_cases_due ON rm_cases (status, next_check_on)",
    "CREATE INDEX IF NOT EXISTS rm_tasks_due ON rm_tasks (status, due_on)",
    "CREATE INDEX IF NOT EXISTS rm_tasks_case ON rm_tasks (case_id)",
    # only the unpaid tenancies without a case: most rows are paid and cost no index write
    # (adapters.store.schema migration 6 replaced rm_ten_unpaid, which held every row without a case)
    RM_TEN_UNPAID_DDL,
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (sent_on)",
    "CREATE INDEX IF NOT EXISTS contact_history_t ON contact_history (tenancy_id, changed_on)",
    "CREATE INDEX IF NOT EXISTS rm_tasks_prio ON rm_tasks (status, priority, case_due_date)",
    "CREATE INDEX IF NOT EXISTS rm_cases_ref ON rm_cases (ref)",
    "CREATE INDEX IF NOT EXISTS rm_tenancies_ref ON rm_tenancies (ref)",
    "CREATE UNIQUE INDEX IF NOT EXISTS bank_items_natural ON bank_items (account, natural_id)",
    "CREATE INDEX IF NOT EXISTS bank_items_status ON bank_items (status, booked_on)",
    "CREATE INDEX IF NOT EXISTS bank_items_e2e ON bank_items (end_to_end_id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS bank_statements_pk ON bank_statements (account, statement_id)",
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


# personal data at rest: with VANGNET_CIPHER_KEY these columns are encrypted like the events
ENCRYPTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "contact_directory": ("name", "phone", "address", "iban", "municipality"),
    "contact_history": ("name", "phone", "address", "iban", "municipality"),
    "representatives": ("name", "organisation", "address"),
    "tenancy_keys": ("key",),
}
_ENC = "enc1:"


class FieldCipher:
    """AES-GCM for single column values, with a key derived (HKDF-SHA256) from the
    store's VANGNET_CIPHER_KEY. The table, column and row key are authenticated data,
    so a value copied into another row or column does not open."""

    def __init__(self, cipher_key: str):
        import base64

        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        raw = base64.b64decode(cipher_key)
        sub = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"vangnet side-table fields v1").derive(raw)
        self._aead = AESGCM(sub)

    @staticmethod
    def _aad(table: str, column: str, row_key: str) -> bytes:
        return f"{table}|{column}|{row_key}".encode()

    def encrypt(self, table: str, column: str, row_key: str, value: str | bytes | None) -> str | bytes | None:
        """Text stays text, bytes stay bytes (a BLOB/BYTEA column keeps its type)."""
        import base64
        import os

        if value is None:
            return None
        data = value.encode() if isinstance(value, str) else bytes(value)
        nonce = os.urandom(12)
        token = _ENC + base64.b64encode(nonce + self._aead.encrypt(nonce, data, self._aad(table, column, row_key))).decode()
        return token if isinstance(value, str) else token.encode()

    def decrypt(self, table: str, column: str, row_key: str, value: Any) -> Any:
        import base64

        from cryptography.exceptions import InvalidTag

        as_bytes = isinstance(value, bytes | bytearray | memoryview)
        text = bytes(value).decode("latin-1") if as_bytes else value
        if not isinstance(text, str) or not text.startswith(_ENC):
            return value  # written before encryption covered this table
        raw = base64.b64decode(text[len(_ENC):])
        try:
            data = self._aead.decrypt(raw[:12], raw[12:], self._aad(table, column, row_key))
        except InvalidTag:
            raise ValueError(f"{table}.{column} of {row_key}: does not open with VANGNET_CIPHER_KEY") from None
        return data if as_bytes else data.decode()


def _is_sealed(v: Any) -> bool:
    if isinstance(v, str):
        return v.startswith(_ENC)
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v[:len(_ENC)]) == _ENC.encode()
    return False


def seal_row(cipher: FieldCipher | None, table: str, row: dict[str, Any]) -> dict[str, Any]:
    cols = ENCRYPTED_COLUMNS.get(table)
    if cipher is None or not cols:
        return row
    key_col = TABLES[table][0][0]
    rk = str(row.get(key_col))
    return {c: (cipher.encrypt(table, c, rk, v) if c in cols else v) for c, v in row.items()}


def open_row(cipher: FieldCipher | None, table: str, row: dict[str, Any]) -> dict[str, Any]:
    cols = ENCRYPTED_COLUMNS.get(table)
    if not cols:
        return row
    key_col = TABLES[table][0][0]
    rk = str(row.get(key_col))
    out = dict(row)
    for c in cols:
        v = out.get(c)
        if _is_sealed(v):
            if cipher is None:
                raise ValueError(f"{table}.{c}: encrypted, and VANGNET_CIPHER_KEY is not set")
            out[c] = cipher.decrypt(table, c, rk, v)
    return out


class SideWriter:
    """Turns side operations into SQL for one dialect (encrypting the personal-data
    columns when a ``FieldCipher`` is set)."""

    def __init__(self, dialect: str, cipher: FieldCipher | None = None):
        self.dialect = dialect
        self.cipher = cipher
        self.ph = "?" if dialect == "sqlite" else "%s"
        self._sql_cache: dict[tuple[Any, ...], str] = {}

    def upsert_sql(self, table: str, key: tuple[str, ...], cols: tuple[str, ...]) -> str:
        ck = (table, key, cols)
        sql = self._sql_cache.get(ck)
        if sql is None:
            names = ", ".join(f'"{c}"' for c in cols)
            marks = ", ".join([self.ph] * len(cols))
            updates = ", ".join(f'"{c}"=excluded."{c}"' for c in cols if c not in key and c not in _fixed(table, key))
            conflict = ", ".join(f'"{k}"' for k in key)
            action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({conflict}) {action}"
            self._sql_cache[ck] = sql
        return sql

    def claim(self, cursor: Any, op: Claim) -> None:
        """Insert a new row, or update one still holding the expected values; any other
        outcome means another writer was first: IntegrityError, the transaction is undone."""
        from eventsourcing.persistence import IntegrityError

        cols = tuple(op.row)
        if op.expect is None:
            names = ", ".join(f'"{c}"' for c in cols)
            marks = ", ".join([self.ph] * len(cols))
            cursor.execute(f"INSERT INTO {op.table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING "
                           f'RETURNING "{op.key[0]}"', tuple(op.row[c] for c in cols))
        else:
            sets = [c for c in cols if c not in op.key]
            where = {**{k: op.row[k] for k in op.key}, **op.expect}
            sql = (f"UPDATE {op.table} SET " + ", ".join(f'"{c}" = {self.ph}' for c in sets)
                   + " WHERE " + " AND ".join(f'"{k}" = {self.ph}' for k in where) + f' RETURNING "{op.key[0]}"')
            cursor.execute(sql, (*(op.row[c] for c in sets), *where.values()))
        if len(cursor.fetchall()) != 1:  # (rowcount is not reliable in psycopg's pipeline mode)
            keys = ", ".join(f"{k}={op.row[k]!r}" for k in op.key)
            raise IntegrityError(f"{op.table} ({keys}) was changed by another writer")

    def touch_sql(self, closed: bool = False) -> str:
        p = self.ph
        status = "closed" if closed else "open"
        return (
            f"UPDATE rm_cases SET next_check_on = {p} WHERE case_id = {p} AND status = '{status}' "
            f"AND (next_check_on IS NULL OR next_check_on > {p})"
        )

    def apply(self, cursor: Any, ops: Sequence[SideOp]) -> None:
        # group consecutive upserts (and deletes) of the same shape into executemany,
        # after putting the operations of one table together (batchable_order)
        ops = batchable_order(ops)
        batch_sql: str | None = None
        batch: list[tuple[Any, ...]] = []
        shape: tuple[str, tuple[str, ...], tuple[str, ...]] | None = None  # of a batch of upserts

        def flush() -> None:
            nonlocal batch_sql, batch, shape
            if batch_sql is not None and batch:
                if shape is None or not self._upsert_arrays(cursor, shape, batch):
                    cursor.executemany(batch_sql, batch)
            batch_sql, batch, shape = None, [], None

        cipher = self.cipher
        for op in ops:
            if type(op) is Upsert or isinstance(op, Upsert):
                row = op.row
                cols = tuple(row)
                # the same shape as the batch (compared without hashing the column names)
                if shape is None or cols != shape[2] or op.table != shape[0] or op.key != shape[1]:
                    flush()
                    batch_sql = self.upsert_sql(op.table, op.key, cols)
                    shape = (op.table, op.key, cols)
                if cipher is None:
                    batch.append(tuple(row.values()))  # cols are the row's own keys, in order
                else:
                    sealed = seal_row(cipher, op.table, row)
                    batch.append(tuple(sealed[c] for c in cols))
            elif isinstance(op, Delete):
                where = " AND ".join(f'"{k}" = {self.ph}' for k in op.where)
                sql = f"DELETE FROM {op.table} WHERE {where}"
                if sql != batch_sql or shape is not None:
                    flush()
                    batch_sql = sql
                    shape = None
                batch.append(tuple(op.where.values()))
            elif isinstance(op, Claim):
                flush()
                self.claim(cursor, op)
            elif isinstance(op, TouchCase):
                flush()
                d = op.on.isoformat()
                cursor.execute(self.touch_sql(op.closed), (d, str(op.case_id), d))
            elif isinstance(op, RewriteEvent):
                flush()
                if self.dialect == "sqlite":  # the old state's bytes are zeroed, not left in free space
                    cursor.execute("PRAGMA secure_delete = ON")
                oid: Any = op.originator_id.hex if self.dialect == "sqlite" else op.originator_id
                cursor.execute(f"UPDATE {op.table} SET state = {self.ph} WHERE originator_id = {self.ph} "
                               f"AND originator_version = {self.ph}", (op.state, oid, op.version))
            elif isinstance(op, DropSnapshots):
                flush()
                if self.dialect == "sqlite":  # the id as the library stores it (hex), or as text
                    cursor.execute(f"DELETE FROM {op.table} WHERE originator_id IN (?, ?)",
                                   (op.originator_id.hex, str(op.originator_id)))
                else:
                    cursor.execute(f"DELETE FROM {op.table} WHERE originator_id = %s", (op.originator_id,))
            else:  # pragma: no cover
                raise TypeError(f"unknown side operation {op!r}")
        flush()


    ARRAY_MIN_ROWS = 8

    def _upsert_arrays(self, cursor: Any, shape: tuple[str, tuple[str, ...], tuple[str, ...]],
                       rows: list[tuple[Any, ...]]) -> bool:
        """PostgreSQL: a batch of upserts as one ``INSERT ... SELECT FROM unnest(...)`` over
        one binary array per column (``executemany`` is a statement per row). Only for a
        batch whose keys are distinct (one statement cannot update a row twice) and whose
        columns each hold one kind of value; returns False to leave it to executemany."""
        if self.dialect != "postgres" or len(rows) < self.ARRAY_MIN_ROWS:
            return False
        table, key, cols = shape
        types = _COLUMN_TYPES.get(table)
        if types is None or any(c not in types for c in cols):
            return False
        columns = list(zip(*rows, strict=True))
        at = [cols.index(k) for k in key]
        keys = columns[at[0]] if len(at) == 1 else list(zip(*(columns[i] for i in at), strict=True))
        if len(set(keys)) != len(rows):
            return False
        sent: list[list[Any]] = []
        nulls: list[bool] = []
        for c, values in zip(cols, columns, strict=True):
            kinds = set(map(type, values))
            kinds.discard(type(None))
            if not kinds:  # all NULL: a typed NULL in the statement, no array to send
                nulls.append(True)
                continue
            if len(kinds) != 1 or next(iter(kinds)) is not _PY_TYPE[types[c]]:
                return False  # mixed kinds of value: executemany
            nulls.append(False)
            sent.append(list(values))
        ck = ("arrays", table, key, cols, tuple(nulls))
        sql = self._sql_cache.get(ck)
        if sql is None:
            names = ", ".join(f'"{c}"' for c in cols)
            picks = ", ".join(f"NULL::{types[c]}" if null else f"u.c{i}"
                              for i, (c, null) in enumerate(zip(cols, nulls, strict=True)))
            arrays = ", ".join(f"%b::{types[c]}[]" for c, null in zip(cols, nulls, strict=True) if not null)
            aliases = ", ".join(f"c{i}" for i, null in enumerate(nulls) if not null)
            updates = ", ".join(f'"{c}"=excluded."{c}"' for c in cols if c not in key and c not in _fixed(table, key))
            conflict = ", ".join(f'"{k}"' for k in key)
            action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
            sql = self._sql_cache[ck] = (f"INSERT INTO {table} ({names}) SELECT {picks} FROM unnest({arrays}) "
                                         f"AS u({aliases}) ON CONFLICT ({conflict}) {action}")
        cursor.execute(sql, sent)
        return True


# Columns a read-model row's key decides (the key is derived from them: a tenancy's id is
# the uuid5 of its ref, a case's id of its tenancy and period, a task's id holds its case's):
# an upsert meeting an existing row leaves them as they are instead of writing the same
# value again, which would rewrite their index entries (rm_tenancies_ref, rm_cases_ref,
# rm_tasks_case) on every save (tests/contracts/test_store_contract.py).
FIXED_BY_KEY: dict[tuple[str, tuple[str, ...]], frozenset[str]] = {
    ("rm_tenancies", ("tenancy_id",)): frozenset({"ref"}),
    ("rm_cases", ("case_id",)): frozenset({"tenancy_id", "ref", "period"}),
    ("rm_tasks", ("task_id",)): frozenset({"case_id", "tenancy_id", "ref"}),
}


def _fixed(table: str, key: tuple[str, ...]) -> frozenset[str]:
    return FIXED_BY_KEY.get((table, tuple(key)), frozenset())


# column -> PostgreSQL type, of the side tables (for arrays of upserts), and the Python
# type each one takes
_COLUMN_TYPES: dict[str, dict[str, str]] = {
    table: {c: {"TEXT": "text", "BIGINT": "bigint", "INTEGER": "integer", "BLOB": "bytea"}[t.split()[0]]
            for c, t in cols if t.split()[0] in ("TEXT", "BIGINT", "INTEGER", "BLOB")}
    for table, cols in TABLES.items()
}
_PY_TYPE: dict[str, type] = {"text": str, "bigint": int, "integer": int, "bytea": bytes}


def batchable_order(ops: Sequence[SideOp]) -> Sequence[SideOp]:
    """The same changes in an order that batches: a save of many cases emits, per case,
    its rm_cases row, a delete of its rm_tasks and its task rows; run in that order,
    each case costs three statements. Operations on different tables commute, so they
    are grouped by table (in order of first appearance, each table's own order kept);
    within a table, deletes move before its upserts when no earlier upsert of that
    table writes a row the delete matches (rows are whole, so the result is the same).
    Any other operation (claims) keeps the given order as it is."""
    if len(ops) < 3:
        return ops
    tables: dict[str, list[SideOp]] = {}
    deleting = False
    for op in ops:
        t = type(op)
        if t is Upsert:
            table = op.table  # type: ignore[union-attr]
        elif isinstance(op, (Upsert, Delete)):
            table = op.table
            deleting = deleting or isinstance(op, Delete)
        elif isinstance(op, TouchCase):
            table = "rm_cases"
        else:
            return ops
        got = tables.get(table)
        if got is None:
            tables[table] = [op]
        else:
            got.append(op)
    if len(tables) == 1 and not deleting:
        return ops  # one table, nothing to move
    out: list[SideOp] = []
    for table_ops in tables.values():
        if not deleting:
            out.extend(table_ops)
            continue
        deletes = [op for op in table_ops if isinstance(op, Delete)]
        if not deletes or len(deletes) == len(table_ops):
            out.extend(table_ops)
            continue
        shapes = {tuple(d.where) for d in deletes}  # the column sets the deletes match on
        written: dict[tuple[str, ...], set[tuple[Any, ...]]] = {k: set() for k in shapes}
        hoist = True
        for op in table_ops:
            if isinstance(op, Upsert):
                for k, seen in written.items():
                    seen.add(tuple(op.row.get(c) for c in k))
            elif isinstance(op, Delete):
                if tuple(op.where.values()) in written[tuple(op.where)]:
                    hoist = False
                    break
            else:
                hoist = False
                break
        if hoist:
            out.extend(deletes)
            out.extend(op for op in table_ops if not isinstance(op, Delete))
        else:
            out.extend(table_ops)
    return out


# ------------------------------------------------------------ hash chain
CHAIN_LAST_SQL = "SELECT hash FROM event_chain ORDER BY position DESC LIMIT 1"


def append_chain(cursor: Any, ph: str, stored_events: Sequence[Any], ids: Sequence[int],
                 seal_key: bytes | None = None, oids: Sequence[str] | None = None) -> None:
    """Extend the hash chain with the events just inserted at positions ``ids``, inside
    the inserting transaction (writers are serialised, so the last hash read here is the
    chain's head). A position already in the chain (SQLite reuses the rowid of a deleted
    last event) gets a hash chained from the old head, so verify still reports it.
    With a ``seal_key``, the new head is sealed (``chain_seals``) in the same transaction."""
    # the head, and whether any new position is taken already (only when SQLite reused the
    # rowid of a deleted last event): then the rows replace what is there, otherwise a plain
    # insert (PostgreSQL's speculative insertion of ON CONFLICT costs about 1 us per row)
    lo, hi = min(ids), max(ids)
    cursor.execute(f"SELECT ({CHAIN_LAST_SQL}) AS hash, EXISTS (SELECT 1 FROM event_chain "
                   f"WHERE position BETWEEN {ph} AND {ph}) AS taken", (lo, hi))
    row = cursor.fetchone()
    write_chain(cursor, ph, stored_events, ids, row["hash"] if row is not None else None,
                bool(row is not None and row["taken"]), seal_key, oids)


def write_chain(cursor: Any, ph: str, stored_events: Sequence[Any], ids: Sequence[int], head: str | None,
                taken: bool, seal_key: bytes | None = None, oids: Sequence[str] | None = None) -> None:
    """The chain rows of ``append_chain`` from the chain's ``head`` hash (None: empty chain);
    ``taken``: some of the positions may be in the chain already (they are replaced)."""
    from application.audit import GENESIS
    from application.audit.chain import chain_hashes, seal_mac

    prev = head if head is not None else GENESIS
    upsert = " ON CONFLICT (position) DO UPDATE SET hash = excluded.hash" if taken else ""
    hashes = chain_hashes(prev, stored_events, ids, oids)
    rows = list(zip(ids, hashes, strict=True))
    if ph == "%s":  # PostgreSQL: one statement over two binary arrays (executemany is a statement per row)
        cursor.execute(
            "INSERT INTO event_chain (position, hash) SELECT * FROM unnest(%b::bigint[], %b::text[])" + upsert,
            (list(ids), hashes),
        )
    else:
        cursor.executemany(f"INSERT INTO event_chain (position, hash) VALUES ({ph}, {ph})" + upsert, rows)
    if seal_key is not None and rows:
        pos, new_head = rows[-1]
        cursor.execute(
            f"INSERT INTO chain_seals (position, mac) VALUES ({ph}, {ph}) "
            "ON CONFLICT (position) DO UPDATE SET mac = excluded.mac",
            (pos, seal_mac(seal_key, pos, new_head)),
        )


SEALS_SQL = ("SELECT s.position, s.mac, c.hash FROM chain_seals s LEFT JOIN event_chain c "
             "ON c.position = s.position ORDER BY s.position")


def select_seals(datastore: Any) -> list[tuple[int, str, str | None]]:
    """Every keyed seal with the chain hash now at its position, in order."""
    with datastore.transaction(commit=False) as c:
        c.execute(SEALS_SQL)
        return [(int(r["position"]), r["mac"], r["hash"]) for r in c.fetchall()]


MMAP_BYTES = 1 << 40  # SQLite caps it at its build's limit (2 GiB by default)


def map_reads(pool: Any) -> None:
    """Memory-mapped reads on every connection ``pool`` opens from now on (``PRAGMA
    mmap_size``): pages are read from the operating system's cache without a system call
    and a copy each (loading thousands of tenancy snapshots, about 5 KB each, spread over
    overflow pages). Writes, the WAL and durability are unchanged: SQLite writes through
    its own page cache as before. An in-memory store is left alone, and so is the
    simulation's (``memory_mapped_reads = False``). The pages read through the map count
    in the process's resident memory (shared file pages, as the operating system's cache
    holds them anyway): a process that reads the whole file shows it there, up to the
    map's size."""
    if (getattr(pool, "_vangnet_mapped", False) or pool.is_sqlite_memory_mode
            or not getattr(pool, "memory_mapped_reads", True)):
        return
    create = pool._create_connection

    def create_mapped() -> Any:
        conn = create()
        conn._sqlite_conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        return conn

    pool._create_connection = create_mapped
    pool._vangnet_mapped = True


class VangnetSQLiteRecorder(SQLiteApplicationRecorder):
    """The library's SQLite application recorder, plus side tables written in the
    same transaction as the events (``save(..., side_ops=[...])``)."""

    writer = SideWriter("sqlite")
    seal_key: bytes | None = None  # set by adapters.bootstrap from VANGNET_SEAL_KEY(_FILE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        map_reads(self.datastore.pool)

    def select_seals(self) -> list[tuple[int, str, str | None]]:
        return select_seals(self.datastore)

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + ddl("sqlite")

    def create_table(self) -> None:
        from adapters.store.schema import create_sqlite

        create_sqlite(self)  # under a write lock, with the migrations (adapters.store.schema)

    def _insert_events(self, c: Any, stored_events: Sequence[Any], **kwargs: Any) -> Sequence[int] | None:
        ids: list[int] = []
        if stored_events:
            # the ids as hex once, for the rows and the chain (as the library stores them;
            # an id that is not a UUID, a text id, as it is)
            oids = originator_hexes(stored_events)
            params = [(o, s.originator_version, s.topic, s.state) for o, s in zip(oids, stored_events, strict=True)]
            # rowids of one write transaction are contiguous: no other writer can interleave
            c.executemany(self.insert_events_statement, params)
            c.execute(f"SELECT MAX(rowid) FROM {self.events_table_name}")
            last = c.fetchone()[0]
            ids = list(range(last - len(params) + 1, last + 1))
            append_chain(c, "?", stored_events, ids, self.seal_key, oids)
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

    def __init__(self, recorder: Any, dialect: str, cipher: FieldCipher | None = None):
        self.recorder = recorder
        self.datastore = recorder.datastore
        self.dialect = dialect
        self.cipher = cipher
        self.writer = SideWriter(dialect, cipher)
        self.ph = self.writer.ph
        if cipher is not None:  # the recorder writes side rows in the events' transaction: same cipher
            recorder.writer = SideWriter(dialect, cipher)

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

    def closed_cases_due(self, day: date) -> list[UUID]:
        """Closed cases a late fact reached (``TouchCase(closed=True)``), due for a re-check."""
        rows = self._rows(
            "SELECT case_id FROM rm_cases WHERE status = 'closed' AND next_check_on IS NOT NULL "
            "AND next_check_on <= ? ORDER BY case_id", (day.isoformat(),)
        )
        return [UUID(r["case_id"]) for r in rows]

    def list_cases(self, *, open_only: bool = False) -> list[dict[str, Any]]:
        where = "WHERE c.status = 'open' " if open_only else ""
        return self._rows(
            "SELECT c.case_id, c.tenancy_id, c.ref, c.period, c.track, c.status, c.due_date, c.opened_on, c.closed_on, "
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

    def balances(self, tenancy_ids: Iterable[str]) -> dict[str, int]:
        """tenancy id (text) -> balance in cents, from rm_tenancies, for these tenancies only."""
        out: dict[str, int] = {}
        ids = list(tenancy_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join(["?"] * len(chunk))
            for r in self._rows(
                f"SELECT tenancy_id, balance_cents FROM rm_tenancies WHERE tenancy_id IN ({marks})", chunk
            ):
                out[r["tenancy_id"]] = r["balance_cents"]
        return out

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

    # ------------------------------------------------------- workbench
    def worklist_rows(self, *, until: date, track: str | None = None, kind: str | None = None,
                      officer: str | None = None, with_names: bool = False, limit: int = 200,
                      offset: int = 0) -> list[dict[str, Any]]:
        """Open tasks due by ``until``, by priority, with the tenancy's balance (and the
        tenant's name when asked): index lookups per task, no scan of the tenancies."""
        where = ["k.status = 'open'", "k.due_on <= ?"]
        params: list[Any] = [until.isoformat()]
        if track:
            where.append("k.track = ?")
            params.append(track)
        if kind:
            where.append("k.kind = ?")
            params.append(kind)
        if officer:
            where.append("o.officer = ?")
            params.append(officer)
        name = "d.name" if with_names else "NULL"
        params.extend([int(limit), int(offset)])
        return self._rows(
            f"SELECT k.*, t.balance_cents, {name} AS name, o.officer FROM rm_tasks k "
            "LEFT JOIN rm_tenancies t ON t.tenancy_id = k.tenancy_id "
            "LEFT JOIN contact_directory d ON d.tenancy_id = k.tenancy_id "
            "LEFT JOIN case_officers o ON o.case_id = k.case_id "
            f"WHERE {' AND '.join(where)} ORDER BY k.priority, k.case_due_date, k.due_on, k.task_id LIMIT ? OFFSET ?",
            params,
        )

    def tenancy_row_by_ref(self, ref: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM rm_tenancies WHERE ref = ?", (ref,))
        return rows[0] if rows else None

    def case_rows_of(self, tenancy_id: UUID) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM rm_cases WHERE tenancy_id = ? ORDER BY opened_on", (str(tenancy_id),))

    def case_ids_by_prefix(self, prefix: str, limit: int = 3) -> list[str]:
        hi = prefix + "\uffff"
        rows = self._rows("SELECT case_id FROM rm_cases WHERE case_id >= ? AND case_id < ? ORDER BY case_id LIMIT ?",
                          (prefix, hi, limit))
        return [r["case_id"] for r in rows]

    def contact_history(self, tenancy_id: UUID) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM contact_history WHERE tenancy_id = ? ORDER BY changed_on, change_id",
                          (str(tenancy_id),))
        return [open_row(self.cipher, "contact_history", r) for r in rows]

    def case_officer(self, case_id: UUID) -> str | None:
        rows = self._rows("SELECT officer FROM case_officers WHERE case_id = ?", (str(case_id),))
        return rows[0]["officer"] if rows else None

    def user(self, name: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM users WHERE name = ?", (name,))
        return rows[0] if rows else None

    def users(self) -> list[dict[str, Any]]:
        return self._rows("SELECT name, role, created_on, active FROM users ORDER BY name")

    # ---------------------------------------------------------- bank items
    def bank_items(self, status: str | None = None) -> list[dict[str, Any]]:
        if status is None:
            return self._rows("SELECT * FROM bank_items ORDER BY booked_on, item_id")
        return self._rows("SELECT * FROM bank_items WHERE status = ? ORDER BY booked_on, item_id", (status,))

    def bank_item(self, item_id: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM bank_items WHERE item_id = ?", (item_id,))
        return rows[0] if rows else None

    def bank_items_of_account(self, account: str, natural_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        ids = list(dict.fromkeys(natural_ids))
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join(["?"] * len(chunk))
            # rows migrated from the single-account suspense table (account 'legacy') count too
            for r in self._rows(f"SELECT * FROM bank_items WHERE account IN (?, 'legacy') AND natural_id IN ({marks}) "
                                "ORDER BY account", [account, *chunk]):
                out.setdefault(r["natural_id"], r)
        return out

    def bank_payment_by_end_to_end_id(self, e2e: str) -> dict[str, Any] | None:
        rows = self._rows(
            "SELECT * FROM bank_items WHERE end_to_end_id = ? AND status IN ('booked', 'assigned') "
            "ORDER BY booked_on DESC, item_id", (e2e,))
        return rows[0] if rows else None

    def bank_statements(self, account: str) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM bank_statements WHERE account = ? ORDER BY position", (account,))

    def legacy_suspense(self) -> list[dict[str, Any]]:
        """Rows of the suspense table of before ``bank_items`` (migrated, then deleted)."""
        return self._rows("SELECT * FROM suspense ORDER BY item_id")

    def bank_statement_position(self) -> int:
        rows = self._rows("SELECT MAX(position) AS p FROM bank_statements")
        return int(rows[0]["p"] or 0)

    # ------------------------------------------------- contacts and keys
    def contact(self, tenancy_id: UUID) -> Contact | None:
        rows = self._rows("SELECT * FROM contact_directory WHERE tenancy_id = ?", (str(tenancy_id),))
        if not rows:
            return None
        r = open_row(self.cipher, "contact_directory", rows[0])
        reps = tuple(
            RepresentativeContact(role=x["role"], name=x["name"], address=x["address"], organisation=x["organisation"])
            for x in (open_row(self.cipher, "representatives", row) for row in self._rows(
                "SELECT * FROM representatives WHERE tenancy_id = ? ORDER BY role", (str(tenancy_id),))))
        return Contact(tenancy_id=tenancy_id, name=r["name"], phone=r["phone"], address=r["address"],
                       iban=r["iban"], municipality=r["municipality"], representatives=reps)

    get = contact  # ContactDirectory protocol

    def key(self, tenancy_id: UUID) -> bytes | None:
        rows = self._rows("SELECT tenancy_id, key FROM tenancy_keys WHERE tenancy_id = ?", (str(tenancy_id),))
        return bytes(open_row(self.cipher, "tenancy_keys", rows[0])["key"]) if rows else None

    def compact_after_erasure(self) -> None:
        """After stored events were rewritten (``application.redaction``): on SQLite, copy
        the write-ahead log into the database file and truncate it, so that no page with
        the old bytes is left in the journal (the rewrite zeroed the old cells:
        ``secure_delete``). PostgreSQL keeps the old row version until VACUUM: run
        ``VACUUM`` on the events table afterwards (docs/privacy.md)."""
        if self.dialect != "sqlite":
            return
        with self.datastore.get_connection(commit=False) as conn:
            c = conn.cursor()
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            c.fetchall()

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

    def events_of(self, ids: Sequence[UUID], after: Mapping[UUID, int] | None = None) -> list[Any]:
        """The stored events of many aggregates, in one query per 500 ids, ordered by
        aggregate and version (for bulk loading in the daily run and imports). With
        ``after``, only the events after that version of each aggregate named there (the
        part a snapshot does not hold)."""
        from application.writepath import _stored

        table = self.recorder.events_table_name
        cols = "e.originator_id, e.originator_version, e.topic, e.state"
        order = "ORDER BY e.originator_id, e.originator_version"
        after = after or {}
        out: list[Any] = []
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            versions = [after.get(u, 0) for u in chunk]
            with self.datastore.transaction(commit=False) as c:
                if self.dialect == "sqlite":
                    by_hex = {u.hex: u for u in chunk}
                    params: list[Any] = []
                    for u, v in zip(chunk, versions, strict=True):
                        params += (u.hex, v)
                    raw = c.sqlite_cursor  # type: ignore[attr-defined]
                    raw.row_factory = None  # plain tuples
                    raw.execute(
                        "WITH w(id, v) AS (VALUES " + ",".join(["(?,?)"] * len(chunk)) + f") SELECT {cols} "
                        f"FROM w JOIN {table} e ON e.originator_id = w.id AND e.originator_version > w.v {order}",
                        params,
                    )
                    out.extend(_stored(by_hex[r[0]], r[1], r[2], r[3]) for r in raw.fetchall())
                else:
                    c.execute(
                        f"SELECT {cols} FROM unnest(%s::uuid[], %s::bigint[]) AS w(id, v) "
                        f"JOIN {table} e ON e.originator_id = w.id AND e.originator_version > w.v {order}",
                        (chunk, versions),
                    )
                    out.extend(_stored(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"]))
                               for r in c.fetchall())
        return out

    def latest_snapshots(self, ids: Sequence[UUID], table: str) -> dict[UUID, Any]:
        """The newest stored snapshot of each of these aggregates that has one (snapshots
        live in the library's snapshot table ``table``), in one query per 500 ids."""
        from eventsourcing.persistence import StoredEvent

        out: dict[UUID, Any] = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            with self.datastore.transaction(commit=False) as c:
                if self.dialect == "sqlite":
                    by_hex = {u.hex: u for u in chunk}
                    raw = c.sqlite_cursor  # type: ignore[attr-defined]
                    raw.row_factory = None
                    # SQLite: the bare columns of a MAX() aggregate come from the row with the max
                    raw.execute(
                        f"SELECT originator_id, MAX(originator_version), topic, state FROM {table} "
                        f"WHERE originator_id IN ({','.join('?' * len(chunk))}) GROUP BY originator_id",
                        list(by_hex),
                    )
                    rows = [(by_hex[r[0]], r[1], r[2], r[3]) for r in raw.fetchall()]
                else:
                    c.execute(
                        f"SELECT DISTINCT ON (originator_id) originator_id, originator_version, topic, state "
                        f"FROM {table} WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version DESC",
                        (chunk,),
                    )
                    rows = [(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"]))
                            for r in c.fetchall()]
            for oid, version, topic, state in rows:
                out[oid] = StoredEvent(oid, version, topic, state)
        return out

    def count_events(self) -> int:
        rows = self._rows(f"SELECT COUNT(*) AS n FROM {self.recorder.events_table_name}")
        return int(rows[0]["n"])
