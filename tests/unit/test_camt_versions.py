"""Every camt.053 version a Dutch bank or bookkeeping package sends (.001.02 to .001.13)
is read by namespace with the same strictness; camt.052 and camt.054 are refused with
a message that says what they are."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.camt.parser import CamtError, parse_camt053_statements
from tests.bank_files import ACCOUNT_A, ACCOUNT_B, PAYER_IBAN, PAYER_NAME, Item, Stmt, camt_file

VERSIONS = [f"{n:02d}" for n in range(2, 14)]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_camt053_version_is_read(version: str) -> None:
    data = camt_file(Stmt("S1", [Item(5_000, ref="T1", e2e="E2E-1", mandate="M-T1")], opening=100, seq=1),
                     version=version)
    [st] = parse_camt053_statements(data)
    assert st.version == f"camt.053.001.{version}"
    [entry] = st.entries
    assert entry.booked and entry.booking_date == date(2024, 5, 13)
    [detail] = entry.details
    assert (detail.cents, detail.structured_ref, detail.end_to_end_id, detail.mandate_id) == (
        5_000, "T1", "E2E-1", "M-T1")
    # the payer is known only masked (IBAN ends, name initials)
    assert detail.counterparty is not None and "...6789" in detail.counterparty
    assert PAYER_IBAN not in repr(st) and PAYER_NAME not in repr(st)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_version_is_as_strict(version: str) -> None:
    broken = camt_file(Stmt("S1", [Item(5_000, ref="T1")], closing=1), version=version)
    with pytest.raises(CamtError, match="S1: balance does not add up"):
        parse_camt053_statements(broken)


@pytest.mark.parametrize(
    ("kind", "what"),
    [("camt.052", "account report"), ("camt.054", "debit/credit notification")],
)
def test_other_camt_messages_are_refused_saying_what_they_are(kind: str, what: str) -> None:
    with pytest.raises(CamtError) as exc:
        parse_camt053_statements(camt_file(Stmt("S1"), version="08", kind=kind))
    assert kind in str(exc.value) and what in str(exc.value) and "camt.053" in str(exc.value)


def test_an_unknown_camt053_version_is_refused_by_name() -> None:
    with pytest.raises(CamtError, match=r"camt\.053\.001\.99.*not supported"):
        parse_camt053_statements(camt_file(Stmt("S1"), version="99"))


def test_statements_keep_their_account_and_currency() -> None:
    [a, b] = parse_camt053_statements(camt_file(Stmt("A", account=ACCOUNT_A), Stmt("B", account=ACCOUNT_B)))
    assert (a.account_iban, a.currency, b.account_iban) == (ACCOUNT_A, "EUR", ACCOUNT_B)
