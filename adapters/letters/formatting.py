"""Dutch formatting of dates and amounts, without a locale dependency.

``dutch_date(date(2026, 3, 14))`` gives ``"14 maart 2026"``;
``euro(123456)`` gives ``"€ 1.234,56"``.
"""

from __future__ import annotations

from datetime import date

MONTHS_NL = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)

WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def dutch_date(day: date, *, weekday: bool = False) -> str:
    """``14 maart 2026`` (or ``zaterdag 14 maart 2026`` with ``weekday=True``)."""
    text = f"{day.day} {MONTHS_NL[day.month - 1]} {day.year}"
    return f"{WEEKDAYS_NL[day.weekday()]} {text}" if weekday else text


def dutch_period(period: str) -> str:
    """``2026-03`` -> ``maart 2026``; anything else is returned unchanged."""
    year, sep, month = period.partition("-")
    if sep and year.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
        return f"{MONTHS_NL[int(month) - 1]} {int(year)}"
    return period


def amount_nl(cents: int) -> str:
    """``123456`` -> ``1.234,56`` (thousands dot, decimal comma, no currency sign)."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"amount: {cents!r} is not a whole number of cents")
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros:,}".replace(",", ".") + f",{rest:02d}"


def euro(cents: int, *, symbol: str = "€") -> str:
    """``123456`` -> ``€ 1.234,56``; ``symbol="EUR"`` for fonts without the euro sign."""
    return f"{symbol} {amount_nl(cents)}"
