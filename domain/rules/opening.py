"""Opening a case (PLAYBOOK.md 2): on the first business day after the due date, on the
track the tenancy's profile, worry flag or a recent case asks for. The daily run opens
cases; these rules are recorded with the case's first event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from domain import late_facts
from domain.arrears_case import ArrearsCase
from domain.calendar import add_months, next_business_day
from domain.policy import Policy
from domain.rulebook import rule
from domain.tenancy import Tenancy
from domain.values import Track

OPEN_CASE = rule("OPEN-CASE", "rent unpaid (above the tolerance) the first business day after its due date",
                 inputs=("profile_active", "worry_flag", "case_closed_recently", "arrears_cents", "unpaid_since",
                         "tolerance_cents"),
                 policy_keys=("tolerance_cents", "worry_recent_case_months"))


def choose_track(tenancy: Tenancy, day: date, policy: Policy,
                 earlier: Sequence[ArrearsCase] | None = None) -> tuple[Track, dict[str, Any]]:
    """The track of a case opening on ``day``. A case closed within
    ``worry_recent_case_months`` makes it a worry case; given the tenancy's ``earlier``
    cases (newest last), a void one (``late_facts.void_case``: opened on facts since
    corrected) does not count, the last one that was a case does."""
    closed_on = tenancy.last_case_closed_on
    if earlier and late_facts.void_case(earlier[-1], policy):
        real = [c for c in earlier if not late_facts.void_case(c, policy)]
        closed_on = real[-1].closed_on if real else None
    recent = closed_on is not None and day < add_months(closed_on, policy.worry_recent_case_months)
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


LATE_CLOSE_REOPENED = rule(
    "LATE-CLOSE-REOPENED", "a case closed as paid whose clearing the facts as booked no longer show (a charge or "
    "a reversal booked on or before its close date, recorded after it): the same case is re-opened, its letters, "
    "costs, signal and eligibility standing, instead of a new case with new letters and costs",
    inputs=("closed_on", "close_reason", "arrears_cents_at_close", "tolerance_cents"),
    policy_keys=("tolerance_cents",))


def close_undone(case: ArrearsCase, tenancy: Tenancy, policy: Policy) -> dict[str, Any] | None:
    """The inputs of LATE-CLOSE-REOPENED when the facts as booked no longer show the
    arrears cleared on the day ``case`` closed as paid, else None. A close the booked
    facts still support (a storno booked after it: new arrears) stands."""
    if case.closed_on is None or case.close_reason != "paid":
        return None
    at_close = tenancy.arrears_cents(as_of=case.closed_on)
    if at_close <= policy.tolerance_cents:
        return None
    return {"arrears_cents_at_close": at_close, "tolerance_cents": policy.tolerance_cents}
