"""PostgreSQL recorder with side tables written in the events' transaction.

Imported only when a PostgreSQL URL is configured (needs the ``postgres`` extra).
Stored format: this class path is named in configuration (APPLICATION_RECORDER_TOPIC).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from eventsourcing.utils import retry

from adapters.store.sql import SideWriter, _chain_select, append_chain, ddl


class VangnetPostgresRecorder(PostgresApplicationRecorder):
    chain_positions_dense = False  # positions may have gaps (sequences): see application.audit.eventlog
    writer = SideWriter("postgres")
    seal_key: bytes | None = None  # set by adapters.bootstrap from VANGNET_SEAL_KEY(_FILE)

    def select_seals(self) -> list[tuple[int, str, str | None]]:
        from adapters.store.sql import SEALS_SQL

        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SEALS_SQL)
            return [(int(r["position"]), r["mac"], r["hash"]) for r in curs.fetchall()]

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        # every connection waits at most the busy timeout for a lock (POSTGRES_LOCK_TIMEOUT
        # seconds, also used by the library for the events table lock); on every connection of the pool
        if datastore.lock_timeout:
            pool = datastore.pool
            pool.kwargs["options"] = f"-c lock_timeout={int(datastore.lock_timeout) * 1000}"
            if not pool.closed:  # connections opened before (type registration): replace them
                pool.drain()

    def insert_events(self, stored_events: Sequence[Any], **kwargs: Any) -> Any:
        """The library's insert, sent so that a large transaction cannot stall (see
        ``_insert_events_once``), without its ten retries when the cause is a lock wait:
        a busy store is reported at once (``StoreBusy``), other connection errors are
        still retried."""
        from application.store import StoreBusy, is_busy

        try:
            return self._insert_events_once(stored_events, **kwargs)
        except (InterfaceError, OperationalError) as e:
            if is_busy(e):
                raise StoreBusy(str(e)) from None
        return self._insert_events_retrying(stored_events, **kwargs)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_events_retrying(self, stored_events: Sequence[Any], **kwargs: Any) -> Any:
        return self._insert_events_once(stored_events, **kwargs)

    def _insert_events_once(self, stored_events: Sequence[Any], **kwargs: Any) -> Sequence[int] | None:
        """One write transaction: side tables, table lock and notify pipelined, then the
        events' INSERT sent outside the pipeline.

        The library sends the INSERT inside ``conn.pipeline()`` and then calls
        ``pipeline.sync()``. psycopg's sync stops sending when its command queue is
        empty, even when libpq could not yet write the whole of the last message to
        the socket, and then only waits for results. A large INSERT (a 40,000-row
        import in one transaction) sent while the server is still busy with the side
        tables fills the socket buffers: the rest of the message is never sent, the
        server waits for it (ClientRead) holding the events table lock, and the client
        waits for a result that cannot come. Leaving the pipeline (its exit flushes
        until everything is sent) before the INSERT, and sending the INSERT as a plain
        statement (sent whole before its result is awaited), cannot stall that way."""
        notification_ids: Sequence[int] | None = None
        with self.datastore.get_connection() as conn, conn.transaction():
            with conn.pipeline(), conn.cursor() as curs:
                self._insert_events(curs, stored_events, **kwargs)
                if stored_events:
                    self._lock_table(curs)
                    self._notify_channel(curs)
            if stored_events:
                with conn.cursor() as curs:
                    notification_ids = self._copy_event_rows(curs, stored_events)
                    append_chain(curs, "%s", stored_events, notification_ids, self.seal_key)
        return notification_ids

    def create_table(self) -> None:
        from adapters.store.schema import create_postgres

        create_postgres(self, self._create_all)  # under an advisory lock, with the migrations

    def _create_all(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as curs:
            for stmt in ddl("postgres"):
                curs.execute(stmt)

    def _copy_event_rows(self, curs: Any, stored_events: Sequence[Any]) -> list[int]:
        """The events written with ``COPY ... FROM STDIN (FORMAT BINARY)`` (rows formatted
        in C by psycopg; the server skips the executor's per-row work of an INSERT) and
        their notification ids read from the sequence: this transaction holds the events
        table in EXCLUSIVE mode (``_lock_table``), so nobody else draws from the sequence
        while COPY draws one id per row in input order, and the ids are the ``n`` up to
        ``currval``. That they are is checked (the ``n`` rows are there) before the chain
        is built on them. COPY is sent whole before its result is awaited (no pipeline
        stall, see ``_insert_events_once``)."""
        from eventsourcing.persistence import ProgrammingError
        from psycopg.sql import SQL, Identifier

        sqls = getattr(self, "_copy_sqls", None)
        if sqls is None:
            table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
            curs.execute("SELECT pg_get_serial_sequence(%s, 'notification_id')",
                         (f'"{self.datastore.schema}"."{self.events_table_name}"',))
            seq = curs.fetchone()["pg_get_serial_sequence"]
            sqls = self._copy_sqls = (
                SQL("COPY {0} (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
                    ).format(table),
                SQL("SELECT s.last, (SELECT count(*) FROM {0} WHERE notification_id BETWEEN s.last - %s + 1 "
                    "AND s.last) AS n FROM (SELECT currval(%s::regclass) AS last) s").format(table),
                seq,
            )
        copy_sql, check_sql, seq = sqls
        with curs.copy(copy_sql) as cp:
            cp.set_types([self.datastore.originator_id_type, "int8", "text", "bytea"])
            write = cp.write_row
            for e in stored_events:
                write((e.originator_id, e.originator_version, e.topic, e.state))
        n = len(stored_events)
        curs.execute(check_sql, (n, seq))
        row = curs.fetchone()
        if row is None or row["n"] != n:
            raise ProgrammingError(f"Couldn't get all notification IDs (expected {n} in a row up to the sequence's "
                                   f"current value, found {row['n'] if row else 0})")
        last = int(row["last"])
        return list(range(last - n + 1, last + 1))

    def _insert_events(self, curs: Any, stored_events: Sequence[Any], **kwargs: Any) -> None:
        ops = kwargs.get("side_ops")
        if ops:
            self.writer.apply(curs, ops)

    def select_chain(self, gt: int | None, lte: int | None, limit: int | None = None) -> list[tuple[int, str]]:
        """Hash-chain rows (position, hash) with gt < position <= lte, in order."""
        sql, params = _chain_select(gt, lte, limit, "%s")
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(sql, params)
            return [(r["position"], r["hash"]) for r in curs.fetchall()]

    def select_event_rows(self, gt: int | None, limit: int, *, with_chain: bool = True) -> list[Any]:
        """Rows (position, originator id as 32 hex digits, version, topic, state, chain hash
        or None) after position ``gt``, in order: one query per page for audit export and verify."""
        from psycopg.rows import tuple_row
        from psycopg.sql import SQL, Identifier

        table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        if with_chain:
            stmt = SQL(
                "SELECT e.notification_id, replace(e.originator_id::text, '-', ''), e.originator_version, e.topic, "
                "e.state, c.hash "
                "FROM {0} e LEFT JOIN event_chain c ON c.position = e.notification_id "
                "WHERE e.notification_id > %s ORDER BY e.notification_id LIMIT %s"
            ).format(table)
        else:
            stmt = SQL(
                "SELECT notification_id, replace(originator_id::text, '-', ''), originator_version, topic, state, "
                "NULL "
                "FROM {0} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
            ).format(table)
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(stmt, (gt or 0, limit))
            return curs.fetchall()


class VangnetSnapshotRecorder(PostgresAggregateRecorder):
    """The library's snapshot recorder, creating its table under the schema advisory lock:
    processes opening a new store at once otherwise race on PostgreSQL's catalog."""

    def create_table(self) -> None:
        from adapters.store.schema import create_postgres_locked

        create_postgres_locked(self, super().create_table)


class VangnetPostgresFactory(PostgresFactory):
    """Stored format: named in configuration (PERSISTENCE_MODULE)."""

    aggregate_recorder_class = VangnetSnapshotRecorder
