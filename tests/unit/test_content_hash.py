"""A ledger line's content hash is stored with every imported transaction (re-importing
the same file skips what is there, the same id with other content is refused): it must
stay the sha256 of the fields joined by 0x1f, whatever computes it."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from application.ledger_types import LedgerLine
from domain.values import LedgerKind


def _as_first_written(ln: LedgerLine) -> str:
    parts = [ln.transaction_id, ln.tenancy_ref, ln.booking_date.isoformat(), ln.kind.value, str(ln.cents),
             ln.period or "", ln.description, ln.reason_code or "", ln.reverses_transaction_id or ""]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


LINES = [
    LedgerLine(2, "C1", "T0000001", date(2026, 2, 1), LedgerKind.CHARGE, 65000, period="2026-02",
               description="Huur februari 2026"),
    LedgerLine(3, "P1", "T0000001", date(2026, 2, 3), LedgerKind.PAYMENT, 65000, description="Betaling huur"),
    LedgerLine(4, "R1", "T0000001", date(2026, 2, 9), LedgerKind.REVERSAL, 65000, reason_code="AC04",
               reverses_transaction_id="P1"),
    LedgerLine(5, "K1", "HUUR/7", date(2026, 3, 1), LedgerKind.CREDIT, 1, description="Tegoed ë €"),
]


@pytest.mark.parametrize("ln", LINES, ids=lambda ln: ln.transaction_id)
def test_the_content_hash_is_the_one_stored_by_earlier_imports(ln: LedgerLine) -> None:
    assert ln.content_hash == _as_first_written(ln)


def test_known_lines_keep_their_known_hashes() -> None:
    # written down from the first implementation: a changed formula would make every
    # earlier import's lines "the same id with other content"
    assert LINES[0].content_hash == "d0c075f105f6d6e5d30462476afba356"
    assert LINES[2].content_hash == "7a22812da25a2209736312b75a6fe86f"


def test_an_import_keeps_the_id_earlier_runs_recorded() -> None:
    # an incomplete import is found again by this id (application.bulk): the sha256 of
    # the source and, in order, each line's hash after a NUL byte
    from application.bulk import import_id

    hashes = [ln.content_hash for ln in LINES]
    h = hashlib.sha256(b"erp")
    for c in sorted(hashes):
        h.update(b"\0" + c.encode())
    assert import_id("erp", reversed(hashes)) == f"erp-{h.hexdigest()[:16]}"
    assert import_id("erp", []) == f"erp-{hashlib.sha256(b'erp').hexdigest()[:16]}"
