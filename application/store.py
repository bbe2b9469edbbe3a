"""The store port: read models and side tables kept in the event store's database.

Side operations (``Upsert``/``Delete``/``TouchCase``) are written by the
recorder in the same transaction as the events they accompany, so a read model
row never disagrees with the events it was computed from. Personal data
(contact directory) and sealing keys live in their own deletable tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
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
    closed: bool = False  # a closed case a late fact reaches: re-checked for compensating steps


@attrs.frozen
class Claim:
    """Write ``row`` only if the row at ``key`` is as expected: absent (``expect`` None)
    or holding the ``expect`` values. Otherwise another writer got there first and
    the whole transaction fails as a concurrency conflict (nothing is written). Keeps
    a fact that may be recorded by two paths (a bank item) recorded once."""

    table: str
    key: tuple[str, ...]
    row: dict[str, Any]
    expect: dict[str, Any] | None = None


@attrs.frozen
class RewriteEvent:
    """Replace the stored state of one event (``application.redaction``: free text stored
    in plain before it was sealed, erased). Its hash-chain entry stays as it was; the
    redaction is recorded in the chain by the event that makes it."""

    table: str  # the events table
    originator_id: UUID
    version: int
    state: bytes


@attrs.frozen
class DropSnapshots:
    """Delete the stored snapshots of one aggregate (they are rebuilt from its events)."""

    table: str
    originator_id: UUID


SideOp = Upsert | Delete | TouchCase | Claim | RewriteEvent | DropSnapshots


class Store(Protocol):
    # writes without events
    def apply(self, ops: Sequence[SideOp]) -> None: ...

    # read models
    def unpaid_without_case(self, on: date | None = None) -> list[tuple[UUID, date]]: ...
    def cases_due(self, day: date) -> list[UUID]: ...
    def closed_cases_due(self, day: date) -> list[UUID]: ...
    def list_cases(self, *, open_only: bool = False) -> list[dict[str, Any]]: ...
    def tasks(self, *, until: date | None, status: str = "open") -> list[dict[str, Any]]: ...
    def tenancy_rows(self) -> Iterator[dict[str, Any]]: ...
    def balances(self, tenancy_ids: Iterable[str]) -> dict[str, int]: ...
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
    def count_events(self) -> int: ...

    def events_of(self, ids: Sequence[UUID], after: Mapping[UUID, int] | None = None) -> list[Any]: ...
    def latest_snapshots(self, ids: Sequence[UUID], table: str) -> dict[UUID, Any]: ...

    # workbench (application.workbench)
    def worklist_rows(self, *, until: date, track: str | None = None, kind: str | None = None,
                      officer: str | None = None, with_names: bool = False, limit: int = 200,
                      offset: int = 0) -> list[dict[str, Any]]: ...
    def tenancy_row_by_ref(self, ref: str) -> dict[str, Any] | None: ...
    def case_rows_of(self, tenancy_id: UUID) -> list[dict[str, Any]]: ...
    def case_ids_by_prefix(self, prefix: str, limit: int = 3) -> list[str]: ...
    def contact_history(self, tenancy_id: UUID) -> list[dict[str, Any]]: ...
    def case_officer(self, case_id: UUID) -> str | None: ...
    def user(self, name: str) -> dict[str, Any] | None: ...
    def users(self) -> list[dict[str, Any]]: ...
    # bank items and statements (application.bank)
    def bank_items(self, status: str | None = None) -> list[dict[str, Any]]: ...
    def bank_item(self, item_id: str) -> dict[str, Any] | None: ...
    def bank_items_of_account(self, account: str, natural_ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...
    def bank_payment_by_end_to_end_id(self, e2e: str) -> dict[str, Any] | None: ...
    def bank_statements(self, account: str) -> list[dict[str, Any]]: ...
    def bank_statement_position(self) -> int: ...
    def legacy_suspense(self) -> list[dict[str, Any]]: ...

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
