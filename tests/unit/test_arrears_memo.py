"""A tenancy remembers its arrears per version: the answers are always those of its
ledger as it is now, whatever was asked before (charges, payments, reversals, credits
and costs arriving in any order, asked about on any day)."""

from __future__ import annotations

import copy
import random
from datetime import date, timedelta

import pytest

from domain.ledger_index import arrears_by_period_walk
from domain.tenancy import Tenancy
from domain.values import Period

START = date(2026, 1, 1)


def _ask_all(t: Tenancy, days: list[date | None]) -> None:
    for d in days:
        fresh = arrears_by_period_walk(t, d)
        assert t.arrears_by_period(d) == fresh, d
        assert t.arrears_cents(d) == sum(c for _, c, _ in fresh), d
        assert t.unpaid_since(500, as_of=d) == (fresh[0][2] if sum(c for _, c, _ in fresh) > 500 else None)


@pytest.mark.parametrize("seed", range(12))
def test_answers_follow_every_ledger_event(seed: int) -> None:
    r = random.Random(seed)
    t = Tenancy.start(f"T{seed}", 60000, START, by="test")
    days: list[date | None] = [None] + [START + timedelta(days=k) for k in range(0, 200, 9)]
    payments: list[str] = []
    period = Period.parse("2026-01")
    for n in range(40):
        _ask_all(t, days)  # asked before the change: a stale answer would show below
        what = r.random()
        booked = START + timedelta(days=r.randrange(200))
        if what < 0.3:
            t.charge_rent(period=period, cents=60000, source="vangnet", tx_id=f"rent-{period}", booked_on=booked)
            period = period.next()
        elif what < 0.7:
            tx = f"p{n}"
            t.receive_payment(cents=r.randrange(1, 70000), source="bank", tx_id=tx, booked_on=booked)
            payments.append(tx)
        elif what < 0.8 and payments:
            tx = payments.pop(r.randrange(len(payments)))
            cents = t.transactions[f"bank/{tx}"]["cents"]
            t.reverse_payment(cents=cents, source="bank", tx_id=f"r{n}", reverses=tx, reason_code="AC04",
                              booked_on=booked)
        elif what < 0.9:
            t.post_credit(cents=r.randrange(1, 20000), source="bank", tx_id=f"c{n}", booked_on=booked)
        else:
            t.book_costs(cents=4000, case_id="c", tx_id=f"k{n}", booked_on=booked, rule="WIK-COSTS")
        _ask_all(t, days)


def test_a_changed_answer_is_not_kept_from_before() -> None:
    t = Tenancy.start("T1", 60000, START, by="test")
    day = date(2026, 1, 10)
    t.charge_rent(period=Period.parse("2026-01"), cents=60000, source="vangnet", tx_id="rent-2026-01",
                  booked_on=START)
    assert t.arrears_cents(day) == 60000
    rows = t.arrears_by_period(day)
    rows.clear()  # the caller's list is its own
    assert t.arrears_by_period(day) == [("2026-01", 60000, START)]
    t.receive_payment(cents=60000, source="bank", tx_id="p1", booked_on=date(2026, 1, 5))
    assert t.arrears_cents(day) == 0
    assert t.arrears_by_period(day) == []


def test_the_remembered_answers_are_not_part_of_the_tenancy() -> None:
    t = Tenancy.start("T1", 60000, START, by="test")
    before = set(vars(t))
    t.arrears_cents(START)
    assert set(vars(t)) == before  # snapshots and stored state are unchanged
    twin = copy.deepcopy(t)
    twin.charge_rent(period=Period.parse("2026-01"), cents=60000, source="vangnet", tx_id="rent-2026-01",
                     booked_on=START)
    assert twin.arrears_cents(START) == 60000
    assert t.arrears_cents(START) == 0  # a copy at the same version does not share answers
