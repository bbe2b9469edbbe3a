"""What a tenancy owes per period on a given day, answered from a sorted index.

The playbook asks a tenancy for its arrears many times per case and day (the
rulebook, the late-fact rules, the rhythm of letters), each time for some day
``as_of``. Answered by walking every ledger line, that is most of the daily run's
time for a long-lived tenancy. ``LedgerIndex`` sorts the money lines once per version
of the tenancy (cumulative sums by booking date, cumulative charges by period) and
answers each question with two binary searches.

The index is kept outside the aggregate (its state, equality and snapshots are
untouched), per tenancy object and per version: any event changes the version, so a
stale answer cannot be given. ``arrears_by_period_walk`` is the plain rule the index
must agree with (tests/unit/test_ledger_index.py compares them on random ledgers).
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from datetime import date
from itertools import accumulate
from typing import Any

_IN = {"PAYMENT": 1, "CREDIT": 1, "REVERSAL": -1}


def arrears_by_period_walk(t: Any, as_of: date | None = None) -> list[tuple[str, int, date]]:
    """Unpaid part of each charged period, oldest first (payments settle the oldest
    charge first); ``as_of`` ignores charges not yet due and money not yet booked."""
    if as_of is None:
        covered = t.paid - t.reversed + t.credited
    else:
        covered = 0
        for tx in t.transactions.values():
            if tx["booked_on"] > as_of:
                continue
            kind = tx["kind"]
            if kind == "PAYMENT" or kind == "CREDIT":
                covered += tx["cents"]
            elif kind == "REVERSAL":
                covered -= tx["cents"]
    out: list[tuple[str, int, date]] = []
    for period in sorted(t.charges):
        due = t.charge_due[period]
        if as_of is not None and due > as_of:
            continue
        amount = t.charges[period]
        take = min(max(covered, 0), amount)
        covered -= take
        if amount - take > 0:
            out.append((period, amount - take, due))
    return out


class LedgerIndex:
    __slots__ = ("booked", "money", "periods", "dues", "amounts", "cum", "total", "ordered")

    def __init__(self, t: Any) -> None:
        moves = sorted((tx["booked_on"], _IN[tx["kind"]] * tx["cents"])
                       for tx in t.transactions.values() if tx["kind"] in _IN)
        self.booked = [d for d, _ in moves]
        self.money = list(accumulate(c for _, c in moves))
        self.total = t.paid - t.reversed + t.credited
        self.periods = sorted(t.charges)
        self.dues = [t.charge_due[p] for p in self.periods]
        self.amounts = [t.charges[p] for p in self.periods]
        self.cum = list(accumulate(self.amounts))
        # the two searches hold when due dates rise with the periods and every charge is positive
        self.ordered = all(a > 0 for a in self.amounts) and all(
            self.dues[i] <= self.dues[i + 1] for i in range(len(self.dues) - 1))

    def arrears(self, t: Any, as_of: date | None) -> list[tuple[str, int, date]]:
        if not self.ordered:
            return arrears_by_period_walk(t, as_of)
        if as_of is None:
            covered, k = self.total, len(self.periods)
        else:
            i = bisect_right(self.booked, as_of)
            covered = self.money[i - 1] if i else 0
            k = bisect_right(self.dues, as_of)  # the periods due by then
        covered = max(covered, 0)
        j = bisect_right(self.cum, covered, 0, k)  # the first period not wholly covered
        out: list[tuple[str, int, date]] = []
        if j < k:
            out.append((self.periods[j], self.cum[j] - covered, self.dues[j]))
            for n in range(j + 1, k):
                out.append((self.periods[n], self.amounts[n], self.dues[n]))
        return out


_INDEX: dict[int, tuple[Any, tuple[int, int, int], LedgerIndex | None]] = {}


def _dropper(key: int) -> Any:
    def drop(_: Any) -> None:
        _INDEX.pop(key, None)

    return drop


def arrears_by_period(t: Any, as_of: date | None) -> list[tuple[str, int, date]]:
    """``arrears_by_period_walk``: the first question at a version walks the ledger, the
    second builds the index of that version (a tenancy asked once, as a projection
    does on save, never pays for the index)."""
    key = (t._version, len(t.transactions), len(t.charges))
    me = id(t)
    held = _INDEX.get(me)
    if held is not None and held[0]() is t:
        if held[1] == key:
            index = held[2]
            if index is None:
                index = LedgerIndex(t)
                _INDEX[me] = (held[0], key, index)
            return index.arrears(t, as_of)
        ref = held[0]
    else:  # dropped with the tenancy object (before its id can be reused)
        ref = weakref.ref(t, _dropper(me))
    _INDEX[me] = (ref, key, None)
    return arrears_by_period_walk(t, as_of)


def ledger_index(t: Any) -> LedgerIndex | None:
    """The index held for this tenancy object at its current version, if built."""
    held = _INDEX.get(id(t))
    if held is None or held[0]() is not t or held[1] != (t._version, len(t.transactions), len(t.charges)):
        return None
    return held[2]
