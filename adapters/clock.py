"""The wall clock: the production :class:`~application.ports.Clock`.

``now`` is an aware UTC moment; ``today`` is the Dutch calendar day of that moment
(:func:`domain.calendar.local_day`), so a run started at 00:30 Amsterdam time on
1 January is a run of 1 January whatever the machine's own time zone. Tests inject
``adapters.memory.FixedClock`` instead.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.calendar import local_day


class SystemClock:
    def today(self) -> date:
        return local_day(self.now())

    def now(self) -> datetime:
        return datetime.now(UTC)
