"""Bank statements into the ledger: one bank entry, one money fact, booked once.

Use cases (the CLI and any other front end only parse, call these and print):

- ``import_statements``: statements of one file (any number of accounts) are checked
  for continuity per account (IBAN plus currency), matched, and written in ONE
  transaction: matched items booked as ledger lines, the rest into suspense with the
  reason. Re-importing never reopens, re-assigns or re-books anything.
- ``suspense``: the worklist of open items, with a suggestion where a tenancy or
  mandate created since would match now (a suggestion is never booked by itself).
- ``assign`` / ``split`` / ``mark_not_rent``: an officer's decision, recorded with
  the actor and day in the same transaction as the booking it causes.

A bank entry's identity is its account plus the bank's reference for it (or, without
one, its position in the statement, which a bank repeats when it sends the statement
again). That identity is the ``item_id``, and the ledger transaction id of whatever
booking the item gets: the import's match, an assignment or the parts of a split. So
whichever path books the item first wins, and the others see it as booked.

Stored format: table ``bank_items`` (one row per bank item that is or could be rent)
and ``bank_statements`` (one row per imported statement per account). Personal data:
the account IBAN is kept only as a hash key and a masked label; the other party only
masked (initials, IBAN ends); remittance free text never.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

import attrs
from eventsourcing.persistence import IntegrityError

from application.ledger_types import ImportRefused, LedgerLine
from application.service import CommandError, ConcurrencyConflict, NotFound, Vangnet
from application.store import Claim, Delete, SideOp
from domain.values import Actor, LedgerKind, format_cents

OPEN = "open"
BOOKED = "booked"  # matched and booked by an import
ASSIGNED = "assigned"
SPLIT = "split"
NOT_RENT = "not_rent"
NOT_RENT_KINDS = ("refund", "other_income")
ASSIGN_PERMISSION = "assign_suspense"

_TX_ID = re.compile(r"[A-Za-z0-9._/-]{1,64}")


# ------------------------------------------------------------------ port types


@attrs.frozen
class StatementHeader:
    """What continuity needs to know of one statement."""

    account: str  # stable key of IBAN + currency (a hash: the IBAN is not stored)
    account_label: str  # masked IBAN and currency, for messages and lists
    id: str
    sequence: int | None
    opening_cents: int
    closing_cents: int


@attrs.frozen
class BankItem:
    """One booked bank item (a credit, or a return of a collection) of a statement.

    ``line`` is the booking the matcher proposes (its transaction id is replaced by the
    item id); without one, ``reason`` says why the item goes to suspense."""

    natural_id: str  # the bank's reference or the position in the statement
    statement_id: str
    entry_index: int
    detail_index: int
    booked_on: date | None
    cents: int
    credit_debit: str  # CRDT | DBIT
    counterparty: str | None = None  # masked
    refs: dict[str, str] = attrs.Factory(dict)  # end_to_end_id, mandate_id, structured_ref, pattern_ref, ...
    line: LedgerLine | None = None
    matched_by: str | None = None
    reason: str | None = None
    # the identity when the bank reuses a reference for another entry: the position in
    # the statement (a bank repeats it when it sends the statement again)
    position_id: str = ""

    @property
    def where(self) -> str:
        return f"statement {self.statement_id}, entry {self.entry_index}.{self.detail_index}"


@attrs.frozen
class MatchedStatement:
    header: StatementHeader
    items: list[BankItem]
    ignored: int = 0  # the landlord's own debits
    not_booked: int = 0  # pending or information-only entries


class BankLookup(Protocol):
    def tenancy_by_end_to_end_id(self, e2e: str) -> str | None: ...
    def tenancy_by_mandate(self, mandate_id: str) -> str | None: ...
    def tenancy_by_reference(self, structured_ref: str) -> str | None: ...
    def payment_by_end_to_end_id(self, e2e: str) -> tuple[str, str] | None: ...
    def tenancy_exists(self, ref: str) -> bool: ...


class StatementReader(Protocol):
    """A statement format (camt.053): headers for continuity, then matched items."""

    def header(self, statement: Any) -> StatementHeader: ...
    def match(self, statement: Any, lookup: BankLookup, today: date) -> MatchedStatement: ...


def account_key(iban: str | None, currency: str) -> str:
    """A stable, non-reversible key for an account (IBAN + currency)."""
    compact = (iban or "").replace(" ", "").upper()
    return hashlib.sha256(f"{compact}/{currency}".encode()).hexdigest()[:16]


def _command_error(message: str) -> Exception:
    return CommandError(message)


class BankRefused(CommandError):
    """A whole file refused, in the bank's terms (statement, entry, account); nothing written."""


@attrs.define
class BankImportReport:
    statements: list[str] = attrs.Factory(list)
    imported: dict[str, int] = attrs.Factory(dict)  # ledger kind -> count, booked by this import
    suspense: int = 0  # new items put in suspense by this import
    already_booked: int = 0  # items booked or decided before (by an import or an officer)
    already_in_suspense: int = 0  # items still open from an earlier import
    suggestions: int = 0  # open items a tenancy or mandate would match now
    ignored: int = 0
    not_booked: int = 0
    statements_known: int = 0  # statements imported before (a re-import)

    def as_dict(self) -> dict[str, Any]:
        d = attrs.asdict(self)
        d["imported"] = dict(sorted(self.imported.items()))
        d["skipped"] = self.already_booked  # the name the CSV import uses
        return d


# --------------------------------------------------------------------- lookup


class StoreLookup:
    """What the matcher asks of the store; payments booked earlier in the same file
    count (a return in a later statement may refer to them)."""

    def __init__(self, app: Vangnet, source: str):
        self.app = app
        self.source = source
        self.pending: dict[str, tuple[str, str]] = {}  # end-to-end id -> (tenancy ref, item id)

    def _tx_tenancy(self, tx_id: str) -> str | None:
        for src in dict.fromkeys((self.source, "bank", "erp")):
            tid = self.app.store.transaction_tenancy(src, tx_id)
            if tid is not None:
                return self.app.get_tenancy_by_id(tid).ref
        return None

    def tenancy_exists(self, ref: str) -> bool:
        return self.app.tenancy_exists(ref)

    def tenancy_by_end_to_end_id(self, e2e: str) -> str | None:
        found = self.payment_by_end_to_end_id(e2e)
        return found[0] if found else None

    def tenancy_by_mandate(self, mandate_id: str) -> str | None:
        ref = mandate_id.removeprefix("MANDATE-").removeprefix("M-")
        return ref if self.app.tenancy_exists(ref) else None

    def tenancy_by_reference(self, structured_ref: str) -> str | None:
        return structured_ref if self.app.tenancy_exists(structured_ref) else None

    def payment_by_end_to_end_id(self, e2e: str) -> tuple[str, str] | None:
        if e2e in self.pending:
            return self.pending[e2e]
        row = self.app.store.bank_payment_by_end_to_end_id(e2e)
        if row is not None and row["tenancy"]:
            return row["tenancy"], row["item_id"]
        ref = self._tx_tenancy(e2e)
        return (ref, e2e) if ref else None


# ------------------------------------------------------------------- use cases


class BankBook:
    """The bank-statement use cases on one application."""

    def __init__(self, app: Vangnet):
        self.app = app
        self._migrated = False

    def _migrate_legacy(self) -> None:
        """Suspense items of stores from before ``bank_items`` (one account, ids like
        ``S1/2/1``) become bank items with the identity a re-import gives them, keeping
        their state, so a re-import of an old statement never books them again."""
        if self._migrated:
            return
        self._migrated = True
        rows = self.app.store.legacy_suspense()
        if not rows:
            return
        ops: list[SideOp] = []
        for r in rows:
            statement_id, entry, detail = (r["item_id"].rsplit("/", 2) + ["0", "0"])[:3]
            refs = json.loads(r["refs"] or "{}")
            natural = safe_id(refs["acct_svcr_ref"]) if refs.get("acct_svcr_ref") else safe_id(
                f"camt/{statement_id}/{entry}/{detail}")
            assigned = r["status"] != OPEN
            row = {
                "item_id": safe_id(f"legacy/{r['item_id']}"), "source": "bank", "account": "legacy",
                "account_label": "(before multi-account import)", "natural_id": natural,
                "statement_id": r["statement_id"], "entry_index": int(entry) if entry.isdigit() else 0,
                "detail_index": int(detail) if detail.isdigit() else 0, "booked_on": r["booked_on"],
                "cents": r["cents"], "credit_debit": r["credit_debit"], "counterparty": None,
                "refs": json.dumps({k: v for k, v in sorted(refs.items()) if v}),
                "end_to_end_id": refs.get("end_to_end_id") if r["credit_debit"] == "CRDT" else None,
                "status": ASSIGNED if assigned else OPEN, "reason": r["reason"],
                "tenancy": r["assigned_ref"] if assigned else None, "decision": "assigned" if assigned else None,
                "decided_by": r["assigned_by"] if assigned else None, "decided_on": None,
            }
            ops.append(Claim("bank_items", ("item_id",), row))
            ops.append(Delete("suspense", {"item_id": r["item_id"]}))
        try:
            self.app.store.apply(ops)
        except IntegrityError:  # another process migrated them first
            pass

    # ---------------------------------------------------------------- import
    def import_statements(
        self, actor: Actor, statements: Sequence[Any], reader: StatementReader, *, source: str = "bank"
    ) -> BankImportReport:
        """Check, match and book the statements of one file, all in one transaction."""
        app = self.app
        app._guard(actor, "import_ledger")
        self._migrate_legacy()
        today = app.today()
        headers = [reader.header(s) for s in statements]
        known_statements = self._check_continuity(headers)
        report = BankImportReport(statements=[h.id for h in headers])
        lookup = StoreLookup(app, source)
        lines: list[LedgerLine] = []
        where: dict[int, str] = {}
        ops: list[SideOp] = []
        taken: set[str] = set()  # item ids given out in this file
        in_file: dict[tuple[str, str], BankItem] = {}  # (account, natural id) -> item of this file
        for st, header in zip(statements, headers, strict=True):
            matched = reader.match(st, lookup, today)
            report.ignored += matched.ignored
            report.not_booked += matched.not_booked
            existing = app.store.bank_items_of_account(header.account, [i.natural_id for i in matched.items])
            for item in matched.items:
                row = existing.get(item.natural_id)
                earlier = in_file.get((header.account, item.natural_id))
                if (row is not None and not _same_entry(row, item)) or earlier is not None:
                    # the bank reused a reference for another entry: fall back to the position
                    item = attrs.evolve(item, natural_id=item.position_id)
                    row = app.store.bank_items_of_account(header.account, [item.natural_id]).get(item.natural_id)
                in_file[(header.account, item.natural_id)] = item
                if row is not None:  # seen before: never reopened, re-assigned or re-booked
                    if row["status"] == OPEN:
                        report.already_in_suspense += 1
                        if self._suggest(row, lookup) is not None:
                            report.suggestions += 1
                    else:
                        report.already_booked += 1
                    continue
                item_id = self._new_item_id(header, item, taken)
                taken.add(item_id)
                line, reason = self._bookable(item, lookup, source)
                base = _row(item_id, source, header, item)
                if line is None and reason is None:  # booked before this table existed
                    report.already_booked += 1
                    legacy = app.store.transaction_tenancy(source, item_id)
                    ops.append(Claim("bank_items", ("item_id",), {
                        **base, "status": BOOKED, "reason": None, "decision": "earlier import",
                        "tenancy": app.get_tenancy_by_id(legacy).ref if legacy else None,
                        "decided_by": None, "decided_on": None}))
                    continue
                if line is None:
                    report.suspense += 1
                    ops.append(Claim("bank_items", ("item_id",), {
                        **base, "status": OPEN, "reason": reason, "tenancy": None, "decision": None,
                        "decided_by": None, "decided_on": None}))
                    continue
                n = len(lines) + 1
                lines.append(attrs.evolve(line, line=n, transaction_id=item_id))
                where[n] = item.where
                if line.kind is LedgerKind.PAYMENT and item.refs.get("end_to_end_id"):
                    lookup.pending[item.refs["end_to_end_id"]] = (line.tenancy_ref, item_id)
                ops.append(Claim("bank_items", ("item_id",), {
                    **base, "status": BOOKED, "reason": None, "tenancy": line.tenancy_ref,
                    "decision": item.matched_by, "decided_by": str(actor), "decided_on": today.isoformat()}))
        position = app.store.bank_statement_position()
        for h in headers:
            if (h.account, h.id) in known_statements:
                report.statements_known += 1
                continue
            position += 1
            ops.append(Claim("bank_statements", ("account", "statement_id"), {
                "account": h.account, "statement_id": h.id, "account_label": h.account_label,
                "sequence": h.sequence, "opening_cents": h.opening_cents, "closing_cents": h.closing_cents,
                "position": position, "imported_on": today.isoformat()}))
        if not lines and not ops:
            return report
        try:
            result = app.import_ledger(actor, lines, source=source, extra=ops, _permission="import_ledger")
        except ImportRefused as e:
            raise BankRefused("; ".join(
                f"{where.get(err.line, f'line {err.line}')}: {err.column} {err.value!r}: {err.reason}"
                for err in e.errors)) from None
        report.imported = dict(result.imported)
        return report

    def _check_continuity(self, headers: Sequence[StatementHeader]) -> set[tuple[str, str]]:
        """Refuse (naming account and statements) a statement that does not follow on from
        the previous one of its account, in the file or in the store. Returns the
        statements imported before (a re-import), which must be the same as before."""
        store = self.app.store
        stored: dict[str, dict[str, dict[str, Any]]] = {}
        previous: dict[str, dict[str, Any]] = {}  # new statements follow on from the newest
        known: set[tuple[str, str]] = set()
        seen: set[tuple[str, str]] = set()
        for h in headers:
            if (h.account, h.id) in seen:
                raise BankRefused(f"statement {h.id} of account {h.account_label} occurs twice in the file")
            seen.add((h.account, h.id))
            if h.account not in stored:
                rows = store.bank_statements(h.account)
                stored[h.account] = {r["statement_id"]: r for r in rows}
                if rows:
                    previous[h.account] = rows[-1]
            r = stored[h.account].get(h.id)
            if r is not None:  # imported before: a re-import, which must be the same statement
                if (r["opening_cents"], r["closing_cents"]) != (h.opening_cents, h.closing_cents):
                    raise BankRefused(
                        f"statement {h.id} of account {h.account_label} was imported before with opening "
                        f"{format_cents(r['opening_cents'])} and closing {format_cents(r['closing_cents'])}; "
                        f"this file has {format_cents(h.opening_cents)} and {format_cents(h.closing_cents)}")
                known.add((h.account, h.id))
                continue
            prev = previous.get(h.account)
            if prev is not None:
                errors = []
                if h.opening_cents != prev["closing_cents"]:
                    errors.append(f"opening balance {format_cents(h.opening_cents)} does not equal the closing "
                                  f"balance {format_cents(prev['closing_cents'])} of statement {prev['statement_id']}")
                if h.sequence is not None and prev["sequence"] is not None and h.sequence != prev["sequence"] + 1:
                    what = "overlaps" if h.sequence <= prev["sequence"] else "leaves a gap after"
                    errors.append(f"sequence number {h.sequence} {what} statement {prev['statement_id']} "
                                  f"(number {prev['sequence']}; expected {prev['sequence'] + 1})")
                if errors:
                    raise BankRefused(f"statement {h.id} of account {h.account_label} does not follow on from "
                                      f"statement {prev['statement_id']}: {'; '.join(errors)}")
            previous[h.account] = {"statement_id": h.id, "sequence": h.sequence, "closing_cents": h.closing_cents}
        return known

    def _new_item_id(self, header: StatementHeader, item: BankItem, taken: set[str]) -> str:
        """The natural id, unless another account's item already has it."""
        candidate = item.natural_id
        other = self.app.store.bank_item(candidate)
        if candidate in taken or (other is not None and other["account"] != header.account):
            candidate = safe_id(f"{header.account[:8]}/{item.natural_id}")
        return candidate

    def _bookable(self, item: BankItem, lookup: StoreLookup, source: str) -> tuple[LedgerLine | None, str | None]:
        """The line to book, or why the item goes to suspense instead. ``(None, None)``:
        the item was booked under this id before the bank items were kept."""
        line = item.line
        if line is None:
            return None, item.reason or "no match"
        if self.app.store.transaction_tenancy(source, item.natural_id) is not None:
            return None, None
        if not self.app.tenancy_exists(line.tenancy_ref):
            return None, f"unknown tenancy reference {line.tenancy_ref!r} ({item.matched_by})"
        t = self.app.get_tenancy(line.tenancy_ref)
        if line.booking_date < t.start_date:
            return None, (f"matches tenancy {line.tenancy_ref} ({item.matched_by}), but was booked before it "
                          f"started ({t.start_date.isoformat()})")
        if line.kind is LedgerKind.REVERSAL:
            original = line.reverses_transaction_id or ""
            in_file = any(v[1] == original for v in lookup.pending.values())
            if not in_file and not t.has_transaction(source, original):
                return None, f"return of collection {original!r}, which was not booked from this bank"
        return line, None

    # -------------------------------------------------------------- worklist
    def suspense(self, actor: Actor, *, all_items: bool = False) -> list[dict[str, Any]]:
        """Open bank items (or every item, with ``all_items``), oldest first, each with the
        tenancy that would match it now, if one does (a suggestion only)."""
        self.app._guard(actor, "read")
        self._migrate_legacy()
        rows = self.app.store.bank_items(None if all_items else OPEN)
        lookup = StoreLookup(self.app, "bank")
        return [self._view(r, lookup) for r in rows]

    def _view(self, r: dict[str, Any], lookup: StoreLookup) -> dict[str, Any]:
        refs = json.loads(r["refs"] or "{}")
        return {
            "item_id": r["item_id"], "account": r["account_label"], "statement_id": r["statement_id"],
            "entry": f"{r['entry_index']}.{r['detail_index']}", "booked_on": r["booked_on"],
            "amount": format_cents(r["cents"]), "cents": r["cents"], "credit_debit": r["credit_debit"],
            "counterparty": r["counterparty"], "reference": refs.get("structured_ref") or refs.get("pattern_ref"),
            "reason": r["reason"], "status": r["status"], "tenancy": r["tenancy"], "decision": r["decision"],
            "decided_by": r["decided_by"], "decided_on": r["decided_on"],
            "suggestion": self._suggest(r, lookup) if r["status"] == OPEN else None,
        }

    @staticmethod
    def _suggest(r: dict[str, Any], lookup: StoreLookup) -> dict[str, str] | None:
        refs = json.loads(r["refs"] or "{}")
        found: list[tuple[str, str]] = []
        if r["credit_debit"] != "CRDT":
            e2e = refs.get("end_to_end_id")
            hit = lookup.payment_by_end_to_end_id(e2e) if e2e else None
            return {"tenancy": hit[0], "by": "end_to_end_id"} if hit else None
        checks = (("end_to_end_id", lookup.tenancy_by_end_to_end_id), ("mandate_id", lookup.tenancy_by_mandate),
                  ("structured_ref", lookup.tenancy_by_reference),
                  ("pattern_ref", lambda ref: ref if lookup.tenancy_exists(ref) else None))
        for key, find in checks:
            value = refs.get(key)
            ref = find(value) if value else None
            if ref:
                found.append((key, ref))
        if len({ref for _, ref in found}) != 1:
            return None  # nothing, or ambiguous: no suggestion
        return {"tenancy": found[0][1], "by": found[0][0]}

    def _open_item(self, item_id: str, *, credit_only: bool = True) -> dict[str, Any]:
        self._migrate_legacy()
        r = self.app.store.bank_item(item_id)
        if r is None:
            raise NotFound(f"item: {item_id!r} is not a bank item in suspense")
        status = r["status"]
        if status == ASSIGNED:
            raise _command_error(f"item: {item_id!r} was already assigned to {r['tenancy']} "
                                 f"by {r['decided_by']} on {r['decided_on']}")
        if status == SPLIT:
            raise _command_error(f"item: {item_id!r} was already split over {r['tenancy']} by {r['decided_by']}")
        if status == NOT_RENT:
            raise _command_error(f"item: {item_id!r} was marked not rent ({r['decision']}) by {r['decided_by']}")
        if status == BOOKED:
            raise _command_error(f"item: {item_id!r} was booked to {r['tenancy']} by the import")
        if credit_only and r["credit_debit"] != "CRDT":
            raise _command_error(f"item: {item_id!r} is a debit (a return); only incoming payments are assigned")
        return r

    def assign(self, actor: Actor, item_id: str, ref: str) -> None:
        """Book an open item as a payment of tenancy ``ref``: the booking and the decision
        (actor, day) in one transaction."""
        self.split(actor, item_id, [(ref, None)])

    def split(self, actor: Actor, item_id: str, parts: Sequence[tuple[str, int | None]]) -> None:
        """Book an open item over several tenancies; the parts must add up to the item."""
        app = self.app
        app._guard(actor, ASSIGN_PERMISSION)
        r = self._open_item(item_id)
        if not parts:
            raise _command_error("parts: name at least one tenancy")
        if len(parts) == 1 and parts[0][1] is None:
            amounts = [(parts[0][0], int(r["cents"]))]
        else:
            amounts = [(ref, int(c or 0)) for ref, c in parts]
            if any(c <= 0 for _, c in amounts):
                raise _command_error("parts: every part needs a positive amount")
            total = sum(c for _, c in amounts)
            if total != r["cents"]:
                raise _command_error(f"parts: the parts add up to {format_cents(total)}, "
                                     f"but the item is {format_cents(r['cents'])}")
        refs = [ref for ref, _ in amounts]
        if len(set(refs)) != len(refs):
            raise _command_error("parts: a tenancy is named twice")
        for ref in refs:
            app.get_tenancy(ref)  # NotFound names the tenancy
        booked_on = date.fromisoformat(r["booked_on"])
        one = len(amounts) == 1
        lines = [
            LedgerLine(line=n, transaction_id=item_id if one else safe_id(f"{item_id}/{n}"), tenancy_ref=ref,
                       booking_date=booked_on, kind=LedgerKind.PAYMENT, cents=cents,
                       description=f"bank item {r['statement_id']} entry {r['entry_index']}.{r['detail_index']}: "
                                   + ("assigned" if one else f"part {n} of {len(amounts)}"))
            for n, (ref, cents) in enumerate(amounts, start=1)
        ]
        decision = "assigned" if one else json.dumps({ref: format_cents(c) for ref, c in amounts})
        row = {**r, "status": ASSIGNED if one else SPLIT, "tenancy": ",".join(refs), "decision": decision,
               "decided_by": str(actor), "decided_on": app.today().isoformat()}
        try:
            app.import_ledger(actor, lines, source=r["source"], extra=[Claim("bank_items", ("item_id",), row, {"status": OPEN})],
                              _permission=ASSIGN_PERMISSION)
        except ImportRefused as e:
            if any("already imported" in err.reason for err in e.errors):
                raise ConcurrencyConflict(f"item: {item_id!r} was booked by someone else meanwhile; "
                                          "nothing was saved") from None
            raise _command_error(f"item: {item_id!r}: " + "; ".join(
                f"{err.column} {err.value!r}: {err.reason}" for err in e.errors)) from None

    def mark_not_rent(self, actor: Actor, item_id: str, kind: str) -> None:
        """Close an open item as not rent (a refund, other income): nothing is booked."""
        app = self.app
        app._guard(actor, ASSIGN_PERMISSION)
        if kind not in NOT_RENT_KINDS:
            raise _command_error(f"kind: {kind!r} must be one of {', '.join(NOT_RENT_KINDS)}")
        r = self._open_item(item_id, credit_only=False)
        try:
            app.store.apply([Claim("bank_items", ("item_id",), {
                **r, "status": NOT_RENT, "decision": kind, "decided_by": str(actor),
                "decided_on": app.today().isoformat()}, {"status": OPEN})])
        except IntegrityError:
            raise ConcurrencyConflict(f"item: {item_id!r} was decided by someone else meanwhile; "
                                      "nothing was saved") from None


def _same_entry(row: dict[str, Any], item: BankItem) -> bool:
    """Whether a stored bank item is this item (a reference a bank reuses is not enough)."""
    booked_on = item.booked_on.isoformat() if item.booked_on else None
    return (row["cents"], row["credit_debit"], row["booked_on"]) == (item.cents, item.credit_debit, booked_on)


def _row(item_id: str, source: str, header: StatementHeader, item: BankItem) -> dict[str, Any]:
    return {
        "item_id": item_id, "source": source, "account": header.account, "account_label": header.account_label,
        "natural_id": item.natural_id, "statement_id": item.statement_id, "entry_index": item.entry_index,
        "detail_index": item.detail_index, "booked_on": item.booked_on.isoformat() if item.booked_on else None,
        "cents": item.cents, "credit_debit": item.credit_debit, "counterparty": item.counterparty,
        "refs": json.dumps({k: v for k, v in sorted(item.refs.items()) if v}),
        "end_to_end_id": item.refs.get("end_to_end_id") if item.credit_debit == "CRDT" else None,
    }


def safe_id(raw: str) -> str:
    """A valid transaction id (1-64 chars); too long or odd ones are cut and hashed."""
    if _TX_ID.fullmatch(raw):
        return raw
    digest = hashlib.sha256(raw.encode()).hexdigest()[:16]
    cleaned = re.sub(r"[^A-Za-z0-9._/-]+", "-", raw).strip("-")[: 64 - 17]
    return f"{cleaned}.{digest}" if cleaned else digest

