"""A payment recorded late reaches a closed case while a newer case is open (PLAYBOOK 5),
as a story of months: the shrunk counter-example the order-independence property found.

A tenant (rent EUR 650) pays EUR 630 of March's rent on 9 March and EUR 650 on 22 March
(EUR 630 ahead), and nothing in April. As booked, March's arrears were EUR 20 from 9
March, under the reminder's EUR 25: no reminder was due. Recorded late, the 9 March
payment arrives on 4 April: by then March's reminder went out (on the recorded EUR 650)
and March's case closed on 22 March, and April's case is open. The closed March case
must still be re-checked: its reminder is withdrawn with an apology task
(LATE-LETTER-APOLOGY), as when the payment had been recorded in time."""

from __future__ import annotations

from tests.story import charge, pay, run, tenant


def march_case(app, *, late: bool):
    tenant(app, "C1")
    charge(app, "C1", "2026-03")
    if not late:
        run(app, "2026-03-01", "2026-03-08")
        pay(app, "C1", "2026-03-09", 630_00)
        run(app, "2026-03-09", "2026-03-21")
        pay(app, "C1", "2026-03-22", 650_00)
        run(app, "2026-03-22", "2026-03-31")
        charge(app, "C1", "2026-04")
        run(app, "2026-04-01", "2026-04-30")
    else:
        run(app, "2026-03-01", "2026-03-21")
        pay(app, "C1", "2026-03-22", 650_00)
        run(app, "2026-03-22", "2026-03-31")
        charge(app, "C1", "2026-04")
        run(app, "2026-04-01", "2026-04-03")
        pay(app, "C1", "2026-03-09", 630_00)  # booked 9 March, recorded 4 April
        run(app, "2026-04-04", "2026-04-30")
    t = app.get_tenancy("C1")
    cases = [app.get_case(c) for c in t.case_ids]
    march = [c for c in cases if str(c.period) == "2026-03"]
    assert len(march) == 1 and march[0].closed_on is not None
    return march[0]


def standing(case) -> list[str]:
    return sorted(k for k, v in case.letters.items() if v.get("withdrawn_on") is None)


def test_recorded_in_time_march_gets_no_reminder(fast):
    assert standing(march_case(fast, late=False)) == []


def test_a_payment_recorded_late_withdraws_the_reminder_of_a_closed_case_while_a_newer_case_is_open(fast):
    case = march_case(fast, late=True)
    assert "reminder" in case.letters  # it went out on the arrears as recorded then
    assert standing(case) == []  # withdrawn: as booked, the arrears were under the threshold
