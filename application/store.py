"""The store port: read models and side tables kept in the event store's database.

Side operations (``Upsert``/``Delete``/``TouchCase``) are written by the
recorder in the same transaction as the events they accompany, so a read model
row never disagrees with the events it was computed from. Personal data
(contact directory) and sealing keys live in their own deletable tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

import attrs

from application.ports import Contact


@attrs.frozen
class Upsert:
    table: str
    key: tuple[str, ...]
    row: dict[str, Any]


@attrs.frozen
class Delete:
    table: str
    where: dict[str, Any]


@attrs.frozen
class TouchCase:
    """Mark a case for re-evaluation on ``on`` (a change on its tenancy or case)."""

    case_id: UUID
    on: date


SideOp = Upsert | Delete | TouchCase


class Store(Protocol):
    # writes without events
    def apply(self, ops: Sequence[SideOp]) -> None: ...

    # read models
    def unpaid_without_case(self, on: date | None = None) -> list[tuple[UUID, date]]: ...
    def cases_due(self, day: date) -> list[UUID]: ...
    def list_cases(self, *, open_only: bool = False) -> list[dict[str, Any]]: ...
    def tasks(self, *, until: date | None, status: str = "open") -> list[dict[str, Any]]: ...
    def tenancy_rows(self) -> Iterator[dict[str, Any]]: ...
    def tenancies_without_rent(self, on: date, period: str) -> list[UUID]: ...
    def known_transactions(self, source: str, tx_ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...
    def transaction_tenancy(self, source: str, tx_id: str) -> UUID | None: ...
    def outbox_pending(self) -> list[dict[str, Any]]: ...

    # outbox claims (one process delivers each item; adapters.store.claims)
    def claim_outbox(self, owner: str, now: datetime, lease_s: float) -> list[dict[str, Any]]: ...
    def mark_sent(self, owner: str, item_ids: Sequence[str], day: date, now: datetime) -> int: ...
    def release_claim(self, owner: str, item_id: str, error: str, now: datetime) -> None: ...
    def outbox_items(self, *, include_sent: bool = False) -> list[dict[str, Any]]: ...

    # chunked imports written only in part (application.bulk)
    def incomplete_imports(self) -> list[dict[str, Any]]: ...
    def get_meta(self, key: str) -> str | None: ...

    def events_of(self, ids: Sequence[UUID]) -> list[Any]: ...

    # contact directory and keys
    def contact(self, tenancy_id: UUID) -> Contact | None: ...
    def key(self, tenancy_id: UUID) -> bytes | None: ...

    # whole tables, for rebuild and verification
    def read_model_rows(self, table: str) -> list[dict[str, Any]]: ...
    def replace_read_models(self, rows: dict[str, list[dict[str, Any]]]) -> None: ...


class StoreBusy(RuntimeError):
    """Another writer held the store longer than the busy timeout; nothing was written."""

    MESSAGE = "the store is busy: another import or daily run holds it; try again"

    def __init__(self, detail: str = "") -> None:
        super().__init__(self.MESSAGE)
        self.detail = detail


BUSY_MARKERS = ("database is locked", "database table is locked", "lock timeout", "could not obtain lock",
                "lock not available")


def is_busy(error: BaseException) -> bool:
    """A lock or busy timeout of either store (SQLite, PostgreSQL), whatever wrapped it."""
    if isinstance(error, StoreBusy):
        return True
    seen: set[int] = set()
    e: BaseException | None = error
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if type(e).__name__ == "LockNotAvailable" or any(m in str(e).lower() for m in BUSY_MARKERS):
            return True
        e = e.__cause__ or e.__context__
    return False
