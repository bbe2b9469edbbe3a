"""Match the booked items of a parsed camt.053 statement to tenancies.

Pure: a :class:`~adapters.camt.parser.Statement` and a :class:`CamtLookup` in, a
:class:`MatchResult` out. Nothing is stored here.

- Booked credits become ``PAYMENT`` lines. The tenancy is found by, in order,
  ``EndToEndId``, ``MndtId``, structured reference, then the configured pattern
  on the unstructured remittance. The lookups by reference must agree (two
  references pointing at different tenancies is ambiguous); the pattern is used
  only when no reference matched. Nothing is ever guessed: no match, an
  ambiguous match, or anything odd goes to suspense.
- Booked debits carrying a return reason (``RtrInf/Rsn/Cd``) or ``RvslInd=true``
  become ``REVERSAL`` lines linked by ``EndToEndId`` to the original collection.
- Other booked debits (the landlord's own payments) are ignored and counted;
  entries not booked are counted apart.

No IBAN, name or unstructured remittance text ends up in the result.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Protocol

import attrs

from adapters.camt.parser import BOOKED, Entry, Statement, TxDetail
from application.ledger_types import LedgerLine
from domain.values import LedgerKind

TRANSACTION_ID = re.compile(r"[A-Za-z0-9._/-]{1,64}")
# Reason code given to a bank reversal (RvslInd=true) that carries no return reason.
BANK_REVERSAL_REASON = "RVSL"


class CamtLookup(Protocol):
    """What the matcher needs to know about tenancies and earlier collections."""

    def tenancy_by_end_to_end_id(self, e2e: str) -> str | None:
        """Tenancy ref whose payments carry this EndToEndId (e.g. its collections)."""
        ...

    def tenancy_by_mandate(self, mandate_id: str) -> str | None:
        """Tenancy ref of a SEPA direct-debit mandate."""
        ...

    def tenancy_by_reference(self, structured_ref: str) -> str | None:
        """Tenancy ref of a structured payment reference (betalingskenmerk)."""
        ...

    def payment_by_end_to_end_id(self, e2e: str) -> tuple[str, str] | None:
        """``(tenancy_ref, transaction_id)`` of the original collection, for returns."""
        ...


def _tenancy_exists(lookup: CamtLookup, ref: str) -> bool:
    """Whether tenancy ``ref`` exists, when the lookup can tell (the store's can)."""
    exists = getattr(lookup, "tenancy_exists", None)
    return True if exists is None else bool(exists(ref))


@attrs.frozen
class SuspenseItem:
    """A booked item that could not be matched. Non-personal references only."""

    statement_id: str
    entry_index: int
    detail_index: int
    entry_ref: str | None
    cents: int
    credit_debit: str
    booking_date: date | None
    reason: str
    end_to_end_id: str | None = None
    mandate_id: str | None = None
    acct_svcr_ref: str | None = None
    structured_ref: str | None = None
    return_reason: str | None = None
    # the item's own id (the bank's reference or its position), as a ledger line would get
    transaction_id: str = ""
    counterparty: str | None = None  # masked by the parser
    pattern_ref: str | None = None  # a tenancy ref the remittance pattern gave that no tenancy has

    def as_dict(self) -> dict[str, object]:
        d = attrs.asdict(self)
        d["booking_date"] = self.booking_date.isoformat() if self.booking_date else None
        return d


@attrs.frozen
class ItemReferences:
    """How a ledger line was matched, and its non-personal bank references.

    Lets the caller index collections by ``end_to_end_id`` so that a later
    return can be linked (``CamtLookup.payment_by_end_to_end_id``).
    """

    transaction_id: str
    matched_by: str  # end_to_end_id | mandate_id | structured_ref | pattern | return
    entry_index: int
    detail_index: int
    end_to_end_id: str | None = None
    mandate_id: str | None = None
    acct_svcr_ref: str | None = None
    structured_ref: str | None = None


@attrs.frozen
class MatchResult:
    statement_id: str
    opening_cents: int
    closing_cents: int
    lines: list[LedgerLine]
    suspense: list[SuspenseItem]
    ignored: int  # booked debit items that are neither returns nor reversals
    not_booked: int = 0  # entries with a status other than BOOK (PDNG, INFO)
    references: dict[str, ItemReferences] = attrs.Factory(dict)  # by transaction_id


def match_items(
    statement: Statement,
    *,
    lookup: CamtLookup,
    today: date,
    pattern: str | re.Pattern[str] | None = None,
) -> MatchResult:
    """Turn the booked items of ``statement`` into ledger lines and suspense items.

    ``pattern`` is applied to the unstructured remittance; its named group
    ``ref`` (else group 1, else the whole match) is the tenancy ref. It is used
    only when no reference matched, and several different refs are ambiguous.
    A booking date after ``today`` goes to suspense.
    """
    regex = re.compile(pattern) if isinstance(pattern, str) else pattern
    pending: list[tuple[Entry, TxDetail, LedgerLine, ItemReferences]] = []
    suspense: list[SuspenseItem] = []
    ignored = 0
    not_booked = 0

    def to_suspense(entry: Entry, detail: TxDetail, reason: str, pattern_ref: str | None = None) -> None:
        suspense.append(
            SuspenseItem(
                statement_id=statement.id,
                entry_index=entry.index,
                detail_index=detail.index,
                entry_ref=entry.entry_ref,
                cents=detail.cents,
                credit_debit=entry.credit_debit,
                booking_date=entry.booking_date,
                reason=reason,
                end_to_end_id=detail.end_to_end_id,
                mandate_id=detail.mandate_id,
                acct_svcr_ref=detail.acct_svcr_ref,
                structured_ref=detail.structured_ref,
                return_reason=detail.return_reason,
                counterparty=detail.counterparty,
                pattern_ref=pattern_ref,
            )
        )

    for entry in statement.entries:
        if entry.status != BOOKED:
            not_booked += 1
            continue
        for detail in entry.details:
            if entry.booking_date is None:  # the parser refuses this; be safe anyway
                to_suspense(entry, detail, "booked entry without booking date")
                continue
            is_return = detail.return_reason is not None or entry.reversal
            if not entry.is_credit and not is_return:
                ignored += 1
                continue
            if detail.cents <= 0:
                to_suspense(entry, detail, "zero amount")
                continue
            if entry.booking_date > today:
                to_suspense(entry, detail, f"booking date {entry.booking_date} is in the future")
                continue
            if entry.is_credit and is_return:
                to_suspense(
                    entry,
                    detail,
                    "credit carrying a return reason or reversal indicator: not a tenant payment",
                )
                continue
            if entry.is_credit:
                matched = _match_tenancy(detail, lookup, regex)
                if isinstance(matched, str):
                    to_suspense(entry, detail, matched)
                    continue
                tenancy, method = matched
                if method == "pattern" and not _tenancy_exists(lookup, tenancy):
                    to_suspense(entry, detail, f"unknown tenancy reference {tenancy!r} (remittance pattern)",
                                pattern_ref=tenancy)
                    continue
                line = LedgerLine(
                    line=entry.index,
                    transaction_id="",  # assigned below
                    tenancy_ref=tenancy,
                    booking_date=entry.booking_date,
                    kind=LedgerKind.PAYMENT,
                    cents=detail.cents,
                    description=_description(statement, entry, detail, "payment"),  # how it matched is in references: a re-import may match another way
                    has_counterparty_iban=detail.has_counterparty_iban,
                )
            else:
                if detail.end_to_end_id is None:
                    to_suspense(entry, detail, "return without end-to-end id: cannot link it")
                    continue
                original = lookup.payment_by_end_to_end_id(detail.end_to_end_id)
                if original is None:
                    to_suspense(entry, detail, "return of an unknown collection (end-to-end id)")
                    continue
                tenancy, original_tx = original
                method = "return"
                line = LedgerLine(
                    line=entry.index,
                    transaction_id="",
                    tenancy_ref=tenancy,
                    booking_date=entry.booking_date,
                    kind=LedgerKind.REVERSAL,
                    cents=detail.cents,
                    description=_description(
                        statement, entry, detail, f"return {detail.return_reason or 'reversal'}"
                    ),
                    has_counterparty_iban=detail.has_counterparty_iban,
                    reason_code=detail.return_reason or BANK_REVERSAL_REASON,
                    reverses_transaction_id=original_tx,
                )
            refs = ItemReferences(
                transaction_id="",
                matched_by=method,
                entry_index=entry.index,
                detail_index=detail.index,
                end_to_end_id=detail.end_to_end_id,
                mandate_id=detail.mandate_id,
                acct_svcr_ref=detail.acct_svcr_ref,
                structured_ref=detail.structured_ref,
            )
            pending.append((entry, detail, line, refs))

    # Transaction ids: the bank's reference where there is one, else the position
    # in the statement. Any clash within the statement falls back to the position.
    preferred = [_preferred_id(e, d, line.kind) for e, d, line, _ in pending]
    details = {(e.index, d.index): (e, d) for e in statement.entries for d in e.details}
    suspense_ids = []
    for item in suspense:
        e, d = details[(item.entry_index, item.detail_index)]
        suspense_ids.append(_preferred_id(e, d, LedgerKind.PAYMENT if e.is_credit else LedgerKind.REVERSAL))
    counts: dict[str, int] = {}
    for tx in [*preferred, *suspense_ids]:
        if tx is not None:
            counts[tx] = counts.get(tx, 0) + 1
    lines: list[LedgerLine] = []
    references: dict[str, ItemReferences] = {}
    for (entry, detail, line, refs), bank_id in zip(pending, preferred, strict=True):
        if bank_id is None or counts[bank_id] > 1:
            tx = position_id(statement.id, entry.index, detail.index)
        else:
            tx = bank_id
        lines.append(attrs.evolve(line, transaction_id=tx))
        references[tx] = attrs.evolve(refs, transaction_id=tx)

    suspense = [
        attrs.evolve(item, transaction_id=(
            bank_id if bank_id is not None and counts[bank_id] == 1
            else position_id(statement.id, item.entry_index, item.detail_index)))
        for item, bank_id in zip(suspense, suspense_ids, strict=True)
    ]
    return MatchResult(
        statement_id=statement.id,
        opening_cents=statement.opening_cents,
        closing_cents=statement.closing_cents,
        lines=lines,
        suspense=suspense,
        ignored=ignored,
        not_booked=not_booked,
        references=references,
    )


def _match_tenancy(
    detail: TxDetail, lookup: CamtLookup, regex: re.Pattern[str] | None
) -> tuple[str, str] | str:
    """``(tenancy, method)``, or why there is no match. References first, in order;
    they must agree."""
    found: list[tuple[str, str]] = []
    if detail.end_to_end_id:
        t = lookup.tenancy_by_end_to_end_id(detail.end_to_end_id)
        if t:
            found.append(("end_to_end_id", t))
    if detail.mandate_id:
        t = lookup.tenancy_by_mandate(detail.mandate_id)
        if t:
            found.append(("mandate_id", t))
    for ref in detail.structured_refs:
        t = lookup.tenancy_by_reference(ref)
        if t:
            found.append(("structured_ref", t))
    if found:
        tenancies = {t for _, t in found}
        if len(tenancies) > 1:
            by = ", ".join(f"{m} -> {t}" for m, t in found)
            return f"ambiguous: references point at different tenancies ({by})"
        return found[0][1], found[0][0]

    if regex is not None and detail.unstructured:
        refs: list[str] = []
        for m in regex.finditer(detail.unstructured):
            found_ref = _pattern_ref(m)
            if found_ref and found_ref not in refs:
                refs.append(found_ref)
        if len(refs) > 1:
            return f"ambiguous: the remittance pattern yields {len(refs)} tenancy refs"
        if refs:
            return refs[0], "pattern"
    return "no match by end-to-end id, mandate, structured reference or pattern"


def _pattern_ref(m: re.Match[str]) -> str | None:
    if "ref" in m.re.groupindex:
        value = m.group("ref")
    elif m.re.groups:
        value = m.group(1)
    else:
        value = m.group(0)
    return value.strip() if value else None


def _preferred_id(entry: Entry, detail: TxDetail, kind: LedgerKind) -> str | None:
    """The bank's own reference for this booking, or (for a direct-debit collection)
    the collection's EndToEndId, which the landlord set and which a return repeats.

    A return repeats the collection's EndToEndId, so a return never uses it.
    A credit transfer's EndToEndId is chosen by the payer and need not be unique.
    """
    if detail.acct_svcr_ref:
        return safe_transaction_id(detail.acct_svcr_ref)
    if kind is LedgerKind.PAYMENT and detail.mandate_id and detail.end_to_end_id:
        return safe_transaction_id(detail.end_to_end_id)
    return None


def position_id(statement_id: str, entry_index: int, detail_index: int) -> str:
    """``camt/<statement id>/<entry>/<detail>``, made to fit the id format."""
    return safe_transaction_id(f"camt/{statement_id}/{entry_index}/{detail_index}")


def safe_transaction_id(raw: str) -> str:
    """A deterministic, valid transaction id (1-64 chars ``[A-Za-z0-9._/-]``).

    A valid value is kept as is; otherwise the cleaned-up value is cut short and
    followed by a hash of the original, so different inputs stay different.
    """
    if TRANSACTION_ID.fullmatch(raw):
        return raw
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]
    cleaned = re.sub(r"[^A-Za-z0-9._/-]+", "-", raw).strip("-")
    keep = cleaned[: 64 - len(digest) - 1]
    return f"{keep}.{digest}" if keep else digest


def _description(statement: Statement, entry: Entry, detail: TxDetail, what: str) -> str:
    """No remittance text (it may hold names): only where it came from and how."""
    text = f"camt.053 {statement.id} entry {entry.index}.{detail.index}: {what}"
    return text[:140]
