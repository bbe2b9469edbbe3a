"""Thresholds, the monthly rhythm, letters in order and the signal lifecycle, as stories
of months (PLAYBOOK 2, 4 and 5)."""

from __future__ import annotations

from datetime import date

from application import audit
from domain import late_facts
from domain.policy import Policy
from domain.values import Channel, Outcome
from tests.story import (
    AUDITOR,
    OFFICER,
    case_of,
    charge,
    d,
    pay,
    profiled_tenant,
    rules,
    run,
    tenant,
)


def months(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# ------------------------------------------------------------ 2. cases never go silent


def test_a_tenant_who_pays_600_of_650_every_month_is_called_every_month_and_never_left_alone(fast):
    app = fast
    tenant(app, "S1")
    for period in months("2026-02", "2026-09"):
        charge(app, "S1", period)
        pay(app, "S1", f"{period}-01", 600_00)
        run(app, f"{period}-01" if period != "2026-02" else "2026-02-02", last_day(period))
    case = case_of(app, "S1")
    assert case.is_open and app.get_tenancy("S1").arrears_cents() == 400_00
    robocall_months = sorted({r["on"].strftime("%Y-%m") for r in case.robocalls.values()})
    assert robocall_months == months("2026-02", "2026-09")  # every month, whatever the stage
    monthly = [k for k in case.robocalls if k.startswith("robocall:m:")]
    assert len(monthly) == len(set(monthly)) == 7  # once a month after the first
    # personal contact goes on: an officer phone task is open (one at a time, not one a month)
    assert {"RHYTHM-CONTACT", "RHYTHM-NEW-MONTH"} & set(rules(app, "S1"))
    assert [x["kind"] for x in case.open_tasks()] == ["phone"]
    assert late_facts.silent_stretches(case, d("2026-09-30"), 21) == []
    assert audit.verify(app, AUDITOR).ok


def test_a_new_missed_month_on_an_open_case_gets_a_reminder_of_its_own_and_no_new_costs(fast):
    app = fast
    tenant(app, "M1")
    for period in ("2026-02", "2026-03", "2026-04"):
        charge(app, "M1", period)
    run(app, "2026-02-02", "2026-04-30")
    case = case_of(app, "M1")
    letters = sorted((v["posted_on"].isoformat(), k) for k, v in case.letters.items())
    # the case's reminder and 14-day letter; then March and April each get a reminder at D + 14
    # (15 March is a Sunday: Friday the 13th)
    assert letters == [("2026-02-13", "reminder"), ("2026-03-09", "fourteen_day_letter"),
                       ("2026-03-13", "reminder:2026-03"), ("2026-04-15", "reminder:2026-04")]
    assert {s["rule"] for s in case.steps if s["action_id"].startswith("letter:reminder:m:")} == {
        "RHYTHM-NEW-MONTH-REMINDER"}
    assert app.get_tenancy("M1").costs_booked == case.letters["fourteen_day_letter"]["costs_cents"]
    assert len([x for x in app.get_tenancy("M1").costs_lines if x["kind"] == "COSTS"]) == 1  # once per case


def test_a_new_months_reminder_never_goes_out_on_the_day_of_another_letter(fast):
    app = fast
    app.policy = Policy(reminder_days=8)  # March's reminder would fall on the 14-day letter's Monday 9 March
    tenant(app, "M2")
    for period in ("2026-02", "2026-03"):
        charge(app, "M2", period)
    run(app, "2026-02-02", "2026-03-31")
    case = case_of(app, "M2")
    assert case.letters["fourteen_day_letter"]["posted_on"] == d("2026-03-09")
    assert case.letters["reminder:2026-03"]["posted_on"] == d("2026-03-10")


def test_a_new_month_paid_in_time_gets_no_reminder(fast):
    app = fast
    tenant(app, "M3")
    charge(app, "M3", "2026-02")
    run(app, "2026-02-02", "2026-02-28")
    charge(app, "M3", "2026-03")
    pay(app, "M3", "2026-03-02", 1300_00)  # February and March, booked on 2 March
    run(app, "2026-03-01", "2026-03-31")
    assert not any(k.startswith("reminder:") for k in app.get_case(app.get_tenancy("M3").case_ids[-1]).letters)


def last_day(period: str) -> str:
    from domain.values import Period

    return Period.parse(period).last_day().isoformat()


def test_audit_verify_reports_a_case_left_silent(fast):
    app = fast
    app.policy = Policy(contact_cadence_days=60)  # a landlord's loose cadence; the audit keeps 21
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    run(app, "2026-02-02", "2026-03-03")
    app.record_contact(OFFICER, case_of(app, "S1").id, channel=Channel.PHONE, outcome=Outcome.NO_ANSWER,
                       on=d("2026-03-03"))  # the officer's task is done; nothing else is open
    run(app, "2026-03-04", "2026-06-30")
    report = audit.verify(app, AUDITOR)
    silent = [str(x) for x in report.discrepancies if "went silent" in str(x)]
    assert silent and "more than 21 days (SILENT-CASE)" in silent[0]
    app.policy = Policy()  # the default cadence never lets a case go silent
    tenant(app, "S2")
    charge(app, "S2", "2026-07")
    run(app, "2026-07-01", "2026-10-31")
    cid = case_of(app, "S2").id
    assert not [x for x in audit.verify(app, AUDITOR).discrepancies if str(cid) in str(x)]


# ------------------------------------------------------------------ 3. thresholds


def test_a_five_euro_shortfall_gets_a_call_but_no_letter_signal_or_costs(fast):
    app = fast
    tenant(app, "S1")
    for period in months("2026-02", "2026-04"):
        charge(app, "S1", period)
    pay(app, "S1", "2026-02-01", 645_00)
    pay(app, "S1", "2026-03-01", 650_00)
    pay(app, "S1", "2026-04-01", 650_00)
    run(app, "2026-02-02", "2026-04-30")
    fired = set(rules(app, "S1"))
    assert "STD-ROBOCALL-12" in fired
    assert not fired & {"REMINDER-D14", "WIK-14", "WIK-COSTS", "BGS-2", "BGS-CONTACT-FIRST"}
    assert app.ports.letters.sent == {}  # type: ignore[union-attr]


def test_a_tenant_who_always_pays_two_days_late_gets_one_due_day_proposal_not_a_task_a_month(fast):
    app = fast
    profiled_tenant(app, "P1", pay_day=5)  # due on the 5th, pays on the 7th
    for period in months("2026-02", "2026-07"):
        charge(app, "P1", period)
        run(app, f"{period}-01" if period != "2026-02" else "2026-02-02", f"{period}-06")
        pay(app, "P1", f"{period}-07")
        run(app, f"{period}-07", last_day(period))
    t = app.get_tenancy("P1")
    cases = [app.get_case(c) for c in t.case_ids]
    phone = [c.period for c in cases for task in c.tasks.values() if task["kind"] == "phone"]
    proposals = [task for c in cases for task in c.tasks.values() if task["kind"] == "propose_due_day"]
    # February and March: a phone task each (no pattern yet). April is due on Easter Sunday:
    # the case would open on Tuesday the 7th, the day the money is booked, so none opens.
    # From May the pattern (3 of the last 4 months two days late) holds: one proposal.
    assert phone == ["2026-02", "2026-03"]
    assert {c.period for c in cases} >= {"2026-05", "2026-07"}  # cases that did open, no phone task
    assert len(proposals) == 1 and proposals[0]["status"] == "open"
    assert t.proposed_due_day == 7


# ----------------------------------------------------------------- 5. letters in order


def test_after_a_broken_arrangement_the_reminder_and_the_14_day_letter_go_on_different_days(fast):
    app = fast
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    charge(app, "S1", "2026-03")
    run(app, "2026-02-02", "2026-02-10")
    cid = case_of(app, "S1").id
    app.record_contact(OFFICER, cid, channel=Channel.PHONE, outcome=Outcome.REACHED, on=d("2026-02-10"))
    app.agree_arrangement(OFFICER, cid, instalments=4, first_date=d("2026-02-20"), on=d("2026-02-10"))
    pay(app, "S1", "2026-02-20", 325_00)
    run(app, "2026-02-11", "2026-04-15")  # the next instalments stay unpaid: broken
    case = case_of(app, "S1")
    assert case.arrangements[0]["status"] == "broken"
    rem, wik = case.letters["reminder"], case.letters["fourteen_day_letter"]
    assert rem["posted_on"] < wik["posted_on"]
    sent = {r.kind: r for r in app.ports.letters.sent.values()}  # type: ignore[union-attr]
    assert sent["fourteen_day_letter"].reminder_posted_on == rem["posted_on"]


# ------------------------------------------------------------------ 6. signal lifecycle


def signal_case(app) -> object:
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    charge(app, "S1", "2026-03")
    run(app, "2026-02-02", "2026-02-20")
    cid = case_of(app, "S1").id
    app.record_contact(OFFICER, cid, channel=Channel.PHONE, outcome=Outcome.NO_ANSWER, on=d("2026-02-20"))
    return cid


def test_a_signal_is_held_while_a_promise_is_pending(fast):
    app = fast
    cid = signal_case(app)
    run(app, "2026-02-21", "2026-03-02")
    app.record_contact(OFFICER, cid, channel=Channel.PHONE, outcome=Outcome.REACHED, on=d("2026-03-02"),
                       promise_date=d("2026-03-20"))
    run(app, "2026-03-03", "2026-03-20")
    assert case_of(app, "S1").signal is None
    run(app, "2026-03-21", "2026-03-24")  # the promise was broken: the signal follows
    assert case_of(app, "S1").signal is not None


def test_a_cleared_signal_gets_one_resolved_message_and_a_late_payment_withdraws_one(fast):
    app = fast
    signal_case(app)
    run(app, "2026-02-21", "2026-03-10")
    case = case_of(app, "S1")
    assert case.signal is not None
    pay(app, "S1", "2026-03-12", 1300_00)
    run(app, "2026-03-11", "2026-03-14")
    case = case_of(app, "S1")
    assert not case.is_open and case.closed_on == d("2026-03-12")
    updates = list(app.ports.signals.updates.values())  # type: ignore[union-attr]
    assert [(u.status, u.rule, u.on) for u in updates] == [("resolved", "BGS-RESOLVED", d("2026-03-12"))]
    run(app, "2026-03-15", "2026-03-20")
    assert len(app.ports.signals.updates) == 1  # type: ignore[union-attr]


def test_a_payment_booked_before_the_signal_but_entered_after_it_withdraws_the_signal(fast):
    app = fast
    signal_case(app)
    run(app, "2026-02-21", "2026-03-10")
    assert case_of(app, "S1").signal is not None
    signal_on = case_of(app, "S1").signal["on"]
    pay(app, "S1", signal_on.replace(day=signal_on.day - 1), 1300_00)  # booked the day before
    run(app, "2026-03-11")
    case = case_of(app, "S1")
    assert case.signal["withdrawn_on"] == d("2026-03-11") and not case.is_open
    updates = list(app.ports.signals.updates.values())  # type: ignore[union-attr]
    assert [u.status for u in updates] == ["withdrawn"]
    assert date(2026, 3, 11) > case.closed_on
