"""PostgreSQL recorder with side tables written in the events' transaction.

Imported only when a PostgreSQL URL is configured (needs the ``postgres`` extra).
Stored format: this class path is named in configuration (APPLICATION_RECORDER_TOPIC).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder

from adapters.store.sql import SideWriter, _chain_select, append_chain, ddl


class VangnetPostgresRecorder(PostgresApplicationRecorder):
    writer = SideWriter("postgres")

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as curs:
            for stmt in ddl("postgres"):
                curs.execute(stmt)

    def _insert_events(self, curs: Any, stored_events: Sequence[Any], **kwargs: Any) -> None:
        ops = kwargs.get("side_ops")
        if ops:
            self.writer.apply(curs, ops)

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[Any], **kwargs: Any) -> Any:
        # Still inside the inserting transaction, with the events table locked (EXCLUSIVE):
        # extend the hash chain now that the notification ids are known.
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if ids:
            append_chain(curs, "%s", stored_events, ids)
        return ids

    def select_chain(self, gt: int | None, lte: int | None, limit: int | None = None) -> list[tuple[int, str]]:
        """Hash-chain rows (position, hash) with gt < position <= lte, in order."""
        sql, params = _chain_select(gt, lte, limit, "%s")
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(sql, params)
            return [(r["position"], r["hash"]) for r in curs.fetchall()]
