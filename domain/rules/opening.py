"""Opening a case (PLAYBOOK.md 2): on the first business day after the due date, on the
track the tenancy's profile, worry flag or a recent case asks for. The daily run opens
cases; these rules are recorded with the case's first event."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.calendar import add_months, next_business_day
from domain.policy import Policy
from domain.rulebook import rule
from domain.tenancy import Tenancy
from domain.values import Track

OPEN_CASE = rule("OPEN-CASE", "rent unpaid (above the tolerance) the first business day after its due date",
                 inputs=("profile_active", "worry_flag", "case_closed_recently", "arrears_cents", "unpaid_since",
                         "tolerance_cents"),
                 policy_keys=("tolerance_cents", "worry_recent_case_months"))


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
