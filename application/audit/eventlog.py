"""The event log as audit reads it: an explicit port instead of probing the recorder.

``ChainedRecorder`` is what Vangnet's own recorders (``adapters/store``) offer beyond
the library's ``ApplicationRecorder``: event rows with their hash-chain entry in one
query, and the chain alone. ``EventLog`` wraps any recorder: with a chained one it
reads pages of rows and the chain; with a plain library recorder it reads the
library's notifications and says it has no chain."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

from application.audit.common import PAGE

# (position, originator id as stored, version, topic, state, chain hash or None)
EventRow = tuple[int, Any, int, str, Any, str | None]


@runtime_checkable
class ChainedRecorder(Protocol):
    """A recorder that keeps ``event_chain(position, hash)`` with its events."""

    # True when positions have no gaps (SQLite): a position with neither an event nor a
    # chain entry is then a deletion too
    chain_positions_dense: bool

    def select_event_rows(self, gt: int | None, limit: int, *, with_chain: bool = True) -> list[Any]:
        """Up to ``limit`` ``EventRow``s after position ``gt``, in position order."""
        ...

    def select_chain(self, gt: int | None, lte: int | None, limit: int | None = None) -> list[tuple[int, str]]:
        """Chain entries ``(position, hex hash)`` with ``gt < position <= lte``."""
        ...


class EventLog:
    """Read and write access to the stored events that audit uses, on any recorder."""

    def __init__(self, recorder: Any):
        self.recorder = recorder
        self.chained: ChainedRecorder | None = (
            recorder if isinstance(recorder, ChainedRecorder) else None
        )

    @property
    def has_chain(self) -> bool:
        return self.chained is not None

    @property
    def chain_positions_dense(self) -> bool:
        return bool(self.chained is not None and self.chained.chain_positions_dense)

    def pages(
        self, *, after: int | None = None, page: int = PAGE, with_chain: bool = False
    ) -> Iterator[list[EventRow]]:
        """Pages of ``EventRow`` in position order after position ``after``: one query
        per page (the chain hash is ``None`` unless ``with_chain`` on a chained log)."""
        last = after or 0
        while True:
            if self.chained is not None:
                rows = self.chained.select_event_rows(last, page, with_chain=with_chain)
            else:  # a library recorder: its notifications, without a chain
                rows = [
                    (n.id, n.originator_id, n.originator_version, n.topic, n.state, None)
                    for n in self.recorder.select_notifications(last + 1, page)
                ]
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    def chain(self, gt: int | None, lte: int | None, limit: int | None = None) -> list[tuple[int, str]]:
        if self.chained is None:
            return []
        return self.chained.select_chain(gt, lte, limit)

    def aggregate_events(self, aggregate_id: uuid.UUID) -> Sequence[Any]:
        """The library's stored events of one aggregate, in version order."""
        return self.recorder.select_events(aggregate_id)  # type: ignore[no-any-return]

    def max_position(self) -> int:
        return int(self.recorder.max_notification_id() or 0)

    def insert(self, stored_events: Sequence[Any]) -> None:
        self.recorder.insert_events(stored_events)


def event_log(app: Any) -> EventLog:
    """The event log of the application's store."""
    return EventLog(app.recorder)


def iter_rows(
    app: Any, *, after: int | None = None, page: int = PAGE, with_chain: bool = False
) -> Iterator[list[Any]]:
    """Pages of (position, originator id, version, topic, state, chain hash or None)
    in position order, after position ``after``: one query per page."""
    return event_log(app).pages(after=after, page=page, with_chain=with_chain)
