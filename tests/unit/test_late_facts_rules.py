"""Thresholds and grace (PLAYBOOK 2) as table-driven rules."""

from __future__ import annotations

from datetime import date

import pytest

from domain import late_facts
from domain.playbook import case_opening_day
from domain.policy import Policy
from domain.tenancy import Tenancy
from domain.values import Period


def tenancy(charges: list[str], paid: int, rent: int = 650_00) -> Tenancy:
    t = Tenancy.start("T1", rent, date(2026, 1, 1), by="test")
    for p in charges:
        t.charge_rent(period=Period.parse(p), cents=rent, source="erp", tx_id=p, booked_on=Period.parse(p).first_day())
    if paid:
        t.receive_payment(cents=paid, source="bank", tx_id="p1", booked_on=date(2026, 2, 1))
    return t


@pytest.mark.parametrize(
    ("step", "charges", "paid", "day", "ok", "why"),
    [
        ("reminder", ["2026-02"], 645_00, date(2026, 2, 13), False, "EUR 5 is below EUR 25"),
        ("reminder", ["2026-02"], 625_00, date(2026, 2, 13), True, "EUR 25 reaches EUR 25"),
        ("wik14", ["2026-02"], 400_00, date(2026, 3, 9), False, "EUR 250 is under half a month's rent"),
        ("wik14", ["2026-02"], 325_00, date(2026, 3, 9), True, "EUR 325 is half a month's rent"),
        ("signal", ["2026-02"], 600_00, date(2026, 3, 3), False, "EUR 50 under half the rent"),
        ("signal", ["2026-02"], 600_00, date(2026, 4, 2), True, "older than two months: the half-rent floor goes"),
        ("wik14", ["2026-02"], 630_00, date(2026, 4, 2), False, "older, but EUR 20 is below any letter"),
    ],
)
def test_minimum_arrears_per_step(step, charges, paid, day, ok, why):
    assert late_facts.threshold(step, tenancy(charges, paid), day, Policy())[0] is ok, why


@pytest.mark.parametrize(
    ("grace", "opens"),
    [(0, date(2026, 2, 2)), (3, date(2026, 2, 5)), (5, date(2026, 2, 9))],  # 1 Feb 2026 is a Sunday
)
def test_grace_days_move_the_opening_of_a_case(grace, opens):
    assert case_opening_day(date(2026, 2, 1), grace) == opens
