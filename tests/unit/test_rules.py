"""The playbook's and the classic process's rules, table-driven: a case and its tenancy
in a given state, a day and a policy -> the rule ids that fire, in order.

February 2026: rent of 650.00 due Sunday 1 February (D), the case opened Monday 2
February. Thu 12 is the robocall day, Fri 13 the reminder's (D + 14 is a Sunday),
Sat 14 no business day, Tue 3 March D + 30 (signal), Mon 9 March the 14-day letter's
(D + 35 is a Sunday)."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from datetime import date

import attrs
import pytest

from domain import actions, classic, playbook, rulebook
from domain.arrears_case import ArrearsCase
from domain.policy import Policy
from domain.rulebook import RULES, legal_basis
from domain.tenancy import Tenancy
from domain.values import Channel, LetterKind, Outcome, Period, Track

D = date(2026, 2, 1)
RENT = 650_00
Setup = Callable[[Tenancy, ArrearsCase], None]


def situation(track: Track, *setups: Setup) -> tuple[Tenancy, ArrearsCase]:
    t = Tenancy.start("T1", RENT, date(2026, 1, 1), by="test")
    t.charge_rent(period=Period(2026, 2), cents=RENT, source="erp", tx_id="c1", booked_on=D)
    case = ArrearsCase.open(tenancy_id=t.id, period="2026-02", seq=0, due_date=D, opened_on=date(2026, 2, 2),
                            amount_cents=RENT, track=track, reopens=None, rule="OPEN-CASE", inputs={})
    t.link_case(case.id, on=date(2026, 2, 2))
    for s in setups:
        s(t, case)
    return t, case


# ------------------------------------------------------------- situations


def paid(t: Tenancy, case: ArrearsCase) -> None:
    t.receive_payment(cents=RENT, source="erp", tx_id="p1", booked_on=date(2026, 2, 3))


def half_paid(t: Tenancy, case: ArrearsCase) -> None:
    t.receive_payment(cents=RENT // 2, source="erp", tx_id="p1", booked_on=date(2026, 2, 3))


def ended(t: Tenancy, case: ArrearsCase) -> None:
    t.end(on=date(2026, 2, 10), reason="moved", by="test")


def robocalled(t: Tenancy, case: ArrearsCase) -> None:
    case.request_robocall(attempt_id="robocall:1", on=date(2026, 2, 12), rule="STD-ROBOCALL-12", inputs={})


def result(outcome: Outcome) -> Setup:
    def setup(t: Tenancy, case: ArrearsCase) -> None:
        robocalled(t, case)
        case.record_contact(channel=Channel.ROBOCALL, outcome=outcome, on=date(2026, 2, 12), by="system",
                            attempt_id="robocall:1", provider_id=f"p-{outcome.value}")
    setup.__name__ = f"robocall_{outcome.value}"
    return setup


def promised(t: Tenancy, case: ArrearsCase) -> None:
    case.promise_to_pay(pay_by=date(2026, 2, 20), on=date(2026, 2, 5), by="officer:olaf")


def paused(t: Tenancy, case: ArrearsCase) -> None:
    case.pause(until=date(2026, 2, 20), reason="illness", on=date(2026, 2, 5), by="officer:olaf")


def reminded(t: Tenancy, case: ArrearsCase) -> None:
    case.record_letter(kind=LetterKind.REMINDER, letter_id="letter:reminder", posted_on=date(2026, 2, 13),
                       amount_cents=RENT, checksum="x", rule="REMINDER-D14", inputs={})


def wik_sent(t: Tenancy, case: ArrearsCase) -> None:
    case.record_letter(kind=LetterKind.FOURTEEN_DAY_LETTER, letter_id="letter:wik14", posted_on=date(2026, 3, 9),
                       amount_cents=RENT, checksum="y", rule="WIK-14", inputs={}, costs_cents=97_50,
                       deadline=date(2026, 3, 26))


def officer_failed_calls(n: int) -> Setup:
    def setup(t: Tenancy, case: ArrearsCase) -> None:
        for i in range(n):
            case.record_contact(channel=Channel.PHONE, outcome=Outcome.NO_ANSWER, on=date(2026, 2, 2 + i),
                                by="officer:olaf")
    setup.__name__ = f"{n}_failed_officer_calls"
    return setup


PREVENTIVE, CLASSIC = Policy(), Policy(strategy="classic")

ROWS = [
    # (strategy policy, track, situation, day, expected rule ids)
    (PREVENTIVE, Track.STANDARD, (), date(2026, 2, 2), []),
    (PREVENTIVE, Track.STANDARD, (), date(2026, 2, 12), ["STD-ROBOCALL-12"]),
    (PREVENTIVE, Track.STANDARD, (), date(2026, 2, 13), ["STD-ROBOCALL-12", "REMINDER-D14"]),
    (PREVENTIVE, Track.STANDARD, (), date(2026, 2, 14), []),  # Saturday: no call, no post
    (PREVENTIVE, Track.STANDARD, (paid,), date(2026, 2, 12), ["CLOSE-PAID"]),
    (PREVENTIVE, Track.STANDARD, (half_paid,), date(2026, 2, 12), ["STD-ROBOCALL-12"]),
    (PREVENTIVE, Track.STANDARD, (ended,), date(2026, 2, 12), ["CLOSE-ENDED"]),
    (PREVENTIVE, Track.STANDARD, (robocalled,), date(2026, 2, 12), []),
    (PREVENTIVE, Track.STANDARD, (robocalled,), date(2026, 2, 16), ["STD-SMS-NO-RESULT", "REMINDER-D14"]),
    (PREVENTIVE, Track.STANDARD, (result(Outcome.NO_ANSWER),), date(2026, 2, 13),
     ["STD-ROBOCALL-RETRY", "REMINDER-D14"]),
    (PREVENTIVE, Track.STANDARD, (result(Outcome.CHOSE_SMS),), date(2026, 2, 12), ["STD-SMS-CHOSEN"]),
    (PREVENTIVE, Track.STANDARD, (result(Outcome.INVALID_NUMBER),), date(2026, 2, 12), ["STD-FIX-CONTACT"]),
    (PREVENTIVE, Track.STANDARD, (result(Outcome.OPTED_OUT),), date(2026, 2, 12), ["STD-SMS-FALLBACK"]),
    (PREVENTIVE, Track.STANDARD, (promised,), date(2026, 2, 12), []),
    (PREVENTIVE, Track.STANDARD, (promised,), date(2026, 2, 21), ["PROMISE-CHECK", "PROMISE-CHECK"]),  # Sat
    (PREVENTIVE, Track.STANDARD, (promised,), date(2026, 2, 23), ["PROMISE-CHECK", "PROMISE-CHECK",
                                                                    "STD-ROBOCALL-12", "REMINDER-D14"]),
    (PREVENTIVE, Track.STANDARD, (paused,), date(2026, 2, 12), []),
    (PREVENTIVE, Track.STANDARD, (paused,), date(2026, 2, 21), ["PAUSE-END"]),  # Saturday
    (PREVENTIVE, Track.STANDARD, (paused,), date(2026, 2, 23), ["PAUSE-END", "STD-ROBOCALL-12",
                                                                  "REMINDER-D14"]),
    (PREVENTIVE, Track.PREVENTION, (), date(2026, 2, 2), ["PREV-PHONE-D1"]),
    (PREVENTIVE, Track.PREVENTION, (officer_failed_calls(1),), date(2026, 2, 3),
     ["PREV-PHONE-D1", "PREV-PHONE-RETRY"]),
    (PREVENTIVE, Track.PREVENTION, (officer_failed_calls(3),), date(2026, 2, 5), ["PREV-PHONE-D1", "PREV-VISIT"]),
    (PREVENTIVE, Track.WORRY, (), date(2026, 2, 2), ["WORRY-CONTACT-D3"]),
    (PREVENTIVE, Track.WORRY, (officer_failed_calls(1),), date(2026, 2, 3),
     ["WORRY-CONTACT-D3", "WORRY-PHONE-RETRY"]),
    (PREVENTIVE, Track.STANDARD, (robocalled, reminded), date(2026, 3, 3), ["STD-SMS-NO-RESULT",
                                                                            "BGS-CONTACT-FIRST"]),
    (PREVENTIVE, Track.STANDARD, (result(Outcome.CHOSE_SMS), reminded), date(2026, 3, 9),
     ["STD-SMS-CHOSEN", "BGS-CONTACT-FIRST", "WIK-14"]),
    (PREVENTIVE, Track.STANDARD, (result(Outcome.CHOSE_SMS), reminded, wik_sent), date(2026, 3, 27),
     ["STD-SMS-CHOSEN", "BGS-CONTACT-FIRST", "WIK-COSTS"]),
    (Policy(wik_letter_days=20), Track.STANDARD, (result(Outcome.CHOSE_SMS), reminded), date(2026, 2, 23),
     ["STD-SMS-CHOSEN", "WIK-14"]),
    (CLASSIC, Track.STANDARD, (), date(2026, 2, 12), []),
    (CLASSIC, Track.PREVENTION, (), date(2026, 2, 13), ["CLASSIC-REMINDER-D14"]),
    (CLASSIC, Track.STANDARD, (), date(2026, 2, 14), ["CLASSIC-REMINDER-D14"]),  # post on a Saturday
    (CLASSIC, Track.STANDARD, (paid,), date(2026, 2, 13), ["CLOSE-PAID"]),
    (CLASSIC, Track.STANDARD, (promised,), date(2026, 2, 16), []),
    (CLASSIC, Track.STANDARD, (promised,), date(2026, 2, 21), ["PROMISE-CHECK", "CLASSIC-REMINDER-D14"]),
    (CLASSIC, Track.STANDARD, (reminded,), date(2026, 3, 9), ["WIK-14"]),
    (CLASSIC, Track.STANDARD, (reminded, wik_sent), date(2026, 3, 27), ["WIK-COSTS"]),
]


def _id(row: tuple) -> str:  # type: ignore[type-arg]
    pol, track, setups, day, _ = row
    what = "+".join(s.__name__ for s in setups) or "unpaid"
    return f"{pol.strategy}-{track.value}-{what}-{day.isoformat()}"


@pytest.mark.parametrize("row", ROWS, ids=[_id(r) for r in ROWS])
def test_the_rules_that_fire(row: tuple) -> None:  # type: ignore[type-arg]
    policy, track, setups, day, expected = row
    t, case = situation(track, *setups)
    decision = playbook.evaluate(case, t, day, policy)
    assert [a.rule for a in decision.actions] == expected
    for a in decision.actions:  # every action is typed and names a registered rule
        assert type(a) in actions.ACTIONS.values() and a.rule in RULES
        assert set(a.inputs) >= {"arrears_cents", "days_late"}


def test_a_pause_or_a_promise_says_when_to_look_again() -> None:
    t, case = situation(Track.STANDARD, paused)
    assert playbook.evaluate(case, t, date(2026, 2, 12), PREVENTIVE).next_check == date(2026, 2, 21)
    t, case = situation(Track.STANDARD, promised)
    assert playbook.evaluate(case, t, date(2026, 2, 12), PREVENTIVE).next_check == date(2026, 2, 15)
    t, case = situation(Track.STANDARD, paid)
    assert playbook.evaluate(case, t, date(2026, 2, 12), PREVENTIVE).next_check is None


def test_an_action_the_case_already_did_is_not_repeated() -> None:
    t, case = situation(Track.STANDARD, robocalled)
    assert "STD-ROBOCALL-12" not in [a.rule for a in playbook.evaluate(case, t, date(2026, 2, 13), PREVENTIVE).actions]


def test_typed_actions_carry_their_own_fields() -> None:
    t, case = situation(Track.STANDARD, result(Outcome.CHOSE_SMS), reminded)
    (wik14,) = [a for a in playbook.evaluate(case, t, date(2026, 3, 9), PREVENTIVE).actions if a.rule == "WIK-14"]
    assert isinstance(wik14, actions.SendLetter)
    assert (wik14.letter_kind, wik14.costs_cents, wik14.deadline) == ("fourteen_day_letter", 97_50, date(2026, 3, 26))
    with pytest.raises(TypeError):
        actions.make("task", "X", "task:x", {}, due_on=date(2026, 3, 9))  # a task needs its kind
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        wik14.deadline = None  # type: ignore[misc]


# ---------------------------------------------------------------- catalogue


def test_every_rule_a_strategy_runs_is_registered_with_its_facts() -> None:
    for strategy in (rulebook.PREVENTIVE_STRATEGY, rulebook.CLASSIC_STRATEGY):
        for rule_id in strategy.rule_ids():
            r = RULES[rule_id]
            assert r.trigger, rule_id
            for key in r.policy_keys:
                assert key in attrs.fields_dict(Policy), (rule_id, key)


def test_the_legal_basis_lives_beside_the_rule() -> None:
    assert legal_basis("WIK-14") == legal_basis("WIK-COSTS") == rulebook.BASIS_WIK
    assert legal_basis("BGS-2") == rulebook.BASIS_BGS
    assert legal_basis("EVICT-ELIGIBLE") == rulebook.BASIS_EVICT
    assert legal_basis("STD-ROBOCALL-12") is None and legal_basis("NO-SUCH-RULE") is None


def test_the_strategies_run_their_steps_in_the_playbooks_order() -> None:
    order = [r for r in rulebook.PREVENTIVE_STRATEGY.rule_ids() if r in ("CLOSE-ENDED", "PAUSE-END",
                                                                           "REMINDER-D14", "BGS-2", "WIK-14",
                                                                           "EVICT-ELIGIBLE")]
    assert order == ["CLOSE-ENDED", "PAUSE-END", "REMINDER-D14", "BGS-2", "WIK-14", "EVICT-ELIGIBLE"]
    assert "STD-ROBOCALL-12" not in rulebook.CLASSIC_STRATEGY.rule_ids()
    assert "CLASSIC-EVICT-3M" not in rulebook.PREVENTIVE_STRATEGY.rule_ids()


def test_classic_and_playbook_do_not_import_each_other() -> None:
    def imported(module: object) -> set[str]:
        tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
        names = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        names |= {f"domain.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                  and n.module == "domain" for a in n.names}
        return names

    assert "domain.playbook" not in imported(classic)
    assert "domain.classic" not in imported(playbook)
