"""The ledger-parser contract: the ERP's CSV export and the bank's camt.053 statement,
given the same bookings, hand the application the same booked facts.

Each format writes the same table of bookings in its own notation (a CSV row; a
booked camt entry whose bank reference is the transaction id and whose structured
reference or mandate names the tenancy) and parses it back into ledger lines. The
facts the application books from a line (transaction id, tenancy, booking date,
kind, cents, and for a return its reason and the payment it reverses) must be equal;
the descriptions may differ. A new ledger format adds one writer+parser below.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import attrs
import pytest

from application.ledger_types import LedgerLine
from domain.values import LedgerKind, format_cents
from tests.bank_files import Item, Stmt, camt_file

TODAY = date(2024, 6, 1)


@attrs.frozen
class Booking:
    tx: str
    tenancy: str
    booked: date
    kind: LedgerKind
    cents: int
    mandate: str | None = None  # a direct-debit collection (camt: EndToEndId = tx)
    reason: str | None = None  # a return
    reverses: str | None = None


BOOKINGS = [
    Booking("P1", "00123", date(2024, 5, 13), LedgerKind.PAYMENT, 65_000),
    Booking("P2", "00456", date(2024, 5, 14), LedgerKind.PAYMENT, 123_456),  # thousands
    Booking("P3", "00123", date(2024, 5, 15), LedgerKind.PAYMENT, 5),  # cents only
    Booking("D1", "00789", date(2024, 5, 2), LedgerKind.PAYMENT, 58_500, mandate="M-789"),
    Booking("R1", "00789", date(2024, 5, 6), LedgerKind.REVERSAL, 58_500, reason="MD06", reverses="D1"),
]
MANDATES = {b.mandate: b.tenancy for b in BOOKINGS if b.mandate}
COLLECTIONS = {b.tx: (b.tenancy, b.tx) for b in BOOKINGS if b.mandate}


def facts(lines: Sequence[LedgerLine]) -> list[tuple[object, ...]]:
    """What the application books from each line."""
    return sorted((ln.transaction_id, ln.tenancy_ref, ln.booking_date, ln.kind, ln.cents, ln.reason_code,
                   ln.reverses_transaction_id) for ln in lines)


EXPECTED = sorted((b.tx, b.tenancy, b.booked, b.kind, b.cents, b.reason, b.reverses) for b in BOOKINGS)


# --------------------------------------------------------------------- formats


def csv_parse(bookings: Sequence[Booking], today: date) -> list[LedgerLine]:
    from adapters.csv_ledger.parser import parse_ledger_csv

    rows = ["transaction_id;tenancy_id;booking_date;kind;amount;period;description;counterparty_iban;"
            "reason_code;reverses_transaction_id"]
    for b in bookings:
        rows.append(f"{b.tx};{b.tenancy};{b.booked:%d-%m-%Y};{b.kind.value.upper()};{format_cents(b.cents, decimal=',')};;"
                    f"booking {b.tx};;{b.reason or ''};{b.reverses or ''}")
    lines, _errors, _ = parse_ledger_csv(("\n".join(rows) + "\n").encode(), today=today)
    return lines


class Lookup:
    def tenancy_by_end_to_end_id(self, e2e: str) -> str | None:
        return None

    def tenancy_by_mandate(self, mandate_id: str) -> str | None:
        return MANDATES.get(mandate_id)

    def tenancy_by_reference(self, structured_ref: str) -> str | None:
        return structured_ref

    def payment_by_end_to_end_id(self, e2e: str) -> tuple[str, str] | None:
        return COLLECTIONS.get(e2e)


def camt_parse(bookings: Sequence[Booking], today: date) -> list[LedgerLine]:
    from adapters.camt.matching import match_items
    from adapters.camt.parser import parse_camt053_statements

    items = []
    for b in bookings:
        if b.kind is LedgerKind.REVERSAL:
            items.append(Item(b.cents, cd="DBIT", e2e=b.reverses, reason=b.reason, bank_ref=b.tx,
                              booked=b.booked.isoformat()))
        elif b.mandate:
            items.append(Item(b.cents, e2e=b.tx, mandate=b.mandate, booked=b.booked.isoformat()))
        else:
            items.append(Item(b.cents, ref=b.tenancy, bank_ref=b.tx, booked=b.booked.isoformat()))
    lines: list[LedgerLine] = []
    for statement in parse_camt053_statements(camt_file(Stmt("S1", items, seq=1))):
        lines += match_items(statement, lookup=Lookup(), today=today).lines
    return lines


PARSERS = [pytest.param(csv_parse, id="csv"), pytest.param(camt_parse, id="camt053")]
Parse = Callable[[Sequence[Booking], date], list[LedgerLine]]


@pytest.mark.parametrize("parse", PARSERS)
def test_the_same_bookings_give_the_same_booked_facts(parse: Parse):
    assert facts(parse(BOOKINGS, TODAY)) == EXPECTED


@pytest.mark.parametrize("parse", PARSERS)
def test_a_booking_dated_after_today_is_never_booked(parse: Parse):
    later = Booking("P9", "00123", date(2024, 6, 2), LedgerKind.PAYMENT, 65_000)
    assert facts(parse([BOOKINGS[0], later], TODAY)) == [e for e in EXPECTED if e[0] == "P1"]
