"""The preventive playbook as pure rules (PLAYBOOK.md sections 2-5, LEGAL.md).

``evaluate(case, tenancy, day, policy)`` returns the actions due on ``day`` and the
next day anything can fall due without new events. Each action names its rule,
the inputs that made it fire and a deterministic ``action_id``: the application
carries actions out; the case refuses an ``action_id`` it has already recorded, so
re-running a day never repeats a step. No clock, no I/O.

Rule ids: CLOSE-PAID, CLOSE-ENDED, CLOSE-ARRANGEMENT, PAUSE-END, ARR-MISSED,
ARR-BROKEN, ARR-COMPLETE, PROMISE-CHECK, PREV-PHONE-D1, PREV-PHONE-RETRY,
PREV-VISIT, WORRY-CONTACT-D3, WORRY-PHONE-RETRY, WORRY-VISIT, STD-ROBOCALL-12,
STD-ROBOCALL-RETRY, STD-SMS-CHOSEN, STD-SMS-FALLBACK, STD-SMS-NO-RESULT, STD-FIX-CONTACT,
REMINDER-D14, BGS-CONTACT-FIRST, BGS-2, WIK-14, WIK-COSTS, BAILIFF-ELIGIBLE,
EVICT-ELIGIBLE, OPEN-CASE, RET-DECEASED, RET-BANK-DETAILS (domain.returns),
DEBT-CURRENT-RENT, DEBT-LAPSED, DEBT-RESUME (domain.programmes).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import attrs

from domain import late_facts, wik
from domain.arrears_case import ArrearsCase
from domain.calendar import (
    add_business_days,
    add_months,
    is_business_day,
    next_business_day,
    on_or_next_business_day,
    on_or_previous_business_day,
)
from domain.policy import Policy
from domain.programmes import programme_rules
from domain.returns import return_code_rules
from domain.tenancy import Tenancy
from domain.values import Channel, LetterKind, Outcome, TaskKind, Track


@attrs.frozen
class Action:
    kind: str  # close | resume | task | robocall | sms | letter | signal | costs | ...
    rule: str
    action_id: str
    inputs: dict[str, Any]
    params: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Decision:
    actions: list[Action]
    next_check: date | None


RETRY_OUTCOMES = frozenset(
    {Outcome.NO_ANSWER, Outcome.BUSY, Outcome.VOICEMAIL, Outcome.NO_INPUT, Outcome.FAILED}
)
FIX_CONTACT_OUTCOMES = frozenset({Outcome.INVALID_NUMBER, Outcome.NOT_DIALLED})
POSTED_OR_DIALLED = frozenset({"robocall", "sms", "letter"})


# ----------------------------------------------------------------- opening


def choose_track(tenancy: Tenancy, day: date, policy: Policy) -> tuple[Track, dict[str, Any]]:
    recent = (
        tenancy.last_case_closed_on is not None
        and day < add_months(tenancy.last_case_closed_on, policy.worry_recent_case_months)
    )
    inputs = {
        "profile_active": tenancy.profile_active,
        "worry_flag": tenancy.worry,
        "case_closed_recently": recent,
    }
    if tenancy.profile_active:
        return Track.PREVENTION, inputs
    if tenancy.worry or recent:
        return Track.WORRY, inputs
    return Track.STANDARD, inputs


def case_opening_day(unpaid_since: date, grace_days: int = 0) -> date:
    """A case opens on the first business day after the due date and its grace days
    (policy ``grace_days``, default 0)."""
    return next_business_day(unpaid_since + timedelta(days=grace_days))


def robocall_day(due: date, policy: Policy) -> date:
    if due.day < policy.robocall_day:
        target = due.replace(day=policy.robocall_day)
    else:
        target = due + timedelta(days=policy.robocall_days_after_due_when_late)
    return on_or_next_business_day(target)


# ---------------------------------------------------------------- evaluate


def evaluate(
    case: ArrearsCase, tenancy: Tenancy, day: date, policy: Policy, *, in_debt_counselling: bool = False
) -> Decision:
    """``in_debt_counselling``: the tenant is in a debt-counselling programme by their
    (sealed) intake answers; the application unseals them, the rule only reads the flag."""
    if policy.strategy == "classic":  # the traditional dunning process, for comparison
        from domain import classic

        return classic.evaluate(case, tenancy, day, policy)
    acts: list[Action] = []
    later: list[date] = []
    D = case.due_date
    arrears = tenancy.arrears_cents(as_of=day)
    base = {"arrears_cents": arrears, "days_late": (day - D).days, "track": case.track}

    def add(kind: str, rule: str, action_id: str, inputs: dict[str, Any] | None = None, **params: Any) -> None:
        if kind in POSTED_OR_DIALLED and not is_business_day(day):  # calls and post: business days only
            later.append(next_business_day(day))
            return
        if not case.has_done(action_id):
            acts.append(Action(kind, rule, action_id, {**base, **(inputs or {})}, params))

    later.extend(_known_future(tenancy, day))

    def at(when: date) -> bool:
        """True when ``when`` has come; else remember it as a future check."""
        if day >= when:
            return True
        later.append(when)
        return False

    # --- closing ---------------------------------------------------------
    if tenancy.ended_on is not None and tenancy.ended_on <= day:
        add("close", "CLOSE-ENDED", "close:CLOSE-ENDED", {"ended_on": tenancy.ended_on}, reason="tenancy_ended")
        return Decision(acts, None)
    # --- facts as booked (PLAYBOOK 5): compensate steps that should not have been taken ---
    cleared = late_facts.cleared_on(case, tenancy, day, policy)
    for comp in late_facts.compensations(case, tenancy, day, policy, cleared):
        add(comp.kind, comp.rule, comp.action_id, comp.inputs, **comp.params)
    if cleared is not None:
        if case.arrangement_active():  # paid off: the arrangement is completed, not left active on a closed case
            assert case.arrangement is not None
            add("arrangement_completed", "ARR-COMPLETE", f"arr{case.arrangement['index']}:completed",
                {"tolerance_cents": policy.tolerance_cents})
        for p_index, p in enumerate(case.promises):  # paid by the check: the promise was kept
            if p["status"] == "open":
                add("promise_check", "PROMISE-CHECK", f"promise:{p_index}:checked", {"pay_by": p["pay_by"]},
                    kept=True)
        sig = case.signal
        if sig is not None and sig.get("withdrawn_on") is None and sig.get("resolved_on") is None and sig["on"] < cleared:
            add("signal_resolved", "BGS-RESOLVED", f"signal:resolved:{sig['signal_id']}",
                {"signal_on": sig["on"], "cleared_on": cleared}, signal_id=sig["signal_id"])
        add("close", "CLOSE-PAID", "close:CLOSE-PAID", {"tolerance_cents": policy.tolerance_cents,
                                                        "cleared_on": cleared}, reason="paid", closed_on=cleared)
        return Decision(acts, None)

    # --- bank return reason codes (MD07 stops all contact; AC04/AC06 new bank details) ---
    if return_code_rules(case, tenancy, day, policy.return_codes, add):
        return _decision(acts, later, day, policy)

    # --- pauses ------------------------------------------------------------
    if case.paused_until is not None:
        if day > case.paused_until:
            add("resume", "PAUSE-END", f"resume:{case.paused_until}", {"paused_until": case.paused_until},
                reason=f"{case.pause_reason} pause ended")
        else:
            return Decision(acts, case.paused_until + timedelta(days=1))

    # --- debt-help programme: holds collection, watches current rent ---------------
    if programme_rules(case, tenancy, day, policy, add, at):
        return _decision(acts, later, day, policy)

    # --- arrangement ---------------------------------------------------------
    state = arrangement_rule(case, tenancy, day, policy, add, at, follow_up_tasks=True)
    if state == "completed":
        return Decision(acts, None)
    if state == "honoured":
        return _decision(acts, later, day, policy)  # honoured: escalation pauses

    # --- promise to pay --------------------------------------------------------
    promise_pending = False
    for p_index, p in enumerate(case.promises):
        if p["status"] != "open":
            continue
        if at(p["pay_by"] + timedelta(days=1)):
            add("promise_check", "PROMISE-CHECK", f"promise:{p_index}:checked", {"pay_by": p["pay_by"]}, kept=False)
            add("task", "PROMISE-CHECK", f"task:promise:{p_index}", {"pay_by": p["pay_by"]},
                task_kind=TaskKind.PROMISE_FOLLOW_UP.value, due_on=on_or_next_business_day(day))
        else:
            promise_pending = True
    if promise_pending and day < D + timedelta(days=policy.reminder_days):
        # a pending promise holds calls and letters, but never past the reminder's D + 14
        return _decision(acts, later + [D + timedelta(days=policy.reminder_days)], day, policy)

    # --- first contact per track ----------------------------------------------------
    track = Track(case.track)
    if promise_pending:
        pass  # the tenant promised: no calls or tasks until the promise is checked
    elif track in (Track.PREVENTION, Track.WORRY):
        _personal_track(case, tenancy, track, day, policy, add, at)
    else:
        _standard_track(case, day, policy, add, at)
    if not promise_pending:
        _monthly_rhythm(case, tenancy, day, policy, add, at)

    # --- formal steps -------------------------------------------------------------
    reminder_on = on_or_previous_business_day(D + timedelta(days=policy.reminder_days))
    reminder_on = max(reminder_on, case.opened_on)
    reminder = _live_letter(case, LetterKind.REMINDER.value)
    if reminder is None and at(reminder_on):
        ok, why = late_facts.threshold("reminder", tenancy, day, policy)
        if ok:
            add("letter", "REMINDER-D14", _letter_action(case, LetterKind.REMINDER.value), {"reminder_due": reminder_on, **why},
                letter_kind=LetterKind.REMINDER.value)
        else:
            later.append(day + timedelta(days=1))

    signal_ok, signal_why = late_facts.threshold("signal", tenancy, day, policy)
    no_signal = case.signal is None or case.signal.get("withdrawn_on") is not None
    if no_signal and case.objected_on is None and not promise_pending and signal_ok \
            and at(D + timedelta(days=policy.signal_days)):
        conditions = case.signal_conditions()
        officer_task_open = any(
            t["kind"] in (TaskKind.PHONE.value, TaskKind.HOME_VISIT.value) for t in case.open_tasks()
        )
        if not conditions["personal_contact_attempted"] and not officer_task_open:
            add("task", "BGS-CONTACT-FIRST", "task:bgs:contact", {"conditions": conditions},
                task_kind=TaskKind.PHONE.value, due_on=on_or_next_business_day(day))
        elif all(conditions.values()):
            offered = case.letters[LetterKind.REMINDER.value]["posted_on"]
            # the tenant has had the objection period since the reminder offered the signal
            if at(offered + timedelta(days=policy.signal_objection_days)):
                sid = "signal" if not case.withdrawn_signals else f"signal:{len(case.withdrawn_signals) + 1}"
                add("signal", "BGS-2", sid, {"conditions": conditions, "origin_date": D,
                                             "offered_on": offered,
                                             "objection_days": policy.signal_objection_days, **signal_why})

    wik_letter = _live_letter(case, LetterKind.FOURTEEN_DAY_LETTER.value)
    if wik_letter is None and at(on_or_next_business_day(D + timedelta(days=policy.wik_letter_days))):
        ok, why = late_facts.threshold("wik14", tenancy, day, policy)
        # never two escalation letters on one day, and "after our reminder" must be true
        reminder_before = reminder is not None and reminder["posted_on"] < day
        if ok and reminder_before:
            costs = wik.collection_costs_cents(arrears, vat_rate_percent=policy.wik_vat_percent)
            deadline = wik.letter_deadline(day, policy)
            add("letter", "WIK-14", _letter_action(case, LetterKind.FOURTEEN_DAY_LETTER.value),
                {"costs_cents": costs, "deadline": deadline, "posted_on": day, **why,
                 "reminder_posted_on": reminder["posted_on"] if reminder else None},
                letter_kind=LetterKind.FOURTEEN_DAY_LETTER.value, costs_cents=costs, deadline=deadline)
        else:
            later.append(next_business_day(day))
    if wik_letter is not None:
        deadline = wik_letter["deadline"]
        unpaid = late_facts.stated_debt_unpaid(tenancy, wik_letter)
        if (
            (case.costs_charged_on is None or case.costs_reversed)
            and unpaid > policy.tolerance_cents  # costs only when the stated debt stayed unpaid (as booked)
            and at(deadline + timedelta(days=1))
        ):
            n = len(case.withdrawn_letters) if case.costs_reversed else 0
            add("costs", "WIK-COSTS", "costs:wik" if not case.costs_reversed else f"costs:wik:{n + 1}",
                {"deadline": deadline, "letter_id": wik_letter["letter_id"],
                 "letter_amount_cents": wik_letter["amount_cents"], "unpaid_at_deadline_cents": unpaid},
                cents=wik_letter["costs_cents"])
        if (
            case.bailiff_eligible_on is None
            and arrears >= policy.bailiff_months_of_rent * tenancy.rent_cents
            and at(deadline + timedelta(days=1))
        ):
            add("bailiff_eligible", "BAILIFF-ELIGIBLE", _again(case, "bailiff", "bailiff:eligible"),
                {"deadline": deadline, "rent_cents": tenancy.rent_cents, "months": policy.bailiff_months_of_rent})
            add("task", "BAILIFF-ELIGIBLE", "task:bailiff:approve", {},
                task_kind=TaskKind.APPROVE_BAILIFF.value, due_on=on_or_next_business_day(day))

    if case.legal_eligible_on is None and case.signal is not None and case.signal.get("withdrawn_on") is None:
        documented = {
            "reminder": LetterKind.REMINDER.value in case.letters,
            "fourteen_day_letter": wik_letter is not None,
            "signal": True,
            "personal_contact": bool(case.personal_attempts()),
        }
        enough = arrears >= policy.legal_months_of_rent * tenancy.rent_cents
        not_in_counselling = not case.in_programme() and not in_debt_counselling
        if enough and all(documented.values()) and not_in_counselling:
            if at(add_months(case.signal["on"], policy.legal_months_after_signal)):
                add("legal_eligible", "EVICT-ELIGIBLE", _again(case, "legal", "legal:eligible"),
                    {"documented": documented, "signal_on": case.signal["on"], "rent_cents": tenancy.rent_cents,
                     "months": policy.legal_months_of_rent, "in_debt_counselling": in_debt_counselling})
                add("task", "EVICT-ELIGIBLE", "task:legal:review", {},
                    task_kind=TaskKind.REVIEW_LEGAL_ACTION.value, due_on=on_or_next_business_day(day))

    if not promise_pending:
        _cadence(case, day, policy, acts, add, at)
    return _decision(acts, later, day, policy)


def _live_letter(case: ArrearsCase, kind: str) -> dict[str, Any] | None:
    """The case's letter of ``kind`` unless it was withdrawn (sent in error)."""
    letter = case.letters.get(kind)
    return None if letter is None or letter.get("withdrawn_on") is not None else letter


def _letter_action(case: ArrearsCase, kind: str) -> str:
    from domain.arrears_case import LETTER_ACTIONS

    base = LETTER_ACTIONS[kind]
    n = sum(1 for w in case.withdrawn_letters if w["kind"] == kind)
    return base if n == 0 else f"{base}:{n + 1}"


def _again(case: ArrearsCase, which: str, base: str) -> str:
    n = sum(1 for w in case.eligibility_withdrawals if w["which"] == which)
    return base if n == 0 else f"{base}:{n + 1}"


def arrangement_rule(case, tenancy, day, policy, add, at, *, follow_up_tasks: bool) -> str | None:  # type: ignore[no-untyped-def]
    """The active arrangement's instalments (ARR-MISSED, ARR-BROKEN, ARR-COMPLETE):
    ``None`` without an active arrangement, else ``"completed"``, ``"broken"`` (escalation
    resumes) or ``"honoured"`` (escalation pauses). Shared by both strategies; only the
    playbook gives a missed instalment a follow-up task."""
    if not case.arrangement_active():
        return None
    arr = case.arrangement
    towards, towards_with_grace = arrangement_progress(tenancy, arr["agreed_on"], day, policy)
    cumulative = 0
    missed = list(arr["missed"])
    for n, inst in enumerate(arr["instalments"], start=1):
        cumulative += inst["cents"]
        if towards_with_grace >= cumulative:
            continue
        if not at(inst["due_on"] + timedelta(days=policy.instalment_grace_days)):
            break
        if n not in missed:
            missed.append(n)
            add("instalment_missed", "ARR-MISSED", f"arr{arr['index']}:missed:{n}",
                {"instalment": n, "due_on": inst["due_on"], "paid_towards_cents": towards_with_grace,
                 "due_cents": cumulative},
                number=n)
            if follow_up_tasks:
                add("task", "ARR-MISSED", f"task:arr{arr['index']}:followup:{n}", {"instalment": n},
                    task_kind=TaskKind.INSTALMENT_FOLLOW_UP.value, due_on=on_or_next_business_day(day))
        if len(missed) >= policy.instalments_missed_to_break:
            add("arrangement_broken", "ARR-BROKEN", f"arr{arr['index']}:broken", {"missed": list(missed)},
                worry_reason="arrangement broken")
            return "broken"
    if towards >= sum(i["cents"] for i in arr["instalments"]):
        add("arrangement_completed", "ARR-COMPLETE", f"arr{arr['index']}:completed", {"paid_towards_cents": towards})
        add("close", "CLOSE-ARRANGEMENT", "close:CLOSE-ARRANGEMENT", {}, reason="arrangement_completed")
        return "completed"
    return "honoured"


def arrangement_progress(tenancy: Tenancy, agreed: date, day: date, policy: Policy) -> tuple[int, int]:
    """Money paid towards an arrangement since it was agreed: (for completion, for a missed
    instalment). Current rent stays due: it counts against the arrangement once due, and,
    like an instalment, only after its grace days when judging a missed instalment."""
    grace_days = timedelta(days=policy.instalment_grace_days)
    paid = tenancy.payments_since(agreed)
    rent_due = [(tenancy.charge_due[p], c) for p, c in tenancy.charges.items() if agreed < tenancy.charge_due[p] <= day]
    towards = paid - sum(c for _, c in rent_due)
    return towards, paid - sum(c for due, c in rent_due if due + grace_days <= day)


def _decision(acts: list[Action], later: list[date], day: date, policy: Policy) -> Decision:
    cap = day + timedelta(days=policy.max_days_between_checks)
    nxt = min([d for d in later if d > day] + [cap])
    return Decision(acts, nxt)


def _known_future(tenancy: Tenancy, day: date) -> list[date]:
    """Money booked, or rent falling due, after ``day`` (a catch-up run sees the ledger
    ahead of the day it evaluates): the case must be looked at again on those days."""
    out = [tx["booked_on"] for tx in tenancy.transactions.values() if tx["booked_on"] > day]
    out.extend(d for d in tenancy.charge_due.values() if d > day)
    return out


def _officer_phone_days(case: ArrearsCase) -> tuple[bool, list[date]]:
    reached = False
    days: set[date] = set()
    for c in case.contacts:
        if c["channel"] in (Channel.PHONE.value, Channel.HOME_VISIT.value) and c["outcome"] == Outcome.REACHED.value:
            reached = True
        if c["channel"] == Channel.PHONE.value and c["outcome"] != Outcome.REACHED.value and c["by"] != "system":
            days.add(c["on"])
    return reached, sorted(days)


def _personal_track(case, tenancy, track, day, policy, add, at) -> None:  # type: ignore[no-untyped-def]
    D = case.due_date
    pattern = late_facts.late_pattern(tenancy, D, policy)
    if pattern is not None and not case.contacts:
        # pays late by the same few days every month: one task proposing a due day,
        # instead of a phone task every month; contact follows only past the usual day
        if not tenancy.due_day_proposed():
            add("task", "LATE-PATTERN-DUE-DAY", "task:propose_due_day", pattern,
                task_kind=TaskKind.PROPOSE_DUE_DAY.value, due_on=on_or_next_business_day(day),
                proposed_due_day=pattern["proposed_due_day"])
        if not at(D + timedelta(days=max(pattern["days_late"]) + 1)):
            return
    prefix = "PREV" if track == Track.PREVENTION else "WORRY"
    if track == Track.PREVENTION:
        first_due = add_business_days(D, policy.prevention_first_contact_business_days)
        first_rule = "PREV-PHONE-D1"
    else:
        first_due = on_or_next_business_day(D + timedelta(days=policy.worry_first_contact_days))
        first_rule = "WORRY-CONTACT-D3"
    if at(min(first_due, max(day, case.opened_on))):
        add("task", first_rule, "task:phone:1", {"first_contact_due": first_due},
            task_kind=TaskKind.PHONE.value, due_on=max(first_due, case.opened_on))
    reached, failed_days = _officer_phone_days(case)
    if reached:
        return
    if 0 < len(failed_days) < policy.prevention_phone_attempts:
        retry_due = next_business_day(failed_days[-1])
        add("task", f"{prefix}-PHONE-RETRY", f"task:phone:{len(failed_days) + 1}",
            {"failed_attempt_days": failed_days}, task_kind=TaskKind.PHONE.value, due_on=retry_due)
    elif len(failed_days) >= policy.prevention_phone_attempts:
        visit_due = add_business_days(failed_days[-1], policy.home_visit_within_business_days)
        add("task", f"{prefix}-VISIT", "task:home_visit:1", {"failed_attempt_days": failed_days},
            task_kind=TaskKind.HOME_VISIT.value, due_on=visit_due)


def _monthly_rhythm(case, tenancy, day, policy, add, at) -> None:  # type: ignore[no-untyped-def]
    """Every month (PLAYBOOK 2, rules RHYTHM-*): a tenant still unpaid on a later month's
    robocall day gets that month's robocall once, whatever the stage of the case; that
    new missed month gives an officer task (it escalates again); and an open case with
    nothing scheduled gets an officer task every ``contact_cadence_days``."""
    later_months = [(tenancy.charge_due[p], p) for p in tenancy.charges
                    if case.due_date < tenancy.charge_due[p] <= day]
    if policy.monthly_robocall and later_months:
        due, period = max(later_months)
        when = robocall_day(due, policy)
        if at(when):
            unpaid = {p for p, _, _ in tenancy.arrears_by_period(as_of=when)}
            if period in unpaid:
                add("robocall", "RHYTHM-ROBOCALL", f"robocall:m:{period}",
                    {"robocall_day": when, "period": period, "month_unpaid": True}, attempt=1)
                officer_task_open = any(t["kind"] in (TaskKind.PHONE.value, TaskKind.HOME_VISIT.value)
                                        for t in case.open_tasks())
                if not officer_task_open:  # an open contact task already covers the new month
                    add("task", "RHYTHM-NEW-MONTH", f"task:month:{period}", {"period": period, "due_date": due},
                        task_kind=TaskKind.PHONE.value, due_on=on_or_next_business_day(day))
    for attempt_id, attempt in case.robocalls.items():
        if attempt_id.startswith("robocall:m:") and attempt["outcome"] == Outcome.CHOSE_SMS.value:
            add("sms", "RHYTHM-ROBOCALL", f"sms:{attempt_id}", {"robocall": attempt_id})


def _cadence(case, day, policy, acts, add, at) -> None:  # type: ignore[no-untyped-def]
    """No open case goes silent (RHYTHM-CONTACT): nothing else due today, no open officer
    task and no step for ``contact_cadence_days``: an officer task."""
    if acts or case.open_tasks():
        return
    last = last_activity(case)
    if at(last + timedelta(days=policy.contact_cadence_days)):
        add("task", "RHYTHM-CONTACT", f"task:cadence:{last}", {"last_activity": last,
                                                              "cadence_days": policy.contact_cadence_days},
            task_kind=TaskKind.PHONE.value, due_on=on_or_next_business_day(day))


def last_activity(case: ArrearsCase) -> date:
    """The last automated step, contact or closed officer task of a case."""
    days = [case.opened_on]
    days += [s["on"] for s in case.steps]
    days += [c["on"] for c in case.contacts]
    days += [t["closed_on"] for t in case.tasks.values() if t.get("closed_on")]
    return max(days)


def _standard_track(case, day, policy, add, at) -> None:  # type: ignore[no-untyped-def]
    when = robocall_day(case.due_date, policy)
    if not at(when):
        return
    add("robocall", "STD-ROBOCALL-12", "robocall:1", {"robocall_day": when}, attempt=1)
    attempts = sorted(((k, v) for k, v in case.robocalls.items() if not k.startswith("robocall:m:")),
                      key=lambda kv: kv[0])
    if not attempts:
        return
    last_id, last = attempts[-1]
    outcome = last["outcome"]
    if outcome is None:
        # the provider never reported a result: after two business days, the SMS instead
        if at(add_business_days(last["on"], 2)):
            add("sms", "STD-SMS-NO-RESULT", "sms:fallback", {"robocall": last_id, "requested_on": last["on"]})
        return
    n = len(attempts)
    try:
        o = Outcome(outcome)
    except ValueError:
        return
    result_day = max((c["on"] for c in case.contacts if c["attempt_id"] == last_id), default=day)
    if o == Outcome.CHOSE_SMS:
        add("sms", "STD-SMS-CHOSEN", f"sms:chosen:{n}", {"robocall": last_id})
    elif o in FIX_CONTACT_OUTCOMES:
        add("task", "STD-FIX-CONTACT", "task:fix_contact", {"robocall": last_id, "outcome": outcome},
            task_kind=TaskKind.FIX_CONTACT_DETAILS.value, due_on=on_or_next_business_day(day))
    elif o in RETRY_OUTCOMES or o == Outcome.OPTED_OUT:
        if o != Outcome.OPTED_OUT and n <= policy.robocall_retries:
            retry_on = next_business_day(result_day)
            if at(retry_on):
                add("robocall", "STD-ROBOCALL-RETRY", f"robocall:{n + 1}", {"previous": last_id, "outcome": outcome},
                    attempt=n + 1)
        else:
            add("sms", "STD-SMS-FALLBACK", "sms:fallback", {"previous": last_id, "outcome": outcome})
