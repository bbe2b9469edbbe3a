"""Safeguards a court or an auditor would check: eligibility that does not outlive an
arrangement or debt counselling, costs only when the letter's amount stayed unpaid, time
to object before a signal, a pause that cannot be stretched, "six months" in months."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from application.service import CommandError
from domain.playbook import choose_track
from domain.policy import Policy
from domain.tenancy import Tenancy
from domain.values import Partner, Track
from tests.integration.test_playbook_stories import call, long_unpaid
from tests.story import (
    LEAD_ANNA,
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


def test_an_arrangement_agreed_after_eligibility_blocks_bailiff_and_legal_action(fast):
    app = fast
    long_unpaid(app, counselling=False)
    case = case_of(app, "S1")
    assert case.legal_eligible_on is not None and case.bailiff_eligible_on is not None
    app.agree_arrangement(OFFICER, case.id, instalments=6, first_date=d("2026-08-03"), on=d("2026-07-31"))
    with pytest.raises(CommandError, match="arrangement is active"):
        app.decide_legal_action(LEAD_ANNA, case.id, reason="3 months", on=d("2026-07-31"))
    with pytest.raises(CommandError, match="arrangement is active"):
        app.approve_bailiff(LEAD_ANNA, case.id, on=d("2026-07-31"))
    assert case_of(app, "S1").legal_decisions == []


def test_debt_counselling_declared_at_intake_blocks_legal_eligibility(fast):
    app = fast
    profiled_tenant(app, "S1", pay_day=1)  # intake: in debt counselling
    for p in ("2026-02", "2026-03", "2026-04", "2026-05", "2026-06"):
        charge(app, "S1", p)
    run(app, "2026-02-02", "2026-02-10")
    call(app, "2026-02-03", ref="S1")
    run(app, "2026-02-11", "2026-07-31")
    case = case_of(app, "S1")
    assert case.signal is not None and case.letters.get("fourteen_day_letter")
    assert case.legal_eligible_on is None
    assert "EVICT-ELIGIBLE" not in rules(app, "S1")


def test_no_costs_when_the_letters_amount_was_paid_within_the_term(fast):
    app = fast
    tenant(app, "S1")
    for p in ("2026-02", "2026-03", "2026-04"):
        charge(app, "S1", p)
    run(app, "2026-02-02", "2026-03-10")
    letter = case_of(app, "S1").letters["fourteen_day_letter"]
    assert (letter["posted_on"], letter["amount_cents"], letter["deadline"]) == (
        d("2026-03-09"), 130_000, d("2026-03-26"))
    pay(app, "S1", "2026-03-20", 130_000)  # February and March, within the term
    run(app, "2026-03-11", "2026-04-15")  # April's rent keeps the case open
    case = case_of(app, "S1")
    assert case.is_open and case.costs_charged_on is None
    assert "WIK-COSTS" not in rules(app, "S1")


def test_the_signal_waits_until_the_tenant_has_had_time_to_object(fast):
    app = fast
    app.policy = attrs.evolve(app.policy, signal_objection_days=30)
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    charge(app, "S1", "2026-03")
    run(app, "2026-02-02", "2026-02-20")
    call(app, "2026-02-20", ref="S1")
    run(app, "2026-02-21", "2026-03-14")
    case = case_of(app, "S1")
    offered = case.letters["reminder"]["posted_on"]
    assert offered == d("2026-02-13") and case.signal is None  # D + 30 has passed, the 30 days have not
    run(app, "2026-03-15", "2026-03-31")
    assert case_of(app, "S1").signal["on"] == d("2026-03-15")  # the reminder's offer + 30 days


def test_a_second_accepted_referral_does_not_stretch_the_30_day_pause(fast):
    app = fast
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    run(app, "2026-02-02", "2026-02-05")
    cid = case_of(app, "S1").id
    for on in ("2026-02-10", "2026-03-01"):
        app.refer(OFFICER, cid, partner=Partner.GKB, consent=True, on=d(on))
        app.accept_referral(OFFICER, cid, partner=Partner.GKB, on=d(on))
    assert case_of(app, "S1").paused_until == d("2026-03-12")  # 10 February + 30 days


def test_a_case_closed_six_calendar_months_ago_no_longer_puts_a_tenant_on_the_worry_track():
    t = Tenancy.start("T1", 650_00, date(2025, 1, 1), by="x")
    t.link_case(Tenancy.create_id("C"), on=date(2025, 12, 1))
    t.unlink_case(Tenancy.create_id("C"), on=date(2026, 1, 2))
    policy = Policy()
    assert choose_track(t, date(2026, 7, 1), policy)[0] == Track.WORRY
    assert choose_track(t, date(2026, 7, 2), policy)[0] == Track.STANDARD


def test_a_long_promise_holds_calls_but_not_the_reminder(fast):
    app = fast
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    run(app, "2026-02-02", "2026-02-04")
    from domain.values import Channel, Outcome

    app.record_contact(OFFICER, case_of(app, "S1").id, channel=Channel.PHONE, outcome=Outcome.REACHED,
                       on=d("2026-02-04"), promise_date=d("2026-03-20"))
    run(app, "2026-02-05", "2026-02-20")
    fired = rules(app, "S1")
    assert "STD-ROBOCALL-12" not in fired  # the promise holds the robocall
    assert "REMINDER-D14" in fired  # but the reminder still goes by D + 14


def test_a_robocall_without_any_result_falls_back_to_an_sms(fast):
    app = fast
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    run(app, "2026-02-02", "2026-02-13")  # the 12th: called; the provider reports nothing
    assert "sms:fallback" not in case_of(app, "S1").actions
    run(app, "2026-02-14", "2026-02-16")  # Monday: two business days after the call
    case = case_of(app, "S1")
    assert ("STD-SMS-NO-RESULT", d("2026-02-16")) in [(s["rule"], s["on"]) for s in case.steps]


def test_a_debt_reopened_by_a_storno_keeps_its_letters_signal_and_costs(fast):
    from application.ledger_types import LedgerLine
    from domain.values import LedgerKind
    from tests.story import ADMIN

    app = fast
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    charge(app, "S1", "2026-03")
    run(app, "2026-02-02", "2026-02-20")
    call(app, "2026-02-20", ref="S1")
    run(app, "2026-02-21", "2026-03-28")
    first = case_of(app, "S1")
    assert first.costs_charged_on == d("2026-03-27") and first.signal is not None
    pay(app, "S1", "2026-03-30", 130_000 + first.costs_cents, tx="P1")
    run(app, "2026-03-29", "2026-03-31")
    assert not app.get_case(first.id).is_open
    app.import_ledger(ADMIN, [LedgerLine(1, "R1", "S1", d("2026-04-03"), LedgerKind.REVERSAL, 130_000 + first.costs_cents,
                                         reason_code="AM04", reverses_transaction_id="P1")], source="manual")
    run(app, "2026-04-01", "2026-05-15")
    second = case_of(app, "S1")
    assert second.id != first.id and second.reopens == first.id
    # carried over, not sent again (March's own reminder included: RHYTHM-NEW-MONTH-REMINDER)
    assert set(second.letters) == set(first.letters) == {"reminder", "reminder:2026-03", "fourteen_day_letter"}
    assert second.costs_charged_on == d("2026-03-27")
    assert second.signal["signal_id"] == first.signal["signal_id"]  # the same signal (told "resolved" on 30 March)
    fired = rules(app, "S1")  # the re-opened case's own steps: none of these again
    assert not {"REMINDER-D14", "WIK-14", "WIK-COSTS", "BGS-2"} & set(fired)
