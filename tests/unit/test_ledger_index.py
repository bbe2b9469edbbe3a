"""The sorted ledger index answers exactly as walking the ledger does.

``Tenancy.arrears_by_period`` answers from ``domain.ledger_index.LedgerIndex``; the
rule is the plain walk over the ledger lines (``arrears_by_period_walk``). Random
ledgers (charges, payments, credits, reversals, a due day that changes, money booked
before and after each day) are asked on every day around their bookings.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from domain.ledger_index import arrears_by_period_walk, ledger_index
from domain.tenancy import Tenancy
from domain.values import Period


def random_tenancy(rng: random.Random, n: int) -> Tenancy:
    start = date(2024, 1, 1)
    t = Tenancy.start(f"R{rng.randrange(10**9)}", 50000, start, rng.choice([1, 1, 15, 28]), by="x")
    payments: list[str] = []
    for m in range(n):
        period = Period(2024 + m // 12, m % 12 + 1)
        if rng.random() < 0.15:
            day = rng.choice([d for d in (1, 10, 25) if d != t.due_day])
            t.agree_due_day(day=day, reason="r", on=period.first_day(), by="x")
        t.charge_rent(period=period, cents=rng.choice([50000, 51000, 1]), source="erp", tx_id=f"c{m}",
                      booked_on=period.first_day())
        for k in range(rng.randrange(3)):
            day = period.first_day() + timedelta(days=rng.randrange(-20, 60))
            day = max(day, start)
            tx = f"p{m}.{k}"
            if rng.random() < 0.2:
                t.post_credit(cents=rng.randrange(1, 30000), source="erp", tx_id=tx, booked_on=day)
            else:
                t.receive_payment(cents=rng.randrange(1, 70000), source="erp", tx_id=tx, booked_on=day)
                payments.append(tx)
        if payments and rng.random() < 0.1:
            p = payments.pop(rng.randrange(len(payments)))
            t.reverse_payment(cents=t.transactions[f"erp/{p}"]["cents"], source="erp", tx_id=f"r{m}", reverses=p,
                              reason_code="AC04", booked_on=period.first_day() + timedelta(days=rng.randrange(40)))
    return t


@pytest.mark.parametrize("seed", range(40))
def test_the_index_agrees_with_the_walk_on_every_day(seed: int) -> None:
    rng = random.Random(seed)
    t = random_tenancy(rng, rng.randrange(0, 30))
    days = [None, None, *(date(2023, 12, 1) + timedelta(days=d) for d in range(0, 1000, 3))]
    for as_of in days:
        assert t.arrears_by_period(as_of) == arrears_by_period_walk(t, as_of), as_of


def test_the_index_follows_every_new_event() -> None:
    t = Tenancy.start("R1", 50000, date(2025, 1, 1), 1, by="x")
    day = date(2025, 3, 1)
    assert t.arrears_by_period(day) == []
    t.charge_rent(period=Period(2025, 1), cents=50000, source="erp", tx_id="c1", booked_on=date(2025, 1, 1))
    assert t.arrears_by_period(day) == [("2025-01", 50000, date(2025, 1, 1))]
    t.receive_payment(cents=20000, source="erp", tx_id="p1", booked_on=date(2025, 1, 5))
    assert t.arrears_by_period(day) == [("2025-01", 30000, date(2025, 1, 1))]
    assert t.arrears_by_period(date(2025, 1, 4)) == [("2025-01", 50000, date(2025, 1, 1))]
    t.reverse_payment(cents=20000, source="erp", tx_id="r1", reverses="p1", reason_code="AC04",
                      booked_on=date(2025, 1, 6))
    assert t.arrears_cents(day) == 50000 == t.arrears_cents()
    assert ledger_index(t) is not None and ledger_index(t) is ledger_index(t)  # one index per version
    t.post_credit(cents=1, source="erp", tx_id="k1", booked_on=day, reason="")
    assert ledger_index(t) is None  # a new version: the old index is not used
    assert t.arrears_cents(day) == 49999 == t.arrears_cents(day)


@pytest.mark.parametrize("seed", range(40))
def test_unpaid_since_without_the_walk_agrees_with_the_walk(seed: int) -> None:
    """The read model asks every saved tenancy when it became unpaid; a settled tenancy
    is answered from its totals: the same answer as the walk, at every tolerance."""
    rng = random.Random(1000 + seed)
    t = random_tenancy(rng, rng.randrange(0, 30))
    rows = arrears_by_period_walk(t, None)
    total = sum(c for _, c, _ in rows)
    for tolerance in (0, 1, 500, 25000, 10**9, total, total - 1, total + 1):
        want = rows[0][2] if rows and total > tolerance else None
        assert t.unpaid_since(tolerance) == want, tolerance


@pytest.mark.parametrize("seed", range(20))
def test_remembered_ledger_answers_follow_every_new_line(seed: int) -> None:
    """The late-fact, returns and ledger-ahead rules remember what they work out per state
    of the ledger: asked again while lines arrive, each answer is the one worked out afresh."""
    from types import SimpleNamespace

    from domain import late_facts, returns
    from domain.policy import Policy
    from domain.rules import ledger_ahead

    rng = random.Random(seed)
    t = random_tenancy(rng, rng.randrange(1, 20))
    policy = Policy()
    case = SimpleNamespace(due_date=date(2024, 2, 1), opened_on=date(2024, 3, 4), reopened_after=None)
    days = [date(2024, 1, 1) + timedelta(days=d) for d in range(0, 700, 17)]
    for m in range(4):
        for day in days:
            for _ in range(2):  # the second time from memory
                assert late_facts.cleared_on(case, t, day, policy) == late_facts._cleared_on(case, t, day, policy)
                assert returns.reversals(t, day) == returns._reversals(t, day)
                assert ledger_ahead.known_future(t, day) == ledger_ahead._known_future(t, day)
        t.receive_payment(cents=rng.randrange(1, 70000), source="erp", tx_id=f"late{m}",
                          booked_on=rng.choice(days))
