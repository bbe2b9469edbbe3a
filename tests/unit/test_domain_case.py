"""The ArrearsCase aggregate: one episode of unpaid rent, and the rules it refuses."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from domain.arrears_case import (
    ArrearsCase,
    CaseClosed,
    CaseError,
    ConsentRequired,
    FourEyesRequired,
)
from domain.values import Channel, LetterKind, Outcome, Partner, Track

TENANCY = uuid.uuid4()
D = date(2026, 2, 1)


def open_case(track: Track = Track.STANDARD) -> ArrearsCase:
    return ArrearsCase.open(
        tenancy_id=TENANCY,
        period="2026-02",
        seq=0,
        due_date=D,
        opened_on=date(2026, 2, 2),
        amount_cents=650_00,
        track=track,
        reopens=None,
        rule="OPEN-CASE",
        inputs={"arrears_cents": 650_00},
    )


def reminder(c: ArrearsCase, on: date = date(2026, 2, 13)) -> None:
    c.record_letter(
        kind=LetterKind.REMINDER,
        letter_id="letter:reminder",
        posted_on=on,
        amount_cents=650_00,
        checksum="abc",
        rule="REMINDER-D14",
        inputs={},
    )


def phone(
    c: ArrearsCase, outcome: Outcome = Outcome.NO_ANSWER, on: date = date(2026, 2, 3)
) -> None:
    c.record_contact(channel=Channel.PHONE, outcome=outcome, on=on, by="officer:olga")


def wik_letter(
    c: ArrearsCase, posted: date = date(2026, 3, 9), deadline: date = date(2026, 3, 26)
) -> None:
    c.record_letter(
        kind=LetterKind.FOURTEEN_DAY_LETTER,
        letter_id="letter:wik14",
        posted_on=posted,
        amount_cents=650_00,
        checksum="def",
        rule="WIK-14",
        inputs={},
        costs_cents=97_50,
        deadline=deadline,
    )


def names(c: ArrearsCase) -> list[str]:
    return [type(e).__name__ for e in c.collect_events()]


def test_a_case_life_from_opening_to_closing():
    c = open_case(Track.PREVENTION)
    assert c.is_open and c.track == "prevention" and c.amount_cents == 650_00
    c.create_task(
        task_id="task:phone:1",
        kind="phone",
        due_on=date(2026, 2, 2),
        rule="PREV-PHONE-D1",
        inputs={"x": 1},
        on=date(2026, 2, 2),
    )
    # an automated step is recorded once, whatever the number of runs
    c.create_task(
        task_id="task:phone:1",
        kind="phone",
        due_on=date(2026, 2, 2),
        rule="PREV-PHONE-D1",
        inputs={"x": 1},
        on=date(2026, 2, 3),
    )
    assert [t["task_id"] for t in c.open_tasks()] == ["task:phone:1"]

    c.record_contact(
        channel=Channel.PHONE,
        outcome=Outcome.REACHED,
        on=date(2026, 2, 2),
        by="officer:olga",
        task_id="task:phone:1",
        needs_help=True,
    )
    assert c.open_tasks() == []
    assert c.tasks["task:phone:1"]["outcome"] == "reached"
    c.promise_to_pay(pay_by=date(2026, 2, 10), on=date(2026, 2, 2), by="officer:olga")
    assert c.pending_promise(date(2026, 2, 9)) is not None
    c.refer(partner=Partner.BUDGET_COACH, consent=True, on=date(2026, 2, 2), by="officer:olga")
    c.accept_referral(
        partner=Partner.BUDGET_COACH, on=date(2026, 2, 5), by="officer:olga", pause_days=30
    )
    assert c.paused_until is None  # only debt counselling (GKB) pauses collection
    assert c.pointed_to_debt_help()
    c.close(on=date(2026, 2, 10), reason="paid", rule="CLOSE-PAID", inputs={"tolerance_cents": 0})
    assert not c.is_open and c.close_reason == "paid"
    assert c.steps[-1]["rule"] == "CLOSE-PAID"
    assert names(c) == [
        "Opened",
        "TaskCreated",
        "ContactAttempted",
        "PromiseMade",
        "ReferralMade",
        "ReferralAccepted",
        "Closed",
    ]


def test_a_gkb_referral_accepted_pauses_collection_for_at_most_30_days():
    c = open_case()
    c.refer(partner=Partner.GKB, consent=True, on=date(2026, 2, 10), by="officer:olga")
    c.accept_referral(partner=Partner.GKB, on=date(2026, 2, 12), by="officer:olga", pause_days=30)
    assert c.paused_until == date(2026, 3, 14)
    assert c.is_paused(date(2026, 3, 14)) and not c.is_paused(date(2026, 3, 15))
    assert c.debt_counselling_accepted()


def test_a_referral_without_the_tenants_consent_is_refused():
    c = open_case()
    with pytest.raises(ConsentRequired, match="consent"):
        c.refer(partner=Partner.WELFARE, consent=False, on=date(2026, 2, 3), by="officer:olga")
    assert c.referrals == []
    with pytest.raises(CaseError, match="no open referral"):
        c.accept_referral(
            partner=Partner.WELFARE, on=date(2026, 2, 3), by="officer:olga", pause_days=30
        )
    assert names(c) == ["Opened"]


def test_contact_on_a_closed_case_is_refused():
    c = open_case()
    c.close(on=date(2026, 2, 5), reason="paid", rule="CLOSE-PAID", inputs={})
    with pytest.raises(CaseClosed):
        phone(c, Outcome.REACHED, on=date(2026, 2, 6))
    with pytest.raises(CaseClosed):
        c.promise_to_pay(pay_by=date(2026, 2, 20), on=date(2026, 2, 6), by="officer:olga")
    with pytest.raises(CaseClosed):
        c.refer(partner=Partner.GKB, consent=True, on=date(2026, 2, 6), by="officer:olga")
    assert c.contacts == []
    # a provider's late report of an earlier call is still a fact worth keeping
    assert c.record_contact(
        channel=Channel.ROBOCALL,
        outcome=Outcome.VOICEMAIL,
        on=date(2026, 2, 5),
        by="system",
        attempt_id="robocall:1",
        provider_id="p-1",
    )


def test_a_promise_cannot_be_in_the_past():
    c = open_case()
    with pytest.raises(CaseError, match="promise_date"):
        c.promise_to_pay(pay_by=date(2026, 2, 1), on=date(2026, 2, 3), by="officer:olga")


def test_the_signal_is_refused_while_any_of_the_four_bgs_conditions_is_missing():
    c = open_case()

    def attempt() -> None:
        c.send_signal(
            signal_id="s", on=date(2026, 3, 3), amount_cents=650_00, rule="BGS-2", inputs={}
        )

    with pytest.raises(
        CaseError,
        match="personal_contact_attempted.*pointed_to_debt_help.*reminder_with_offer_sent",
    ):
        attempt()
    # a robocall or an SMS is not personal contact
    c.record_contact(
        channel=Channel.ROBOCALL, outcome=Outcome.NO_ANSWER, on=date(2026, 2, 12), by="system"
    )
    c.record_contact(
        channel=Channel.SMS, outcome=Outcome.DELIVERED, on=date(2026, 2, 13), by="system"
    )
    reminder(c)
    with pytest.raises(CaseError, match="personal_contact_attempted") as e:
        attempt()
    assert "reminder_with_offer_sent" not in str(e.value)
    phone(c, Outcome.NO_ANSWER, on=date(2026, 2, 20))
    assert c.signal_conditions() == dict.fromkeys(
        (
            "personal_contact_attempted",
            "pointed_to_debt_help",
            "reminder_with_offer_sent",
            "no_objection",
        ),
        True,
    )
    attempt()
    assert c.signal is not None and c.signal["on"] == date(2026, 3, 3)
    attempt()  # once only
    assert names(c).count("MunicipalSignalSent") == 1
    with pytest.raises(CaseError, match="already sent"):
        c.object_to_signal(on=date(2026, 3, 4), by="officer:olga")


def test_an_objection_stops_the_signal():
    c = open_case()
    reminder(c)
    phone(c)
    c.object_to_signal(on=date(2026, 2, 20), by="officer:olga")
    with pytest.raises(CaseError, match="no_objection"):
        c.send_signal(
            signal_id="s", on=date(2026, 3, 3), amount_cents=650_00, rule="BGS-2", inputs={}
        )
    assert c.signal is None


def test_wik_costs_are_refused_before_the_deadline_passes_and_charged_once():
    c = open_case()
    with pytest.raises(CaseError, match="14-day letter first"):
        c.charge_costs(
            cents=97_50, on=date(2026, 3, 27), rule="WIK-COSTS", inputs={}, action_id="costs:wik"
        )
    wik_letter(c, deadline=date(2026, 3, 26))
    for early in (date(2026, 3, 20), date(2026, 3, 26)):
        with pytest.raises(CaseError, match="has not passed"):
            c.charge_costs(
                cents=97_50, on=early, rule="WIK-COSTS", inputs={}, action_id="costs:wik"
            )
    with pytest.raises(CaseError, match="amount stated"):
        c.charge_costs(
            cents=100_00, on=date(2026, 3, 27), rule="WIK-COSTS", inputs={}, action_id="costs:wik"
        )
    assert c.costs_charged_on is None
    c.charge_costs(
        cents=97_50, on=date(2026, 3, 27), rule="WIK-COSTS", inputs={}, action_id="costs:wik"
    )
    c.charge_costs(
        cents=97_50, on=date(2026, 3, 28), rule="WIK-COSTS", inputs={}, action_id="costs:wik:again"
    )
    assert c.costs_cents == 97_50 and c.costs_charged_on == date(2026, 3, 27)
    assert names(c).count("CollectionCostsCharged") == 1


def test_a_14_day_letter_needs_its_costs_and_deadline():
    c = open_case()
    with pytest.raises(CaseError, match="cost amount and deadline"):
        c.record_letter(
            kind=LetterKind.FOURTEEN_DAY_LETTER,
            letter_id="letter:wik14",
            posted_on=date(2026, 3, 9),
            amount_cents=650_00,
            checksum="x",
            rule="WIK-14",
            inputs={},
        )


def test_legal_action_needs_eligibility_and_two_different_people():
    c = open_case()
    with pytest.raises(CaseError, match="not eligible"):
        c.decide_legal_action(by="team_lead:anna", reason="3 months", on=date(2026, 6, 1))
    c.mark_legal_eligible(
        on=date(2026, 6, 1), rule="EVICT-ELIGIBLE", inputs={}, action_id="legal:eligible"
    )
    c.decide_legal_action(by="team_lead:anna", reason="3 months, no contact", on=date(2026, 6, 2))
    assert not c.legal_action_approved
    with pytest.raises(FourEyesRequired, match="second, different person"):
        c.decide_legal_action(by="team_lead:anna", reason="again", on=date(2026, 6, 3))
    assert not c.legal_action_approved
    # the same person in another role is still the same pair of eyes
    with pytest.raises(FourEyesRequired):
        c.decide_legal_action(by="admin:anna", reason="again, as admin", on=date(2026, 6, 3))
    assert not c.legal_action_approved
    c.decide_legal_action(by="team_lead:bert", reason="agree", on=date(2026, 6, 3))
    assert c.legal_action_approved
    assert names(c).count("LegalActionDecided") == 2


def test_bailiff_hand_over_needs_eligibility_and_happens_once():
    c = open_case()
    with pytest.raises(CaseError, match="not eligible"):
        c.hand_over_to_bailiff(on=date(2026, 4, 1), approved_by="team_lead:anna")
    c.mark_bailiff_eligible(
        on=date(2026, 4, 1), rule="BAILIFF-ELIGIBLE", inputs={}, action_id="bailiff:eligible"
    )
    c.hand_over_to_bailiff(on=date(2026, 4, 2), approved_by="team_lead:anna")
    with pytest.raises(CaseError, match="already approved"):
        c.hand_over_to_bailiff(on=date(2026, 4, 3), approved_by="team_lead:bert")


def test_an_arrangement_needs_positive_instalments_in_order_and_only_one_at_a_time():
    c = open_case()
    with pytest.raises(CaseError, match="at least one"):
        c.agree_arrangement(instalments=[], on=date(2026, 2, 5), by="officer:olga")
    with pytest.raises(CaseError, match="positive"):
        c.agree_arrangement(
            instalments=[(date(2026, 2, 10), 0)], on=date(2026, 2, 5), by="officer:olga"
        )
    with pytest.raises(CaseError, match="in order"):
        c.agree_arrangement(
            instalments=[(date(2026, 3, 10), 1), (date(2026, 2, 10), 1)],
            on=date(2026, 2, 5),
            by="officer:olga",
        )
    c.agree_arrangement(
        instalments=[(date(2026, 2, 10), 325_00), (date(2026, 3, 10), 325_00)],
        on=date(2026, 2, 5),
        by="officer:olga",
    )
    assert c.arrangement_active()
    with pytest.raises(CaseError, match="already has an active arrangement"):
        c.agree_arrangement(
            instalments=[(date(2026, 2, 10), 650_00)], on=date(2026, 2, 6), by="officer:olga"
        )


def test_a_case_needs_arrears():
    with pytest.raises(CaseError, match="needs arrears"):
        ArrearsCase.open(
            tenancy_id=TENANCY,
            period="2026-02",
            seq=0,
            due_date=D,
            opened_on=date(2026, 2, 2),
            amount_cents=0,
            track=Track.STANDARD,
            reopens=None,
            rule="OPEN-CASE",
            inputs={},
        )


def test_a_provider_fact_is_recorded_once():
    c = open_case()
    c.request_robocall(
        attempt_id="robocall:1", on=date(2026, 2, 12), rule="STD-ROBOCALL-12", inputs={}
    )
    first = c.record_contact(
        channel=Channel.ROBOCALL,
        outcome=Outcome.CHOSE_SMS,
        on=date(2026, 2, 12),
        by="system",
        attempt_id="robocall:1",
        provider_id="prov-1",
    )
    again = c.record_contact(
        channel=Channel.ROBOCALL,
        outcome=Outcome.CHOSE_SMS,
        on=date(2026, 2, 12),
        by="system",
        attempt_id="robocall:1",
        provider_id="prov-1",
    )
    assert (first, again) == (True, False)
    assert len(c.contacts) == 1
    assert c.robocalls["robocall:1"]["outcome"] == "chose_sms"


def test_an_arrangement_cannot_start_before_it_is_agreed():
    from datetime import date as _date

    import pytest as _pytest

    from domain.arrears_case import ArrearsCase, CaseError
    from domain.tenancy import tenancy_id_for
    from domain.values import Track

    case = ArrearsCase.open(tenancy_id=tenancy_id_for("T1"), period="2026-02", seq=0, due_date=_date(2026, 2, 1),
                            opened_on=_date(2026, 2, 2), amount_cents=65000, track=Track.STANDARD, reopens=None,
                            rule="OPEN-CASE", inputs={})
    with _pytest.raises(CaseError, match="first_date: 2020-03-01 is before 2026-02-10"):
        case.agree_arrangement(instalments=[(_date(2020, 3, 1), 65000)], on=_date(2026, 2, 10), by="officer:o")
