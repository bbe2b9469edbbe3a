"""Thresholds, facts that arrive late, and the monthly rhythm (PLAYBOOK.md sections 2 and 5).

Pure functions over a case and its tenancy, used by the playbook:

- ``threshold`` (rules ``THRESHOLD-*``): the minimum arrears for a reminder, a 14-day
  letter and a signal (bailiff and legal steps count months of rent in their own rules).
- ``cleared_on`` (rule ``CLOSE-PAID``): the booking date on which the arrears were back
  within the tolerance, whenever that money was recorded: a case cleared in time closes
  with that date.
- ``compensations`` (rules ``LATE-*``): steps already taken that the facts as booked show
  should not have been taken, each with the step that undoes it.
- ``late_pattern`` (rule ``LATE-PATTERN-DUE-DAY``): a tenant who paid late by the same
  few days in 3 of the last 4 months.
- ``silent_stretches`` (invariant ``SILENT-CASE``): stretches of an open case's life
  without an automated step, a contact or an open officer task.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from domain.calendar import add_months, next_business_day
from domain.ledger_index import remembered
from domain.values import LetterKind

if TYPE_CHECKING:
    from domain.arrears_case import ArrearsCase
    from domain.policy import Policy
    from domain.tenancy import Tenancy

MONEY_IN = ("PAYMENT", "CREDIT")


# ------------------------------------------------------------------ thresholds


def threshold(step: str, tenancy: Tenancy, day: date, policy: Policy) -> tuple[bool, dict[str, Any]]:
    """Whether the arrears as booked on ``day`` reach the minimum for ``step``
    (``reminder``, ``wik14`` or ``signal``), and the inputs that decided it."""
    rows = tenancy.arrears_by_period(as_of=day)
    arrears = sum(c for _, c, _ in rows)
    oldest = rows[0][2] if rows else None
    old = oldest is not None and add_months(oldest, policy.threshold_waived_after_months) < day
    if step == "reminder":
        minimum = policy.min_reminder_cents
    elif step == "wik14":
        half = 0 if old else tenancy.rent_cents * policy.min_wik_letter_rent_percent // 100
        minimum = max(policy.min_wik_letter_cents, half)
    elif step == "signal":
        minimum = 0 if old else tenancy.rent_cents * policy.min_signal_rent_percent // 100
    else:  # pragma: no cover - a new step must name its threshold here
        raise ValueError(step)
    ok = arrears > policy.tolerance_cents and arrears >= minimum
    return ok, {"threshold_cents": minimum, "arrears_cents": arrears, "older_than_months": old}


def opening_day(due: date, policy: Policy) -> date:
    """A case opens on the first business day after the due date and its grace days."""
    return next_business_day(due + timedelta(days=policy.grace_days))


# ------------------------------------------------------------------ late facts


def void_case(case: ArrearsCase, policy: Policy) -> bool:
    """A case closed as paid whose arrears, as booked, were cleared by the first day it
    could open (the business day after its due date and the grace days): it was opened
    on facts since corrected (the money was recorded after the run of that day). With
    every fact recorded on its booking day no case would have opened: it is no case,
    and does not count as a recent case when the next one chooses its track."""
    return (case.close_reason == "paid" and case.closed_on is not None
            and case.closed_on <= opening_day(case.due_date, policy))


def cleared_on(case: ArrearsCase, tenancy: Tenancy, day: date, policy: Policy) -> date | None:
    """The first day, from the case's due date to ``day``, on which the arrears as booked
    were within the tolerance (a payment booked then, whenever it was recorded).
    Remembered per state of the tenancy's ledger and the case's dates it reads."""
    tol = policy.tolerance_cents
    return remembered(tenancy, ("cleared_on", case.due_date, getattr(case, "reopened_after", None),
                                case.opened_on, day, tol),
                      lambda: _cleared_on(case, tenancy, day, policy))


def _cleared_on(case: ArrearsCase, tenancy: Tenancy, day: date, policy: Policy) -> date | None:
    first = episode_start(case, tenancy, day, policy)
    candidates = {day}
    if first <= day:
        candidates.add(first)
    for tx in tenancy.transactions.values():
        if tx["kind"] in MONEY_IN and first <= tx["booked_on"] <= day:
            candidates.add(tx["booked_on"])
    for b in sorted(candidates):
        if tenancy.arrears_cents(as_of=b) <= policy.tolerance_cents:
            return b
    return None


def episode_start(case: ArrearsCase, tenancy: Tenancy, day: date, policy: Policy) -> date:
    """Where this case's debt began, as booked: its due date, unless the arrears were
    cleared between the due date and the case's opening and came back (a returned
    payment, a storno): then the day they came back. Money booked before that belongs
    to no case of this debt."""
    tol = policy.tolerance_cents
    start = case.due_date
    after = getattr(case, "reopened_after", None)
    opened = min(case.opened_on, day)
    if tenancy.arrears_cents(as_of=opened) <= tol:
        return start  # opened on facts since corrected: cleared at its first clear day
    dates = sorted({tx["booked_on"] for tx in tenancy.transactions.values()
                    if start < tx["booked_on"] <= opened and (after is None or tx["booked_on"] > after)})
    for b in reversed(dates):
        if tenancy.arrears_cents(as_of=b - timedelta(days=1)) <= tol:
            return b
    if after is not None:
        return max(start, after + timedelta(days=1))
    return start


def first_day_reached(case: ArrearsCase, tenancy: Tenancy, start: date, day: date, minimum: int,
                      policy: Policy) -> date | None:
    """The first day, from ``start`` to ``day``, on which the arrears as booked reached
    ``minimum`` while the case was not yet cleared (rules ``BAILIFF-ELIGIBLE`` and
    ``EVICT-ELIGIBLE``): eligibility follows the booked facts, not the day they were
    recorded or the day the run looked. Arrears change only on booking dates, so the
    start and those dates are the only candidates."""
    if start > day:
        return None
    cleared = cleared_on(case, tenancy, day, policy)
    candidates = {start} | {tx["booked_on"] for tx in tenancy.transactions.values() if start < tx["booked_on"] <= day}
    for d in sorted(candidates):
        if cleared is not None and d >= cleared:
            return None
        if tenancy.arrears_cents(as_of=d) >= minimum:
            return d
    return None


def eligibility_start(case: ArrearsCase, which: str, start: date, day: date) -> date:
    """Where eligibility is looked for on ``day``: ``start``; or, when later, the day an
    arrangement ended or ``day`` while one is active (while it ran it held the case: the arrears before were judged by it), or the
    day after an eligibility was last withdrawn for a reason other than late facts (a
    debt-help programme ended with the arrears under the threshold)."""
    for a in case.arrangements:
        if a.get("ended_on") is not None:
            start = max(start, a["ended_on"])
        elif a.get("status") == "active":  # the run that breaks it looks at the arrears of its day only
            start = max(start, day)
    for w in case.eligibility_withdrawals:
        if w["which"] == which and w.get("rule") != "LATE-ELIGIBILITY-WITHDRAWN":
            start = max(start, w["on"] + timedelta(days=1))
    return start


def stated_debt_unpaid(tenancy: Tenancy, letter: dict[str, Any]) -> int:
    """What was left unpaid at a 14-day letter's deadline (as booked) of the rent due
    when it was posted; payments settle the oldest rent first."""
    return sum(c for _, c, due in tenancy.arrears_by_period(as_of=letter["deadline"])
               if due <= letter["posted_on"])


@attrs.frozen
class Compensation:
    kind: str  # letter_withdrawn | costs_reversed | signal_withdrawn | eligibility_withdrawn
    rule: str
    action_id: str
    inputs: dict[str, Any]
    params: dict[str, Any] = attrs.field(factory=dict)


LETTER_STEP = {LetterKind.REMINDER.value: "reminder", LetterKind.FOURTEEN_DAY_LETTER.value: "wik14"}


def letter_in_error(case: ArrearsCase, tenancy: Tenancy, kind: str, letter: dict[str, Any],
                    cleared: date | None, policy: Policy) -> dict[str, Any] | None:
    if letter.get("withdrawn_on") is not None:
        return None
    posted = letter["posted_on"]
    if cleared is not None and posted >= cleared:
        return {"posted_on": posted, "cleared_on": cleared}
    ok, why = threshold(LETTER_STEP[kind.split(":")[0]], tenancy, posted, policy)
    if not ok:
        return {"posted_on": posted, **why}
    return None


def compensations(case: ArrearsCase, tenancy: Tenancy, day: date, policy: Policy,
                  cleared: date | None) -> list[Compensation]:
    """Steps already taken that the facts as booked show should not have been taken."""
    out: list[Compensation] = []
    wik_wrong = False
    for kind, letter in sorted(case.letters.items()):
        if kind.split(":")[0] not in LETTER_STEP:  # a month's reminder ("reminder:PERIOD") too
            continue
        why = letter_in_error(case, tenancy, kind, letter, cleared, policy)
        if why is None:
            continue
        if kind == LetterKind.FOURTEEN_DAY_LETTER.value:
            wik_wrong = True
        out.append(Compensation("letter_withdrawn", "LATE-LETTER-APOLOGY", f"withdraw:{letter['letter_id']}",
                                {**why, "letter_id": letter["letter_id"], "kind": kind},
                                {"letter_kind": kind, "letter_id": letter["letter_id"]}))
    wik_letter = case.letters.get(LetterKind.FOURTEEN_DAY_LETTER.value)
    if case.costs_charged_on is not None and not case.costs_reversed and wik_letter is not None:
        unpaid = stated_debt_unpaid(tenancy, wik_letter)
        if wik_wrong or unpaid <= policy.tolerance_cents:
            out.append(Compensation("costs_reversed", "LATE-COSTS-REVERSED", f"costs:reversed:{case.costs_charged_on}",
                                    {"deadline": wik_letter["deadline"], "unpaid_at_deadline_cents": unpaid,
                                     "letter_in_error": wik_wrong, "cents": case.costs_cents},
                                    {"cents": case.costs_cents}))
    sig = case.signal
    if sig is not None and sig.get("withdrawn_on") is None:
        ok, why = threshold("signal", tenancy, sig["on"], policy)
        if (cleared is not None and sig["on"] >= cleared) or not ok:
            out.append(Compensation("signal_withdrawn", "LATE-SIGNAL-WITHDRAWN", f"signal:withdrawn:{sig['signal_id']}",
                                    {"signal_on": sig["on"], "cleared_on": cleared, **why},
                                    {"signal_id": sig["signal_id"]}))
    for which, months in (("bailiff", policy.bailiff_months_of_rent), ("legal", policy.legal_months_of_rent)):
        on = case.bailiff_eligible_on if which == "bailiff" else case.legal_eligible_on
        if on is None:
            continue
        arrears = tenancy.arrears_cents(as_of=on)
        if (cleared is not None and on >= cleared) or arrears < months * tenancy.rent_cents:
            out.append(Compensation("eligibility_withdrawn", "LATE-ELIGIBILITY-WITHDRAWN",
                                    f"{which}:withdrawn:{on}",
                                    {"eligible_on": on, "arrears_cents": arrears, "months": months,
                                     "rent_cents": tenancy.rent_cents, "cleared_on": cleared},
                                    {"which": which}))
    return out


# ------------------------------------------------------------- late-payment pattern


def settled_on_by_period(tenancy: Tenancy) -> dict[str, date | None]:
    """For each charged period, the booking date on which it was paid in full (payments
    settle the oldest rent first), or None while it is unpaid."""
    money: list[tuple[date, int]] = []
    for tx in tenancy.transactions.values():
        if tx["kind"] in MONEY_IN:
            money.append((tx["booked_on"], tx["cents"]))
        elif tx["kind"] == "REVERSAL":
            money.append((tx["booked_on"], -tx["cents"]))
    money.sort()
    out: dict[str, date | None] = {}
    owed = 0
    for period in sorted(tenancy.charges):
        owed += tenancy.charges[period]
        paid = 0
        when = None
        for booked, cents in money:
            paid += cents
            if paid >= owed:
                when = booked
                break
        out[period] = when
    return out


def late_pattern(tenancy: Tenancy, before: date, policy: Policy) -> dict[str, Any] | None:
    """Paid late by the same few days in ``late_pattern_months`` of the last
    ``late_pattern_window_months`` months due before ``before``: the days late and the
    due day to propose, else None."""
    settled = settled_on_by_period(tenancy)
    periods = [p for p in sorted(tenancy.charges) if tenancy.charge_due[p] < before]
    window = periods[-policy.late_pattern_window_months:]
    if len(window) < policy.late_pattern_months:
        return None
    late: list[int] = []
    for p in window:
        when = settled[p]
        if when is None:
            continue
        days = (when - tenancy.charge_due[p]).days
        if 0 < days <= policy.late_pattern_max_days_late:
            late.append(days)
    if len(late) < policy.late_pattern_months or max(late) - min(late) > policy.late_pattern_spread_days:
        return None
    proposed = min(28, tenancy.due_day + max(late))
    if proposed == tenancy.due_day:
        return None
    return {"days_late": late, "periods": window, "proposed_due_day": proposed}


# --------------------------------------------------------------- silent cases


def silent_stretches(case: ArrearsCase, until: date, days: int) -> list[tuple[date, date]]:
    """Stretches longer than ``days`` in the case's open life (up to ``until``) with no
    automated step, no contact and no open officer task; time covered by a pause, an
    active arrangement or a pending promise is not silent (each is scheduled)."""
    end = case.closed_on if case.closed_on is not None else until
    points = [case.opened_on]
    points += [s["on"] for s in case.steps]
    points += [c["on"] for c in case.contacts]
    covered: list[tuple[date, date]] = []
    for t in case.tasks.values():
        covered.append((t["created_on"], t.get("closed_on") or end))
    for a in case.arrangements:
        covered.append((a["agreed_on"], a.get("ended_on") or end))
    for promise in case.promises:
        covered.append((promise["on"], promise["pay_by"] + timedelta(days=1)))
    for r in case.referrals:
        if r.get("accepted_on") is not None:
            covered.append((r["accepted_on"], r["accepted_on"] + timedelta(days=30)))
    if case.paused_until is not None:
        covered.append((case.opened_on, case.paused_until))
    for start, stop in covered:
        points.extend([start, min(stop, end)])
    points = sorted(p for p in points if p <= end)
    out: list[tuple[date, date]] = []
    prev = case.opened_on
    for p in points + [end]:
        if p < prev:
            continue
        if (p - prev).days > days and not any(s <= prev and p <= e for s, e in covered):
            out.append((prev, p))
        prev = max(prev, p)
    return out
