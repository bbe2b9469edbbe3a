"""Bailiff eligibility follows the arrears as booked (PLAYBOOK 5), as a story of months:
the shrunk counter-example the order-independence property found, in days and months.

A tenant (rent EUR 650) misses February and March. The 14-day letter's deadline passes
in March. As booked: EUR 100 paid on 14 March, April's rent charged on 1 April, EUR 650
paid on 7 April. So the arrears were under two months' rent (EUR 1,300) the day after
the deadline (1,200), reached it on 1 April (1,850) and fell under it again on 7 April
(1,200): the case became eligible for the bailiff on 1 April.

Recorded late, the 14 March payment arrives on 13 April and the 7 April one on 6 May.
The eligibility marked on the recorded arrears after the deadline is withdrawn when the
14 March payment arrives (LATE-ELIGIBILITY-WITHDRAWN); it must come back as of 1 April,
the day the booked arrears reached the threshold, not on the arrears of the day the
payment was recorded (which the 7 April payment later takes under the threshold)."""

from __future__ import annotations

from datetime import date

from tests.story import case_of, charge, d, pay, run, tenant


def story(app, *, late: bool) -> object:
    tenant(app, "E1")
    charge(app, "E1", "2026-02")
    run(app, "2026-02-02", "2026-02-28")
    charge(app, "E1", "2026-03")
    if not late:
        run(app, "2026-03-01", "2026-03-13")
        pay(app, "E1", "2026-03-14", 100_00)
        run(app, "2026-03-14", "2026-03-31")
        charge(app, "E1", "2026-04")
        run(app, "2026-04-01", "2026-04-06")
        pay(app, "E1", "2026-04-07", 650_00)
        run(app, "2026-04-07", "2026-05-31")
    else:
        run(app, "2026-03-01", "2026-03-31")
        charge(app, "E1", "2026-04")
        run(app, "2026-04-01", "2026-04-12")
        pay(app, "E1", "2026-03-14", 100_00)  # booked 14 March, recorded 13 April
        run(app, "2026-04-13", "2026-05-05")
        pay(app, "E1", "2026-04-07", 650_00)  # booked 7 April, recorded 6 May
        run(app, "2026-05-06", "2026-05-31")
    return case_of(app, "E1")


def test_recorded_in_time_the_case_is_eligible_for_the_bailiff_from_1_april(fast):
    case = story(fast, late=False)
    assert case.is_open and case.bailiff_eligible_on == date(2026, 4, 1)


def test_payments_recorded_late_give_the_same_bailiff_eligibility_as_booked(fast):
    case = story(fast, late=True)
    assert fast.get_tenancy("E1").arrears_cents(as_of=d("2026-05-31")) == 1_200_00
    # as booked: eligible from 1 April (the arrears reached two months' rent that day)
    assert case.is_open and case.bailiff_eligible_on == date(2026, 4, 1)
