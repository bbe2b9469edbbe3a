"""A tunable SQLite store for single-writer bulk work (the simulation).

``VangnetSQLiteFactory`` is the library's SQLite factory with two additions, both
off unless asked for (production stores keep the library's settings: WAL with
``synchronous=FULL``, one commit per command):

* ``SQLITE_SYNCHRONOUS`` (``NORMAL``, ``FULL``, ...): ``PRAGMA synchronous`` on every
  connection. In WAL mode ``NORMAL`` never corrupts the file; a power cut can lose the
  last transactions, which a simulation can simply run again.
* ``datastore.batch()``: one write transaction across many commands. Inside it every
  transaction the recorder or the side tables open (reads and writes) runs on the
  batch's connection as a SAVEPOINT: a command that fails rolls back alone, reads see
  the batch's own writes, and ``commit()`` (or leaving the block) makes all of it
  durable at once. Outside a batch nothing changes.

Selected with ``PERSISTENCE_MODULE=adapters.store.batching:VangnetSQLiteFactory``
(``adapters.bootstrap`` does this when ``Settings.sqlite_synchronous`` is set).
The stored format is the library's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing import persistence as p
from eventsourcing.sqlite import (
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
)

SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")

_ERRORS: tuple[tuple[type[BaseException], type[BaseException]], ...] = (
    (sqlite3.InterfaceError, p.InterfaceError),
    (sqlite3.DataError, p.DataError),
    (sqlite3.OperationalError, p.OperationalError),
    (sqlite3.IntegrityError, p.IntegrityError),
    (sqlite3.InternalError, p.InternalError),
    (sqlite3.ProgrammingError, p.ProgrammingError),
    (sqlite3.NotSupportedError, p.NotSupportedError),
    (sqlite3.DatabaseError, p.DatabaseError),
    (sqlite3.Error, p.PersistenceError),
)


def _library_error(e: BaseException) -> BaseException:
    """The library's exception for a driver error (as its own transactions raise them)."""
    for theirs, ours in _ERRORS:
        if isinstance(e, theirs):
            return ours(e)
    return e


class TunedSQLiteConnectionPool(SQLiteConnectionPool):
    # no memory-mapped reads (adapters.store.sql.map_reads): the simulation writes in bulk
    # and loads from its cache, and a mapped file's pages count in its peak memory
    memory_mapped_reads = False

    def __init__(self, *, synchronous: str | None, **kwargs: Any):
        self.synchronous = synchronous
        super().__init__(**kwargs)

    def _create_connection(self) -> SQLiteConnection:
        conn = super()._create_connection()
        if self.synchronous and not self.is_sqlite_memory_mode:
            conn._sqlite_conn.execute(f"PRAGMA synchronous={self.synchronous}")
        return conn


class BatchingSQLiteDatastore(SQLiteDatastore):
    def __init__(self, db_name: str, *, synchronous: str | None = None, **kwargs: Any):
        super().__init__(db_name, **kwargs)
        self.pool.close()
        self.pool = TunedSQLiteConnectionPool(
            db_name=db_name, lock_timeout=kwargs.get("lock_timeout"), synchronous=synchronous
        )
        self._batch: SQLiteConnection | None = None

    @property
    def in_batch(self) -> bool:
        return self._batch is not None

    @contextmanager
    def batch(self) -> Iterator[BatchingSQLiteDatastore]:
        """One write transaction for everything inside the block (nested blocks join it)."""
        if self._batch is not None:
            yield self
            return
        conn = self.pool.get_connection(is_writer=True)
        try:
            conn._sqlite_conn.execute("BEGIN IMMEDIATE")
            self._batch = conn
            try:
                yield self
            except BaseException:
                conn._sqlite_conn.rollback()
                raise
            else:
                conn._sqlite_conn.commit()
        finally:
            self._batch = None
            self.pool.put_connection(conn)

    def commit(self) -> None:
        """Make the batch so far durable and go on in a new transaction."""
        conn = self._batch
        if conn is None:
            return
        try:
            conn._sqlite_conn.commit()
            conn._sqlite_conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise _library_error(e) from e

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        conn = self._batch
        if conn is None:
            with super().transaction(commit=commit) as c:
                yield c
            return
        raw = conn._sqlite_conn.cursor()
        raw.execute("SAVEPOINT vangnet_command")
        try:
            yield SQLiteCursor(raw)
        except BaseException as e:
            raw.execute("ROLLBACK TO vangnet_command")
            raw.execute("RELEASE vangnet_command")
            if isinstance(e, sqlite3.Error):
                raise _library_error(e) from e
            raise
        else:
            if not commit:
                raw.execute("ROLLBACK TO vangnet_command")
            raw.execute("RELEASE vangnet_command")
        finally:
            raw.close()


class VangnetSQLiteFactory(SQLiteFactory):
    SQLITE_SYNCHRONOUS = "SQLITE_SYNCHRONOUS"

    def __init__(self, env: Any):
        super().__init__(env)
        sync = (self.env.get(self.SQLITE_SYNCHRONOUS) or "").strip().upper() or None
        if sync is not None and sync not in SYNCHRONOUS:
            raise OSError(f"SQLITE_SYNCHRONOUS: {sync!r} is not one of {', '.join(SYNCHRONOUS)}")
        old = self.datastore
        self.datastore = BatchingSQLiteDatastore(
            old.pool.db_name,
            synchronous=sync,
            lock_timeout=old.pool.lock_timeout,
            single_row_tracking=old.single_row_tracking,
            originator_id_type=old.originator_id_type,
        )
        old.close()
