"""The calling window: Europe/Amsterdam wall-clock time, business days only."""

from __future__ import annotations

from datetime import date, datetime, time

from domain.calendar import AMSTERDAM, is_business_day, local_day

__all__ = ["AMSTERDAM", "in_calling_window", "local_day", "window_bounds"]


def _check_window(start: time, end: time) -> None:
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError("window times are Amsterdam wall-clock times, without a zone")
    if not start < end:
        raise ValueError("the calling window must start before it ends")


def in_calling_window(at: datetime, start: time, end: time) -> bool:
    """Is ``at`` inside ``[start, end)`` Amsterdam time, on a business day?

    ``at`` must be timezone-aware (a naive time is ambiguous and refused).
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the moment must be timezone-aware")
    _check_window(start, end)
    local = at.astimezone(AMSTERDAM)
    if not is_business_day(local.date()):
        return False
    return start <= local.time().replace(tzinfo=None) < end


def window_bounds(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """The window of ``day`` as aware datetimes (Amsterdam)."""
    _check_window(start, end)
    return (
        datetime.combine(day, start, tzinfo=AMSTERDAM),
        datetime.combine(day, end, tzinfo=AMSTERDAM),
    )
