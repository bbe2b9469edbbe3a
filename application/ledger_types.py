"""Ledger lines as the application receives them from any ledger adapter
(CSV export of the ERP, CAMT.053 bank statement), and the errors it reports.

Stored format note: nothing here is stored as such; the ``content_hash`` is
stored with every imported transaction to detect "same id, other content".
"""

from __future__ import annotations

import functools
import hashlib
from datetime import date

import attrs

from domain.values import LedgerKind


@attrs.frozen
class LineError:
    """One refused input value: where, what, why. Never holds personal data
    beyond the offending value itself (IBAN values are masked by the adapter)."""

    line: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}, value {self.value!r}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        return attrs.asdict(self)


@attrs.frozen
class LedgerLine:
    """A validated ledger row (format checks done; store checks still to do)."""

    line: int
    transaction_id: str
    tenancy_ref: str
    booking_date: date
    kind: LedgerKind
    cents: int  # > 0; the sign comes from kind
    period: str | None = None  # yyyy-mm, required for CHARGE
    description: str = ""
    has_counterparty_iban: bool = False  # the IBAN itself is personal data: never kept
    reason_code: str | None = None  # REVERSAL
    reverses_transaction_id: str | None = None  # REVERSAL

    @functools.cached_property
    def content_hash(self) -> str:
        """Identity of the row's content, for idempotent re-imports (computed once)."""
        # the fields joined by 0x1f (one f-string: the same text as "\x1f".join of them)
        text = (f"{self.transaction_id}\x1f{self.tenancy_ref}\x1f{self.booking_date.isoformat()}\x1f"
                f"{self.kind._value_}\x1f{self.cents}\x1f{self.period or ''}\x1f{self.description}\x1f"
                f"{self.reason_code or ''}\x1f{self.reverses_transaction_id or ''}")
        return hashlib.sha256(text.encode()).hexdigest()[:32]


class ImportRefused(Exception):
    """The import was refused; nothing was written."""

    def __init__(self, errors: list[LineError]):
        self.errors = errors
        super().__init__(f"{len(errors)} error(s); nothing imported")


@attrs.define
class ImportReport:
    source: str
    rows_read: int = 0
    imported: dict[str, int] = attrs.Factory(dict)  # kind -> count
    skipped: int = 0  # already imported with identical content
    rejected: list[LineError] = attrs.Factory(list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "imported": dict(sorted(self.imported.items())),
            "imported_total": sum(self.imported.values()),
            "skipped": self.skipped,
            "rejected": [e.as_dict() for e in self.rejected],
            "dry_run": self.dry_run,
        }
