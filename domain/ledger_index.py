"""What a tenancy owes per period on a given day, answered from a sorted index.

The playbook asks a tenancy for its arrears many times per case and day (the
rulebook, the late-fact rules, the rhythm of letters), each time for some day
``as_of``. Answered by walking every ledger line, that is most of the daily run's
time for a long-lived tenancy. ``LedgerIndex`` sorts the money lines once per version
of the tenancy (cumulative sums by booking date, cumulative charges by period) and
answers each question with two binary searches.

The index and the answers already given are kept outside the aggregate (its state,
equality and snapshots are untouched), per tenancy object and per state of its ledger:
every ledger event adds a line and changes the totals, so a stale answer cannot be
given, while events that leave the ledger alone (a case linked, a flag raised) keep
them. ``arrears_by_period_walk`` is the plain rule the index must agree with
(tests/unit/test_ledger_index.py compares them on random ledgers).
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from collections.abc import Callable
from datetime import date
from itertools import accumulate
from typing import Any, TypeVar

R = TypeVar("R")

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
        moves = sorted([(tx["booked_on"], _IN[kind] * tx["cents"])
                        for tx in t.transactions.values() if (kind := tx["kind"]) in _IN])
        self.booked = [d for d, _ in moves]
        self.money = list(accumulate([c for _, c in moves]))
        self.total = t.paid - t.reversed + t.credited
        charges, charge_due = t.charges, t.charge_due
        self.periods = periods = sorted(charges)
        self.dues = dues = [charge_due[p] for p in periods]
        self.amounts = amounts = [charges[p] for p in periods]
        self.cum = list(accumulate(amounts))
        # the two searches hold when due dates rise with the periods and every charge is positive
        self.ordered = (not amounts or min(amounts) > 0) and dues == sorted(dues)

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


Answer = tuple[list[tuple[str, int, date]], int]  # the rows and their total


class _Held:
    """What is remembered of one tenancy object: its ledger's state, the index of that
    state (once a dated question was asked), the answers given, per day asked, and what
    other rules worked out from this state (``remembered``)."""

    __slots__ = ("ref", "key", "index", "answers", "memo")

    def __init__(self, ref: Any, key: tuple[int, ...]) -> None:
        self.ref = ref
        self.key = key
        self.index: LedgerIndex | None = None
        self.answers: dict[date | None, Answer] = {}
        self.memo: dict[Any, Any] = {}


_HELD: dict[int, _Held] = {}


def _dropper(key: int) -> Any:
    def drop(ref: Any) -> None:  # the tenancy object is gone (before its id can be reused)
        held = _HELD.get(key)
        if held is not None and held.ref is ref:
            del _HELD[key]

    return drop


def _ledger_key(t: Any) -> tuple[int, ...]:
    """Changes with every ledger event: each adds a line (``transactions`` only grows)."""
    return (len(t.transactions), len(t.charges), t.charged, t.paid, t.reversed, t.credited)


def _held(t: Any) -> _Held:
    """What is remembered for this tenancy object, emptied when its ledger changed."""
    me = id(t)
    key = (len(t.transactions), len(t.charges), t.charged, t.paid, t.reversed, t.credited)  # _ledger_key
    held = _HELD.get(me)
    if held is None or held.ref() is not t:
        held = _HELD[me] = _Held(weakref.ref(t, _dropper(me)), key)
    elif held.key != key:
        held.key, held.index, held.answers, held.memo = key, None, {}, {}
    return held


def answer(t: Any, as_of: date | None) -> Answer:
    """``arrears_by_period_walk(t, as_of)`` and its total, remembered for this state of the
    tenancy's ledger (callers must not change the list). A dated question is answered
    from the index (built once per ledger state); the undated one, asked of every saved
    tenancy by its read model, by the walk without its money loop unless the index is
    there already. (Asked a dozen times per case and day: one call, the key inline.)"""
    held = _held(t)
    got = held.answers.get(as_of)
    if got is not None:
        return got
    answers = held.answers
    index = held.index
    if index is None and as_of is not None:
        index = held.index = LedgerIndex(t)
    rows = arrears_by_period_walk(t, None) if index is None else index.arrears(t, as_of)
    if len(answers) >= 64:  # a tenancy nobody changes, asked about many days: keep it small
        answers.clear()
    got = answers[as_of] = (rows, sum([c for _, c, _ in rows]))
    return got


_MISSING: Any = object()


def remembered(t: Any, question: tuple[Any, ...], work: Callable[[], R]) -> R:
    """``work()``, remembered for this tenancy object at its ledger's current state under
    ``question`` (which must name everything else ``work`` reads: the day, the case's
    dates, the policy's values). For answers that depend on the tenancy only through its
    ledger lines and charges (every ledger event changes the key, so a stale answer
    cannot be given); callers must not change what is returned. The playbook evaluates
    a case again after its actions, which mostly leave the ledger alone."""
    held = _held(t)
    memo = held.memo
    got = memo.get(question, _MISSING)
    if got is _MISSING:
        got = work()
        if len(memo) >= 64:  # a tenancy nobody changes, asked about many days: keep it small
            memo.clear()
        memo[question] = got
    return got  # type: ignore[no-any-return]


def arrears_by_period(t: Any, as_of: date | None) -> list[tuple[str, int, date]]:
    """``arrears_by_period_walk``, answered as ``answer`` does (a list of the caller's own)."""
    return list(answer(t, as_of)[0])


def ledger_index(t: Any) -> LedgerIndex | None:
    """The index held for this tenancy object at its ledger's current state, if built."""
    held = _HELD.get(id(t))
    if held is None or held.ref() is not t or held.key != _ledger_key(t):
        return None
    return held.index
