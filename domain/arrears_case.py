"""The ArrearsCase aggregate: one episode of unpaid rent, from opening to closing.

Every contact, promise, arrangement, referral, letter, signal, cost, legal step and
pause is an event. Automated steps carry the rule id that fired, its inputs and a
deterministic ``action_id``, so re-running a day never repeats a step.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from eventsourcing.domain import Aggregate, event

from domain.fast_events import create, fast_events
from domain.validation import staff_id
from domain.values import (
    PERSONAL_CHANNELS,
    Channel,
    LetterKind,
    Outcome,
    Partner,
    Track,
)

NAMESPACE = uuid.UUID("0b8f3c55-7f1e-4f60-8d0e-1a2b3c4d5e6f")


class CaseError(Exception):
    """A command the case refuses (plain domain rule)."""


class CaseClosed(CaseError):
    pass


class ConsentRequired(CaseError):
    pass


class FourEyesRequired(CaseError):
    pass


def _staff(actor: str) -> str:
    """The person behind ``role:id``: one person in two roles is still one pair of eyes,
    and ``Anna``, ``anna`` and `` anna `` are one person (trimmed, case-folded)."""
    return staff_id(actor.partition(":")[2] or actor)


# officer tasks that outlive the case: an apology for a letter sent in error
AFTER_CLOSE_TASKS = frozenset({"apologise_letter", "propose_due_day"})

PROGRAMME_STATES = ("intake", "stabilisation", "minnelijk", "wsnp", "moratorium")
PROGRAMME_END_STATES = ("ended", "failed", "lapsed")
_NEXT = {"stabilisation", "minnelijk", "wsnp", "moratorium", "ended", "failed"}
PROGRAMME_TRANSITIONS: dict[str | None, set[str]] = {
    None: {"intake"},
    "intake": _NEXT | {"lapsed"},
    "stabilisation": (_NEXT - {"stabilisation"}) | {"lapsed"},
    "moratorium": (_NEXT - {"moratorium"}) | {"lapsed"},
    "minnelijk": {"wsnp", "ended", "failed"},
    "wsnp": {"ended", "failed"},
    "ended": {"intake"},
    "failed": {"intake"},
    "lapsed": {"intake"},
}

LETTER_ACTIONS = {LetterKind.REMINDER.value: "letter:reminder", LetterKind.FOURTEEN_DAY_LETTER.value: "letter:wik14"}


MONTH_REMINDER = "letter:reminder:m:"  # a new missed month's reminder (RHYTHM-NEW-MONTH-REMINDER)


def letter_key(kind: str, letter_id: str) -> str:
    """Where a case keeps a letter: by its kind; a new missed month's reminder by
    ``reminder:PERIOD`` beside the case's first reminder (whose offer of the signal and
    posting day the signal and the 14-day letter count from)."""
    if kind == LetterKind.REMINDER.value and letter_id.startswith(MONTH_REMINDER):
        return f"{kind}:{letter_id[len(MONTH_REMINDER):].split(':')[0]}"  # sent again: the same key
    return kind


def carried_over(previous: ArrearsCase) -> dict[str, Any]:
    """What a case re-opened for the same debt inherits from the case it reopens."""
    return {
        "from_case": str(previous.id),
        "letters": previous.letters,
        "signal": previous.signal,
        "costs_cents": previous.costs_cents,
        "costs_charged_on": previous.costs_charged_on,
        "closed_on": previous.closed_on,
    }


def case_id_for(tenancy_id: uuid.UUID, period: str, seq: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"case:{tenancy_id}:{period}:{seq}")


@fast_events
class ArrearsCase(Aggregate):
    @staticmethod
    def create_id(tenancy_id: uuid.UUID, period: str, seq: int = 0, **_: Any) -> uuid.UUID:  # type: ignore[override]
        return case_id_for(tenancy_id, period, seq)

    @event("Opened")
    def __init__(
        self,
        tenancy_id: uuid.UUID,
        period: str,
        seq: int,
        due_date: date,
        opened_on: date,
        amount_cents: int,
        track: str,
        reopens: uuid.UUID | None,
        rule: str,
        inputs: dict[str, Any],
    ) -> None:
        self.tenancy_id = tenancy_id
        self.period = period
        self.seq = seq
        self.due_date = due_date
        self.opened_on = opened_on
        self.amount_cents = amount_cents
        self.track = track
        self.reopens = reopens
        self.actions: set[str] = set()
        self.contacts: list[dict[str, Any]] = []
        self.tasks: dict[str, dict[str, Any]] = {}
        self.robocalls: dict[str, dict[str, Any]] = {}
        self.sms: dict[str, dict[str, Any]] = {}
        self.promises: list[dict[str, Any]] = []
        self.arrangement: dict[str, Any] | None = None
        self.arrangements: list[dict[str, Any]] = []
        self.referrals: list[dict[str, Any]] = []
        self.letters: dict[str, dict[str, Any]] = {}
        self.objected_on: date | None = None
        self.signal: dict[str, Any] | None = None
        self.costs_cents = 0
        self.costs_charged_on: date | None = None
        self.bailiff_eligible_on: date | None = None
        self.bailiff_handed_over: dict[str, Any] | None = None
        self.legal_eligible_on: date | None = None
        self.legal_decisions: list[dict[str, Any]] = []
        self.paused_until: date | None = None
        self.pause_reason: str | None = None
        self.closed_on: date | None = None
        self.close_reason: str | None = None
        self.facts: set[str] = set()
        self.steps: list[dict[str, Any]] = []  # every automated step: rule, inputs, on
        # compensating steps (facts that arrived late, PLAYBOOK 5)
        self.withdrawn_letters: list[dict[str, Any]] = []
        self.costs_reversed = False
        self.costs_reversed_on: date | None = None
        self.withdrawn_signals: list[dict[str, Any]] = []
        self.eligibility_withdrawals: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []  # free text (sealed by the application): contact notes, details
        self.programme: dict[str, Any] | None = None  # the debt-help programme: state, since, started_on
        self.programmes: list[dict[str, Any]] = []  # every state it went through
        self.budget_checks: list[dict[str, Any]] = []  # affordability verdicts (figures sealed)
        self.track_changed_on: date | None = None
        self.household: list[dict[str, Any]] = []  # household facts before legal action (sealed)
        self.court: list[dict[str, Any]] = []  # after the decision: summons, hearing, judgment, eviction
        self.reopenings: list[dict[str, Any]] = []  # closes the booked facts undid (LATE-CLOSE-REOPENED)
        carried = inputs.get("carried_over")
        # the same debt re-opened: money booked before the previous case closed was that case's
        self.reopened_after: date | None = carried.get("closed_on") if carried else None
        if carried:  # the same debt re-opened (a storno): its letters, signal and costs stand
            self.letters = {k: dict(v) for k, v in carried.get("letters", {}).items()}
            self.actions.update(LETTER_ACTIONS[k] for k in self.letters if k in LETTER_ACTIONS)
            if carried.get("signal"):
                self.signal = dict(carried["signal"])
                self.actions.add("signal")
            if carried.get("costs_charged_on"):
                self.costs_cents = carried["costs_cents"]
                self.costs_charged_on = carried["costs_charged_on"]
                self.actions.add("costs:wik")

    @classmethod
    def open(
        cls,
        *,
        tenancy_id: uuid.UUID,
        period: str,
        seq: int,
        due_date: date,
        opened_on: date,
        amount_cents: int,
        track: Track,
        reopens: uuid.UUID | None,
        rule: str,
        inputs: dict[str, Any],
    ) -> ArrearsCase:
        if amount_cents <= 0:
            raise CaseError(f"amount: {amount_cents} cents; a case needs arrears")
        return create(  # type: ignore[no-any-return]
            cls, tenancy_id=tenancy_id, period=period, seq=seq, due_date=due_date, opened_on=opened_on,
            amount_cents=amount_cents, track=track.value, reopens=reopens, rule=rule, inputs=inputs,
        )

    # ---------------------------------------------------------------- derived
    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def _check_open(self) -> None:
        if self.closed_on is not None:
            raise CaseClosed(f"case {self.id} was closed on {self.closed_on}")

    def has_done(self, action_id: str) -> bool:
        return action_id in self.actions

    def personal_attempts(self) -> list[dict[str, Any]]:
        return [c for c in self.contacts if c["channel"] in PERSONAL_CHANNELS]

    def open_tasks(self) -> list[dict[str, Any]]:
        return [t for t in self.tasks.values() if t["status"] == "open"]

    def is_paused(self, day: date) -> bool:
        return self.paused_until is not None and day <= self.paused_until

    def arrangement_active(self) -> bool:
        return self.arrangement is not None and self.arrangement["status"] == "active"

    def pending_promise(self, day: date) -> dict[str, Any] | None:
        for p in reversed(self.promises):
            if p["status"] == "open" and day <= p["pay_by"]:
                return p
        return None

    def debt_counselling_accepted(self) -> bool:
        return any(r["partner"] == Partner.GKB.value and r["status"] == "accepted" for r in self.referrals)

    def in_programme(self) -> bool:
        """The tenant is in a debt-help programme that still runs (intake, stabilisation,
        minnelijk traject, Wsnp or moratorium). A case stored before programmes were
        recorded counts an accepted debt-counselling referral as a running programme."""
        if self.programme is not None:
            return self.programme["state"] in PROGRAMME_STATES
        return self.debt_counselling_accepted()

    def pointed_to_debt_help(self) -> bool:
        return bool(self.referrals) or LetterKind.REMINDER.value in self.letters

    # ---------------------------------------------------------- automated steps
    def _record_step(self, action_id: str, rule: str, inputs: dict[str, Any], on: date) -> None:
        self.actions.add(action_id)
        self.steps.append({"action_id": action_id, "rule": rule, "inputs": inputs, "on": on})

    def create_task(
        self, *, task_id: str, kind: str, due_on: date, rule: str, inputs: dict[str, Any], on: date
    ) -> None:
        if kind not in AFTER_CLOSE_TASKS:  # an apology for a letter sent in error may follow a close
            self._check_open()
        if self.has_done(task_id):
            return
        self._task_created(task_id=task_id, kind=kind, due_on=due_on, rule=rule, inputs=inputs, on=on)

    @event("TaskCreated")
    def _task_created(self, task_id: str, kind: str, due_on: date, rule: str, inputs: dict[str, Any], on: date) -> None:
        self._record_step(task_id, rule, inputs, on)
        self.tasks[task_id] = {"task_id": task_id, "kind": kind, "due_on": due_on, "rule": rule, "status": "open", "created_on": on}

    def close_task(self, task_id: str, *, on: date, by: str, outcome: str) -> None:
        task = self.tasks.get(task_id)
        if task is None or task["status"] != "open":
            return
        self._task_closed(task_id=task_id, on=on, by=by, outcome=outcome)

    @event("TaskClosed")
    def _task_closed(self, task_id: str, on: date, by: str, outcome: str) -> None:
        self.tasks[task_id]["status"] = "done"
        self.tasks[task_id]["closed_on"] = on
        self.tasks[task_id]["outcome"] = outcome

    def request_robocall(self, *, attempt_id: str, on: date, rule: str, inputs: dict[str, Any]) -> None:
        self._check_open()
        if self.has_done(attempt_id):
            return
        self._robocall_requested(attempt_id=attempt_id, on=on, rule=rule, inputs=inputs)

    @event("RobocallRequested")
    def _robocall_requested(self, attempt_id: str, on: date, rule: str, inputs: dict[str, Any]) -> None:
        self._record_step(attempt_id, rule, inputs, on)
        self.robocalls[attempt_id] = {"on": on, "rule": rule, "outcome": None}

    def request_sms(self, *, message_id: str, on: date, rule: str, inputs: dict[str, Any]) -> None:
        self._check_open()
        if self.has_done(message_id):
            return
        self._sms_requested(message_id=message_id, on=on, rule=rule, inputs=inputs)

    @event("SmsRequested")
    def _sms_requested(self, message_id: str, on: date, rule: str, inputs: dict[str, Any]) -> None:
        self._record_step(message_id, rule, inputs, on)
        self.sms[message_id] = {"on": on, "rule": rule, "outcome": None}

    # --------------------------------------------------------------- contacts
    def record_contact(
        self,
        *,
        channel: Channel,
        outcome: Outcome,
        on: date,
        by: str,
        attempt_id: str | None = None,
        provider_id: str | None = None,
        task_id: str | None = None,
        needs_help: bool = False,
        rule: str | None = None,
    ) -> bool:
        """Record a contact attempt. Returns False when the provider fact was already recorded."""
        if provider_id is not None and provider_id in self.facts:
            return False
        if self.closed_on is not None and provider_id is None:
            self._check_open()
        self._contact_attempted(
            channel=channel.value, outcome=outcome.value, on=on, by=by, attempt_id=attempt_id,
            provider_id=provider_id, task_id=task_id, needs_help=needs_help, rule=rule,
        )
        return True

    @event("ContactAttempted")
    def _contact_attempted(
        self, channel: str, outcome: str, on: date, by: str, attempt_id: str | None,
        provider_id: str | None, task_id: str | None, needs_help: bool, rule: str | None,
    ) -> None:
        self.contacts.append({
            "channel": channel, "outcome": outcome, "on": on, "by": by, "attempt_id": attempt_id,
            "task_id": task_id, "needs_help": needs_help, "rule": rule,
        })
        if provider_id is not None:
            self.facts.add(provider_id)
        if attempt_id is not None:
            if attempt_id in self.robocalls:
                self.robocalls[attempt_id]["outcome"] = outcome
            if attempt_id in self.sms:
                self.sms[attempt_id]["outcome"] = outcome
        if task_id is not None and task_id in self.tasks:
            t = self.tasks[task_id]
            if t["status"] == "open":
                t["status"] = "done"
                t["closed_on"] = on
                t["outcome"] = outcome

    def promise_to_pay(self, *, pay_by: date, on: date, by: str) -> None:
        self._check_open()
        if pay_by < on:
            raise CaseError(f"promise_date: {pay_by} is before {on}")
        self._promise_made(pay_by=pay_by, on=on, by=by)

    @event("PromiseMade")
    def _promise_made(self, pay_by: date, on: date, by: str) -> None:
        for p in self.promises:
            if p["status"] == "open":
                p["status"] = "superseded"
        self.promises.append({"pay_by": pay_by, "on": on, "by": by, "status": "open"})

    def settle_promise(self, *, kept: bool, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        if self.has_done(action_id):
            return
        self._promise_checked(kept=kept, on=on, rule=rule, inputs=inputs, action_id=action_id)

    @event("PromiseChecked")
    def _promise_checked(self, kept: bool, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        self._record_step(action_id, rule, inputs, on)
        for p in self.promises:
            if p["status"] == "open":
                p["status"] = "kept" if kept else "broken"

    # ------------------------------------------------------------- programmes
    def change_programme(self, *, state: str, on: date, by: str, rule: str = "STAFF",
                         action_id: str | None = None) -> None:
        """Move the debt-help programme to ``state`` (DEBT-* rules; NVVK code of conduct):
        referral with consent -> intake -> stabilisation -> minnelijk traject, Wsnp or
        moratorium; ended or failed (or lapsed: a state held longer than the policy
        allows) resumes the playbook."""
        self._check_open()
        if action_id is not None and self.has_done(action_id):
            return
        current = self.programme["state"] if self.programme is not None else None
        if current is None and self.debt_counselling_accepted() and state != "intake":
            current = "intake"  # a referral accepted before programmes were recorded
        allowed = PROGRAMME_TRANSITIONS.get(current, PROGRAMME_TRANSITIONS[None])
        if state not in allowed:
            now = current or "no programme"
            raise CaseError(f"state: {state!r} cannot follow {now!r} (allowed: {', '.join(sorted(allowed))})")
        if state == "intake" and not self.debt_counselling_accepted():
            raise CaseError("state: a programme starts with an accepted debt-counselling referral (with consent)")
        if self.programme is not None and on < self.programme["since"]:
            raise CaseError(f"date: {on} is before the current state began ({self.programme['since']})")
        self._programme_changed(state=state, on=on, by=by, rule=rule, action_id=action_id)
        self._bailiff_hold_task(on)

    def _bailiff_hold_task(self, on: date) -> None:
        """A programme runs and the case is with the bailiff: an officer tells the bailiff
        to hold, the day the programme begins (DEBT-BAILIFF-HOLD)."""
        if self.bailiff_handed_over is None or self.programme is None or not self.in_programme():
            return
        self.create_task(task_id=f"task:programme:{self.programme['number']}:bailiff_hold", kind="bailiff_hold",
                         due_on=on, rule="DEBT-BAILIFF-HOLD", on=on,
                         inputs={"handed_over_on": self.bailiff_handed_over["on"],
                                 "programme_since": self.programme["started_on"]})

    @event("ProgrammeChanged")
    def _programme_changed(self, state: str, on: date, by: str, rule: str, action_id: str | None) -> None:
        if action_id is not None:
            self._record_step(action_id, rule, {"state": state}, on)
        running = self.programme is not None and self.programme["state"] in PROGRAMME_STATES
        started = self.programme["started_on"] if running and self.programme is not None else on
        self.programmes.append({"state": state, "on": on, "by": by, "rule": rule})
        number = max(1, sum(1 for p in self.programmes if p["state"] == "intake"))
        self.programme = {"state": state, "since": on, "started_on": started, "number": number}
        if state in PROGRAMME_STATES:  # no bailiff or legal step while it runs: such tasks are void
            for t in self.tasks.values():
                if t["status"] == "open" and t["kind"] in ("approve_bailiff", "review_legal_action"):
                    t["status"] = "cancelled"

    # ------------------------------------------------------------ budget, track
    def record_budget_check(self, *, verdict: str, sealed: str, on: date, by: str) -> None:
        """The affordability verdict of an arrangement (ARR-AFFORD); the budget figures and
        the reason are sealed with the tenancy key."""
        self._check_open()
        if not sealed.startswith("v1:"):
            raise CaseError("budget: figures must be sealed before they are recorded")
        self._budget_checked(verdict=verdict, sealed=sealed, on=on, by=by, rule="ARR-AFFORD")

    @event("BudgetChecked")
    def _budget_checked(self, verdict: str, sealed: str, on: date, by: str, rule: str) -> None:
        self.budget_checks.append({"verdict": verdict, "sealed": sealed, "on": on, "by": by, "rule": rule})

    def change_track(self, *, track: str, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        if self.has_done(action_id) or self.track == track:
            return
        self._check_open()
        self._track_changed(track=track, on=on, rule=rule, inputs=inputs, action_id=action_id)

    @event("TrackChanged")
    def _track_changed(self, track: str, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        self._record_step(action_id, rule, inputs, on)
        self.track = track
        self.track_changed_on = on

    # ------------------------------------------------------ household & court
    def record_household(self, *, sealed: str, on: date, by: str) -> None:
        """Household facts an officer records before legal action (children, known care or
        social-services involvement): sealed with the tenancy key (EVICT-HOUSEHOLD)."""
        self._check_open()
        if not sealed.startswith("v1:"):
            raise CaseError("household: facts must be sealed before they are recorded")
        self._household_recorded(sealed=sealed, on=on, by=by)

    @event("HouseholdRecorded")
    def _household_recorded(self, sealed: str, on: date, by: str) -> None:
        self.household.append({"sealed": sealed, "on": on, "by": by})
        for t in self.tasks.values():  # recording the facts is what these tasks ask
            if t["status"] == "open" and t["kind"] in ("record_household", "involve_social_services"):
                t["status"] = "done"
                t["closed_on"] = on
                t["outcome"] = "household recorded"

    def court_event(self, kind: str) -> dict[str, Any] | None:
        for e in reversed(self.court):
            if e["kind"] == kind:
                return e
        return None

    def record_court_event(self, *, kind: str, on: date, by: str, outcome: str | None = None,
                           scheduled_on: date | None = None) -> None:
        """The road after the decision (EVICT): summons, hearing, judgment, the eviction date,
        the eviction prevented (paid, second-chance contract) or carried out. Facts of the
        court: recorded in order, also once the case has closed."""
        need = {
            "summons": None, "hearing": "summons", "judgment": "summons", "eviction_scheduled": "judgment",
            "eviction_prevented": "eviction_scheduled", "evicted": "eviction_scheduled",
        }
        if kind not in need:
            raise CaseError(f"event: {kind!r} is not one of {', '.join(need)}")
        if kind == "summons" and not self.legal_action_approved:
            raise CaseError("summons: legal action needs two different staff members' decisions first")
        if kind in ("summons", "eviction_scheduled") and self.in_programme():
            raise CaseError(f"{kind.replace('_', ' ')}: refused: the tenant is in a debt-help programme "
                            "(EVICT-DEBT-PROGRAMME)")
        before = need[kind]
        if before is not None and self.court_event(before) is None:
            raise CaseError(f"{kind}: needs the {before.replace('_', ' ')} first")
        if self.court and on < self.court[-1]["on"]:
            raise CaseError(f"date: {on} is before the last court event ({self.court[-1]['on']})")
        if self.court_event("evicted") is not None or self.court_event("eviction_prevented") is not None:
            raise CaseError("the eviction was already carried out or prevented")
        if kind == "judgment" and outcome not in ("dissolved", "conditional", "refused"):
            raise CaseError(f"outcome: {outcome!r} must be dissolved, conditional or refused")
        if kind == "eviction_scheduled":
            judgment = self.court_event("judgment")
            if judgment is None or judgment["outcome"] == "refused":
                raise CaseError("eviction date: the judgment did not dissolve the lease")
            if scheduled_on is None or scheduled_on < on:
                raise CaseError("eviction date: give the date set for the eviction (not before today)")
        if kind == "eviction_prevented" and outcome not in ("paid", "second_chance"):
            raise CaseError(f"outcome: {outcome!r} must be paid or second_chance")
        if kind == "evicted":
            scheduled = self.court_event("eviction_scheduled")
            assert scheduled is not None
            if on < scheduled["scheduled_on"]:
                raise CaseError(f"evicted: {on} is before the eviction date {scheduled['scheduled_on']}")
        self._court_event(kind=kind, on=on, by=by, outcome=outcome, scheduled_on=scheduled_on)

    @event("CourtEventRecorded")
    def _court_event(self, kind: str, on: date, by: str, outcome: str | None, scheduled_on: date | None) -> None:
        self.court.append({"kind": kind, "on": on, "by": by, "outcome": outcome, "scheduled_on": scheduled_on})

    # ------------------------------------------------------------------ notes
    def add_note(self, *, about: str, sealed: str, on: date, by: str) -> None:
        """Free text an officer gives (a contact note, referral details...). It can hold
        personal or health data, so it arrives sealed with the tenancy key: erasing the
        key makes it unreadable while the case history stays."""
        if not sealed.startswith("v1:"):
            raise CaseError("note: free text must be sealed before it is recorded")
        self._note_added(about=about, sealed=sealed, on=on, by=by)

    @event("NoteAdded")
    def _note_added(self, about: str, sealed: str, on: date, by: str) -> None:
        self.notes.append({"about": about, "sealed": sealed, "on": on, "by": by})

    # ----------------------------------------------------------- arrangements
    def agree_arrangement(self, *, instalments: list[tuple[date, int]], on: date, by: str) -> None:
        self._check_open()
        if self.arrangement_active():
            raise CaseError("arrangement: the case already has an active arrangement")
        if not instalments:
            raise CaseError("instalments: an arrangement needs at least one instalment")
        if instalments[0][0] < on:
            raise CaseError(f"first_date: {instalments[0][0]} is before {on}")
        if any(c <= 0 for _, c in instalments):
            raise CaseError("instalments: every instalment must be a positive amount")
        dates = [d for d, _ in instalments]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise CaseError("instalments: dates must be distinct and in order")
        self._arrangement_agreed(
            instalments=[{"due_on": d, "cents": c} for d, c in instalments], on=on, by=by,
            index=len(self.arrangements),
        )

    @event("ArrangementAgreed")
    def _arrangement_agreed(self, instalments: list[dict[str, Any]], on: date, by: str, index: int) -> None:
        self.arrangement = {"index": index, "instalments": instalments, "agreed_on": on, "by": by, "status": "active", "missed": []}
        self.arrangements.append(self.arrangement)

    def miss_instalment(self, *, number: int, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        if self.has_done(action_id) or not self.arrangement_active():
            return
        self._instalment_missed(number=number, on=on, rule=rule, inputs=inputs, action_id=action_id)

    @event("InstalmentMissed")
    def _instalment_missed(self, number: int, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        self._record_step(action_id, rule, inputs, on)
        assert self.arrangement is not None
        self.arrangement["missed"].append(number)

    def break_arrangement(self, *, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        if self.has_done(action_id) or not self.arrangement_active():
            return
        self._arrangement_broken(on=on, rule=rule, inputs=inputs, action_id=action_id)

    @event("ArrangementBroken")
    def _arrangement_broken(self, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        self._record_step(action_id, rule, inputs, on)
        assert self.arrangement is not None
        self.arrangement["status"] = "broken"
        self.arrangement["ended_on"] = on

    def complete_arrangement(self, *, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        if self.has_done(action_id) or not self.arrangement_active():
            return
        self._arrangement_completed(on=on, rule=rule, inputs=inputs, action_id=action_id)

    @event("ArrangementCompleted")
    def _arrangement_completed(self, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        self._record_step(action_id, rule, inputs, on)
        assert self.arrangement is not None
        self.arrangement["status"] = "completed"
        self.arrangement["ended_on"] = on

    # -------------------------------------------------------------- referrals
    def refer(self, *, partner: Partner, consent: bool, on: date, by: str) -> None:
        self._check_open()
        if not consent:
            raise ConsentRequired(f"consent: a referral to {partner.value} needs the tenant's consent")
        self._referral_made(partner=partner.value, consent=True, on=on, by=by)

    @event("ReferralMade")
    def _referral_made(self, partner: str, consent: bool, on: date, by: str) -> None:
        self.referrals.append({"partner": partner, "consent": consent, "on": on, "by": by, "status": "made"})

    def _find_referral(self, partner: Partner) -> dict[str, Any]:
        for r in reversed(self.referrals):
            if r["partner"] == partner.value and r["status"] == "made":
                return r
        raise CaseError(f"partner: no open referral to {partner.value}")

    def accept_referral(self, *, partner: Partner, on: date, by: str, pause_days: int) -> None:
        self._check_open()
        self._find_referral(partner)
        until = None
        if partner == Partner.GKB:  # at most ``pause_days`` from the first acceptance in this case
            first = min((r["accepted_on"] for r in self.referrals
                         if r["partner"] == Partner.GKB.value and r["status"] == "accepted"), default=on)
            until = first + timedelta(days=pause_days)
            if until < on:
                until = None
        self._referral_accepted(partner=partner.value, on=on, by=by, pause_until=until)
        if partner == Partner.GKB and (self.programme is None or self.programme["state"] not in PROGRAMME_STATES):
            # debt help accepted with the tenant's consent: the programme's intake begins
            self._programme_changed(state="intake", on=on, by=by, rule="DEBT-INTAKE", action_id=None)
            self._bailiff_hold_task(on)

    @event("ReferralAccepted")
    def _referral_accepted(self, partner: str, on: date, by: str, pause_until: date | None) -> None:
        for r in reversed(self.referrals):
            if r["partner"] == partner and r["status"] == "made":
                r["status"] = "accepted"
                r["accepted_on"] = on
                break
        if pause_until is not None:
            self.paused_until = pause_until
            self.pause_reason = "debt_counselling"

    def decline_referral(self, *, partner: Partner, on: date, by: str) -> None:
        self._check_open()
        self._find_referral(partner)
        self._referral_declined(partner=partner.value, on=on, by=by)

    @event("ReferralDeclined")
    def _referral_declined(self, partner: str, on: date, by: str) -> None:
        for r in reversed(self.referrals):
            if r["partner"] == partner and r["status"] == "made":
                r["status"] = "declined"
                break

    # ------------------------------------------------------- letters & signal
    def record_letter(
        self, *, kind: LetterKind, letter_id: str, posted_on: date, amount_cents: int, checksum: str,
        rule: str, inputs: dict[str, Any], costs_cents: int | None = None, deadline: date | None = None,
    ) -> None:
        self._check_open()
        if self.has_done(letter_id):
            return
        if kind == LetterKind.FOURTEEN_DAY_LETTER and (costs_cents is None or deadline is None):
            raise CaseError("a 14-day letter needs its cost amount and deadline")
        self._letter_sent(
            kind=kind.value, letter_id=letter_id, posted_on=posted_on, amount_cents=amount_cents,
            checksum=checksum, rule=rule, inputs=inputs, costs_cents=costs_cents, deadline=deadline,
        )

    @event("LetterSent")
    def _letter_sent(
        self, kind: str, letter_id: str, posted_on: date, amount_cents: int, checksum: str, rule: str,
        inputs: dict[str, Any], costs_cents: int | None, deadline: date | None,
    ) -> None:
        self._record_step(letter_id, rule, inputs, posted_on)
        self.letters[letter_key(kind, letter_id)] = {
            "letter_id": letter_id, "posted_on": posted_on, "amount_cents": amount_cents, "checksum": checksum,
            "costs_cents": costs_cents, "deadline": deadline,
        }

    def object_to_signal(self, *, on: date, by: str) -> None:
        self._check_open()
        if self.signal is not None:
            raise CaseError(f"the municipal signal was already sent on {self.signal['on']}")
        if self.objected_on is not None:
            return
        self._signal_objected(on=on, by=by)

    @event("SignalObjected")
    def _signal_objected(self, on: date, by: str) -> None:
        self.objected_on = on

    def signal_conditions(self) -> dict[str, bool]:
        """The four BGS conditions (Besluit gemeentelijke schuldhulpverlening art. 2)."""
        reminder = self.letters.get(LetterKind.REMINDER.value)
        return {
            "personal_contact_attempted": bool(self.personal_attempts()),
            "pointed_to_debt_help": self.pointed_to_debt_help(),
            # a reminder withdrawn as sent in error (LATE-LETTER-APOLOGY) offers nothing
            "reminder_with_offer_sent": reminder is not None and reminder.get("withdrawn_on") is None,
            "no_objection": self.objected_on is None,
        }

    def send_signal(self, *, signal_id: str, on: date, amount_cents: int, rule: str, inputs: dict[str, Any]) -> None:
        self._check_open()
        if (self.signal is not None and self.signal.get("withdrawn_on") is None) or self.has_done(signal_id):
            return
        missing = [k for k, ok in self.signal_conditions().items() if not ok]
        if missing:
            raise CaseError(f"municipal signal refused: condition(s) not met: {', '.join(missing)}")
        self._signal_sent(signal_id=signal_id, on=on, amount_cents=amount_cents, rule=rule, inputs=inputs)

    @event("MunicipalSignalSent")
    def _signal_sent(self, signal_id: str, on: date, amount_cents: int, rule: str, inputs: dict[str, Any]) -> None:
        self._record_step(signal_id, rule, inputs, on)
        self.signal = {"signal_id": signal_id, "on": on, "amount_cents": amount_cents}

    def charge_costs(self, *, cents: int, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        self._check_open()
        if (self.costs_charged_on is not None and not self.costs_reversed) or self.has_done(action_id):
            return
        problems = self.costs_problems(cents=cents, on=on)
        if problems:
            raise CaseError(f"collection costs: {problems[0]}")
        self._costs_charged(cents=cents, on=on, rule=rule, inputs=inputs, action_id=action_id)

    def costs_problems(self, *, cents: int, on: date) -> list[str]:
        """Why collection costs of ``cents`` charged on ``on`` would break the WIK (empty:
        they may be charged): a 14-day letter first, its deadline passed, its amount.
        The case refuses such costs; audit reports recorded costs that had problems."""
        letter = self.letters.get(LetterKind.FOURTEEN_DAY_LETTER.value)
        if letter is None:
            return ["they need a 14-day letter first (WIK)"]
        problems = []
        if letter["deadline"] is None or on <= letter["deadline"]:
            problems.append(f"charged on {on}: the 14-day deadline {letter['deadline']} has not passed (WIK)")
        if cents != letter["costs_cents"]:
            problems.append(f"{cents} cents, the 14-day letter stated {letter['costs_cents']}: costs must be "
                            "the amount stated in the letter (WIK)")
        return problems

    @event("CollectionCostsCharged")
    def _costs_charged(self, cents: int, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        self._record_step(action_id, rule, inputs, on)
        self.costs_cents = cents
        self.costs_charged_on = on
        self.costs_reversed = False
        self.costs_reversed_on = None

    # ----------------------------------------------- compensating steps (PLAYBOOK 5)
    def withdraw_letter(self, *, kind: str, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        """A letter that the facts as booked show was sent in error: it stands as sent, is
        marked withdrawn (a 14-day letter no longer carries costs) and an officer apologises."""
        if self.has_done(action_id) or kind not in self.letters:
            return
        self._letter_withdrawn(kind=kind, on=on, rule=rule, inputs=inputs, action_id=action_id)

    @event("LetterWithdrawn")
    def _letter_withdrawn(self, kind: str, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        self._record_step(action_id, rule, inputs, on)
        letter = self.letters[kind]
        letter["withdrawn_on"] = on
        self.withdrawn_letters.append({"kind": kind, **letter})

    def reverse_costs(self, *, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        if self.has_done(action_id) or self.costs_charged_on is None or self.costs_reversed:
            return
        self._costs_reversed(cents=self.costs_cents, on=on, rule=rule, inputs=inputs, action_id=action_id)

    @event("CollectionCostsReversed")
    def _costs_reversed(self, cents: int, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        self._record_step(action_id, rule, inputs, on)
        self.costs_reversed = True
        self.costs_reversed_on = on

    def withdraw_signal(self, *, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        if self.has_done(action_id) or self.signal is None or self.signal.get("withdrawn_on") is not None:
            return
        self._signal_withdrawn(on=on, rule=rule, inputs=inputs, action_id=action_id)

    @event("MunicipalSignalWithdrawn")
    def _signal_withdrawn(self, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        self._record_step(action_id, rule, inputs, on)
        assert self.signal is not None
        self.signal["withdrawn_on"] = on
        self.withdrawn_signals.append(dict(self.signal))

    def resolve_signal(self, *, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        """The arrears the signal reported are cleared: the municipality is told."""
        if self.has_done(action_id) or self.signal is None or self.signal.get("withdrawn_on") is not None:
            return
        if self.signal.get("resolved_on") is not None:
            return
        self._signal_resolved(on=on, rule=rule, inputs=inputs, action_id=action_id)

    @event("MunicipalSignalResolved")
    def _signal_resolved(self, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        self._record_step(action_id, rule, inputs, on)
        assert self.signal is not None
        self.signal["resolved_on"] = on

    def withdraw_eligibility(self, *, which: str, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        if self.has_done(action_id):
            return
        if (self.bailiff_eligible_on if which == "bailiff" else self.legal_eligible_on) is None:
            return
        self._eligibility_withdrawn(which=which, on=on, rule=rule, inputs=inputs, action_id=action_id)

    @event("EligibilityWithdrawn")
    def _eligibility_withdrawn(self, which: str, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        self._record_step(action_id, rule, inputs, on)
        self.eligibility_withdrawals.append({"which": which, "on": on, "rule": rule})
        if which == "bailiff":
            self.bailiff_eligible_on = None
        else:
            self.legal_eligible_on = None
        # the approval the eligibility asked for is void: the worklist must not offer it
        void = "approve_bailiff" if which == "bailiff" else "review_legal_action"
        for t in self.tasks.values():
            if t["status"] == "open" and t["kind"] == void:
                t["status"] = "cancelled"

    # -------------------------------------------------------- bailiff & legal
    def mark_bailiff_eligible(self, *, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        if self.has_done(action_id) or self.bailiff_eligible_on is not None:
            return
        self._bailiff_eligible(on=on, rule=rule, inputs=inputs, action_id=action_id)

    @event("BailiffEligible")
    def _bailiff_eligible(self, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        self._record_step(action_id, rule, inputs, on)
        self.bailiff_eligible_on = on

    def hand_over_to_bailiff(self, *, on: date, approved_by: str) -> None:
        self._check_open()
        if self.bailiff_eligible_on is None:
            raise CaseError("bailiff hand-over: the case is not eligible (BAILIFF rule not met)")
        if self.bailiff_handed_over is not None:
            raise CaseError(f"bailiff hand-over already approved on {self.bailiff_handed_over['on']}")
        self._check_still_eligible("bailiff hand-over", on)
        self._bailiff_handed_over(on=on, approved_by=approved_by)

    @event("BailiffHandedOver")
    def _bailiff_handed_over(self, on: date, approved_by: str) -> None:
        self.bailiff_handed_over = {"on": on, "approved_by": approved_by}

    def mark_legal_eligible(self, *, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        if self.has_done(action_id) or self.legal_eligible_on is not None:
            return
        self._legal_eligible(on=on, rule=rule, inputs=inputs, action_id=action_id)

    @event("LegalActionEligible")
    def _legal_eligible(self, on: date, rule: str, inputs: dict[str, Any], action_id: str) -> None:
        self._record_step(action_id, rule, inputs, on)
        self.legal_eligible_on = on

    def _check_still_eligible(self, step: str, on: date) -> None:
        """Eligibility recorded earlier does not survive an honoured arrangement, a pause
        or an accepted debt-counselling referral (PLAYBOOK 4.4 and 4.5, EVICT)."""
        if self.arrangement_active():
            raise CaseError(f"{step}: refused while a payment arrangement is active")
        if self.is_paused(on):
            raise CaseError(f"{step}: refused while collection is paused until {self.paused_until}")
        if self.in_programme():  # sector agreement 2022: no eviction in a debt-help programme
            raise CaseError(f"{step}: refused: the tenant is in a debt-help programme (EVICT-DEBT-PROGRAMME)")

    def decide_legal_action(self, *, by: str, reason: str, on: date) -> None:
        self._check_open()
        if self.legal_eligible_on is None:
            raise CaseError("legal action: the case is not eligible (EVICT rule not met)")
        if not reason.strip():
            raise CaseError("reason: a legal-action decision needs a reason")
        self._check_still_eligible("legal action", on)
        if self.decided_legal_action(by):
            raise FourEyesRequired(f"legal action: {by} already decided; a second, different person must decide")
        self._legal_decided(by=by, reason=reason, on=on)

    def decided_legal_action(self, by: str) -> bool:
        """Whether the person behind ``by`` already decided on legal action (four eyes:
        one person in two roles is still one pair of eyes)."""
        return any(_staff(d["by"]) == _staff(by) for d in self.legal_decisions)

    @event("LegalActionDecided")
    def _legal_decided(self, by: str, reason: str, on: date) -> None:
        self.legal_decisions.append({"by": by, "reason": reason, "on": on})

    @property
    def legal_action_approved(self) -> bool:
        return len({_staff(d["by"]) for d in self.legal_decisions}) >= 2

    # ---------------------------------------------------------------- pauses
    def pause(self, *, until: date, reason: str, on: date, by: str) -> None:
        self._check_open()
        if until < on:
            raise CaseError(f"until: {until} is before {on}")
        self._paused(until=until, reason=reason, on=on, by=by)

    @event("Paused")
    def _paused(self, until: date, reason: str, on: date, by: str) -> None:
        self.paused_until = until
        self.pause_reason = reason

    def resume(self, *, on: date, reason: str, rule: str, action_id: str) -> None:
        if self.paused_until is None or self.has_done(action_id):
            return
        self._resumed(on=on, reason=reason, rule=rule, action_id=action_id)

    @event("Resumed")
    def _resumed(self, on: date, reason: str, rule: str, action_id: str) -> None:
        self._record_step(action_id, rule, {"reason": reason}, on)
        self.paused_until = None
        self.pause_reason = None

    # ---------------------------------------------------------------- closing
    def close(self, *, on: date, reason: str, rule: str, inputs: dict[str, Any]) -> None:
        self._check_open()
        self._closed(on=on, reason=reason, rule=rule, inputs=inputs)

    @event("Closed")
    def _closed(self, on: date, reason: str, rule: str, inputs: dict[str, Any]) -> None:
        self._record_step(f"close:{rule}", rule, inputs, on)
        self.closed_on = on
        self.close_reason = reason
        for t in self.tasks.values():
            if t["status"] == "open" and t["kind"] not in AFTER_CLOSE_TASKS:
                t["status"] = "cancelled"
                t["cancelled_by_close"] = on

    def correct_close(self, *, closed_on: date, on: date, rule: str, inputs: dict[str, Any]) -> None:
        """The facts as booked show the case cleared on another day than the one it closed:
        earlier (a payment booked before, recorded after), or later (a rent charge booked
        on or before its close, recorded after, and the money that cleared it booked
        since): the close date follows the booking date."""
        if self.closed_on is None or closed_on == self.closed_on:
            return
        self._close_corrected(closed_on=closed_on, on=on, rule=rule,
                              inputs={**inputs, "was_closed_on": self.closed_on})

    @event("CloseCorrected")
    def _close_corrected(self, closed_on: date, on: date, rule: str, inputs: dict[str, Any]) -> None:
        self._record_step(f"close:corrected:{closed_on}", rule, inputs, on)
        self.closed_on = closed_on

    def reopen(self, *, on: date, rule: str, inputs: dict[str, Any]) -> None:
        """The facts as booked show the case should not have closed (a charge or a
        reversal booked on or before its close date, recorded after it): the same case
        goes on, its letters, costs, signal and eligibility standing (PLAYBOOK 5). Tasks
        the close cancelled are open again."""
        if self.closed_on is None:
            return
        self._reopened(on=on, rule=rule, inputs={**inputs, "closed_on": self.closed_on,
                                                  "close_reason": self.close_reason})

    @event("Reopened")
    def _reopened(self, on: date, rule: str, inputs: dict[str, Any]) -> None:
        n = sum(1 for s in self.steps if s["rule"] == rule)
        closed_on = self.closed_on
        # the close it undoes no longer counts as done: the case may close again
        self.actions = {a for a in self.actions if not a.startswith("close:")}
        self._record_step(f"reopen:{n + 1}", rule, inputs, on)
        self.closed_on = None
        self.close_reason = None
        self.reopenings.append({"on": on, "closed_on": closed_on})
        for t in self.tasks.values():
            if t["status"] == "cancelled" and t.get("cancelled_by_close") == closed_on:
                t["status"] = "open"
                del t["cancelled_by_close"]
