"""Parse ISO 20022 camt.053 bank statements (every version from .001.02 to .001.13).

Pure: bytes in, frozen values out. The XML is parsed with ``defusedxml`` with
DTDs forbidden, so a DOCTYPE, an entity declaration or an external reference is
refused before anything is read.

Money is integer euro cents, parsed exactly from the decimal text (never a
float). Only entries with status ``BOOK`` count towards the balance check and
the matching; other entries are kept so the caller can report them.

Personal data: the statement account IBAN is kept on :class:`Statement` only to
check that statements follow on from each other (it is left out of ``repr``);
counterparty IBANs and names are never kept (only whether an IBAN was present);
the unstructured remittance text is kept for pattern matching only (left out of
``repr``) and must never be stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from xml.etree.ElementTree import Element, ParseError

import attrs
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from domain.values import format_cents

_NS_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
NS_001_02 = _NS_PREFIX + "camt.053.001.02"
NS_001_08 = _NS_PREFIX + "camt.053.001.08"
# Every camt.053 version a Dutch bank or bookkeeping package sends: the elements read
# here (balances, entries, references, return reasons) are the same in all of them;
# .001.08 and later put the status under <Sts><Cd> and party names under <Pty>.
SUPPORTED_NAMESPACES = {
    f"{_NS_PREFIX}camt.053.001.{n:02d}": f"camt.053.001.{n:02d}" for n in range(2, 14)
}
# Other bank-to-customer messages that arrive in the same folders: named, then refused.
OTHER_MESSAGES = {
    "camt.052": "a camt.052 account report (intraday movements, not a booked day statement)",
    "camt.054": "a camt.054 debit/credit notification (single movements, not a statement with balances)",
}

CREDIT = "CRDT"
DEBIT = "DBIT"
BOOKED = "BOOK"
CURRENCY = "EUR"

OPENING_BALANCE_CODES = ("OPBD", "PRCD")  # in order of preference
CLOSING_BALANCE_CODE = "CLBD"

# "NOTPROVIDED" is the SEPA placeholder for "no end-to-end id": not a reference.
_PLACEHOLDER_REFS = frozenset({"NOTPROVIDED", "NOT PROVIDED"})

_AMOUNT = re.compile(r"^(?P<units>\d{1,15})(?:\.(?P<fraction>\d{1,5}))?$")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


class CamtError(ValueError):
    """The statement is refused: unsafe, malformed, unsupported or inconsistent."""


@attrs.frozen
class TxDetail:
    """One transaction inside an entry (a direct-debit batch entry holds many).

    ``index`` is 1-based within the entry. An entry without ``TxDtls`` yields one
    detail carrying the entry amount and the entry's ``AcctSvcrRef``.
    """

    index: int
    cents: int
    end_to_end_id: str | None = None
    mandate_id: str | None = None
    acct_svcr_ref: str | None = None
    structured_refs: tuple[str, ...] = ()
    return_reason: str | None = None
    has_counterparty_iban: bool = False
    # The other party, masked (name initials, IBAN ends): enough for an officer to
    # recognise a payer in the suspense list, never the personal data itself.
    counterparty: str | None = None
    # Free text from the payer: may hold names. Pattern matching only; never store.
    unstructured: str | None = attrs.field(default=None, repr=False)

    @property
    def structured_ref(self) -> str | None:
        return self.structured_refs[0] if self.structured_refs else None


@attrs.frozen
class Entry:
    """One ``Ntry``. ``index`` is 1-based within the statement."""

    index: int
    cents: int
    credit_debit: str  # CRDT or DBIT
    status: str
    booking_date: date | None
    reversal: bool
    details: tuple[TxDetail, ...]
    entry_ref: str | None = None
    acct_svcr_ref: str | None = None

    @property
    def booked(self) -> bool:
        return self.status == BOOKED

    @property
    def is_credit(self) -> bool:
        return self.credit_debit == CREDIT


@attrs.frozen
class Statement:
    """One ``Stmt``: balances in signed cents (negative = debit balance)."""

    version: str
    id: str
    sequence: int | None
    opening_cents: int
    closing_cents: int
    entries: tuple[Entry, ...]
    # Kept only to check continuity between statements; never store it.
    account_iban: str | None = attrs.field(default=None, repr=False)
    currency: str = CURRENCY

    def booked_entries(self) -> Iterator[Entry]:
        return (e for e in self.entries if e.booked)


# --------------------------------------------------------------------------- parsing


def parse_camt053(data: bytes) -> Statement:
    """Parse a camt.053 document holding exactly one statement."""
    statements = parse_camt053_statements(data)
    if len(statements) != 1:
        ids = ", ".join(s.id for s in statements)
        raise CamtError(
            f"the document holds {len(statements)} statements ({ids}); "
            "use parse_camt053_statements for a multi-statement document"
        )
    return statements[0]


def parse_camt053_statements(data: bytes) -> list[Statement]:
    """Parse every ``Stmt`` of a camt.053 document, in document order.

    Each statement's balance is checked: opening + booked credits - booked
    debits must equal the closing booked balance.
    """
    if not isinstance(data, bytes | bytearray):
        raise CamtError("a camt.053 statement must be given as bytes")
    if not data.strip():
        raise CamtError("the statement is empty")
    try:
        root = SafeET.fromstring(
            bytes(data), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise CamtError(
            "refused: the statement contains a DOCTYPE, entity declaration or external "
            f"reference, which a bank statement never needs ({type(exc).__name__})"
        ) from None
    except ParseError as exc:
        raise CamtError(f"the statement is not well-formed XML: {exc}") from None

    ns, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if ns not in SUPPORTED_NAMESPACES:
        message = ns.removeprefix(_NS_PREFIX)
        what = OTHER_MESSAGES.get(message[:8])
        if what is not None:
            raise CamtError(
                f"unsupported document namespace ({message}): this file is {what}; "
                "import the camt.053 day statement instead"
            )
        if message.startswith("camt.053."):
            raise CamtError(
                f"unsupported document namespace: {message} is not supported "
                "(supported: camt.053.001.02 to camt.053.001.13)"
            )
        raise CamtError(
            f"unsupported document namespace {ns or '(none)'!r}: not a camt.053 bank statement "
            "(supported: camt.053.001.02 to camt.053.001.13)"
        )
    if local != "Document":
        raise CamtError(f"the root element is {local!r}, expected 'Document'")
    x = _Xml(ns)
    container = x.find(root, "BkToCstmrStmt")
    if container is None:
        raise CamtError("no BkToCstmrStmt element: this is not a camt.053 statement")
    stmts = x.findall(container, "Stmt")
    if not stmts:
        raise CamtError("the document holds no statement (Stmt)")
    statements = [_parse_statement(x, el, SUPPORTED_NAMESPACES[ns]) for el in stmts]
    seen: set[tuple[str, str, str]] = set()
    for s in statements:  # a statement id is unique per account (one file may hold several)
        key = (_compact(s.account_iban or ""), s.currency, s.id)
        if key in seen:
            raise CamtError(
                f"statement id {s.id!r} occurs twice in the document (account {mask_iban(s.account_iban)})"
            )
        seen.add(key)
    return statements


class _Xml:
    """Namespace-aware find helpers for one document namespace."""

    def __init__(self, ns: str):
        self.ns = ns

    def _path(self, path: str) -> str:
        return "/".join(f"{{{self.ns}}}{part}" for part in path.split("/"))

    def find(self, el: Element, path: str) -> Element | None:
        return el.find(self._path(path))

    def findall(self, el: Element, path: str) -> list[Element]:
        return el.findall(self._path(path))

    def text(self, el: Element | None, path: str) -> str | None:
        if el is None:
            return None
        found = self.find(el, path)
        if found is None or found.text is None:
            return None
        value = found.text.strip()
        return value or None


def _parse_statement(x: _Xml, el: Element, version: str) -> Statement:
    stmt_id = x.text(el, "Id")
    if stmt_id is None:
        raise CamtError("a statement (Stmt) has no Id")
    where = f"statement {stmt_id}"

    seq_text = x.text(el, "ElctrncSeqNb")
    sequence: int | None = None
    if seq_text is not None:
        if not seq_text.isdigit():
            raise CamtError(f"{where}: ElctrncSeqNb {seq_text!r} is not a number")
        sequence = int(seq_text)

    iban = x.text(el, "Acct/Id/IBAN") or x.text(el, "Acct/Id/Othr/Id")
    currency = x.text(el, "Acct/Ccy") or CURRENCY
    if currency != CURRENCY:
        raise CamtError(f"{where}: account currency {currency!r} is not supported (only {CURRENCY})")
    opening, closing = _balances(x, el, where)

    entries = tuple(
        _parse_entry(x, ntry, i, where) for i, ntry in enumerate(x.findall(el, "Ntry"), 1)
    )

    credits = sum(e.cents for e in entries if e.booked and e.is_credit)
    debits = sum(e.cents for e in entries if e.booked and not e.is_credit)
    expected = opening + credits - debits
    if expected != closing:
        raise CamtError(
            f"{where}: balance does not add up: opening {format_cents(opening)} "
            f"+ booked credits {format_cents(credits)} - booked debits {format_cents(debits)} "
            f"= expected closing {format_cents(expected)}, "
            f"but the statement's closing balance (CLBD) is {format_cents(closing)}"
        )
    return Statement(
        version=version,
        id=stmt_id,
        sequence=sequence,
        opening_cents=opening,
        closing_cents=closing,
        entries=entries,
        account_iban=iban,
        currency=currency,
    )


def _balances(x: _Xml, el: Element, where: str) -> tuple[int, int]:
    found: dict[str, int] = {}
    for bal in x.findall(el, "Bal"):
        code = x.text(bal, "Tp/CdOrPrtry/Cd")
        if code not in (*OPENING_BALANCE_CODES, CLOSING_BALANCE_CODE):
            continue
        if code in found:
            raise CamtError(f"{where}: balance {code} occurs twice")
        cents = _amount(x, bal, "Amt", f"{where}, balance {code}")
        sign = _credit_debit(x, bal, f"{where}, balance {code}")
        found[code] = cents if sign == CREDIT else -cents
    opening_code = next((c for c in OPENING_BALANCE_CODES if c in found), None)
    if opening_code is None:
        raise CamtError(f"{where}: no opening balance (Bal with code OPBD or PRCD)")
    if CLOSING_BALANCE_CODE not in found:
        raise CamtError(f"{where}: no closing booked balance (Bal with code CLBD)")
    return found[opening_code], found[CLOSING_BALANCE_CODE]


def _parse_entry(x: _Xml, ntry: Element, index: int, where_stmt: str) -> Entry:
    where = f"{where_stmt}, entry {index}"
    cents = _amount(x, ntry, "Amt", where)
    cd = _credit_debit(x, ntry, where)

    sts = x.find(ntry, "Sts")
    if sts is None:
        raise CamtError(f"{where}: no status (Sts)")
    # .001.02: <Sts>BOOK</Sts>; .001.08: <Sts><Cd>BOOK</Cd></Sts> (or Prtry).
    status = x.text(sts, "Cd") or x.text(sts, "Prtry") or (sts.text or "").strip()
    if not status:
        raise CamtError(f"{where}: empty status (Sts)")

    booking_date = _booking_date(x, ntry, where)
    if status == BOOKED and booking_date is None:
        raise CamtError(f"{where}: a booked entry without booking date (BookgDt)")

    rvsl = x.text(ntry, "RvslInd")
    if rvsl not in (None, "true", "false", "1", "0"):
        raise CamtError(f"{where}: RvslInd {rvsl!r} is not a boolean")
    reversal = rvsl in ("true", "1")

    entry_acct_ref = x.text(ntry, "AcctSvcrRef")
    tx_elements = x.findall(ntry, "NtryDtls/TxDtls")
    details = _details(x, tx_elements, cents, entry_acct_ref, where, cd == CREDIT)

    return Entry(
        index=index,
        cents=cents,
        credit_debit=cd,
        status=status,
        booking_date=booking_date,
        reversal=reversal,
        details=details,
        entry_ref=x.text(ntry, "NtryRef"),
        acct_svcr_ref=entry_acct_ref,
    )


def _details(
    x: _Xml, tx_elements: list[Element], entry_cents: int, entry_acct_ref: str | None, where: str,
    is_credit: bool = True,
) -> tuple[TxDetail, ...]:
    if not tx_elements:
        return (TxDetail(index=1, cents=entry_cents, acct_svcr_ref=entry_acct_ref),)
    parsed: list[TxDetail] = []
    for i, tx in enumerate(tx_elements, 1):
        w = f"{where}, detail {i}"
        if x.find(tx, "AmtDtls/TxAmt/Amt") is not None:
            amount: int = _amount(x, tx, "AmtDtls/TxAmt/Amt", w)
        elif x.find(tx, "Amt") is not None:
            amount = _amount(x, tx, "Amt", w)
        elif len(tx_elements) == 1:
            amount = entry_cents
        else:
            raise CamtError(f"{w}: a batch entry's transaction detail has no amount")
        ustrd = [u.text.strip() for u in x.findall(tx, "RmtInf/Ustrd") if u.text and u.text.strip()]
        strd = []
        for ref in (x.text(s, "CdtrRefInf/Ref") for s in x.findall(tx, "RmtInf/Strd")):
            if ref is not None and ref not in strd:
                strd.append(ref)
        reason = x.text(tx, "RtrInf/Rsn/Cd") or x.text(tx, "RtrInf/Rsn/Prtry")
        parsed.append(
            TxDetail(
                index=i,
                cents=amount,
                end_to_end_id=_ref(x.text(tx, "Refs/EndToEndId")),
                mandate_id=_ref(x.text(tx, "Refs/MndtId")),
                acct_svcr_ref=x.text(tx, "Refs/AcctSvcrRef"),
                structured_refs=tuple(strd),
                return_reason=reason.upper() if reason else None,
                has_counterparty_iban=any(
                    x.find(tx, f"RltdPties/{party}/Id/IBAN") is not None
                    for party in ("DbtrAcct", "CdtrAcct")
                ),
                counterparty=_counterparty(x, tx, "Dbtr" if is_credit else "Cdtr"),
                unstructured=" ".join(ustrd) or None,
            )
        )
    total = sum(d.cents for d in parsed)
    if total != entry_cents:
        raise CamtError(
            f"{where}: the transaction details add up to {format_cents(total)}, "
            f"but the entry amount is {format_cents(entry_cents)}"
        )
    if len(parsed) == 1 and parsed[0].acct_svcr_ref is None and entry_acct_ref is not None:
        parsed[0] = attrs.evolve(parsed[0], acct_svcr_ref=entry_acct_ref)
    return tuple(parsed)


def _counterparty(x: _Xml, tx: Element, party: str) -> str | None:
    """The other party masked: name initials and the IBAN's country, check digits and
    last four (``J. d. V. NL02...6789``). The full name and IBAN are never kept."""
    name = x.text(tx, f"RltdPties/{party}/Nm") or x.text(tx, f"RltdPties/{party}/Pty/Nm")
    iban = x.text(tx, f"RltdPties/{party}Acct/Id/IBAN")
    parts = []
    if name:
        parts.append(" ".join(f"{w[0]}." for w in name.replace(".", " ").split() if w[:1].isalnum()))
    if iban:
        parts.append(mask_iban(iban))
    return " ".join(p for p in parts if p) or None


def _ref(value: str | None) -> str | None:
    if value is None or value.upper() in _PLACEHOLDER_REFS:
        return None
    return value


def _amount(x: _Xml, el: Element, path: str, where: str) -> int:
    amt = x.find(el, path)
    if amt is None:
        raise CamtError(f"{where}: no amount ({path})")
    ccy = amt.get("Ccy")
    if ccy != CURRENCY:
        raise CamtError(f"{where}: currency {ccy!r} is not supported (only {CURRENCY})")
    return parse_amount(amt.text or "", where=where)


def parse_amount(text: str, *, where: str = "amount") -> int:
    """Exact decimal text (``650.00``, ``12.5``) to cents; never via float."""
    value = text.strip()
    m = _AMOUNT.match(value)
    if not m:
        raise CamtError(f"{where}: amount {text!r} is not a decimal amount like 650.00")
    fraction = (m.group("fraction") or "").ljust(5, "0")
    if fraction[2:] != "000":
        raise CamtError(f"{where}: amount {text!r} is not a whole number of cents")
    return int(m.group("units")) * 100 + int(fraction[:2])


def _credit_debit(x: _Xml, el: Element, where: str) -> str:
    cd = x.text(el, "CdtDbtInd")
    if cd not in (CREDIT, DEBIT):
        raise CamtError(f"{where}: CdtDbtInd {cd!r} is not CRDT or DBIT")
    return cd


def _booking_date(x: _Xml, ntry: Element, where: str) -> date | None:
    text = x.text(ntry, "BookgDt/Dt") or x.text(ntry, "BookgDt/DtTm")
    if text is None:
        return None
    m = _DATE.match(text)
    try:
        if not m:
            raise ValueError
        return date.fromisoformat(m.group(1))
    except ValueError:
        raise CamtError(f"{where}: booking date {text!r} is not a date") from None


# ------------------------------------------------------------------------ continuity


def mask_iban(iban: str | None) -> str:
    """``NL91ABNA0417164300`` -> ``NL91...4300`` for messages; never the full IBAN."""
    if not iban:
        return "(none)"
    compact = iban.replace(" ", "")
    return f"{compact[:4]}...{compact[-4:]}" if len(compact) > 8 else "****"


def check_continuity(
    previous_closing_cents: int | None,
    previous_seq: int | None,
    statement: Statement,
    *,
    previous_account_iban: str | None = None,
) -> list[str]:
    """Errors (empty if none) where ``statement`` does not follow on from the previous one.

    The opening balance must equal the previous closing balance, and the
    electronic sequence number must be the previous one plus one (when both are
    known). When the previous account is given, it must be the same account.
    """
    errors: list[str] = []
    where = f"statement {statement.id}"
    if (
        previous_account_iban is not None
        and statement.account_iban is not None
        and _compact(previous_account_iban) != _compact(statement.account_iban)
    ):
        errors.append(
            f"{where}: account {mask_iban(statement.account_iban)} is not the account of "
            f"the previous statement ({mask_iban(previous_account_iban)})"
        )
    if previous_closing_cents is not None and statement.opening_cents != previous_closing_cents:
        errors.append(
            f"{where}: opening balance {format_cents(statement.opening_cents)} does not equal "
            f"the previous statement's closing balance {format_cents(previous_closing_cents)}"
        )
    if previous_seq is not None and statement.sequence is not None:
        if statement.sequence != previous_seq + 1:
            errors.append(
                f"{where}: sequence number {statement.sequence} does not follow "
                f"{previous_seq} (expected {previous_seq + 1})"
            )
    return errors


def _compact(iban: str) -> str:
    return iban.replace(" ", "").upper()
