"""The preventive playbook as stories of days and months (PLAYBOOK.md sections 2-5).

Each story starts tenants in January 2026, charges the rent and runs the daily job
day by day (or skips days, as a failed night would), then checks what the tenant
and the officers saw. Where a story is cheap it runs on every store.

February 2026: Sun 1, Thu 5, Thu 12, Fri 13, Sun 15. March: Tue 3, Mon 9.
April: Easter Sunday 5 and Easter Monday 6, Sunday 12, King's Day Monday 27.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from adapters.memory import RecordingLetters
from application.ledger_types import ImportRefused
from application.ports import FactKind, LetterRefused, TelephonyFact
from application.service import CommandError, Vangnet
from domain.values import Channel, Outcome, Partner
from tests.story import (
    LEAD_ANNA,
    LETTING,
    OFFICER,
    RENT,
    case_of,
    charge,
    d,
    fired,
    pay,
    profiled_tenant,
    rules,
    run,
    steps_of,
    tasks,
    tenant,
)


def call(
    app: Vangnet,
    on: str,
    outcome: Outcome = Outcome.NO_ANSWER,
    channel: Channel = Channel.PHONE,
    ref: str = "P1",
) -> None:
    app.record_contact(OFFICER, case_of(app, ref).id, channel=channel, outcome=outcome, on=d(on))


def calls(app: Vangnet) -> list:  # type: ignore[type-arg]
    return app.ports.telephony.calls  # type: ignore[union-attr]


def fact(
    app: Vangnet, attempt: str, kind: FactKind, on: str, detail: str = "", pid: str | None = None
) -> int:
    at = datetime.fromisoformat(on + "T10:15:00").replace(tzinfo=UTC)
    return app.record_facts(
        [TelephonyFact(pid or f"{attempt}/{kind.value}/{on}", attempt, kind, at, detail)]
    )


def open_tasks(app: Vangnet, ref: str) -> dict[str, tuple[str, date]]:
    return {
        k: (t["kind"], t["due_on"]) for k, t in tasks(app, ref).items() if t["status"] == "open"
    }


# ------------------------------------------------------------ prevention track


def test_a_profiled_tenant_who_does_not_pay_gets_a_phone_task_then_a_home_visit_after_two_unanswered_calls(
    app,
):
    profiled_tenant(app, "P1", pay_day=5)
    charge(app, "P1", "2026-02")
    run(app, "2026-02-01", "2026-02-05")
    assert app.get_tenancy("P1").open_case_id is None  # due on the 5th: not late yet

    run(app, "2026-02-06")  # Friday, the next business day after Thursday the 5th
    case = case_of(app, "P1")
    assert (case.track, case.opened_on, case.due_date) == (
        "prevention",
        d("2026-02-06"),
        d("2026-02-05"),
    )
    assert open_tasks(app, "P1") == {"task:phone:1": ("phone", d("2026-02-06"))}
    work = app.worklist(OFFICER, d("2026-02-06"))
    assert [(w["ref"], w["kind"], w["rule"]) for w in work] == [("P1", "phone", "PREV-PHONE-D1")]

    call(app, "2026-02-06")  # no answer
    run(app, "2026-02-07", "2026-02-09")
    assert open_tasks(app, "P1") == {"task:phone:2": ("phone", d("2026-02-09"))}  # retry on Monday
    call(app, "2026-02-09")  # no answer again, another day
    run(app, "2026-02-10")
    assert open_tasks(app, "P1") == {
        "task:home_visit:1": ("home_visit", d("2026-02-16"))
    }  # within 5 business days
    assert rules(app, "P1") == ["PREV-PHONE-D1", "PREV-PHONE-RETRY", "PREV-VISIT"]
    assert calls(app) == []  # no robocall for a prevention tenant


def test_two_unanswered_calls_on_the_same_day_are_one_attempt(fast):
    app = fast
    profiled_tenant(app, "P1", pay_day=5)
    charge(app, "P1", "2026-02")
    run(app, "2026-02-06")
    call(app, "2026-02-06")
    call(app, "2026-02-06")
    run(app, "2026-02-07", "2026-02-12")
    assert "PREV-VISIT" not in rules(app, "P1")
    assert "task:phone:2" in tasks(app, "P1")


def test_a_reached_tenant_gets_no_retry_or_home_visit(fast):
    app = fast
    profiled_tenant(app, "P1", pay_day=5)
    charge(app, "P1", "2026-02")
    run(app, "2026-02-06")
    call(app, "2026-02-06", Outcome.REACHED)
    run(app, "2026-02-07", "2026-02-20")
    assert [r for r in rules(app, "P1") if r.startswith("PREV")] == ["PREV-PHONE-D1"]


# ------------------------------------------------------------- standard track


def test_a_standard_tenant_unpaid_on_the_12th_gets_exactly_one_robocall_even_when_the_12th_is_run_twice(
    app,
):
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    run(app, "2026-02-02", "2026-02-11")
    assert case_of(app, "S1").track == "standard"
    assert calls(app) == []
    run(app, "2026-02-12")
    run(app, "2026-02-12")
    assert len(calls(app)) == 1
    assert calls(app)[0].on == d("2026-02-12")
    assert fired(app, "S1") == [("STD-ROBOCALL-12", d("2026-02-12"))]
    assert app.worklist(OFFICER, d("2026-02-12")) == []  # a robocall is no officer task


def test_paying_on_the_13th_closes_the_case_and_no_reminder_follows(app):
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    run(app, "2026-02-02", "2026-02-12")
    pay(app, "S1", "2026-02-13")
    run(app, "2026-02-13", "2026-03-31")
    case = case_of(app, "S1")
    assert (case.is_open, case.closed_on, case.close_reason) == (False, d("2026-02-13"), "paid")
    assert rules(app, "S1") == ["STD-ROBOCALL-12", "CLOSE-PAID"]
    assert app.ports.letters.sent == {}  # type: ignore[union-attr]
    assert len(calls(app)) == 1
    assert app.get_tenancy("S1").open_case_id is None


def test_without_payment_the_reminder_goes_by_d_plus_14_on_a_business_day(fast):
    app = fast
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    run(app, "2026-02-02", "2026-02-20")
    # D + 14 is Sunday the 15th: the reminder goes on Friday the 13th (the robocall's
    # result never came: the SMS follows two business days after the call)
    assert fired(app, "S1") == [
        ("STD-ROBOCALL-12", d("2026-02-12")),
        ("REMINDER-D14", d("2026-02-13")),
        ("STD-SMS-NO-RESULT", d("2026-02-16")),
    ]
    (letter,) = app.ports.letters.sent.values()  # type: ignore[union-attr]
    assert (letter.kind, letter.posted_on, letter.total_cents, letter.offers_signal) == (
        "reminder",
        d("2026-02-13"),
        RENT,
        True,
    )


def test_a_new_case_after_a_closed_one_goes_on_the_worry_track_and_references_it(fast):
    app = fast
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    run(app, "2026-02-02")
    first = case_of(app, "S1")
    pay(app, "S1", "2026-02-03")
    run(app, "2026-02-03")
    charge(app, "S1", "2026-03")
    run(app, "2026-02-04", "2026-03-02")
    second = case_of(app, "S1")
    assert second.id != first.id
    assert (second.track, second.reopens, second.opened_on) == ("worry", first.id, d("2026-03-02"))
    # personal contact task on D + 3 days (Wednesday 4 March)
    assert open_tasks(app, "S1") == {"task:phone:1": ("phone", d("2026-03-04"))}


# ------------------------------------------------------------ promises


def promised(app: Vangnet, ref: str) -> None:
    tenant(app, ref)
    charge(app, ref, "2026-02")
    run(app, "2026-02-02", "2026-02-03")
    app.record_contact(
        OFFICER,
        case_of(app, ref).id,
        channel=Channel.PHONE,
        outcome=Outcome.REACHED,
        on=d("2026-02-03"),
        promise_date=d("2026-02-10"),
    )


def test_a_kept_promise_is_recorded_as_kept_when_the_case_closes(app):
    promised(app, "S1")
    run(app, "2026-02-04", "2026-02-09")
    pay(app, "S1", "2026-02-10")
    run(app, "2026-02-10", "2026-02-20")
    case = case_of(app, "S1")
    assert [p["status"] for p in case.promises] == ["kept"]
    assert (case.closed_on, case.close_reason) == (d("2026-02-10"), "paid")
    assert rules(app, "S1") == ["PROMISE-CHECK", "CLOSE-PAID"]
    assert calls(app) == []  # the pending promise held the robocall of the 12th


def test_a_broken_promise_is_checked_the_day_after_and_an_officer_follows_up(app):
    promised(app, "S1")
    run(app, "2026-02-04", "2026-02-12")
    case = case_of(app, "S1")
    assert [p["status"] for p in case.promises] == ["broken"]
    assert (
        fired(app, "S1")[:2] == [("PROMISE-CHECK", d("2026-02-11"))] * 2
    )  # the check and its task
    assert open_tasks(app, "S1")["task:promise:0"] == ("promise_follow_up", d("2026-02-11"))
    assert ("STD-ROBOCALL-12", d("2026-02-12")) in fired(app, "S1")  # escalation resumes


# ----------------------------------------------------- weekends and holidays


def test_kings_day_moves_the_first_phone_task(fast):
    app = fast
    profiled_tenant(app, "P24", pay_day=24)
    charge(app, "P24", "2026-04")
    run(app, "2026-04-24", "2026-04-27")  # Friday the 24th is D; Monday the 27th is King's Day
    assert app.get_tenancy("P24").open_case_id is None
    run(app, "2026-04-28")
    assert case_of(app, "P24").opened_on == d("2026-04-28")
    assert open_tasks(app, "P24") == {"task:phone:1": ("phone", d("2026-04-28"))}


def test_easter_monday_moves_the_first_phone_task(app):
    profiled_tenant(app, "P1", pay_day=5)
    charge(app, "P1", "2026-04")
    run(app, "2026-04-05", "2026-04-06")  # Easter Sunday is D, Easter Monday is no business day
    assert app.get_tenancy("P1").open_case_id is None
    run(app, "2026-04-07")
    assert open_tasks(app, "P1") == {"task:phone:1": ("phone", d("2026-04-07"))}


def test_a_robocall_day_on_a_sunday_or_kings_day_moves_to_the_next_business_day(fast):
    app = fast
    tenant(app, "S1")  # due on the 1st: the 12th of April is a Sunday
    tenant(app, "S20", due_day=20)  # due after the 12th: D + 7 is King's Day
    charge(app, "S1", "2026-04")
    charge(app, "S20", "2026-04")
    run(app, "2026-04-02", "2026-04-30")
    assert fired(app, "S1")[0] == ("STD-ROBOCALL-12", d("2026-04-13"))
    assert fired(app, "S20")[0] == ("STD-ROBOCALL-12", d("2026-04-28"))
    assert sorted(c.on for c in calls(app)) == [d("2026-04-13"), d("2026-04-28")]


# ------------------------------------------------------ the municipal signal


def test_the_signal_waits_for_a_personal_contact_attempt_and_is_sent_once_all_four_conditions_hold(
    app,
):
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    run(app, "2026-02-02", "2026-03-03")
    # D + 30: reminder sent, robocall made, but no officer has tried: a task first, no signal
    case = case_of(app, "S1")
    assert case.signal is None
    assert case.signal_conditions()["personal_contact_attempted"] is False
    assert fired(app, "S1")[-1] == ("BGS-CONTACT-FIRST", d("2026-03-03"))
    assert app.ports.signals.sent == {}  # type: ignore[union-attr]
    run(app, "2026-03-04")
    assert app.ports.signals.sent == {}  # type: ignore[union-attr]

    call(app, "2026-03-04", ref="S1")  # an officer tries: no answer
    run(app, "2026-03-05")
    case = case_of(app, "S1")
    assert case.signal is not None and case.signal["on"] == d("2026-03-05")
    assert ("BGS-2", d("2026-03-05")) in fired(app, "S1")
    step = next(s for s in case.steps if s["rule"] == "BGS-2")
    assert step["inputs"]["conditions"] == {
        "personal_contact_attempted": True,
        "pointed_to_debt_help": True,
        "reminder_with_offer_sent": True,
        "no_objection": True,
    }
    run(app, "2026-03-06", "2026-03-31")
    (signal,) = app.ports.signals.sent.values()  # type: ignore[union-attr]
    assert (signal.tenancy_ref, signal.amount_cents, signal.origin_date) == (
        "S1",
        RENT,
        d("2026-02-01"),
    )
    assert [(a.channel, a.reached, a.on) for a in signal.contact_attempts] == [
        ("phone", False, d("2026-03-04"))
    ]
    assert rules(app, "S1").count("BGS-2") == 1


def test_no_signal_ever_after_the_tenant_objects(app):
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    run(app, "2026-02-02", "2026-02-16")
    app.object_to_signal(OFFICER, case_of(app, "S1").id, on=d("2026-02-16"))
    call(app, "2026-02-17", ref="S1")
    run(app, "2026-02-17", "2026-04-30")
    case = case_of(app, "S1")
    assert case.signal is None and case.objected_on == d("2026-02-16")
    assert "BGS-2" not in rules(app, "S1")
    assert app.ports.signals.sent == {}  # type: ignore[union-attr]


# ---------------------------------------------------------- the WIK letter


def test_the_14_day_letter_states_costs_and_a_deadline_from_presumed_receipt_and_costs_follow_once(
    app,
):
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    charge(app, "S1", "2026-03")
    run(app, "2026-02-02", "2026-03-31")
    case = case_of(app, "S1")
    letter = case.letters["fourteen_day_letter"]
    # D + 35 is Sunday 8 March: posted Monday the 9th, received the 11th, deadline 12th + 14 = 26th
    assert letter["posted_on"] == d("2026-03-09")
    assert letter["deadline"] == d("2026-03-26")
    assert letter["costs_cents"] == 195_00  # 15% of 1,300.00 (February and March)
    sent = [r for r in app.ports.letters.sent.values() if r.kind == "fourteen_day_letter"]  # type: ignore[union-attr]
    assert [(r.posted_on, r.deadline, r.costs_cents, r.total_cents) for r in sent] == [
        (d("2026-03-09"), d("2026-03-26"), 195_00, 1300_00)
    ]
    assert (case.costs_charged_on, case.costs_cents) == (
        d("2026-03-27"),
        195_00,
    )  # only after the deadline
    assert rules(app, "S1").count("WIK-COSTS") == 1
    assert case.bailiff_eligible_on == d("2026-03-27")  # two months' rent, deadline passed


def test_no_costs_when_the_arrears_are_paid_before_the_deadline(fast):
    app = fast
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    run(app, "2026-02-02", "2026-03-20")
    pay(app, "S1", "2026-03-20")
    run(app, "2026-03-21", "2026-04-10")
    case = case_of(app, "S1")
    assert "fourteen_day_letter" in case.letters
    assert case.costs_charged_on is None and not case.is_open


# --------------------------------------------------------- arrangements


def arranged(app: Vangnet) -> None:
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    charge(app, "S1", "2026-03")
    run(app, "2026-02-02", "2026-02-10")
    call(app, "2026-02-10", Outcome.REACHED, ref="S1")
    app.agree_arrangement(
        OFFICER,
        case_of(app, "S1").id,
        instalments=2,
        first_date=d("2026-02-16"),
        on=d("2026-02-10"),
    )


def test_an_honoured_arrangement_pauses_escalation_until_it_is_completed(app):
    arranged(app)
    pay(app, "S1", "2026-02-16", 325_00)
    run(app, "2026-02-11", "2026-03-01")
    pay(app, "S1", "2026-03-02", RENT)  # March rent, paid as it falls due
    run(app, "2026-03-02", "2026-03-16")
    assert rules(app, "S1") == ["ARR-CONFIRM"]  # the plan in writing; no robocall, reminder, signal task or 14-day letter
    assert calls(app) == []
    assert [x.kind for x in app.ports.letters.sent.values()] == ["arrangement_confirmation"]  # type: ignore[union-attr]
    pay(app, "S1", "2026-03-16", 325_00)
    run(app, "2026-03-17")
    case = case_of(app, "S1")
    assert case.arrangement is not None and case.arrangement["status"] == "completed"
    assert (case.is_open, case.close_reason) == (False, "paid")
    assert rules(app, "S1") == ["ARR-CONFIRM", "ARR-COMPLETE", "CLOSE-PAID"]
    assert not app.get_tenancy("S1").worry


def test_a_broken_arrangement_resumes_escalation_and_flags_worry(app):
    arranged(app)
    run(app, "2026-02-11", "2026-02-21")
    # first instalment (16 February) unpaid 5 days later: an officer follows up
    assert ("ARR-MISSED", d("2026-02-21")) in fired(app, "S1")
    assert open_tasks(app, "S1")["task:arr0:followup:1"] == (
        "instalment_follow_up",
        d("2026-02-23"),
    )
    assert "REMINDER-D14" not in rules(app, "S1")  # escalation still paused
    assert not app.get_tenancy("S1").worry
    run(app, "2026-02-22", "2026-03-21")
    case = case_of(app, "S1")
    assert case.arrangement is not None and case.arrangement["status"] == "broken"
    assert ("ARR-BROKEN", d("2026-03-21")) in fired(app, "S1")
    t = app.get_tenancy("S1")
    assert (t.worry, t.worry_reason) == (True, "arrangement broken")
    # escalation resumes: the overdue reminder goes out with the next post (21 March is a
    # Saturday: letters are posted on business days), the 14-day letter the business day
    # after it: never two escalation letters on one day, and "after our reminder" is true
    assert "REMINDER-D14" not in rules(app, "S1")
    run(app, "2026-03-22", "2026-03-24")
    assert ("REMINDER-D14", d("2026-03-23")) in fired(app, "S1")
    assert ("WIK-14", d("2026-03-23")) not in fired(app, "S1")
    assert ("WIK-14", d("2026-03-24")) in fired(app, "S1")


# ------------------------------------------------------- debt counselling


def long_unpaid(app: Vangnet, *, counselling: bool) -> None:
    tenant(app, "S1")
    for p in ("2026-02", "2026-03", "2026-04", "2026-05", "2026-06"):
        charge(app, "S1", p)
    run(app, "2026-02-02", "2026-02-10")
    call(app, "2026-02-10", Outcome.REACHED, ref="S1")
    if counselling:
        cid = case_of(app, "S1").id
        app.refer(OFFICER, cid, partner=Partner.GKB, consent=True, on=d("2026-02-10"))
        app.accept_referral(OFFICER, cid, partner=Partner.GKB, on=d("2026-03-20"))
    run(app, "2026-02-11", "2026-07-31")


def test_legal_action_becomes_eligible_after_three_months_and_two_months_after_the_signal(fast):
    app = fast
    long_unpaid(app, counselling=False)
    case = case_of(app, "S1")
    assert case.signal is not None
    assert case.legal_eligible_on == d("2026-05-03")  # the signal of 3 March, two months on
    step = next(s for s in case.steps if s["rule"] == "EVICT-ELIGIBLE")
    assert step["inputs"]["in_debt_counselling"] is False
    assert case.legal_decisions == []  # never automatic
    assert "task:legal:review" in case.tasks


def test_no_legal_action_eligibility_while_in_debt_counselling(fast):
    app = fast
    long_unpaid(app, counselling=True)
    case = case_of(app, "S1")
    assert case.debt_counselling_accepted()
    assert case.signal is not None  # collection resumed after the 30-day pause
    assert case.legal_eligible_on is None
    assert "EVICT-ELIGIBLE" not in rules(app, "S1")
    assert ("PAUSE-END", d("2026-04-20")) in fired(app, "S1")
    with pytest.raises(CommandError, match="not eligible"):
        app.decide_legal_action(LEAD_ANNA, case.id, reason="arrears", on=d("2026-07-31"))


def test_an_accepted_gkb_referral_pauses_collection_and_starts_the_programme(fast):
    app = fast
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    run(app, "2026-02-02", "2026-02-10")
    cid = case_of(app, "S1").id
    app.refer(OFFICER, cid, partner=Partner.GKB, consent=True, on=d("2026-02-10"))
    app.accept_referral(OFFICER, cid, partner=Partner.GKB, on=d("2026-02-10"))
    run(app, "2026-02-11", "2026-03-12")
    assert rules(app, "S1") == []  # no robocall, no reminder while paused (until 12 March)
    run(app, "2026-03-13")
    # the pause ends, but the debt-help programme's intake still holds collection
    assert rules(app, "S1") == ["PAUSE-END"]
    assert case_of(app, "S1").programme["state"] == "intake"


# ----------------------------------------------------------- idempotent days


def test_running_a_day_twice_leaves_the_event_count_unchanged(app):
    profiled_tenant(app, "P1", pay_day=5)
    tenant(app, "S1")
    for ref in ("P1", "S1"):
        charge(app, ref, "2026-02")
    for day in ("2026-02-02", "2026-02-06", "2026-02-12", "2026-02-13", "2026-03-03", "2026-03-09"):
        run(app, day)
        before = app.store.count_events()
        calls_before, letters_before = len(calls(app)), len(app.ports.letters.sent)  # type: ignore[union-attr]
        run(app, day)
        assert app.store.count_events() == before, day
        assert (len(calls(app)), len(app.ports.letters.sent)) == (calls_before, letters_before)  # type: ignore[union-attr]


def test_skipped_days_are_caught_up_each_once(app):
    tenant(app, "S1")
    profiled_tenant(app, "P1", pay_day=5)
    for ref in ("S1", "P1"):
        charge(app, ref, "2026-02")
    run(app, "2026-02-02")
    reports = run(app, "2026-02-16")  # the 3rd to the 15th were not run
    assert [r.day for r in reports][0] == d("2026-02-03") and reports[-1].day == d("2026-02-16")
    assert steps_of(reports) == {
        "PREV-PHONE-D1": 1, "STD-ROBOCALL-12": 1, "REMINDER-D14": 1, "STD-SMS-NO-RESULT": 1,
    }
    # each on the day it fell due, not on the day of the catch-up; but a letter is
    # posted on the day actually run (its deadline must count from the real posting)
    assert fired(app, "S1") == [
        ("STD-ROBOCALL-12", d("2026-02-12")),
        ("REMINDER-D14", d("2026-02-16")),
        ("STD-SMS-NO-RESULT", d("2026-02-16")),  # no result of the call reached us
    ]
    (reminder,) = [s for s in case_of(app, "S1").steps if s["rule"] == "REMINDER-D14"]
    assert reminder["inputs"]["caught_up_from"] == d("2026-02-13")
    assert fired(app, "P1") == [("PREV-PHONE-D1", d("2026-02-06"))]
    assert [c.on for c in calls(app)] == [d("2026-02-12")]
    before = app.store.count_events()
    assert steps_of(run(app, "2026-02-16")) == {}
    assert app.store.count_events() == before


# ------------------------------------------------------- robocall outcomes


def robocalled(app: Vangnet) -> str:
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    run(app, "2026-02-02", "2026-02-12")
    (req,) = calls(app)
    return req.attempt_id


def test_robocall_chose_sms_sends_the_sms(app):
    attempt = robocalled(app)
    assert fact(app, attempt, FactKind.CHOSE_SMS, "2026-02-12") == 1
    run(app, "2026-02-13")
    assert ("STD-SMS-CHOSEN", d("2026-02-13")) in fired(app, "S1")
    (sms,) = app.ports.sms.sent.values()  # type: ignore[union-attr]
    assert (sms.amount_cents, sms.payment_reference) == (RENT, "HUUR S1")


def test_robocall_no_answer_is_retried_once_the_next_business_day_then_an_sms(app):
    attempt = robocalled(app)
    fact(app, attempt, FactKind.COMPLETED, "2026-02-12", detail="no_answer")
    run(app, "2026-02-13")
    assert [c.on for c in calls(app)] == [d("2026-02-12"), d("2026-02-13")]
    assert ("STD-ROBOCALL-RETRY", d("2026-02-13")) in fired(app, "S1")
    assert app.ports.sms.sent == {}  # type: ignore[union-attr]
    fact(app, calls(app)[1].attempt_id, FactKind.COMPLETED, "2026-02-13", detail="busy")
    run(app, "2026-02-14", "2026-02-20")
    assert len(calls(app)) == 2  # one retry only
    assert rules(app, "S1").count("STD-SMS-FALLBACK") == 1
    assert len(app.ports.sms.sent) == 1  # type: ignore[union-attr]


def test_robocall_invalid_number_gives_an_officer_task_to_fix_contact_details(app):
    attempt = robocalled(app)
    fact(app, attempt, FactKind.NOT_DIALLED, "2026-02-12", detail="invalid_number")
    run(app, "2026-02-13")
    assert open_tasks(app, "S1") == {"task:fix_contact": ("fix_contact_details", d("2026-02-13"))}
    assert len(calls(app)) == 1 and app.ports.sms.sent == {}  # type: ignore[union-attr]


def test_robocall_chose_transfer_records_a_live_phone_contact(app):
    attempt = robocalled(app)
    fact(app, attempt, FactKind.CHOSE_TRANSFER, "2026-02-12")
    assert [c["channel"] for c in case_of(app, "S1").contacts] == ["robocall"]  # not yet connected
    fact(app, attempt, FactKind.TRANSFERRED, "2026-02-12", detail="connected")
    case = case_of(app, "S1")
    assert [(c["channel"], c["outcome"]) for c in case.contacts] == [
        ("robocall", "chose_transfer"),
        ("phone", "reached"),
    ]
    assert case.signal_conditions()["personal_contact_attempted"]
    run(app, "2026-02-13", "2026-02-20")
    assert len(calls(app)) == 1 and app.ports.sms.sent == {}  # type: ignore[union-attr]


def test_a_transfer_with_no_officer_free_gives_a_call_back_task(app):
    attempt = robocalled(app)
    fact(app, attempt, FactKind.CHOSE_TRANSFER, "2026-02-12")
    fact(app, attempt, FactKind.TRANSFERRED, "2026-02-12", detail="no_agent")
    case = case_of(app, "S1")
    assert [c["channel"] for c in case.contacts] == ["robocall"]
    assert not case.signal_conditions()["personal_contact_attempted"]
    tasks = app.worklist(OFFICER, d("2026-02-13"))
    assert [(t["kind"], t["rule"]) for t in tasks] == [("call_back", "STD-TRANSFER-NO-AGENT")]


def test_a_fact_delivered_twice_is_recorded_once(app):
    attempt = robocalled(app)
    assert fact(app, attempt, FactKind.CHOSE_SMS, "2026-02-12", pid="prov-42") == 1
    before = app.store.count_events()
    assert fact(app, attempt, FactKind.CHOSE_SMS, "2026-02-12", pid="prov-42") == 0
    assert app.store.count_events() == before
    both = TelephonyFact(
        "prov-43", attempt, FactKind.COMPLETED, datetime(2026, 2, 12, 10, tzinfo=UTC), "answered"
    )
    assert app.record_facts([both, both]) == 0  # the decisive outcome was recorded already
    assert len(case_of(app, "S1").contacts) == 1
    run(app, "2026-02-13")
    assert len(app.ports.sms.sent) == 1  # type: ignore[union-attr]


def test_a_fact_twice_in_one_delivery_is_recorded_once(fast):
    attempt = robocalled(fast)
    twice = TelephonyFact(
        "prov-7", attempt, FactKind.VOICEMAIL, datetime(2026, 2, 12, 10, tzinfo=UTC)
    )
    assert fast.record_facts([twice, twice]) == 1
    assert [(c["channel"], c["outcome"]) for c in case_of(fast, "S1").contacts] == [
        ("robocall", "voicemail")
    ]


# ------------------------------------------------------------- the tenancy ends


def test_a_tenant_under_notice_still_owes_the_last_month_and_the_case_closes_when_the_tenancy_ends(
    app,
):
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    pay(app, "S1", "2026-02-01")
    app.end_tenancy(
        LETTING, "S1", on=d("2026-03-31"), reason="moved out"
    )  # notice given in February
    charge(app, "S1", "2026-03")  # the last month's rent is still due
    with pytest.raises(ImportRefused):
        charge(app, "S1", "2026-04")  # no rent after the end
    run(app, "2026-02-02", "2026-03-02")
    case = case_of(app, "S1")
    assert (case.opened_on, case.amount_cents) == (d("2026-03-02"), RENT)
    run(app, "2026-03-03", "2026-04-30")
    case = case_of(app, "S1")
    assert (case.closed_on, case.close_reason) == (d("2026-03-31"), "tenancy_ended")
    assert rules(app, "S1")[-1] == "CLOSE-ENDED"
    assert len(app.get_tenancy("S1").case_ids) == 1  # the final account opens no new case


def test_the_run_posts_rent_until_the_tenancy_ends(fast_backend):
    from application.policy import policy_from_mapping

    app = fast_backend.build(policy=policy_from_mapping({"playbook": {"post_rent_charges": True}}))
    tenant(app, "S1")
    tenant(app, "S2")
    app.end_tenancy(LETTING, "S1", on=d("2026-02-28"), reason="moved out")
    app.end_tenancy(LETTING, "S2", on=d("2026-01-31"), reason="moved out")
    reports = run(app, "2026-02-01", "2026-03-01")
    assert sum(r.charges_posted for r in reports) == 1
    assert app.get_tenancy("S1").charges == {"2026-02": RENT}
    assert app.get_tenancy("S2").charges == {}


# ------------------------------------------------------------- refused letters


class SwitchableLetters:
    """A letters adapter that refuses (no landlord address yet) until it is configured."""

    def __init__(self) -> None:
        self.inner = RecordingLetters()
        self.refuse = True

    def send(self, letter):  # type: ignore[no-untyped-def]
        if self.refuse:
            raise LetterRefused("letters: landlord address is not configured")
        return self.inner.send(letter)


def test_a_refused_letter_is_reported_once_a_day_and_sent_once_the_adapter_works(fast_backend):
    letters = SwitchableLetters()
    app = fast_backend.build(letters=letters)
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    reports = run(app, "2026-02-02", "2026-02-16")
    errors = {r.day: r.errors for r in reports if r.errors}
    assert list(errors) == [d("2026-02-13"), d("2026-02-16")]  # from the reminder day, every business day
    assert all(len(e) == 1 and "REMINDER-D14" in e[0] for e in errors.values())
    assert "REMINDER-D14" not in rules(app, "S1")
    letters.refuse = False
    reports = run(app, "2026-02-17")
    assert reports[0].errors == []
    assert ("REMINDER-D14", d("2026-02-17")) in fired(app, "S1")
    assert [r.kind for r in letters.inner.sent.values()] == ["reminder"]


# ------------------------------------------------------------- the worklist


def test_the_worklist_puts_prevention_before_worry_before_standard(fast):
    app = fast
    tenant(app, "S1")
    tenant(app, "W1")
    app.raise_worry(OFFICER, "W1", reason="neighbours worried", on=d("2026-01-15"))
    profiled_tenant(app, "P1", pay_day=2)
    for ref in ("S1", "W1", "P1"):
        charge(app, ref, "2026-02")
    run(app, "2026-02-02", "2026-03-04")
    work = app.worklist(OFFICER, d("2026-03-04"))
    assert [(w["ref"], w["track"]) for w in work][:1] == [("P1", "prevention")]
    assert [w["track"] for w in work] == sorted(
        (w["track"] for w in work), key=["prevention", "worry", "standard"].index
    )
    assert {w["ref"] for w in work} == {"P1", "W1", "S1"}  # S1: the BGS contact task


def test_a_caught_up_14_day_letter_counts_its_deadline_from_the_real_posting_day(app):
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    run(app, "2026-02-02")
    run(app, "2026-03-10")  # the night runs failed from the 3rd of February to the 9th of March
    # the caught-up reminder is posted on the 10th: the 14-day letter, due since 9 March
    # (D + 35, a Monday), waits for the next day's post (never two letters on one day)
    assert case_of(app, "S1").letters["reminder"]["posted_on"] == d("2026-03-10")
    assert "fourteen_day_letter" not in case_of(app, "S1").letters
    run(app, "2026-03-11")
    wik_letter = case_of(app, "S1").letters["fourteen_day_letter"]
    # posted Wednesday 11 March: delivered Thursday and Friday, received the 13th, 14 + 14 = 28th,
    # a Saturday: the deadline moves to Monday 30 March
    assert wik_letter["posted_on"] == d("2026-03-11")
    assert wik_letter["deadline"] == d("2026-03-30")
    (sent,) = [x for x in app.ports.letters.sent.values() if x.kind == "fourteen_day_letter"]
    assert (sent.posted_on, sent.deadline) == (d("2026-03-11"), d("2026-03-30"))
