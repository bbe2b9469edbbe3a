"""Business days: Monday to Friday, not a Dutch public holiday.

Holidays come from the maintained ``holidays`` package (Netherlands). Lookups are
cached per year, so rules can call these functions in hot paths.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("NL", years=year).keys())


def is_holiday(day: date) -> bool:
    return day in _holidays(day.year)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_business_day(day: date) -> date:
    """The first business day strictly after ``day``."""
    d = day + timedelta(days=1)
    while not is_business_day(d):
        d += timedelta(days=1)
    return d


def on_or_next_business_day(day: date) -> date:
    return day if is_business_day(day) else next_business_day(day)


def add_business_days(day: date, n: int) -> date:
    """``n`` business days after ``day`` (``n`` >= 0; 0 gives ``day`` itself)."""
    d = day
    for _ in range(n):
        d = next_business_day(d)
    return d


def business_days_between(start: date, end: date) -> int:
    """Business days in (start, end]."""
    count = 0
    d = start
    while d < end:
        d += timedelta(days=1)
        if is_business_day(d):
            count += 1
    return count


def on_or_previous_business_day(day: date) -> date:
    d = day
    while not is_business_day(d):
        d -= timedelta(days=1)
    return d


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (clamped to the month's last day)."""
    import calendar as _cal

    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, _cal.monthrange(year, month)[1]))
