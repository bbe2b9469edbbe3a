"""WIK collection costs, the 14-day deadline, and the business-day calendar (LEGAL.md, WIK)."""

from __future__ import annotations

from datetime import date

import pytest

from domain import wik
from domain.calendar import (
    add_business_days,
    add_months,
    is_business_day,
    next_business_day,
    on_or_next_business_day,
    on_or_previous_business_day,
)

# ------------------------------------------------------------------ the scale


@pytest.mark.parametrize(
    ("arrears", "costs"),
    [
        (200_00, 40_00),  # 15% is 30.00: the minimum applies
        (266_66, 40_00),
        (300_00, 45_00),
        (650_00, 97_50),
        (2_500_00, 375_00),
        (3_000_00, 425_00),
        (5_000_00, 625_00),
        (12_000_00, 895_00),
        (200_000_00, 2_775_00),
        (1_000_000_00, 6_775_00),  # 2,775 + 0.5% of 800,000: exactly the maximum
        (1_000_000_01, 6_775_00),
        (5_000_000_00, 6_775_00),  # capped
    ],
)
def test_collection_costs_follow_the_legal_scale(arrears, costs):
    assert wik.collection_costs_cents(arrears) == costs


def test_collection_costs_are_exact_cents_rounded_half_up():
    assert wik.collection_costs_cents(2_500_05) == 375_01  # 375.00 + 10% of 0.05 = 375.005
    assert wik.collection_costs_cents(2_500_04) == 375_00  # 375.004


def test_vat_is_added_only_when_asked():
    assert wik.collection_costs_cents(300_00, vat_rate_percent=21) == 54_45
    assert wik.collection_costs_cents(200_00, vat_rate_percent=21) == 48_40


@pytest.mark.parametrize("arrears", [0, -1])
def test_no_costs_without_arrears(arrears):
    with pytest.raises(ValueError, match="principal"):
        wik.collection_costs_cents(arrears)


# -------------------------------------------------------------- the deadline


def test_presumed_receipt_is_two_days_after_posting():
    assert wik.presumed_receipt(date(2026, 3, 9)) == date(2026, 3, 11)


@pytest.mark.parametrize(
    ("posted", "deadline"),
    [
        # Monday: delivered Tuesday and Wednesday, receipt Wednesday 11th, +1 +14 -> Thursday 26th
        (date(2026, 3, 9), date(2026, 3, 26)),
        # Friday: Saturday, then no post on Sunday or Monday, receipt Tuesday 17th -> Wednesday 1 April
        (date(2026, 3, 13), date(2026, 4, 1)),
        # Wednesday: receipt Friday 13th, +15 is Saturday 28th -> Monday 30th
        (date(2026, 3, 11), date(2026, 3, 30)),
        # Thursday: receipt Saturday 14th, +15 is Sunday 29th -> Monday 30th
        (date(2026, 3, 12), date(2026, 3, 30)),
        # Friday before Easter week: receipt Tuesday 24th -> Wednesday 8 April
        (date(2026, 3, 20), date(2026, 4, 8)),
        # Friday 10 April: receipt Tuesday 14th -> Wednesday 29 April (past King's Day)
        (date(2026, 4, 10), date(2026, 4, 29)),
        # receipt Thursday 10th, +15 is Friday 25 December; Boxing Day and Sunday follow -> Monday 28th
        (date(2026, 12, 8), date(2026, 12, 28)),
    ],
)
def test_the_deadline_is_14_days_after_the_day_after_presumed_receipt_on_a_business_day(
    posted, deadline
):
    assert wik.payment_deadline(posted) == deadline
    receipt = wik.presumed_receipt(posted)
    assert (
        deadline - receipt
    ).days >= 15  # never shorter than 14 full days after the day after receipt
    assert is_business_day(deadline)


def test_the_deadline_follows_the_policy_numbers():
    assert wik.payment_deadline(date(2026, 3, 9), receipt_days=3, term_days=14) == date(2026, 3, 27)
    assert wik.payment_deadline(date(2026, 3, 9), receipt_days=2, term_days=21) == date(2026, 4, 2)


# ------------------------------------------------------------ business days


def test_business_days_skip_weekends_and_dutch_public_holidays():
    assert not is_business_day(date(2026, 4, 27))  # King's Day
    assert not is_business_day(date(2026, 4, 6))  # Easter Monday
    assert not is_business_day(date(2026, 5, 14))  # Ascension Day
    assert not is_business_day(date(2026, 5, 25))  # Whit Monday
    assert not is_business_day(date(2026, 1, 1))
    assert not is_business_day(date(2026, 2, 7))  # Saturday
    assert is_business_day(date(2026, 4, 28))
    assert next_business_day(date(2026, 4, 24)) == date(
        2026, 4, 28
    )  # Fri -> (weekend, King's Day) -> Tue
    assert next_business_day(date(2026, 4, 5)) == date(
        2026, 4, 7
    )  # Easter Sunday -> Easter Monday -> Tue
    assert on_or_next_business_day(date(2026, 2, 12)) == date(2026, 2, 12)
    assert on_or_next_business_day(date(2026, 4, 12)) == date(2026, 4, 13)  # Sunday
    assert on_or_previous_business_day(date(2026, 2, 15)) == date(2026, 2, 13)  # Sunday -> Friday
    assert add_business_days(date(2026, 4, 24), 1) == date(2026, 4, 28)
    assert add_business_days(date(2026, 2, 9), 5) == date(2026, 2, 16)
    assert add_business_days(date(2026, 2, 9), 0) == date(2026, 2, 9)


def test_add_months_clamps_to_the_end_of_a_short_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 3), 2) == date(2026, 5, 3)
