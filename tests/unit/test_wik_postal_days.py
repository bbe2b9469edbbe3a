"""The WIK 14-day term counted in postal delivery days, with the Algemene termijnenwet
(PLAYBOOK 4.3, LEGAL WIK): one deadline function for the letter and the costs check."""

from __future__ import annotations

from datetime import date

import pytest

from domain import wik
from domain.calendar import is_business_day, is_holiday, legal_holidays
from domain.policy import Policy


def test_a_letter_posted_on_friday_5_june_2026_has_its_deadline_on_wednesday_24_june():
    # Posted Friday 5 June 2026. Postal delivery days: Saturday 6 June is one (1);
    # Sunday 7 and Monday 8 June are not (no delivery on Sundays and Mondays);
    # Tuesday 9 June is the second (2): presumed receipt Tuesday 9 June, not Sunday 7 June.
    posted = date(2026, 6, 5)
    assert wik.presumed_receipt(posted) == date(2026, 6, 9)
    # The deadline is 14 days after the day after receipt: Wednesday 10 June + 14 days =
    # Wednesday 24 June, a working day and no holiday, so it stands. (The legal minimum,
    # 14 days counted from the day after receipt, ends on Tuesday 23 June: one day shorter.)
    assert wik.payment_deadline(posted) == date(2026, 6, 24)
    assert wik.letter_deadline(posted, Policy()) == date(2026, 6, 24)


def test_a_letter_posted_on_18_april_2028_has_its_deadline_moved_past_5_may_to_monday_8_may():
    # Easter 2028 is Sunday 16 April, so Easter Monday is 17 April (Good Friday, 14 April,
    # is no holiday and plays no part). Posted Tuesday 18 April 2028: Wednesday 19 April is
    # the first delivery day, Thursday 20 April the second: presumed receipt 20 April.
    posted = date(2028, 4, 18)
    assert wik.presumed_receipt(posted) == date(2028, 4, 20)
    # Day after receipt Friday 21 April + 14 days = Friday 5 May 2028: Liberation Day, a
    # general holiday of the Algemene termijnenwet every year (not only every five years),
    # followed by Saturday 6 and Sunday 7 May: the deadline moves to Monday 8 May 2028.
    assert wik.payment_deadline(posted) == date(2028, 5, 8)


@pytest.mark.parametrize(
    ("posted", "receipt", "deadline", "why"),
    [
        (date(2026, 3, 9), date(2026, 3, 11), date(2026, 3, 26), "Mon: Tue, Wed delivered"),
        (date(2026, 3, 13), date(2026, 3, 17), date(2026, 4, 1), "Fri: Sat, (Sun, Mon), Tue"),
        (date(2026, 3, 14), date(2026, 3, 18), date(2026, 4, 2), "Sat: (Sun, Mon) Tue, Wed"),
        (date(2026, 4, 2), date(2026, 4, 4), date(2026, 4, 20), "Thu: Good Friday delivered, Sat"),
        (date(2026, 4, 3), date(2026, 4, 7), date(2026, 4, 22), "Fri: Sat, (Easter Sunday, Easter Monday), Tue"),
        (date(2026, 4, 24), date(2026, 4, 28), date(2026, 5, 13), "Fri: Sat, (Sun, King's Day Monday), Tue"),
        (date(2026, 5, 1), date(2026, 5, 6), date(2026, 5, 21), "Fri: Sat, (Sun, Mon, 5 May Tue), Wed"),
        (date(2026, 3, 20), date(2026, 3, 24), date(2026, 4, 8), "Fri: Sat, (Sun, Mon), Tue; +15 is Wednesday 8 April"),
        (date(2026, 12, 10), date(2026, 12, 12), date(2026, 12, 28), "+15 is Sunday 27 December -> Mon 28"),
    ],
)
def test_presumed_receipt_counts_postal_delivery_days(posted, receipt, deadline, why):
    assert wik.presumed_receipt(posted) == receipt, why
    assert wik.payment_deadline(posted) == deadline, why
    assert is_business_day(deadline)
    assert (deadline - receipt).days >= 15  # never shorter than 14 days after the day after receipt


def test_delivery_days_and_receipt_days_come_from_the_policy():
    every_day_but_sunday = Policy(wik_no_delivery_weekdays="sun")
    # posted Friday 5 June 2026: Saturday 6 and Monday 8 June are delivery days now
    assert wik.letter_deadline(date(2026, 6, 5), every_day_but_sunday) == date(2026, 6, 23)
    three_days = Policy(wik_receipt_days=3)
    # Sat 6, Tue 9, Wed 10 -> receipt 10 June, +1 +14 = Thursday 25 June
    assert wik.letter_deadline(date(2026, 6, 5), three_days) == date(2026, 6, 25)
    with pytest.raises(ValueError, match="weekday"):
        wik.parse_weekdays("sun,moon")


@pytest.mark.parametrize("year", range(2024, 2036))
def test_the_legal_calendar_has_5_may_every_year_and_not_good_friday(year):
    days = legal_holidays(year)
    assert date(year, 5, 5) in days
    names = set(days.values())
    assert len(days) == 10 and "Goede Vrijdag" not in names
    easter = [d for d, n in days.items() if n == "Eerste Paasdag"][0]
    assert easter.weekday() == 6
    from datetime import timedelta

    assert not is_holiday(easter - timedelta(days=2))  # Good Friday is a working day


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)),
     (2027, date(2027, 3, 28)), (2028, date(2028, 4, 16)), (2029, date(2029, 4, 1)),
     (2030, date(2030, 4, 21)), (2038, date(2038, 4, 25))],
)
def test_easter_follows_the_gregorian_computus(year, easter):
    assert legal_holidays(year)[easter] == "Eerste Paasdag"


def test_kings_day_moves_to_the_26th_when_the_27th_is_a_sunday():
    assert legal_holidays(2025)[date(2025, 4, 26)] == "Koningsdag"  # 27 April 2025 is a Sunday
    assert legal_holidays(2026)[date(2026, 4, 27)] == "Koningsdag"
