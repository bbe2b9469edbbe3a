"""Dutch notation of dates and amounts for letters, the court dossier and SMS, without a
locale dependency; the one place of the Dutch month names.

``dutch_date(date(2026, 3, 14))`` gives ``"14 maart 2026"``; ``euro(123456)`` gives
``"€ 1.234,56"`` (the domain's money formatting, :mod:`domain.values`).
"""

from __future__ import annotations

from datetime import date

from domain.values import format_euro, format_nl

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


amount_nl = format_nl  # ``123456`` -> ``1.234,56``
euro = format_euro  # ``123456`` -> ``€ 1.234,56``


def dutch_date_of(value: date | str | None) -> str:
    """A date or ISO text (``2026-03-14``, ``2026-03-14T10:00``) -> ``14 maart 2026``;
    empty for None or empty text."""
    if not value:
        return ""
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return dutch_date(d)
