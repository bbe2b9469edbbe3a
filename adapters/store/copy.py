"""``vangnet store copy`` and ``vangnet store backup``: move a whole store between
SQLite and PostgreSQL, and back up a SQLite store while it is in use.

A copy takes everything: the events with their positions (so the hash chain stays
valid), the hash chain itself, and every other table of the source, whatever it
holds (contact directory, sealing keys, read models, ledger index, suspense,
outbox with its claims, meta, imports...). It writes only into an empty target,
then verifies the copy: the row count of every table, and ``audit verify`` on the
target. Run it while nothing writes to the source (stop the daily run and imports).

``audit export`` / ``audit import`` is the auditor's export of the events, not a
migration: it does not carry the contact directory, keys, ledger index or outbox.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

PAGE = 5000
SKIP = {"schema_version", "sqlite_sequence"}  # the target has its own schema record


class CopyRefused(ValueError):
    """The copy cannot start (non-empty target, different schema) or did not verify."""


@attrs.define
class CopyReport:
    tables: dict[str, int] = attrs.Factory(dict)  # rows copied per table (events table as "events")
    verified: bool = False
    discrepancies: list[str] = attrs.Factory(list)

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


class _Side:
    """One store opened by Vangnet (schema created and migrated), seen as plain tables."""

    def __init__(self, app: Any, dialect: str):
        self.app = app
        self.dialect = dialect
        self.recorder = app.recorder
        self.ds = app.recorder.datastore
        self.events = app.recorder.events_table_name
        self.ph = "?" if dialect == "sqlite" else "%s"

    def tables(self) -> list[str]:
        if self.dialect == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        else:
            sql = "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        with self.ds.transaction(commit=False) as c:
            c.execute(sql)
            # snapshots are a cache of the events (rebuilt on demand): not copied
            return [r["name"] for r in c.fetchall()
                    if r["name"] not in SKIP and r["name"] != self.events and not r["name"].endswith("snapshots")]

    def columns(self, table: str) -> list[str]:
        with self.ds.transaction(commit=False) as c:
            if self.dialect == "sqlite":
                c.execute(f"PRAGMA table_info({table})")
                return [r["name"] for r in c.fetchall()]
            c.execute("SELECT column_name AS name FROM information_schema.columns WHERE table_name = %s "
                      "AND table_schema = current_schema() ORDER BY ordinal_position", (table,))
            return [r["name"] for r in c.fetchall()]

    def count(self, table: str) -> int:
        with self.ds.transaction(commit=False) as c:
            c.execute(f'SELECT COUNT(*) AS n FROM "{table}"')
            return int(c.fetchone()["n"])

    def pos_col(self) -> str:
        return "rowid" if self.dialect == "sqlite" else "notification_id"

    def event_rows(self) -> Iterator[list[tuple[int, uuid.UUID, int, str, bytes]]]:
        """Pages of (position, aggregate id, version, topic, state), in position order."""
        pos = self.pos_col()
        last = 0
        while True:
            with self.ds.transaction(commit=False) as c:
                c.execute(f"SELECT {pos} AS pos, originator_id, originator_version, topic, state FROM {self.events} "
                          f"WHERE {pos} > {self.ph} ORDER BY {pos} LIMIT {PAGE}", (last,))
                rows = c.fetchall()
            if not rows:
                return
            page = []
            for r in rows:
                oid = r["originator_id"]
                page.append((int(r["pos"]), oid if isinstance(oid, uuid.UUID) else uuid.UUID(str(oid)),
                             int(r["originator_version"]), r["topic"], bytes(r["state"])))
            yield page
            last = page[-1][0]

    def write_events(self, page: list[tuple[int, uuid.UUID, int, str, bytes]]) -> None:
        p = self.ph
        if self.dialect == "sqlite":
            sql = f"INSERT INTO {self.events} (rowid, originator_id, originator_version, topic, state) VALUES ({p}, {p}, {p}, {p}, {p})"
            rows = [(pos, oid.hex, v, t, s) for pos, oid, v, t, s in page]
        else:
            sql = f"INSERT INTO {self.events} (notification_id, originator_id, originator_version, topic, state) VALUES ({p}, {p}, {p}, {p}, {p})"
            rows = list(page)
        with self.ds.transaction(commit=True) as c:
            c.executemany(sql, rows)

    def finish_events(self) -> None:
        if self.dialect == "postgres":  # new events continue after the copied positions
            with self.ds.transaction(commit=True) as c:
                c.execute(f"SELECT setval(pg_get_serial_sequence('{self.events}', 'notification_id'), "
                          f"GREATEST((SELECT MAX(notification_id) FROM {self.events}), 1))")

    def key(self, table: str) -> list[str]:
        """The columns that name a row of ``table`` uniquely, for reading it page by page
        after the last row read (keyset), never by OFFSET (which rereads every earlier
        row for each page). SQLite: the rowid. PostgreSQL: the primary key or a unique
        index without NULLs; a table with neither is read by its physical row id (ctid),
        which is stable while nothing writes (a copy needs the source at rest)."""
        if self.dialect == "sqlite":
            return ["rowid"]
        with self.ds.transaction(commit=False) as c:
            c.execute(
                "SELECT i.indisprimary AS pk, array_agg(a.attname::text ORDER BY k.n) AS cols "
                "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
                "JOIN pg_namespace ns ON ns.oid = t.relnamespace "
                "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
                "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
                "WHERE t.relname = %s AND ns.nspname = current_schema() AND i.indisunique "
                "AND i.indpred IS NULL AND i.indexprs IS NULL "
                "GROUP BY i.indexrelid, i.indisprimary ORDER BY i.indisprimary DESC, i.indexrelid", (table,))
            found = c.fetchone()
            if found is None:
                return ["ctid"]
            cols = list(found["cols"])
            c.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE '
                      + " OR ".join(f'"{k}" IS NULL' for k in cols) + ") AS nulls")
            return ["ctid"] if c.fetchone()["nulls"] else cols  # a NULL key would never compare greater

    def rows(self, table: str, cols: list[str]) -> Iterator[list[tuple[Any, ...]]]:
        """Pages of ``table``'s rows (values of ``cols``), read by key after the last row
        of the previous page."""
        key = self.key(table)
        names = ", ".join(f'"{c}"' for c in cols)
        keys = ", ".join(k if k in ("rowid", "ctid") else f'"{k}"' for k in key)
        sel = ", ".join(f"{k} AS _k{i}" if k in ("rowid", "ctid") else f'"{k}" AS _k{i}' for i, k in enumerate(key))
        marks = ", ".join([self.ph] * len(key))
        cast = "::tid" if key == ["ctid"] else ""
        after: tuple[Any, ...] | None = None
        while True:
            where = f"WHERE ({keys}) > ({marks}{cast}) " if after is not None else ""
            with self.ds.transaction(commit=False) as c:
                c.execute(f'SELECT {names}, {sel} FROM "{table}" {where}ORDER BY {keys} LIMIT {PAGE}',
                          after or ())
                got = c.fetchall()
            if not got:
                return
            yield [tuple(bytes(r[k]) if isinstance(r[k], memoryview) else r[k] for k in cols) for r in got]
            last = got[-1]
            after = tuple(str(last[f"_k{i}"]) if key == ["ctid"] else last[f"_k{i}"] for i in range(len(key)))

    def write_rows(self, table: str, cols: list[str], rows: list[tuple[Any, ...]]) -> None:
        names = ", ".join(f'"{c}"' for c in cols)
        marks = ", ".join([self.ph] * len(cols))
        with self.ds.transaction(commit=True) as c:
            c.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)

    def clear(self, table: str) -> None:
        with self.ds.transaction(commit=True) as c:
            c.execute(f'DELETE FROM "{table}"')


def _dialect(db: str) -> str:
    return "postgres" if db.startswith(("postgresql://", "postgres://")) else "sqlite"


def copy_store(source_db: str, target_db: str, build: Callable[[str], Any],
               progress: Callable[[str, int], None] | None = None,
               verify: Callable[[Any], list[str]] | None = None) -> CopyReport:
    """Copy every table of ``source_db`` into the empty ``target_db``; ``build(db)``
    opens a store (creating and migrating its schema); ``verify(app)`` returns the
    audit's discrepancies on the target."""
    if source_db == target_db:
        raise CopyRefused("store copy: --from and --to are the same store")
    src_app = build(source_db)
    dst_app = build(target_db)
    try:
        src, dst = _Side(src_app, _dialect(source_db)), _Side(dst_app, _dialect(target_db))
        busy = [t for t in [dst.events, *dst.tables()] if t != "meta" and dst.count(t)]
        if busy:
            raise CopyRefused(f"store copy: the target is not empty ({', '.join(sorted(busy))} hold rows); "
                              "copy only into a new, empty store")
        missing = [t for t in src.tables() if t not in set(dst.tables())]
        if missing:
            raise CopyRefused(f"store copy: the target has no table {missing[0]!r}: both stores must run the "
                              "same Vangnet version")
        report = CopyReport()
        n = 0
        dense = True
        expect = None
        for page in src.event_rows():
            dst.write_events(page)
            for pos, *_ in page:
                if expect is not None and pos != expect:
                    dense = False
                expect = pos + 1
            n += len(page)
            if progress:
                progress("events", n)
        dst.finish_events()
        report.tables["events"] = n
        dst.clear("meta")  # the target's own first-use records are replaced by the source's
        for table in src.tables():
            cols = [c for c in src.columns(table) if c in set(dst.columns(table))]
            k = 0
            for rows in src.rows(table, cols):
                dst.write_rows(table, cols, rows)
                k += len(rows)
            report.tables[table] = k
            if progress:
                progress(table, k)
        if not dense and dst.dialect == "sqlite":
            # positions copied from PostgreSQL have gaps (numbers a rolled-back writer took):
            # this store's verify must not read a gap as a deleted event
            dst.write_rows("meta", ["key", "value"], [("chain_positions", "sparse")])
        # verify: every table's rows, then the audit on the target
        for table, k in report.tables.items():
            have = dst.count(dst.events if table == "events" else table)
            want = src.count(src.events if table == "events" else table)
            if table == "meta":
                have -= int(not dense and dst.dialect == "sqlite")
            if have != want or k != want:
                report.discrepancies.append(f"{table}: {want} rows in the source, {have} in the target")
        if verify is not None:
            dst_app.recorder.chain_positions_dense = dense and dst.dialect == "sqlite"
            report.discrepancies.extend(verify(dst_app))
        report.verified = not report.discrepancies
        return report
    finally:
        src_app.close()
        dst_app.close()


def backup_sqlite(db: str, target: str, pages: int = 1024) -> int:
    """Back up a SQLite store with SQLite's online backup API: a consistent copy taken
    while other processes keep reading and writing. Refuses to overwrite a file."""
    out = Path(target)
    if out.exists():
        raise CopyRefused(f"store backup: {target!r} exists; choose a new file")
    if not Path(db).is_file():
        raise CopyRefused(f"store backup: {db!r} is not a SQLite store file")
    src = sqlite3.connect(db)
    dst = sqlite3.connect(out)
    try:
        src.backup(dst, pages=pages)
        n = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if n != "ok":
            raise CopyRefused(f"store backup: the copy fails SQLite's integrity check: {n}")
        return int(dst.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])
    finally:
        dst.close()
        src.close()
