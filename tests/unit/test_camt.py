"""CAMT.053 parsing and matching (pure: no store)."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.camt.matching import (
    TRANSACTION_ID,
    SuspenseItem,
    match_items,
    safe_transaction_id,
)
from adapters.camt.parser import (
    NS_001_02,
    NS_001_08,
    CamtError,
    check_continuity,
    parse_amount,
    parse_camt053,
)
from domain.values import LedgerKind

TODAY = date(2024, 5, 31)
OWN_IBAN = "NL91ABNA0417164300"
TENANT_IBAN = "NL02RABO0123456789"
TENANT_NAME = "J. de Vries"


# ----------------------------------------------------------------------- fixtures


def amt(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def tx(
    cents: int | None = None,
    *,
    e2e: str | None = None,
    mandate: str | None = None,
    acct_ref: str | None = None,
    strd: str | None = None,
    ustrd: str | None = None,
    reason: str | None = None,
    v08: bool = False,
) -> str:
    """One TxDtls element (with the tenant's IBAN and name, which must never leak)."""
    parts = []
    refs = ""
    if acct_ref:
        refs += f"<AcctSvcrRef>{acct_ref}</AcctSvcrRef>"
    if e2e:
        refs += f"<EndToEndId>{e2e}</EndToEndId>"
    if mandate:
        refs += f"<MndtId>{mandate}</MndtId>"
    if refs:
        parts.append(f"<Refs>{refs}</Refs>")
    if cents is not None:
        if v08:
            parts.append(f'<Amt Ccy="EUR">{amt(cents)}</Amt>')
        else:
            parts.append(f'<AmtDtls><TxAmt><Amt Ccy="EUR">{amt(cents)}</Amt></TxAmt></AmtDtls>')
    parts.append(
        f"<RltdPties><Dbtr><Nm>{TENANT_NAME}</Nm></Dbtr>"
        f"<DbtrAcct><Id><IBAN>{TENANT_IBAN}</IBAN></Id></DbtrAcct></RltdPties>"
    )
    rmt = ""
    if ustrd:
        rmt += f"<Ustrd>{ustrd}</Ustrd>"
    if strd:
        rmt += f"<Strd><CdtrRefInf><Ref>{strd}</Ref></CdtrRefInf></Strd>"
    if rmt:
        parts.append(f"<RmtInf>{rmt}</RmtInf>")
    if reason:
        parts.append(f"<RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf>")
    return "<TxDtls>" + "".join(parts) + "</TxDtls>"


def ntry(
    cents: int,
    cd: str = "CRDT",
    *,
    details: list[str] | None = None,
    status: str = "BOOK",
    booked: str = "2024-05-13",
    reversal: bool = False,
    acct_ref: str | None = None,
    v08: bool = False,
) -> dict:
    sts = f"<Sts><Cd>{status}</Cd></Sts>" if v08 else f"<Sts>{status}</Sts>"
    bookg = (
        f"<BookgDt><DtTm>{booked}T09:30:00+02:00</DtTm></BookgDt>"
        if v08
        else (f"<BookgDt><Dt>{booked}</Dt></BookgDt>")
    )
    xml = (
        f'<Ntry><Amt Ccy="EUR">{amt(cents)}</Amt><CdtDbtInd>{cd}</CdtDbtInd>'
        + ("<RvslInd>true</RvslInd>" if reversal else "")
        + sts
        + bookg
        + f"<ValDt><Dt>{booked}</Dt></ValDt>"
        + (f"<AcctSvcrRef>{acct_ref}</AcctSvcrRef>" if acct_ref else "")
        + "<BkTxCd/>"
        + ("<NtryDtls>" + "".join(details) + "</NtryDtls>" if details else "")
        + "</Ntry>"
    )
    counts = status == "BOOK"
    return {"xml": xml, "delta": (cents if cd == "CRDT" else -cents) if counts else 0}


def statement_xml(
    entries: list[dict],
    *,
    ns: str = NS_001_02,
    stmt_id: str = "STMT-2024-05-13",
    seq: int | None = 42,
    opening: int = 100_000,
    closing: int | None = None,
    opening_code: str = "OPBD",
    doctype: str = "",
) -> bytes:
    if closing is None:
        closing = opening + sum(e["delta"] for e in entries)

    def bal(code: str, cents: int) -> str:
        cd = "CRDT" if cents >= 0 else "DBIT"
        return (
            f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="EUR">{amt(abs(cents))}</Amt><CdtDbtInd>{cd}</CdtDbtInd>'
            f"<Dt><Dt>2024-05-13</Dt></Dt></Bal>"
        )

    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        + doctype
        + f'<Document xmlns="{ns}"><BkToCstmrStmt>'
        + "<GrpHdr><MsgId>MSG1</MsgId><CreDtTm>2024-05-14T06:00:00</CreDtTm></GrpHdr>"
        + f"<Stmt><Id>{stmt_id}</Id>"
        + (f"<ElctrncSeqNb>{seq}</ElctrncSeqNb>" if seq is not None else "")
        + "<CreDtTm>2024-05-14T06:00:00</CreDtTm>"
        + f"<Acct><Id><IBAN>{OWN_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        + bal(opening_code, opening)
        + bal("CLAV", closing)
        + bal("CLBD", closing)
        + "".join(e["xml"] for e in entries)
        + "</Stmt></BkToCstmrStmt></Document>"
    )
    return xml.encode("utf-8")


class FakeLookup:
    def __init__(
        self,
        *,
        e2e: dict[str, str] | None = None,
        mandates: dict[str, str] | None = None,
        refs: dict[str, str] | None = None,
        payments: dict[str, tuple[str, str]] | None = None,
    ):
        self.e2e = e2e or {}
        self.mandates = mandates or {}
        self.refs = refs or {}
        self.payments = payments or {}

    def tenancy_by_end_to_end_id(self, e2e: str) -> str | None:
        return self.e2e.get(e2e)

    def tenancy_by_mandate(self, mandate_id: str) -> str | None:
        return self.mandates.get(mandate_id)

    def tenancy_by_reference(self, structured_ref: str) -> str | None:
        return self.refs.get(structured_ref)

    def payment_by_end_to_end_id(self, e2e: str) -> tuple[str, str] | None:
        return self.payments.get(e2e)


def assert_no_personal_data(result) -> None:
    text = repr(result) + repr([s.as_dict() for s in result.suspense])
    assert TENANT_IBAN not in text and OWN_IBAN not in text
    assert TENANT_NAME not in text


# ------------------------------------------------------------------------- tests


def test_single_credit_transfer_matched_by_structured_reference():
    data = statement_xml(
        [ntry(65_050, details=[tx(65_050, acct_ref="BANKREF-1", strd="1234567890123456")])]
    )
    st = parse_camt053(data)
    assert (st.id, st.sequence, st.opening_cents, st.closing_cents) == (
        "STMT-2024-05-13",
        42,
        100_000,
        165_050,
    )
    result = match_items(st, lookup=FakeLookup(refs={"1234567890123456": "T-0042"}), today=TODAY)
    assert result.suspense == [] and result.ignored == 0
    [line] = result.lines
    assert line.kind is LedgerKind.PAYMENT
    assert (line.tenancy_ref, line.cents, line.booking_date) == (
        "T-0042",
        65_050,
        date(2024, 5, 13),
    )
    assert line.transaction_id == "BANKREF-1"
    assert line.line == 1
    assert line.has_counterparty_iban is True
    assert result.references["BANKREF-1"].matched_by == "structured_ref"
    assert_no_personal_data(result)


def test_direct_debit_batch_split_into_items_matched_by_end_to_end_id():
    batch = ntry(
        195_000,
        details=[
            tx(65_000, e2e="COLL-2405-001", mandate="M-1"),
            tx(60_000, e2e="COLL-2405-002", mandate="M-2"),
            tx(70_000, e2e="COLL-2405-003", mandate="M-3"),
        ],
        acct_ref="BATCH-REF",  # shared by the whole batch: must not become an id
    )
    st = parse_camt053(statement_xml([batch]))
    [entry] = st.entries
    assert [d.cents for d in entry.details] == [65_000, 60_000, 70_000]
    lookup = FakeLookup(
        e2e={"COLL-2405-001": "T-1", "COLL-2405-002": "T-2", "COLL-2405-003": "T-3"}
    )
    result = match_items(st, lookup=lookup, today=TODAY)
    assert [(ln.tenancy_ref, ln.cents) for ln in result.lines] == [
        ("T-1", 65_000),
        ("T-2", 60_000),
        ("T-3", 70_000),
    ]
    assert all(ln.kind is LedgerKind.PAYMENT and ln.line == 1 for ln in result.lines)
    ids = [ln.transaction_id for ln in result.lines]
    # A collection is identified by its EndToEndId, so a later return can find it.
    assert ids == ["COLL-2405-001", "COLL-2405-002", "COLL-2405-003"]
    assert {r.matched_by for r in result.references.values()} == {"end_to_end_id"}
    # Deterministic: matching again gives the same lines.
    assert match_items(st, lookup=lookup, today=TODAY).lines == result.lines


def test_batch_details_not_adding_up_to_the_entry_are_refused():
    batch = ntry(100_000, details=[tx(60_000, e2e="A"), tx(30_000, e2e="B")])
    batch["delta"] = 100_000
    with pytest.raises(CamtError, match="add up to 900.00.*entry amount is 1000.00"):
        parse_camt053(statement_xml([batch]))


@pytest.mark.parametrize("reason", ["AM04", "MD06"])
def test_return_becomes_reversal_linked_to_the_original_collection(reason):
    ret = ntry(
        65_000,
        "DBIT",
        details=[tx(65_000, e2e="COLL-2405-001", mandate="M-1", reason=reason, acct_ref="RET-77")],
        booked="2024-05-20",
    )
    st = parse_camt053(statement_xml([ret]))
    lookup = FakeLookup(
        e2e={"COLL-2405-001": "T-1"},
        payments={"COLL-2405-001": ("T-1", "COLL-2405-001")},
    )
    result = match_items(st, lookup=lookup, today=TODAY)
    assert result.suspense == [] and result.ignored == 0
    [line] = result.lines
    assert line.kind is LedgerKind.REVERSAL
    assert line.reason_code == reason
    assert line.reverses_transaction_id == "COLL-2405-001"
    assert (line.tenancy_ref, line.cents, line.booking_date) == ("T-1", 65_000, date(2024, 5, 20))
    # Never the collection's own id, even though the return repeats its EndToEndId.
    assert line.transaction_id == "RET-77"
    assert_no_personal_data(result)


def test_return_without_bank_reference_does_not_reuse_the_collection_id():
    ret = ntry(65_000, "DBIT", details=[tx(65_000, e2e="COLL-1", mandate="M-1", reason="AM04")])
    st = parse_camt053(statement_xml([ret], stmt_id="S9"))
    lookup = FakeLookup(payments={"COLL-1": ("T-1", "COLL-1")})
    [line] = match_items(st, lookup=lookup, today=TODAY).lines
    assert line.transaction_id == "camt/S9/1/1"
    assert line.reverses_transaction_id == "COLL-1"


def test_return_of_unknown_collection_goes_to_suspense():
    ret = ntry(65_000, "DBIT", details=[tx(65_000, e2e="COLL-X", reason="AC04")])
    st = parse_camt053(statement_xml([ret]))
    result = match_items(st, lookup=FakeLookup(), today=TODAY)
    assert result.lines == []
    [item] = result.suspense
    assert item.return_reason == "AC04" and "unknown collection" in item.reason


def test_bank_reversal_indicator_without_reason_is_a_reversal():
    rev = ntry(65_000, "DBIT", reversal=True, details=[tx(65_000, e2e="COLL-1")])
    st = parse_camt053(statement_xml([rev]))
    lookup = FakeLookup(payments={"COLL-1": ("T-1", "COLL-1")})
    [line] = match_items(st, lookup=lookup, today=TODAY).lines
    assert line.kind is LedgerKind.REVERSAL and line.reverses_transaction_id == "COLL-1"
    assert line.reason_code


def test_landlord_own_debits_are_ignored_and_counted():
    st = parse_camt053(statement_xml([ntry(12_345, "DBIT"), ntry(500, "DBIT")]))
    result = match_items(st, lookup=FakeLookup(), today=TODAY)
    assert (result.lines, result.suspense, result.ignored) == ([], [], 2)


def test_pending_entry_is_ignored_and_not_in_the_balance():
    entries = [
        ntry(65_000, details=[tx(65_000, strd="REF1")]),
        ntry(70_000, details=[tx(70_000, strd="REF1")], status="PDNG"),
    ]
    data = statement_xml(entries)
    st = parse_camt053(data)  # closing = opening + the booked entry only
    assert st.closing_cents == 165_000
    result = match_items(st, lookup=FakeLookup(refs={"REF1": "T-1"}), today=TODAY)
    assert [ln.cents for ln in result.lines] == [65_000]
    assert result.suspense == [] and result.not_booked == 1
    # Counting the pending entry in the balance breaks it:
    with pytest.raises(CamtError):
        parse_camt053(statement_xml(entries, closing=235_000))


def test_unmatched_credit_goes_to_suspense_never_guessed():
    entries = [
        # No reference known, remittance does not fit the pattern.
        ntry(
            65_000,
            details=[tx(65_000, e2e="E-UNKNOWN", strd="999", ustrd=f"huur mei {TENANT_NAME}")],
            acct_ref="B-1",
        ),
        # References that point at two different tenancies: ambiguous.
        ntry(60_000, details=[tx(60_000, e2e="E-1", strd="REF-2")]),
        # The pattern yields two different refs: ambiguous.
        ntry(55_000, details=[tx(55_000, ustrd="HUUR T1 HUUR T2")]),
    ]
    st = parse_camt053(statement_xml(entries))
    lookup = FakeLookup(e2e={"E-1": "T-1"}, refs={"REF-2": "T-2"})
    result = match_items(st, lookup=lookup, today=TODAY, pattern=r"HUUR\s+(?P<ref>[A-Z0-9]+)")
    assert result.lines == []
    assert [s.entry_index for s in result.suspense] == [1, 2, 3]
    first, second, third = result.suspense
    assert isinstance(first, SuspenseItem)
    assert (first.statement_id, first.cents, first.booking_date) == (
        "STMT-2024-05-13",
        65_000,
        date(2024, 5, 13),
    )
    assert (first.end_to_end_id, first.structured_ref) == ("E-UNKNOWN", "999")
    assert "no match" in first.reason
    assert "ambiguous" in second.reason
    assert "ambiguous" in third.reason
    assert_no_personal_data(result)


def test_pattern_on_unstructured_remittance_matches_when_no_reference_does():
    st = parse_camt053(statement_xml([ntry(65_000, details=[tx(65_000, ustrd="HUUR T77 mei")])]))
    result = match_items(st, lookup=FakeLookup(), today=TODAY, pattern=r"HUUR\s+(?P<ref>[A-Z0-9]+)")
    [line] = result.lines
    assert line.tenancy_ref == "T77"
    assert "HUUR" not in line.description  # remittance text is never kept
    # Without a configured pattern the same credit is not matched.
    assert match_items(st, lookup=FakeLookup(), today=TODAY).lines == []


def test_mandate_matches_when_end_to_end_id_is_not_provided():
    st = parse_camt053(
        statement_xml([ntry(65_000, details=[tx(65_000, e2e="NOTPROVIDED", mandate="M-9")])])
    )
    lookup = FakeLookup(e2e={"NOTPROVIDED": "T-WRONG"}, mandates={"M-9": "T-9"})
    [line] = match_items(st, lookup=lookup, today=TODAY).lines
    assert line.tenancy_ref == "T-9"


def test_future_booking_date_goes_to_suspense():
    st = parse_camt053(statement_xml([ntry(100, details=[tx(100, strd="R")], booked="2024-06-02")]))
    result = match_items(st, lookup=FakeLookup(refs={"R": "T-1"}), today=TODAY)
    assert result.lines == [] and "future" in result.suspense[0].reason


def test_broken_balance_is_refused_naming_statement_and_amounts():
    data = statement_xml([ntry(65_000)], stmt_id="STMT-BROKEN", closing=170_000)
    with pytest.raises(CamtError) as exc:
        parse_camt053(data)
    msg = str(exc.value)
    assert "STMT-BROKEN" in msg and "1650.00" in msg and "1700.00" in msg


def test_opening_balance_may_be_previous_closing_and_negative():
    st = parse_camt053(statement_xml([ntry(5_000)], opening=-10_000, opening_code="PRCD"))
    assert (st.opening_cents, st.closing_cents) == (-10_000, -5_000)


def test_version_08_statement_is_parsed():
    entries = [
        ntry(
            65_000,
            details=[tx(65_000, e2e="COLL-1", mandate="M-1", v08=True)],
            v08=True,
            booked="2024-05-14",
        ),
        ntry(1_000, "DBIT", v08=True, status="PDNG"),
    ]
    st = parse_camt053(statement_xml(entries, ns=NS_001_08))
    assert st.version == "camt.053.001.08"
    first, second = st.entries
    assert first.booked and first.booking_date == date(2024, 5, 14)
    assert first.details[0].cents == 65_000 and first.details[0].mandate_id == "M-1"
    assert second.status == "PDNG" and not second.booked
    result = match_items(st, lookup=FakeLookup(mandates={"M-1": "T-1"}), today=TODAY)
    assert [(ln.tenancy_ref, ln.cents) for ln in result.lines] == [("T-1", 65_000)]


def test_unsupported_namespace_is_refused():
    data = statement_xml([], ns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02")
    with pytest.raises(CamtError, match="unsupported document namespace"):
        parse_camt053(data)


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE Document [<!ENTITY x "boom">]>',
        '<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE Document SYSTEM "http://example.invalid/camt.dtd">',
    ],
)
def test_doctype_and_entities_are_refused(doctype):
    data = statement_xml([ntry(100)], doctype=doctype)
    with pytest.raises(CamtError, match="refused: the statement contains a DOCTYPE"):
        parse_camt053(data)


def test_malformed_xml_is_refused():
    with pytest.raises(CamtError, match="not well-formed"):
        parse_camt053(b"<Document><BkToCstmrStmt>")


@pytest.mark.parametrize(
    ("text", "cents"), [("650.00", 65_000), ("0.1", 10), ("0.29", 29), ("12", 1_200)]
)
def test_amounts_are_exact(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text", ["12.345", "-5.00", "1,00", "1e3", ""])
def test_bad_amounts_are_refused(text):
    with pytest.raises(CamtError):
        parse_amount(text)


def test_non_euro_amount_is_refused():
    data = statement_xml([ntry(100)]).replace(b'<Ntry><Amt Ccy="EUR">', b'<Ntry><Amt Ccy="USD">')
    with pytest.raises(CamtError, match="currency 'USD'"):
        parse_camt053(data)


def test_continuity_errors_are_reported():
    st = parse_camt053(statement_xml([ntry(100)], seq=7, opening=100_000))
    assert check_continuity(100_000, 6, st) == []
    assert check_continuity(None, None, st) == []
    errors = check_continuity(99_000, 5, st)
    assert len(errors) == 2
    assert "opening balance 1000.00" in errors[0] and "990.00" in errors[0]
    assert "sequence number 7 does not follow 5 (expected 6)" in errors[1]
    [acct] = check_continuity(100_000, 6, st, previous_account_iban="NL20INGB0001234567")
    assert "NL20...4567" in acct and "NL20INGB0001234567" not in acct
    assert OWN_IBAN not in repr(st)


def test_transaction_ids_are_valid_and_deterministic():
    long_ref = "REF WITH SPACES/" + "x" * 100
    a, b = safe_transaction_id(long_ref), safe_transaction_id(long_ref + "y")
    assert TRANSACTION_ID.fullmatch(a) and TRANSACTION_ID.fullmatch(b) and a != b
    assert safe_transaction_id(long_ref) == a
    assert safe_transaction_id("OK-ref.1/2") == "OK-ref.1/2"
    st = parse_camt053(
        statement_xml(
            [ntry(100, details=[tx(100, strd="R")]), ntry(200, details=[tx(200, strd="R")])],
            stmt_id="Afschrift 13 mei 2024 " + "z" * 80,
        )
    )
    ids = [
        ln.transaction_id
        for ln in match_items(st, lookup=FakeLookup(refs={"R": "T"}), today=TODAY).lines
    ]
    assert len(set(ids)) == 2 and all(TRANSACTION_ID.fullmatch(i) for i in ids)


def test_clashing_bank_references_fall_back_to_position_ids():
    entries = [
        ntry(100, details=[tx(100, strd="R", acct_ref="SAME")]),
        ntry(200, details=[tx(200, strd="R", acct_ref="SAME")]),
    ]
    st = parse_camt053(statement_xml(entries, stmt_id="S1"))
    lines = match_items(st, lookup=FakeLookup(refs={"R": "T"}), today=TODAY).lines
    assert [ln.transaction_id for ln in lines] == ["camt/S1/1/1", "camt/S1/2/1"]
