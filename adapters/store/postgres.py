"""PostgreSQL recorder with side tables written in the events' transaction.

Imported only when a PostgreSQL URL is configured (needs the ``postgres`` extra).
Stored format: this class path is named in configuration (APPLICATION_RECORDER_TOPIC).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder

from adapters.store.sql import SideWriter, ddl


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
