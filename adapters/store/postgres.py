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

from adapters.store.sql import SideWriter, _chain_select, ddl, write_chain


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
        """One write transaction: side tables, table lock, notify and the read of where the
        notification sequence and the hash chain stand pipelined, then the events' COPY
        sent outside the pipeline (``_copy_event_rows``) and the chain written.

        The library sends the INSERT inside ``conn.pipeline()`` and then calls
        ``pipeline.sync()``. psycopg's sync stops sending when its command queue is
        empty, even when libpq could not yet write the whole of the last message to
        the socket, and then only waits for results. A large INSERT (a 40,000-row
        import in one transaction) sent while the server is still busy with the side
        tables fills the socket buffers: the rest of the message is never sent, the
        server waits for it (ClientRead) holding the events table lock, and the client
        waits for a result that cannot come. Leaving the pipeline (its exit flushes
        until everything is sent) before the INSERT, and sending the events as a plain
        statement (sent whole before its result is awaited), cannot stall that way."""
        notification_ids: Sequence[int] | None = None
        with self.datastore.get_connection() as conn, conn.transaction():
            sqls = self._write_sqls(conn) if stored_events else None
            with conn.pipeline(), conn.cursor() as curs:
                self._insert_events(curs, stored_events, **kwargs)
                if sqls is not None:
                    self._lock_table(curs)
                    self._notify_channel(curs)
                    # under the lock: where the sequence and the chain stand (read with the pipeline)
                    state = conn.cursor()
                    state.execute(sqls[1])
            if sqls is not None:
                row = state.fetchone()
                state.close()
                assert row is not None  # a sequence has one row
                with conn.cursor() as curs:
                    notification_ids = self._copy_event_rows(curs, stored_events, sqls, row)
                    write_chain(curs, "%s", stored_events, notification_ids, row["hash"], row["taken"],
                                self.seal_key)
        return notification_ids

    def create_table(self) -> None:
        from adapters.store.schema import create_postgres

        create_postgres(self, self._create_all)  # under an advisory lock, with the migrations

    def _create_all(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as curs:
            for stmt in ddl("postgres"):
                curs.execute(stmt)

    def _write_sqls(self, conn: Any) -> tuple[Any, Any, Any]:
        """The COPY of the events, the read of the sequence's and the chain's state, and
        the sequence's name (found once)."""
        from psycopg.sql import SQL, Identifier

        sqls = getattr(self, "_sqls", None)
        if sqls is None:
            table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
            with conn.cursor() as c:
                c.execute("SELECT n.nspname, s.relname FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace "
                          "WHERE s.oid = pg_get_serial_sequence(%s, 'notification_id')::regclass",
                          (f'"{self.datastore.schema}"."{self.events_table_name}"',))
                r = c.fetchone()
            seq = SQL("{0}.{1}").format(Identifier(r["nspname"]), Identifier(r["relname"]))
            sqls = self._sqls = (
                SQL("COPY {0} (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
                    ).format(table),
                SQL("SELECT s.last_value, s.is_called, (SELECT hash FROM event_chain ORDER BY position DESC LIMIT 1) "
                    "AS hash, EXISTS (SELECT 1 FROM event_chain WHERE position >= s.last_value "
                    "+ CASE WHEN s.is_called THEN 1 ELSE 0 END) AS taken FROM {0} s").format(seq),
                seq.as_string(conn),  # for currval(%s::regclass)
            )
        return sqls  # type: ignore[no-any-return]

    def _copy_event_rows(self, curs: Any, stored_events: Sequence[Any], sqls: tuple[Any, Any, Any],
                         state: Any) -> list[int]:
        """The events written with ``COPY ... FROM STDIN (FORMAT BINARY)`` (rows formatted
        in C by psycopg; the server skips the executor's per-row work of an INSERT), and
        their notification ids. This transaction holds the events table in EXCLUSIVE mode
        (``_lock_table``), so nobody else draws from its sequence: ``state``, read under
        the lock, says where the sequence stands, COPY draws one id per row in input
        order, and the ids are the next ``n``. That exactly ``n`` were drawn is checked
        (the sequence's current value) before the chain is built on them. COPY is sent
        whole before its result is awaited (no pipeline stall, see ``_insert_events_once``)."""
        from eventsourcing.persistence import ProgrammingError

        copy_sql, _, seq = sqls
        n = len(stored_events)
        first = int(state["last_value"]) + (1 if state["is_called"] else 0)
        with curs.copy(copy_sql) as cp:
            cp.set_types([self.datastore.originator_id_type, "int8", "text", "bytea"])
            write = cp.write_row
            for e in stored_events:
                write((e.originator_id, e.originator_version, e.topic, e.state))
        curs.execute("SELECT currval(%s::regclass) AS last", (seq,))
        last = int(curs.fetchone()["last"])
        if last != first + n - 1:
            raise ProgrammingError(f"Couldn't get all notification IDs (expected {first} to {first + n - 1} from "
                                   f"the sequence, it stands at {last})")
        return list(range(first, last + 1))

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
