"""One definition of "today": the Dutch calendar day (Europe/Amsterdam), whatever the
machine's time zone. The application's wall clock and the telephony adapters' clock
were two classes; the first took the machine's local date (UTC on a server), so a
daily run at 00:30 on 1 January in Amsterdam ran as 31 December."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from adapters.clock import SystemClock
from domain.calendar import local_day


@pytest.mark.parametrize(
    ("utc", "day"),
    [
        (datetime(2026, 12, 31, 22, 59, tzinfo=UTC), date(2026, 12, 31)),  # 23:59 winter time
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2027, 1, 1)),  # 00:30 winter time
        (datetime(2026, 6, 30, 21, 59, tzinfo=UTC), date(2026, 6, 30)),  # 23:59 summer time
        (datetime(2026, 6, 30, 22, 0, tzinfo=UTC), date(2026, 7, 1)),  # 00:00 summer time
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), date(2026, 3, 29)),  # the night of the change
    ],
)
def test_local_day_is_the_amsterdam_calendar_day(utc, day):
    assert local_day(utc) == day
    assert local_day(utc.astimezone(timezone(timedelta(hours=-5)))) == day  # any offset, same moment


def test_a_naive_moment_is_taken_as_dutch_wall_clock_time():
    assert local_day(datetime(2026, 12, 31, 23, 30)) == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("utc", "day"),
    [
        ("2026-12-31 23:30:00", date(2027, 1, 1)),
        ("2026-12-31 22:30:00", date(2026, 12, 31)),
        ("2026-07-01 22:15:00", date(2026, 7, 2)),
    ],
)
def test_the_wall_clock_today_is_the_dutch_day(utc, day):
    with freeze_time(utc):  # freezegun's "now" is UTC, like a server's clock
        clock = SystemClock()
        assert clock.today() == day
        assert clock.now().tzinfo is not None and clock.now().utcoffset() == timedelta(0)
