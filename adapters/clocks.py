"""The store's clock: the business day of the last daily run recorded in the store.

A store that is run day by day (``vangnet day run``) has its own "today": commands
given without ``--date`` act on that day, so a store whose runs are behind or ahead of
the wall clock (a demo, a simulation, a catch-up) still accepts the dates its worklist
shows. A store that was never run uses the wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


class StoreClock:
    def __init__(self, store: Any = None):
        self.store = store

    def today(self) -> date:
        if self.store is not None:
            last = self.store.get_meta("last_run_day")
            if last:
                return date.fromisoformat(last)
        return datetime.now().date()

    def now(self) -> datetime:
        return datetime.now(UTC)
