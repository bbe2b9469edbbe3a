"""camt.053 as a statement format for the bank use cases (``application.bank``):
headers for continuity per account, and every booked item matched or not."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import attrs

from adapters.camt.matching import match_items, position_id
from adapters.camt.parser import Statement, mask_iban
from application.bank import BankItem, BankLookup, MatchedStatement, StatementHeader, account_key


class CamtReader:
    """Reads parsed camt.053 statements; ``pattern`` finds a tenancy ref in the free
    remittance text (named group ``ref``) when no reference matched. With ``accounts``
    (the landlord's rent accounts), the items of a statement of any other account go to
    suspense ("unknown account"), never booked."""

    def __init__(self, pattern: str | re.Pattern[str] | None = None, accounts: Sequence[str] | None = None):
        self.pattern = re.compile(pattern) if isinstance(pattern, str) else pattern
        self.accounts = {a.replace(" ", "").upper() for a in accounts} if accounts else None

    def header(self, statement: Statement) -> StatementHeader:
        return StatementHeader(
            account=account_key(statement.account_iban, statement.currency),
            account_label=f"{mask_iban(statement.account_iban)} {statement.currency}",
            id=statement.id,
            sequence=statement.sequence,
            opening_cents=statement.opening_cents,
            closing_cents=statement.closing_cents,
        )

    def match(self, statement: Statement, lookup: BankLookup, today: date) -> MatchedStatement:
        result = match_items(statement, lookup=lookup, today=today, pattern=self.pattern)
        details = {(e.index, d.index): (e, d) for e in statement.entries for d in e.details}
        items: list[tuple[tuple[int, int], BankItem]] = []
        for line in result.lines:
            refs = result.references[line.transaction_id]
            entry, detail = details[(refs.entry_index, refs.detail_index)]
            items.append(((entry.index, detail.index), BankItem(
                natural_id=line.transaction_id, statement_id=statement.id, entry_index=entry.index,
                detail_index=detail.index, booked_on=entry.booking_date, cents=detail.cents,
                credit_debit=entry.credit_debit, counterparty=detail.counterparty,
                refs=_refs(end_to_end_id=detail.end_to_end_id, mandate_id=detail.mandate_id,
                           structured_ref=detail.structured_ref, acct_svcr_ref=detail.acct_svcr_ref,
                           return_reason=detail.return_reason),
                line=line, matched_by=refs.matched_by,
                position_id=position_id(statement.id, entry.index, detail.index))))
        for s in result.suspense:
            items.append(((s.entry_index, s.detail_index), BankItem(
                natural_id=s.transaction_id, statement_id=statement.id, entry_index=s.entry_index,
                detail_index=s.detail_index, booked_on=s.booking_date, cents=s.cents, credit_debit=s.credit_debit,
                counterparty=s.counterparty,
                refs=_refs(end_to_end_id=s.end_to_end_id, mandate_id=s.mandate_id, structured_ref=s.structured_ref,
                           acct_svcr_ref=s.acct_svcr_ref, return_reason=s.return_reason, pattern_ref=s.pattern_ref),
                reason=s.reason, position_id=position_id(statement.id, s.entry_index, s.detail_index))))
        items.sort(key=lambda pair: pair[0])
        iban = (statement.account_iban or "").replace(" ", "").upper()
        if self.accounts is not None and iban not in self.accounts:
            why = (f"unknown account {mask_iban(statement.account_iban)} {statement.currency}: "
                   "not one of the rent accounts ([ledger] camt_accounts)")
            items = [(k, attrs.evolve(i, line=None, matched_by=None, reason=why)) for k, i in items]
        return MatchedStatement(header=self.header(statement), items=[i for _, i in items],
                                ignored=result.ignored, not_booked=result.not_booked)


def _refs(**values: Any) -> dict[str, str]:
    return {k: str(v) for k, v in values.items() if v}
