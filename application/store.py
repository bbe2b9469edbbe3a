"""The store port: read models and side tables kept in the event store's database.

Side operations (``Upsert``/``Delete``/``TouchCase``) are written by the
recorder in the same transaction as the events they accompany, so a read model
row never disagrees with the events it was computed from. Personal data
(contact directory) and sealing keys live in their own deletable tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
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
    def get_meta(self, key: str) -> str | None: ...

    def events_of(self, ids: Sequence[UUID]) -> list[Any]: ...

    # bank items and statements (application.bank)
    def bank_items(self, status: str | None = None) -> list[dict[str, Any]]: ...
    def bank_item(self, item_id: str) -> dict[str, Any] | None: ...
    def bank_items_of_account(self, account: str, natural_ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...
    def bank_payment_by_end_to_end_id(self, e2e: str) -> dict[str, Any] | None: ...
    def bank_statements(self, account: str) -> list[dict[str, Any]]: ...
    def bank_statement_position(self) -> int: ...

    # contact directory and keys
    def contact(self, tenancy_id: UUID) -> Contact | None: ...
    def key(self, tenancy_id: UUID) -> bytes | None: ...

    # whole tables, for rebuild and verification
    def read_model_rows(self, table: str) -> list[dict[str, Any]]: ...
    def replace_read_models(self, rows: dict[str, list[dict[str, Any]]]) -> None: ...
