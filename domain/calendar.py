"""Business days and the legal holiday calendar.

Business days are Monday to Friday, not a general holiday. The holidays are the
general holidays of the Algemene termijnenwet (art. 3), built here explicitly rather
than taken from a holiday package (which lists Good Friday, and 5 May only every
five years): New Year's Day, Easter Sunday and Easter Monday, Ascension Day, Whit
Sunday and Whit Monday, Christmas Day and Boxing Day, King's Day (27 April, or 26
April when the 27th is a Sunday) and Liberation Day, 5 May, every year. Good Friday
is not one. Lookups are cached per year, so rules can call these functions in hot paths.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def local_day(at: datetime) -> date:
    """The Dutch calendar day (Europe/Amsterdam) of a moment: ``2026-12-31 23:30 UTC`` is
    1 January. The one definition of "today" and of the day of a provider timestamp; a
    naive moment is taken as Dutch wall-clock time already."""
    return at.astimezone(AMSTERDAM).date() if at.tzinfo is not None else at.date()


def easter_sunday(year: int) -> date:
    """Easter Sunday of the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def kings_day(year: int) -> date:
    day = date(year, 4, 27)
    return day - timedelta(days=1) if day.weekday() == 6 else day


@lru_cache(maxsize=128)
def legal_holidays(year: int) -> dict[date, str]:
    """The general holidays of the Algemene termijnenwet in ``year``, with their names."""
    easter = easter_sunday(year)
    return {
        date(year, 1, 1): "Nieuwjaarsdag",
        easter: "Eerste Paasdag",
        easter + timedelta(days=1): "Tweede Paasdag",
        kings_day(year): "Koningsdag",
        date(year, 5, 5): "Bevrijdingsdag",
        easter + timedelta(days=39): "Hemelvaartsdag",
        easter + timedelta(days=49): "Eerste Pinksterdag",
        easter + timedelta(days=50): "Tweede Pinksterdag",
        date(year, 12, 25): "Eerste Kerstdag",
        date(year, 12, 26): "Tweede Kerstdag",
    }


@lru_cache(maxsize=128)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(legal_holidays(year))


def is_holiday(day: date) -> bool:
    return day in _holidays(day.year)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def is_term_end_day(day: date) -> bool:
    """A day on which a legal term may end (Algemene termijnenwet art. 1): not a
    Saturday, a Sunday or a general holiday."""
    return is_business_day(day)


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
