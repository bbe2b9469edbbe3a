"""Debt-help programmes hold the landlord's collection (PLAYBOOK 3, LEGAL "Debt help
programmes", NVVK code of conduct, sector agreement of December 2022).

While a programme runs (intake, stabilisation, minnelijk traject, Wsnp, moratorium)
the playbook takes no collection step for the case: no robocall, SMS, letter, signal,
costs, bailiff or legal step. Current rent is still watched: rent falling due after
the programme began and unpaid after the grace days gives an officer task
(DEBT-CURRENT-RENT). A state held longer than the policy allows lapses (DEBT-LAPSED).
When the programme ends, fails or lapses, the playbook resumes with an officer task
(DEBT-RESUME); formal steps wait ``programme_resume_days`` so that the tenant hears
from a person first. A case already handed to the bailiff when the programme begins
gives an officer task to tell the bailiff to hold (DEBT-BAILIFF-HOLD). Pure rules: no
clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from domain.arrears_case import PROGRAMME_STATES, ArrearsCase
from domain.calendar import on_or_next_business_day
from domain.policy import Policy
from domain.tenancy import Tenancy
from domain.values import Partner, TaskKind

AddFn = Callable[..., None]
AtFn = Callable[[date], bool]


def state_limits(policy: Policy) -> dict[str, int]:
    return {
        "intake": policy.programme_intake_max_days,
        "stabilisation": policy.programme_stabilisation_max_days,
        "moratorium": policy.programme_moratorium_max_days,
    }


def programme_rules(case: ArrearsCase, tenancy: Tenancy, day: date, policy: Policy, add: AddFn, at: AtFn) -> bool:
    """Add the programme's steps due on ``day``. True: collection is held (the caller
    takes no other step for the case today)."""
    p = case.programme
    if p is None:
        if not case.debt_counselling_accepted():
            return False
        # a referral accepted before programmes were recorded: held as a running intake
        accepted = min(r["accepted_on"] for r in case.referrals
                       if r["partner"] == Partner.GKB.value and r["status"] == "accepted")
        _watch_current_rent(tenancy, day, policy, add, at, since=accepted, number=0)
        return True
    state = p["state"]
    if state in PROGRAMME_STATES:
        limit = state_limits(policy).get(state)
        if limit is not None and at(p["since"] + timedelta(days=limit + 1)):
            add("programme", "DEBT-LAPSED", f"programme:{p['number']}:{state}:lapsed",
                {"state": state, "since": p["since"], "max_days": limit}, state="lapsed")
            return True
        _watch_current_rent(tenancy, day, policy, add, at, since=p["started_on"], number=p["number"])
        handed = case.bailiff_handed_over
        if handed is not None:  # collection is held: the bailiff too, told by a person
            add("task", "DEBT-BAILIFF-HOLD", f"task:programme:{p['number']}:bailiff_hold",
                {"handed_over_on": handed["on"], "programme_since": p["started_on"]},
                task_kind=TaskKind.BAILIFF_HOLD.value, due_on=on_or_next_business_day(day))
        return True
    # ended, failed or lapsed: an officer task, then the playbook resumes
    add("task", "DEBT-RESUME", f"task:programme:{p['number']}:resume", {"state": state, "since": p["since"]},
        task_kind=TaskKind.PROGRAMME_ENDED.value, due_on=on_or_next_business_day(max(day, p["since"])))
    return not at(p["since"] + timedelta(days=policy.programme_resume_days))


def _watch_current_rent(tenancy: Tenancy, day: date, policy: Policy, add: AddFn, at: AtFn, *,
                        since: date, number: int) -> None:
    """Rent falling due after ``since`` must be paid (money booked since then counts
    towards it, oldest rent first): a shortfall after the grace days is an officer task."""
    grace = timedelta(days=policy.instalment_grace_days)
    paid = tenancy.payments_between(since, day)
    due = sorted((tenancy.charge_due[p], p, c) for p, c in tenancy.charges.items() if tenancy.charge_due[p] > since)
    cumulative = 0
    for due_on, period, cents in due:
        cumulative += cents
        if not at(due_on + grace):
            break
        if paid < cumulative:
            add("task", "DEBT-CURRENT-RENT", f"task:programme:{number}:rent:{period}",
                {"period": period, "due_date": due_on, "paid_since_cents": paid, "due_since_cents": cumulative,
                 "programme_since": since},
                task_kind=TaskKind.PROGRAMME_CURRENT_RENT.value, due_on=on_or_next_business_day(day))


def hold_inputs(case: ArrearsCase) -> dict[str, Any]:
    return {"programme": dict(case.programme) if case.programme else None}


def ended_since(case: ArrearsCase, eligible_on: date) -> dict[str, Any] | None:
    """The case's programme when it ended, failed or lapsed and began on or after
    ``eligible_on`` (an eligibility recorded before the programme), else None."""
    p = case.programme
    if p is None or p["state"] in PROGRAMME_STATES or p["started_on"] < eligible_on:
        return None
    return p
