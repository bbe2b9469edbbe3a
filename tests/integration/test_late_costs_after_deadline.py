"""Rent paid the day after the 14-day deadline (PLAYBOOK 4.3: costs are chargeable once
the deadline passed unpaid, by booking date), as a story of months: the costs are due
whether the payment is recorded that day (the run then closes the case) or later."""

from __future__ import annotations

from datetime import timedelta

from tests.story import case_of, charge, pay, run, tenant


def costs_after_paying_the_day_after_the_deadline(app, *, delay: int) -> tuple[int, int]:
    tenant(app, "W1")
    charge(app, "W1", "2026-02")
    run(app, "2026-02-02", "2026-02-28")
    charge(app, "W1", "2026-03")
    run(app, "2026-03-01", "2026-03-15")
    letter = case_of(app, "W1").letters["fourteen_day_letter"]
    paid_on = letter["deadline"] + timedelta(days=1)
    run(app, "2026-03-16", paid_on + timedelta(days=delay - 1))
    pay(app, "W1", paid_on, 1_300_00)  # everything, booked the day after the deadline
    run(app, paid_on + timedelta(days=delay), "2026-04-30")
    case = app.get_case(app.get_tenancy("W1").case_ids[0])
    assert case.closed_on == paid_on and case.close_reason == "paid"
    return letter["costs_cents"], app.get_tenancy("W1").costs_booked


def test_paid_the_day_after_the_deadline_and_recorded_that_day_the_costs_are_charged(fast):
    stated, booked = costs_after_paying_the_day_after_the_deadline(fast, delay=0)
    assert booked == stated > 0


def test_paid_the_day_after_the_deadline_and_recorded_a_week_later_the_same_costs(fast):
    stated, booked = costs_after_paying_the_day_after_the_deadline(fast, delay=7)
    assert booked == stated > 0
