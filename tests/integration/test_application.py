"""The application on every store: commands, the ledger, access control. What every
store promises (replay, concurrent writers, no personal data in events) is in
tests/contracts/test_store_contract.py."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.bootstrap import Settings, build
from adapters.memory import (
    FixedClock,
    RecordingLetters,
    RecordingSignals,
    RecordingSms,
    RecordingTelephony,
)
from application.access import AccessDenied
from application.ledger_types import ImportRefused, LedgerLine
from application.ports import Contact
from application.service import CommandError, Vangnet
from domain.values import Actor, Channel, IntakeAnswers, LedgerKind, Outcome, Partner, Role
from tests.conftest import Backend
from tests.story import (
    ADMIN,
    AUDITOR,
    LEAD_ANNA,
    LEAD_BERT,
    LETTING,
    OFFICER,
    RENT,
    SYSTEM,
    case_of,
    charge,
    d,
    household_known,
    pay,
    run,
    tenant,
)

# ------------------------------------------------------------------ tenancies


def test_intake_gives_a_profile_and_a_proposed_due_day_that_letting_agrees(app):
    tenant(app, "T1")
    app.record_intake(LETTING, "T1", IntakeAnswers(True, False, False, 5, True), on=d("2026-01-02"))
    view = app.tenancy_view(OFFICER, "T1")
    assert view["prevention_profile"] == {"active": True, "reasons": ["debt_counselling"]}
    assert view["intake"]["benefit_pay_day"] == 5
    assert (view["due_day"], view["proposed_due_day"]) == (1, 5)
    app.agree_due_day(LETTING, "T1", day=5, reason="benefit paid on the 5th", on=d("2026-01-02"))
    view = app.tenancy_view(OFFICER, "T1")
    assert (view["due_day"], view["proposed_due_day"]) == (5, None)
    assert view["due_day_history"] == [
        {
            "from": 1,
            "to": 5,
            "reason": "benefit paid on the 5th",
            "on": "2026-01-02",
            "by": "letting:lotte",
        }
    ]
    charge(app, "T1", "2026-02")
    assert app.tenancy_view(OFFICER, "T1")["unpaid_since"] == "2026-02-05"


def test_ledger_state_balance_arrears_and_unpaid_since(app):
    tenant(app, "T1")
    for p in ("2026-02", "2026-03"):
        charge(app, "T1", p)
    pay(app, "T1", "2026-03-02", 900_00, tx="B1")
    view = app.tenancy_view(AUDITOR, "T1")
    assert view["balance"] == "400.00"
    assert view["arrears"] == [{"period": "2026-03", "amount": "400.00", "due_date": "2026-03-01"}]
    assert view["unpaid_since"] == "2026-03-01"
    row = next(r for r in app.store.tenancy_rows() if r["ref"] == "T1")
    assert (row["balance_cents"], row["unpaid_since"]) == (400_00, "2026-03-01")


def test_a_reversal_re_opens_the_arrears_and_a_case(app):
    tenant(app, "T1")
    charge(app, "T1", "2026-02")
    pay(app, "T1", "2026-02-01", tx="DD-1")
    run(app, "2026-02-02", "2026-02-03")
    assert app.get_tenancy("T1").case_ids == []
    app.import_ledger(
        SYSTEM,
        [
            LedgerLine(
                1,
                "RT-1",
                "T1",
                d("2026-02-04"),
                LedgerKind.REVERSAL,
                RENT,
                reason_code="AM04",
                reverses_transaction_id="DD-1",
            )
        ],
        source="manual",
    )
    assert app.tenancy_view(OFFICER, "T1")["unpaid_since"] == "2026-02-01"
    run(app, "2026-02-04")
    case = case_of(app, "T1")
    assert (case.opened_on, case.amount_cents) == (d("2026-02-04"), RENT)


def test_a_duplicate_or_non_positive_payment_is_refused_and_nothing_is_recorded(app):
    tenant(app, "T1")
    pay(app, "T1", "2026-02-01", tx="B1")
    before = app.store.count_events()
    with pytest.raises(ImportRefused):
        app.import_ledger(
            SYSTEM,
            [LedgerLine(1, "B1", "T1", d("2026-02-01"), LedgerKind.PAYMENT, 1_00)],
            source="manual",
        )
    with pytest.raises(ImportRefused):
        app.pay(SYSTEM, "T1", cents=0, booked_on=d("2026-02-02"), tx_id="B2")
    assert app.store.count_events() == before
    assert app.get_tenancy("T1").paid == RENT


# --------------------------------------------------------------- replay


_LEDGER_OP = st.one_of(
    st.tuples(st.just("charge"), st.integers(1, 6), st.integers(1, 200_000)),
    st.tuples(st.just("pay"), st.integers(0, 200), st.integers(1, 200_000)),
    st.tuples(st.just("credit"), st.integers(0, 200), st.integers(1, 50_000)),
    st.tuples(
        st.just("reverse"), st.integers(0, 50), st.integers(1, 100)
    ),  # which payment, percentage
)


@pytest.mark.slow
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(_LEDGER_OP, min_size=1, max_size=12))
def test_replaying_any_valid_ledger_sequence_gives_the_live_state(
    fast_backend: Backend, ops: list[Any]
):
    """A property: whatever valid charges, payments, credits and reversals a tenancy
    receives, a fresh application on the same store reads the same balance and arrears."""
    live = fast_backend.build() if not fast_backend.apps else fast_backend.apps[0]
    ref = f"H{uuid.uuid4().hex[:10]}"
    tenant(live, ref, due_day=3)
    payments: list[tuple[str, int]] = []
    charged: set[int] = set()
    expected = 0  # the balance by a plain sum: charges - payments - credits + reversals
    for n, (kind, a, b) in enumerate(ops):
        tx = f"{ref}-{n}"
        if kind == "charge":
            if a in charged:
                continue
            charged.add(a)
            line = LedgerLine(
                n, tx, ref, date(2026, a, 1), LedgerKind.CHARGE, b, period=f"2026-{a:02d}"
            )
        elif kind == "pay":
            line = LedgerLine(
                n,
                tx,
                ref,
                date(2026, 1, 1) + timedelta(days=a),
                LedgerKind.PAYMENT,
                b,
            )
            payments.append((tx, b))
        elif kind == "credit":
            line = LedgerLine(
                n,
                tx,
                ref,
                date(2026, 1, 1) + timedelta(days=a),
                LedgerKind.CREDIT,
                b,
                description="goodwill",
            )
        else:
            if not payments:
                continue
            target, cents = payments.pop(a % len(payments))
            line = LedgerLine(
                n,
                tx,
                ref,
                date(2026, 8, 1),
                LedgerKind.REVERSAL,
                max(1, cents * b // 100),
                reason_code="AM04",
                reverses_transaction_id=target,
            )
        live.import_ledger(SYSTEM, [line], source="erp")
        expected += (
            line.cents * {"CHARGE": 1, "PAYMENT": -1, "CREDIT": -1, "REVERSAL": 1}[line.kind.value]
        )
    fresh = fast_backend.build()
    t_live, t_fresh = live.get_tenancy(ref), fresh.get_tenancy(ref)
    assert t_fresh.version == t_live.version
    assert t_fresh.balance_cents == t_live.balance_cents == expected
    assert t_live.arrears_cents() == max(expected, 0)  # payments settle the oldest charges
    assert t_fresh.arrears_by_period() == t_live.arrears_by_period()
    assert t_fresh.unpaid_since() == t_live.unpaid_since()
    view = fresh.tenancy_view(AUDITOR, ref)
    assert view == live.tenancy_view(AUDITOR, ref)
    row = next(r for r in fresh.store.tenancy_rows() if r["ref"] == ref)
    assert row["balance_cents"] == t_live.balance_cents
    assert row["unpaid_since"] == view["unpaid_since"]
    fast_backend.apps.remove(fresh)
    fresh.close()


# ---------------------------------------------------------------- access


def test_letting_starts_tenancies_but_an_auditor_cannot_and_a_refused_command_records_nothing(app):
    tenant(app, "T1")
    assert app.tenancy_exists("T1")
    before = app.store.count_events()
    contact = Contact(tenancy_id=None, name="X", phone="0612345678")  # type: ignore[arg-type]
    with pytest.raises(AccessDenied, match="start_tenancy"):
        app.start_tenancy(
            AUDITOR, "T2", rent_cents=RENT, start_date=d("2026-01-01"), contact=contact
        )
    assert not app.tenancy_exists("T2")
    assert app.store.count_events() == before
    assert [r["ref"] for r in app.store.tenancy_rows()] == ["T1"]
    with pytest.raises(AccessDenied):
        app.record_intake(AUDITOR, "T1", IntakeAnswers(True, False, False))
    with pytest.raises(AccessDenied):
        app.pay(OFFICER, "T1", cents=RENT, booked_on=d("2026-02-01"), tx_id="B1")
    assert app.store.count_events() == before
    assert app.tenancy_view(AUDITOR, "T1")["ref"] == "T1"  # an auditor reads


def test_a_refused_case_command_records_nothing(app):
    tenant(app, "T1")
    charge(app, "T1", "2026-02")
    run(app, "2026-02-02")
    cid = case_of(app, "T1").id
    before = app.store.count_events()
    with pytest.raises(CommandError, match="consent"):
        app.refer(OFFICER, cid, partner=Partner.GKB, consent=False, on=d("2026-02-03"))
    with pytest.raises(AccessDenied):
        app.record_contact(
            AUDITOR, cid, channel=Channel.PHONE, outcome=Outcome.REACHED, on=d("2026-02-03")
        )
    with pytest.raises(CommandError, match="channel"):
        app.record_contact(
            OFFICER, cid, channel=Channel.ROBOCALL, outcome=Outcome.REACHED, on=d("2026-02-03")
        )
    assert app.store.count_events() == before
    assert case_of(app, "T1").referrals == [] and case_of(app, "T1").contacts == []


def test_contact_on_a_closed_case_is_refused(app):
    tenant(app, "T1")
    charge(app, "T1", "2026-02")
    run(app, "2026-02-02")
    pay(app, "T1", "2026-02-03")
    run(app, "2026-02-03")
    cid = case_of(app, "T1").id
    with pytest.raises(CommandError, match="closed"):
        app.record_contact(
            OFFICER, cid, channel=Channel.PHONE, outcome=Outcome.REACHED, on=d("2026-02-04")
        )


def _legal_eligible(app: Vangnet) -> uuid.UUID:
    tenant(app, "S1")
    for p in ("2026-02", "2026-03", "2026-04", "2026-05"):
        charge(app, "S1", p)
    run(app, "2026-02-02", "2026-02-10")
    cid = case_of(app, "S1").id
    app.record_contact(
        OFFICER, cid, channel=Channel.PHONE, outcome=Outcome.NO_ANSWER, on=d("2026-02-10")
    )
    household_known(app, "S1", "2026-02-10")
    run(app, "2026-02-11", "2026-05-04")
    assert case_of(app, "S1").legal_eligible_on == d("2026-05-03")
    return cid


def test_an_officer_cannot_decide_legal_action_two_different_team_leads_can(app):
    cid = _legal_eligible(app)
    before = app.store.count_events()
    with pytest.raises(AccessDenied, match="decide_legal_action"):
        app.decide_legal_action(OFFICER, cid, reason="arrears", on=d("2026-05-04"))
    assert app.store.count_events() == before
    app.decide_legal_action(
        LEAD_ANNA, cid, reason="four months, signal in March", on=d("2026-05-04")
    )
    with pytest.raises(CommandError, match="second, different person"):
        app.decide_legal_action(LEAD_ANNA, cid, reason="again", on=d("2026-05-05"))
    with pytest.raises(CommandError, match="second, different person"):  # same person, other role
        app.decide_legal_action(Actor(Role.ADMIN, "anna"), cid, reason="again", on=d("2026-05-05"))
    assert not app.case_view(AUDITOR, cid)["legal_action_approved"]
    app.decide_legal_action(LEAD_BERT, cid, reason="agreed", on=d("2026-05-05"))
    view = app.case_view(AUDITOR, cid)
    assert view["legal_action_approved"]
    assert [x["by"] for x in view["legal_decisions"]] == ["team_lead:anna", "team_lead:bert"]
    with pytest.raises(AccessDenied, match="approve_bailiff"):
        app.approve_bailiff(OFFICER, cid, on=d("2026-05-05"))
    app.approve_bailiff(LEAD_ANNA, cid, on=d("2026-05-05"))


def test_the_aggregate_cache_survives_a_refused_command(tmp_path):
    app = build(
        Settings(db=str(tmp_path / "c.db"), cache_size=2),
        clock=FixedClock(date(2026, 1, 1)),
        telephony=RecordingTelephony(),
        sms=RecordingSms(),
        letters=RecordingLetters(),
        signals=RecordingSignals(),
    )
    try:
        for ref in ("A", "B", "C", "D"):
            tenant(app, ref)
            charge(app, ref, "2026-02")
        run(app, "2026-02-02")
        with pytest.raises(CommandError):
            app.refer(
                OFFICER,
                case_of(app, "A").id,
                partner=Partner.GKB,
                consent=False,
                on=d("2026-02-03"),
            )
        for ref in ("A", "B", "C", "D"):
            pay(app, ref, "2026-02-05")
        run(app, "2026-02-05")
        assert [c["status"] for c in app.list_cases(ADMIN)] == ["closed"] * 4
    finally:
        app.close()


def test_policy_numbers_come_from_the_policy_file(tmp_path, clock):
    from application.policy import policy_from_mapping

    pf = policy_from_mapping({"playbook": {"robocall_day": 10, "tolerance_cents": 5_00}})
    app = build(
        Settings(db=str(tmp_path / "p.db")),
        clock=clock,
        telephony=RecordingTelephony(),
        sms=RecordingSms(),
        letters=RecordingLetters(),
        signals=RecordingSignals(),
        policy=pf,
    )
    try:
        tenant(app, "S1")
        tenant(app, "S2")
        charge(app, "S1", "2026-02")
        charge(app, "S2", "2026-02")
        pay(app, "S2", "2026-02-01", RENT - 5_00)  # within the tolerance
        run(app, "2026-02-02", "2026-02-10")
        assert [(s["rule"], s["on"]) for s in case_of(app, "S1").steps] == [
            ("STD-ROBOCALL-12", d("2026-02-10"))
        ]
        assert app.get_tenancy("S2").case_ids == []
    finally:
        app.close()


def test_one_broken_case_in_the_daily_run_keeps_the_cache_of_the_others(tmp_path, monkeypatch):
    """A case whose step fails is dropped for the day; only its own case and tenancy
    leave the aggregate cache, the rest of the cache stays (no reload of the store)."""
    from application import daily_run
    from domain.arrears_case import CaseError

    app = build(
        Settings(db=str(tmp_path / "c.db"), cache_size=100),
        clock=FixedClock(date(2026, 1, 1)),
        telephony=RecordingTelephony(),
        sms=RecordingSms(),
        letters=RecordingLetters(),
        signals=RecordingSignals(),
    )
    try:
        for ref in ("A", "B"):
            tenant(app, ref)
            charge(app, ref, "2026-02")
        pay(app, "B", "2026-02-01")
        run(app, "2026-02-02")
        broken = case_of(app, "A").id
        paid = app.get_tenancy("B").id  # in the cache now
        real = daily_run._perform

        def perform(app_: Any, case: Any, *args: Any, **kwargs: Any) -> Any:
            if case.id == broken:
                raise CaseError("broken for this test")
            return real(app_, case, *args, **kwargs)

        monkeypatch.setattr(daily_run, "_perform", perform)
        reports = run(app, "2026-02-12")
        assert any("broken for this test" in e for r in reports for e in r.errors)
        app.repository.cache.get(paid)  # still cached (KeyError if the run emptied the cache)
        with pytest.raises(KeyError):
            app.repository.cache.get(broken)
    finally:
        app.close()
