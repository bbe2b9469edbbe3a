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
                    self._insert_event_rows(curs, stored_events)
                    notification_ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        return notification_ids

    def create_table(self) -> None:
        from adapters.store.schema import create_postgres

        create_postgres(self, self._create_all)  # under an advisory lock, with the migrations

    def _create_all(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as curs:
            for stmt in ddl("postgres"):
                curs.execute(stmt)

    def _insert_event_rows(self, curs: Any, stored_events: Sequence[Any]) -> None:
        """The events' INSERT ... SELECT FROM unnest RETURNING notification_id, with the
        rows sent as four plain arrays in binary (``%b``: with ``%s`` psycopg sends lists
        of text and bytes as text arrays, built and escaped in Python element by element,
        about 9 us of CPU per row against 1 us) instead of the library's one array of a
        composite type (psycopg builds the composite's text form in Python, field by
        field, which cost more than the insert itself)."""
        from psycopg.sql import SQL, Identifier

        sql = getattr(self, "_insert_arrays_sql", None)
        if sql is None:
            sql = self._insert_arrays_sql = SQL(
                "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(%b::{oid}[], %b::bigint[], %b::text[], %b::bytea[]) "
                "RETURNING notification_id"
            ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name),
                     oid=Identifier(self.datastore.originator_id_type))
        curs.execute(sql, ([e.originator_id for e in stored_events], [e.originator_version for e in stored_events],
                           [e.topic for e in stored_events], [e.state for e in stored_events]), binary=True)

    def _insert_events(self, curs: Any, stored_events: Sequence[Any], **kwargs: Any) -> None:
        ops = kwargs.get("side_ops")
        if ops:
            self.writer.apply(curs, ops)

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[Any], **kwargs: Any) -> Any:
        # Still inside the inserting transaction, with the events table locked (EXCLUSIVE):
        # extend the hash chain now that the notification ids are known.
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if ids:
            append_chain(curs, "%s", stored_events, ids, self.seal_key)
        return ids

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
