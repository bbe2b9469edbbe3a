"""The Tenancy aggregate: intake, prevention profile, due day, rent ledger (PLAYBOOK.md 1-2)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.tenancy import DuplicateTransaction, Tenancy, TenancyEnded, TenancyError
from domain.values import IntakeAnswers, InvalidValue, Period

FEB, MAR, APR = Period(2026, 2), Period(2026, 3), Period(2026, 4)


def new(ref: str = "T1", due_day: int = 1, rent: int = 650_00) -> Tenancy:
    return Tenancy.start(ref, rent, date(2026, 1, 1), due_day, by="letting:lotte")


def intake(t: Tenancy, answers: IntakeAnswers, on: date = date(2026, 1, 1)) -> None:
    reasons = answers.profile_reasons()
    t.answer_intake(
        sealed_answers="v1:sealed-answers",
        reasons=reasons,
        sealed_reasons="v1:sealed-reasons" if reasons else None,
        proposed_due_day=answers.proposed_due_day(t.due_day),
        on=on,
        by="letting:lotte",
    )


def replayed(t: Tenancy) -> Tenancy:
    """The same tenancy rebuilt from its events."""
    events = t.collect_events()
    copy = None
    for e in events:
        copy = e.mutate(copy)
    assert isinstance(copy, Tenancy)
    return copy


# ------------------------------------------------------------------ intake


def test_intake_with_debt_counselling_and_a_benefit_on_the_5th_gives_a_profile_and_proposes_the_5th():
    t = new()
    answers = IntakeAnswers(
        debt_counselling=True,
        garnishment=False,
        financial_administration=False,
        benefit_pay_day=5,
        consent_partners=True,
    )
    assert answers.profile_reasons() == ["debt_counselling"]
    intake(t, answers)
    assert t.profile_active
    assert t.intake_sealed == "v1:sealed-answers"
    assert t.proposed_due_day == 5
    assert t.due_day == 1  # a proposal, not a silent edit

    t.agree_due_day(
        day=5, reason="benefit paid on the 5th", on=date(2026, 1, 2), by="letting:lotte"
    )
    assert t.due_day == 5
    assert t.proposed_due_day is None
    assert t.due_day_history == [
        {
            "from": 1,
            "to": 5,
            "reason": "benefit paid on the 5th",
            "on": date(2026, 1, 2),
            "by": "letting:lotte",
        }
    ]
    assert t.due_date_of(FEB) == date(2026, 2, 5)
    kinds = [type(e).__name__ for e in t.collect_events()]
    assert kinds == ["Started", "IntakeAnswered", "PreventionProfileAssigned", "DueDayAgreed"]


@pytest.mark.parametrize(
    ("answers", "reasons"),
    [
        (IntakeAnswers(False, True, False), ["garnishment"]),
        (IntakeAnswers(False, False, True), ["financial_administration"]),
        (
            IntakeAnswers(True, True, True),
            ["debt_counselling", "garnishment", "financial_administration"],
        ),
    ],
)
def test_each_signal_answer_gives_a_prevention_profile_with_its_reasons(answers, reasons):
    t = new()
    intake(t, answers)
    assert answers.profile_reasons() == reasons
    assert t.profile_active


def test_intake_without_signal_answers_gives_no_profile_and_an_early_benefit_proposes_nothing():
    t = new(due_day=5)
    answers = IntakeAnswers(False, False, False, benefit_pay_day=3)
    intake(t, answers)
    assert not t.profile_active
    assert t.proposed_due_day is None
    assert [type(e).__name__ for e in t.collect_events()] == ["Started", "IntakeAnswered"]


def test_benefit_pay_day_must_be_1_to_28_and_agreed_due_day_needs_a_reason():
    with pytest.raises(InvalidValue, match="benefit_pay_day"):
        IntakeAnswers(False, False, False, benefit_pay_day=29)
    t = new()
    with pytest.raises(TenancyError, match="reason"):
        t.agree_due_day(day=5, reason="  ", on=date(2026, 1, 2), by="letting:lotte")
    with pytest.raises(TenancyError, match="already the due day"):
        t.agree_due_day(day=1, reason="same", on=date(2026, 1, 2), by="letting:lotte")
    assert t.due_day == 1


def test_staff_assign_and_lift_a_profile_with_a_reason():
    t = new()
    t.assign_profile(sealed_reason="v1:x", on=date(2026, 1, 5), by="team_lead:anna")
    assert t.profile_active
    with pytest.raises(TenancyError, match="already has a prevention profile"):
        t.assign_profile(sealed_reason="v1:x", on=date(2026, 1, 5), by="team_lead:anna")
    t.lift_profile(sealed_reason="v1:y", on=date(2026, 3, 1), by="team_lead:anna")
    assert not t.profile_active
    assert [h["event"] for h in t.profile_history] == ["assigned", "lifted"]


# ------------------------------------------------------------------ due days


@pytest.mark.parametrize(
    ("period", "due"),
    [
        (Period(2026, 2), date(2026, 2, 28)),
        (Period(2028, 2), date(2028, 2, 29)),  # leap year
        (Period(2026, 4), date(2026, 4, 30)),
        (Period(2026, 3), date(2026, 3, 31)),
    ],
)
def test_due_day_31_falls_on_the_last_day_of_a_short_month(period, due):
    t = Tenancy.start("T31", 650_00, date(2026, 1, 1), 31, by="letting:lotte")
    assert t.due_date_of(period) == due
    t.charge_rent(
        period=period, cents=650_00, source="erp", tx_id=f"r-{period}", booked_on=period.first_day()
    )
    assert t.arrears_by_period() == [(str(period), 650_00, due)]


def test_due_day_must_be_a_day_of_the_month():
    with pytest.raises(InvalidValue, match="due_day"):
        Tenancy.start("T1", 650_00, date(2026, 1, 1), 32, by="x")
    with pytest.raises(InvalidValue, match="due_day"):
        Tenancy.start("T1", 650_00, date(2026, 1, 1), 0, by="x")


# ------------------------------------------------------------------ ledger


def test_charges_and_payments_give_balance_arrears_per_period_and_unpaid_since():
    t = new()
    for p in (FEB, MAR, APR):
        t.charge_rent(
            period=p, cents=650_00, source="erp", tx_id=f"rent-{p}", booked_on=p.first_day()
        )
    assert t.balance_cents == 1950_00
    assert t.unpaid_since() == date(2026, 2, 1)

    t.receive_payment(cents=900_00, source="bank", tx_id="B1", booked_on=date(2026, 3, 10))
    # payments settle the oldest charge first
    assert t.balance_cents == 1050_00
    assert t.arrears_by_period() == [
        ("2026-03", 400_00, date(2026, 3, 1)),
        ("2026-04", 650_00, date(2026, 4, 1)),
    ]
    assert t.unpaid_since() == date(2026, 3, 1)
    # as of a day, charges not yet due do not count
    assert t.arrears_cents(as_of=date(2026, 3, 31)) == 400_00
    assert t.unpaid_since(as_of=date(2026, 3, 31)) == date(2026, 3, 1)
    # a tolerance hides small arrears
    t.receive_payment(cents=1045_00, source="bank", tx_id="B2", booked_on=date(2026, 4, 2))
    assert t.balance_cents == 5_00
    assert t.unpaid_since(tolerance_cents=5_00) is None
    assert t.unpaid_since() == date(2026, 4, 1)

    t.receive_payment(cents=100_00, source="bank", tx_id="B3", booked_on=date(2026, 4, 3))
    assert t.balance_cents == -95_00  # credit
    assert t.arrears_by_period() == []
    assert t.unpaid_since() is None


def test_a_reversal_re_opens_the_arrears_of_the_period_it_paid():
    t = new()
    t.charge_rent(
        period=FEB, cents=650_00, source="erp", tx_id="rent-feb", booked_on=date(2026, 2, 1)
    )
    t.receive_payment(cents=650_00, source="bank", tx_id="DD-1", booked_on=date(2026, 2, 1))
    assert t.unpaid_since() is None
    t.reverse_payment(
        cents=650_00,
        source="bank",
        tx_id="RT-1",
        reverses="DD-1",
        reason_code="AM04",
        booked_on=date(2026, 2, 4),
    )
    assert t.balance_cents == 650_00
    assert t.arrears_by_period() == [("2026-02", 650_00, date(2026, 2, 1))]
    assert t.unpaid_since() == date(2026, 2, 1)
    with pytest.raises(TenancyError, match="already reversed"):
        t.reverse_payment(
            cents=650_00,
            source="bank",
            tx_id="RT-2",
            reverses="DD-1",
            reason_code="AM04",
            booked_on=date(2026, 2, 5),
        )
    # the replayed tenancy agrees
    assert replayed(t).arrears_by_period() == t.arrears_by_period()


def test_a_reversal_must_name_a_payment_of_this_tenancy_and_not_exceed_it():
    t = new()
    t.charge_rent(
        period=FEB, cents=650_00, source="erp", tx_id="rent-feb", booked_on=date(2026, 2, 1)
    )
    t.receive_payment(cents=300_00, source="bank", tx_id="P1", booked_on=date(2026, 2, 1))
    with pytest.raises(TenancyError, match="not a payment"):
        t.reverse_payment(
            cents=10_00,
            source="bank",
            tx_id="R1",
            reverses="NOPE",
            reason_code="AC04",
            booked_on=date(2026, 2, 2),
        )
    with pytest.raises(TenancyError, match="not a payment"):
        t.reverse_payment(
            cents=10_00,
            source="erp",
            tx_id="R1",
            reverses="rent-feb",
            reason_code="AC04",
            booked_on=date(2026, 2, 2),
        )
    with pytest.raises(TenancyError, match="larger than payment"):
        t.reverse_payment(
            cents=300_01,
            source="bank",
            tx_id="R1",
            reverses="P1",
            reason_code="AC04",
            booked_on=date(2026, 2, 2),
        )
    assert t.balance_cents == 350_00


@pytest.mark.parametrize("cents", [0, -1, -650_00])
def test_a_zero_or_negative_payment_is_refused(cents):
    t = new()
    with pytest.raises(TenancyError, match="not a positive payment"):
        t.receive_payment(cents=cents, source="bank", tx_id="P0", booked_on=date(2026, 2, 1))
    with pytest.raises(TenancyError, match="not a positive charge"):
        t.charge_rent(period=FEB, cents=cents, source="erp", tx_id="C0", booked_on=date(2026, 2, 1))
    assert t.paid == 0 and t.charged == 0
    assert [type(e).__name__ for e in t.collect_events()] == ["Started"]


def test_a_duplicate_transaction_id_is_refused():
    t = new()
    t.receive_payment(cents=650_00, source="bank", tx_id="B1", booked_on=date(2026, 2, 1))
    with pytest.raises(DuplicateTransaction, match="B1"):
        t.receive_payment(cents=650_00, source="bank", tx_id="B1", booked_on=date(2026, 2, 1))
    with pytest.raises(DuplicateTransaction):
        t.post_credit(cents=1_00, source="bank", tx_id="B1", booked_on=date(2026, 2, 1))
    # the same id from another source is another transaction
    t.receive_payment(cents=10_00, source="erp", tx_id="B1", booked_on=date(2026, 2, 1))
    assert t.paid == 660_00


def test_a_payment_before_the_tenancy_started_is_refused():
    t = new()
    with pytest.raises(TenancyError, match="before the tenancy started"):
        t.receive_payment(cents=10_00, source="bank", tx_id="B0", booked_on=date(2025, 12, 31))


def test_an_ended_tenancy_takes_no_new_rent_but_still_takes_payments():
    t = new()
    t.charge_rent(
        period=FEB, cents=650_00, source="erp", tx_id="rent-feb", booked_on=date(2026, 2, 1)
    )
    t.end(on=date(2026, 2, 28), reason="moved", by="letting:lotte")
    with pytest.raises(TenancyEnded):
        t.charge_rent(
            period=MAR, cents=650_00, source="erp", tx_id="rent-mar", booked_on=date(2026, 3, 1)
        )
    t.receive_payment(cents=650_00, source="bank", tx_id="final", booked_on=date(2026, 3, 5))
    assert t.balance_cents == 0


def test_a_tenancy_ended_in_advance_is_charged_for_every_month_up_to_its_end():
    t = new()
    t.end(on=date(2026, 3, 15), reason="notice given", by="letting:lotte")
    t.charge_rent(
        period=MAR, cents=650_00, source="erp", tx_id="rent-mar", booked_on=date(2026, 3, 1)
    )
    with pytest.raises(TenancyEnded, match="no rent for 2026-04"):
        t.charge_rent(
            period=APR, cents=650_00, source="erp", tx_id="rent-apr", booked_on=date(2026, 4, 1)
        )
    assert t.charges == {"2026-03": 650_00}
