"""The Tenancy aggregate: intake, prevention profile, due day, rent ledger, worry flag.

Events hold no personal data: the tenancy is known by its id and the landlord's
reference. Sensitive intake answers and profile reasons arrive *sealed*
(encrypted by the application with a per-tenancy key kept outside the events), so
erasing that key makes them unreadable while the financial history stays.

Stored format: event class names and this module's path are topics in the store.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate, event

from domain.fast_events import create, fast_events
from domain.ledger_index import answer as ledger_answer
from domain.validation import check_date
from domain.values import Period, Representative, check_day_of_month

NAMESPACE = uuid.UUID("6f1d2a0e-3c4b-4f5e-9a7b-0c1d2e3f4a5b")
REF = re.compile(r"[A-Za-z0-9._/-]{1,64}")


# the ledger facts a late recording can change a closed case's outcome with
LEDGER_FACTS = frozenset({"RentCharged", "PaymentReceived", "PaymentReversed", "CreditPosted"})


class TenancyError(Exception):
    """A command the tenancy refuses (plain domain rule)."""


class TenancyEnded(TenancyError):
    pass


class DuplicateTransaction(TenancyError):
    pass


_NS_TENANCY = NAMESPACE.bytes + b"tenancy:"
_sha1 = hashlib.sha1
_UUID = uuid.UUID
_new = object.__new__
_set = object.__setattr__
_V5_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_V5_SET = (0x8000 << 48) | (5 << 76)
_UNKNOWN = uuid.SafeUUID.unknown


def tenancy_id_for(ref: str) -> uuid.UUID:
    """``uuid.uuid5(NAMESPACE, f"tenancy:{ref}")``, built without ``UUID.__init__``'s
    argument checks (every start, import and lookup asks; tests/unit/test_tenancy_ids.py)."""
    n = int.from_bytes(_sha1(_NS_TENANCY + ref.encode()).digest()[:16], "big") & _V5_CLEAR | _V5_SET
    u = _new(_UUID)
    _set(u, "int", n)
    _set(u, "is_safe", _UNKNOWN)
    return u


@fast_events
class Tenancy(Aggregate):
    @staticmethod
    def create_id(ref: str, **_: Any) -> uuid.UUID:  # type: ignore[override]
        return tenancy_id_for(ref)

    # ------------------------------------------------------------------ start
    @event("Started")
    def __init__(self, ref: str, rent_cents: int, start_date: date, due_day: int, by: str) -> None:
        self.ref = ref
        self.rent_cents = rent_cents
        self.start_date = start_date
        self.due_day = due_day
        self.started_by = by
        self.intake_sealed: str | None = None
        self.intake_on: date | None = None
        self.profile_active = False
        self.profile_reasons_sealed: str | None = None
        self.profile_history: list[dict[str, Any]] = []
        self.proposed_due_day: int | None = None
        self.due_day_history: list[dict[str, Any]] = []
        self.worry = False
        self.worry_reason: str | None = None
        self.ended_on: date | None = None
        self.end_reason: str | None = None
        # ledger
        self.charges: dict[str, int] = {}  # period -> cents
        self.charge_due: dict[str, date] = {}  # period -> due date
        self.transactions: dict[str, dict[str, Any]] = {}  # "source/tx" -> facts
        self.charged = 0
        self.paid = 0
        self.reversed = 0
        self.credited = 0
        self.costs_booked = 0  # WIK collection costs as ledger lines (net of reversals)
        self.due_day_proposals: list[dict[str, Any]] = []  # from a stable late-payment pattern
        # cases
        self.open_case_id: uuid.UUID | None = None
        self.case_ids: list[uuid.UUID] = []
        self.last_case_closed_on: date | None = None
        self.cases_closed_on: dict[str, date] = {}  # case id -> the day it was unlinked (closed)
        self.erased = False
        # who receives the letters for the tenant (domain.addressees): role -> since, by.
        # Names and addresses live in the contact directory, never in an event.
        self.representatives: dict[str, dict[str, Any]] = {}
        # events whose plain free text was erased (application.redaction), as the chain records it
        self.redactions: list[dict[str, Any]] = []

    @classmethod
    def start(
        cls, ref: str, rent_cents: int, start_date: date, due_day: int = 1, *, by: str
    ) -> Tenancy:
        if not REF.fullmatch(ref or ""):
            raise TenancyError(f"ref: {ref!r} must be 1-64 letters, digits, '.', '_', '/' or '-'")
        if rent_cents <= 0:
            raise TenancyError(f"rent: {rent_cents} cents is not a positive amount")
        check_day_of_month(due_day, field="due_day", high=31)
        check_date(start_date, "start")
        return create(cls, ref=ref, rent_cents=rent_cents, start_date=start_date, due_day=due_day, by=by)  # type: ignore[no-any-return]

    # ---------------------------------------------------------------- derived
    @property
    def balance_cents(self) -> int:
        """What the tenant owes (positive) or has in credit (negative)."""
        return self.charged - self.paid + self.reversed - self.credited + self.costs_booked

    @property
    def costs_lines(self) -> list[dict[str, Any]]:
        """The collection-cost ledger lines (bookings and reversals), in booking order."""
        return [dict(tx, key=k) for k, tx in self.transactions.items() if tx["kind"] in ("COSTS", "COSTS_REVERSAL")]

    def due_date_of(self, period: Period) -> date:
        return period.due_date(self.due_day)

    def arrears_by_period(self, as_of: date | None = None) -> list[tuple[str, int, date]]:
        """Unpaid part of each charged period, oldest first (payments settle the oldest
        charge first). ``as_of`` ignores charges not yet due on that day and money not yet
        booked by then (a catch-up run must not see tomorrow's payment). The rule is
        ``domain.ledger_index.arrears_by_period_walk``; answered from a sorted index and
        remembered per state of the ledger (``domain.ledger_index.answer``): the playbook
        asks the same question many times a day."""
        return list(ledger_answer(self, as_of)[0])

    def arrears_cents(self, as_of: date | None = None) -> int:
        return ledger_answer(self, as_of)[1]

    def unpaid_since(self, tolerance_cents: int = 0, as_of: date | None = None) -> date | None:
        """Due date of the oldest unpaid period when arrears exceed the tolerance."""
        if as_of is None and max(self.charged - max(self.paid - self.reversed + self.credited, 0), 0) <= tolerance_cents:
            # the arrears total without the walk (every charge is positive, money settles the
            # oldest first): the read model asks this of every tenancy it saves
            return None
        rows, total = ledger_answer(self, as_of)
        if total <= tolerance_cents:
            return None
        return rows[0][2] if rows else None

    def payments_between(self, start: date, end: date) -> int:
        """Net money (payments and credits minus reversals) booked from ``start`` to ``end``."""
        total = 0
        for tx in self.transactions.values():
            if not start <= tx["booked_on"] <= end:
                continue
            if tx["kind"] in ("PAYMENT", "CREDIT"):
                total += tx["cents"]
            elif tx["kind"] == "REVERSAL":
                total -= tx["cents"]
        return total

    def payments_since(self, day: date) -> int:
        """Net payments (payments minus reversals, plus credits) booked on or after ``day``."""
        return self.payments_between(day, date.max)

    def closed_cases_reached(self, events: Any) -> list[uuid.UUID]:
        """The closed cases that any of ``events`` (ledger facts not yet saved) reaches: a
        fact booked on or before the day a case closed, recorded after it, may change what
        that case should have done (PLAYBOOK 5): not only the last closed case (a void case
        may have closed after an earlier one that the fact clears)."""
        booked = [e.booked_on for e in events if type(e).__name__ in LEDGER_FACTS]
        if not booked:
            return []
        first = min(booked)
        closed = dict(getattr(self, "cases_closed_on", {}))  # a snapshot from before this knew the last one only
        last = self.last_closed_case_id
        if last is not None and self.last_case_closed_on is not None:
            closed.setdefault(str(last), self.last_case_closed_on)
        return [c for c in self.case_ids if c != self.open_case_id and str(c) in closed and first <= closed[str(c)]]

    @property
    def last_closed_case_id(self) -> uuid.UUID | None:
        """The latest of this tenancy's cases that is not the open one."""
        if not self.case_ids:  # (every save asks, most tenancies never had a case)
            return None
        closed = [c for c in self.case_ids if c != self.open_case_id]
        return closed[-1] if closed else None

    def has_transaction(self, source: str, tx_id: str) -> bool:
        return f"{source}/{tx_id}" in self.transactions

    def _check_open(self) -> None:
        if self.ended_on is not None:
            raise TenancyEnded(f"tenancy {self.ref} ended on {self.ended_on}")

    def _check_new_tx(self, source: str, tx_id: str) -> None:
        if self.has_transaction(source, tx_id):
            raise DuplicateTransaction(f"transaction {tx_id!r} of source {source!r} is already recorded")

    # ----------------------------------------------------------------- intake
    def answer_intake(
        self,
        *,
        sealed_answers: str,
        reasons: list[str],
        sealed_reasons: str | None,
        proposed_due_day: int | None,
        on: date,
        by: str,
    ) -> None:
        """Record the intake as given (sealed), and the profile it gives."""
        self._check_open()
        self._intake_answered(sealed=sealed_answers, proposed_due_day=proposed_due_day, on=on, by=by)
        if reasons and not self.profile_active:
            self._profile_assigned(
                reasons_sealed=sealed_reasons or "", source="intake", on=on, by=by, rule="INTAKE-PROFILE"
            )

    @event("IntakeAnswered")
    def _intake_answered(self, sealed: str, proposed_due_day: int | None, on: date, by: str) -> None:
        self.intake_sealed = sealed
        self.intake_on = on
        self.proposed_due_day = proposed_due_day

    def assign_profile(self, *, sealed_reason: str, on: date, by: str) -> None:
        self._check_open()
        if self.profile_active:
            raise TenancyError(f"tenancy {self.ref} already has a prevention profile")
        self._profile_assigned(reasons_sealed=sealed_reason, source="staff", on=on, by=by, rule="STAFF")

    @event("PreventionProfileAssigned")
    def _profile_assigned(self, reasons_sealed: str, source: str, on: date, by: str, rule: str) -> None:
        self.profile_active = True
        self.profile_reasons_sealed = reasons_sealed
        self.profile_history.append({"event": "assigned", "source": source, "on": on, "by": by})

    def lift_profile(self, *, sealed_reason: str, on: date, by: str) -> None:
        if not self.profile_active:
            raise TenancyError(f"tenancy {self.ref} has no prevention profile to lift")
        self._profile_lifted(reason_sealed=sealed_reason, on=on, by=by)

    @event("PreventionProfileLifted")
    def _profile_lifted(self, reason_sealed: str, on: date, by: str) -> None:
        self.profile_active = False
        self.profile_history.append({"event": "lifted", "on": on, "by": by})

    def agree_due_day(self, *, day: int, reason: str, on: date, by: str) -> None:
        self._check_open()
        check_day_of_month(day, field="due_day", high=31)
        if not reason.strip():
            raise TenancyError("reason: an agreed due day needs a reason")
        if day == self.due_day:
            raise TenancyError(f"due_day: {day} is already the due day")
        self._due_day_agreed(day=day, reason=reason, on=on, by=by)

    @event("DueDayAgreed")
    def _due_day_agreed(self, day: int, reason: str, on: date, by: str) -> None:
        self.due_day_history.append({"from": self.due_day, "to": day, "reason": reason, "on": on, "by": by})
        self.due_day = day
        self.proposed_due_day = None

    def propose_due_day(self, *, day: int, on: date, rule: str, inputs: dict[str, Any]) -> None:
        """A stable late-payment pattern proposes a due day to the officer (not agreed:
        agreeing it stays a recorded agreement with the tenant)."""
        if any(p["from"] == self.due_day and p["day"] == day for p in self.due_day_proposals):
            return
        self._due_day_proposed(day=day, on=on, rule=rule, inputs=inputs)

    @event("DueDayProposed")
    def _due_day_proposed(self, day: int, on: date, rule: str, inputs: dict[str, Any]) -> None:
        self.due_day_proposals.append({"from": self.due_day, "day": day, "on": on, "rule": rule})
        self.proposed_due_day = day

    def due_day_proposed(self) -> bool:
        """A pattern proposal is open for the current due day."""
        return any(p["from"] == self.due_day for p in self.due_day_proposals)

    # ----------------------------------------------------------------- ledger
    def charge_rent(self, *, period: Period, cents: int, source: str, tx_id: str, booked_on: date) -> None:
        if self.ended_on is not None and period.first_day() > self.ended_on:  # notice given: rent runs to the end
            raise TenancyEnded(f"tenancy {self.ref} ended on {self.ended_on}; no rent for {period}")
        if cents <= 0:
            raise TenancyError(f"amount: {cents} cents is not a positive charge")
        self._check_new_tx(source, tx_id)
        self._rent_charged(
            period=str(period), cents=cents, due_date=self.due_date_of(period), source=source,
            tx_id=tx_id, booked_on=booked_on,
        )

    @event("RentCharged")
    def _rent_charged(self, period: str, cents: int, due_date: date, source: str, tx_id: str, booked_on: date) -> None:
        self.charges[period] = self.charges.get(period, 0) + cents
        self.charge_due.setdefault(period, due_date)
        self.charged += cents
        self.transactions[f"{source}/{tx_id}"] = {"kind": "CHARGE", "cents": cents, "booked_on": booked_on, "period": period}

    def receive_payment(self, *, cents: int, source: str, tx_id: str, booked_on: date) -> None:
        if cents <= 0:
            raise TenancyError(f"amount: {cents} cents is not a positive payment")
        if booked_on < self.start_date:
            raise TenancyError(f"date: {booked_on} is before the tenancy started ({self.start_date})")
        self._check_new_tx(source, tx_id)
        self._payment_received(cents=cents, source=source, tx_id=tx_id, booked_on=booked_on)

    @event("PaymentReceived")
    def _payment_received(self, cents: int, source: str, tx_id: str, booked_on: date) -> None:
        self.paid += cents
        self.transactions[f"{source}/{tx_id}"] = {"kind": "PAYMENT", "cents": cents, "booked_on": booked_on, "reversed": 0}

    def reverse_payment(
        self, *, cents: int, source: str, tx_id: str, reverses: str, reverses_source: str | None = None,
        reason_code: str, booked_on: date,
    ) -> None:
        if cents <= 0:
            raise TenancyError(f"amount: {cents} cents is not a positive reversal")
        self._check_new_tx(source, tx_id)
        key = f"{reverses_source or source}/{reverses}"
        original = self.transactions.get(key)
        if original is None or original["kind"] != "PAYMENT":
            raise TenancyError(f"reverses_transaction_id: {reverses!r} is not a payment of tenancy {self.ref}")
        if original["reversed"]:
            raise TenancyError(f"reverses_transaction_id: {reverses!r} is already reversed")
        if cents > original["cents"]:
            raise TenancyError(
                f"amount: reversal of {cents} cents is larger than payment {reverses!r} ({original['cents']} cents)"
            )
        if not reason_code:
            raise TenancyError("reason_code: a reversal needs a reason code")
        self._payment_reversed(
            cents=cents, source=source, tx_id=tx_id, reverses=key, reason_code=reason_code, booked_on=booked_on
        )

    @event("PaymentReversed")
    def _payment_reversed(self, cents: int, source: str, tx_id: str, reverses: str, reason_code: str, booked_on: date) -> None:
        self.reversed += cents
        self.transactions[reverses]["reversed"] = cents
        self.transactions[f"{source}/{tx_id}"] = {
            "kind": "REVERSAL", "cents": cents, "booked_on": booked_on, "reverses": reverses, "reason_code": reason_code,
        }

    def post_credit(self, *, cents: int, source: str, tx_id: str, booked_on: date, reason: str = "") -> None:
        if cents <= 0:
            raise TenancyError(f"amount: {cents} cents is not a positive credit")
        self._check_new_tx(source, tx_id)
        self._credit_posted(cents=cents, source=source, tx_id=tx_id, booked_on=booked_on, reason=reason)

    @event("CreditPosted")
    def _credit_posted(self, cents: int, source: str, tx_id: str, booked_on: date, reason: str) -> None:
        self.credited += cents
        self.transactions[f"{source}/{tx_id}"] = {"kind": "CREDIT", "cents": cents, "booked_on": booked_on}

    # ------------------------------------------------------- collection costs
    def book_costs(self, *, cents: int, case_id: str, tx_id: str, booked_on: date, rule: str) -> None:
        """WIK collection costs as a ledger line on the tenancy (rule ``WIK-COSTS``)."""
        if cents <= 0:
            raise TenancyError(f"amount: {cents} cents is not a positive cost amount")
        if self.has_transaction("vangnet", tx_id):
            return
        self._costs_booked(cents=cents, case_id=case_id, tx_id=tx_id, booked_on=booked_on, rule=rule)

    @event("CollectionCostsBooked")
    def _costs_booked(self, cents: int, case_id: str, tx_id: str, booked_on: date, rule: str) -> None:
        self.costs_booked += cents
        self.transactions[f"vangnet/{tx_id}"] = {
            "kind": "COSTS", "cents": cents, "booked_on": booked_on, "case_id": case_id, "rule": rule,
        }

    def reverse_costs(self, *, cents: int, case_id: str, tx_id: str, reverses: str, booked_on: date,
                      rule: str, reason: str) -> None:
        """A ledger line that takes booked collection costs back (a compensating step)."""
        if self.has_transaction("vangnet", tx_id):
            return
        original = self.transactions.get(f"vangnet/{reverses}")
        if original is None or original["kind"] != "COSTS":
            raise TenancyError(f"reverses: {reverses!r} is not a collection-cost line of tenancy {self.ref}")
        if cents != original["cents"]:
            raise TenancyError(f"amount: a cost reversal takes back the whole {original['cents']} cents")
        self._costs_reversed(cents=cents, case_id=case_id, tx_id=tx_id, reverses=reverses, booked_on=booked_on,
                             rule=rule, reason=reason)

    @event("CollectionCostsReversed")
    def _costs_reversed(self, cents: int, case_id: str, tx_id: str, reverses: str, booked_on: date, rule: str,
                        reason: str) -> None:
        self.costs_booked -= cents
        self.transactions[f"vangnet/{tx_id}"] = {
            "kind": "COSTS_REVERSAL", "cents": cents, "booked_on": booked_on, "case_id": case_id,
            "reverses": reverses, "rule": rule, "reason": reason,
        }

    # ------------------------------------------------------------------ worry
    def raise_worry(self, *, reason: str, on: date, by: str, rule: str = "STAFF") -> None:
        if self.worry:
            return
        self._worry_raised(reason=reason, on=on, by=by, rule=rule)

    @event("WorryFlagRaised")
    def _worry_raised(self, reason: str, on: date, by: str, rule: str) -> None:
        self.worry = True
        self.worry_reason = reason

    def lift_worry(self, *, reason: str, on: date, by: str) -> None:
        if not self.worry:
            raise TenancyError(f"tenancy {self.ref} has no worry flag to lift")
        self._worry_lifted(reason=reason, on=on, by=by)

    @event("WorryFlagLifted")
    def _worry_lifted(self, reason: str, on: date, by: str) -> None:
        self.worry = False
        self.worry_reason = None

    # ------------------------------------------------------------ representatives
    def record_representative(self, *, role: str, on: date, by: str) -> None:
        """A protection administrator (beschermingsbewindvoerder) or a debt counsellor now
        acts for the tenant: letters go to them (``domain.addressees``)."""
        if role not in {r.value for r in Representative}:
            raise TenancyError(f"role: {role!r} must be one of {', '.join(r.value for r in Representative)}")
        check_date(on, "since")
        self._representative_recorded(role=role, on=on, by=by)

    @event("RepresentativeRecorded")
    def _representative_recorded(self, role: str, on: date, by: str) -> None:
        self.representatives[role] = {"since": on, "by": by}

    def end_representative(self, *, role: str, on: date, by: str) -> None:
        current = self.representatives.get(role)
        if current is None:
            raise TenancyError(f"role: tenancy {self.ref} has no {role} recorded")
        if on < current["since"]:
            raise TenancyError(f"date: {on} is before the {role} was recorded ({current['since']})")
        self._representative_ended(role=role, on=on, by=by)

    @event("RepresentativeEnded")
    def _representative_ended(self, role: str, on: date, by: str) -> None:
        self.representatives.pop(role, None)

    # ---------------------------------------------------------------- redaction
    def record_redaction(self, *, events: list[dict[str, Any]], on: date, by: str) -> None:
        """Free text stored in plain before it was sealed was erased from these stored events
        (aggregate, version, fields, the sha256 of the state now stored): this event puts the
        redaction in the hash chain (``application.redaction``)."""
        if events:
            self._redaction_recorded(events=events, on=on, by=by)

    @event("FreeTextRedacted")
    def _redaction_recorded(self, events: list[dict[str, Any]], on: date, by: str) -> None:
        self.redactions.extend({**e, "on": on} for e in events)

    # ------------------------------------------------------------------ cases
    def link_case(self, case_id: uuid.UUID, *, on: date) -> None:
        if self.open_case_id is not None:
            raise TenancyError(f"tenancy {self.ref} already has an open case")
        self._case_linked(case_id=case_id, on=on)

    @event("CaseLinked")
    def _case_linked(self, case_id: uuid.UUID, on: date) -> None:
        self.open_case_id = case_id
        if case_id not in self.case_ids:  # a closed case re-opened (LATE-CLOSE-REOPENED) is linked again
            self.case_ids.append(case_id)

    def unlink_case(self, case_id: uuid.UUID, *, on: date) -> None:
        if self.open_case_id != case_id:
            return
        self._case_unlinked(case_id=case_id, on=on)

    @event("CaseUnlinked")
    def _case_unlinked(self, case_id: uuid.UUID, on: date) -> None:
        self.open_case_id = None
        self.last_case_closed_on = on
        if not hasattr(self, "cases_closed_on"):  # restored from a snapshot taken before it was kept
            self.cases_closed_on = {}
        self.cases_closed_on[str(case_id)] = on

    # -------------------------------------------------------------------- end
    def end(self, *, on: date, reason: str, by: str) -> None:
        self._check_open()
        if on < self.start_date:
            raise TenancyError(f"date: {on.isoformat()} is before the start of tenancy {self.ref} "
                               f"({self.start_date.isoformat()})")
        if not reason.strip():
            raise TenancyError("reason: ending a tenancy needs a reason")
        self._ended(on=on, reason=reason, by=by)

    @event("Ended")
    def _ended(self, on: date, reason: str, by: str) -> None:
        self.ended_on = on
        self.end_reason = reason
