"""Bank return reason codes act: a returned direct debit with MD07 (debtor deceased)
stops all contact and gives an estate task; AC04/AC06 ask for new bank details; AM04
and MS02 follow the normal rhythm. The rule per code comes from the policy."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from application.ledger_types import LedgerLine
from application.policy import PolicyError, policy_from_mapping
from domain.values import LedgerKind
from tests.story import SYSTEM, case_of, charge, pay, rules, run, tasks, tenant


def returned(app, ref: str, code: str, on: str = "2026-02-05") -> None:  # type: ignore[no-untyped-def]
    """February's rent, paid by direct debit on the 2nd, comes back with ``code``."""
    charge(app, ref, "2026-02")
    pay(app, ref, "2026-02-02", tx="DD-0202")
    app.import_ledger(SYSTEM, [LedgerLine(
        line=1, transaction_id=f"RT-{code}", tenancy_ref=ref, booking_date=date.fromisoformat(on),
        kind=LedgerKind.REVERSAL, cents=650_00, reason_code=code, reverses_transaction_id="DD-0202")],
        source="manual")


def test_md07_debtor_deceased_stops_all_contact_and_asks_for_the_estate(app) -> None:  # type: ignore[no-untyped-def]
    tenant(app, "T1")
    returned(app, "T1", "MD07")
    run(app, "2026-02-02", "2026-05-31")  # through robocall day, reminder, signal, 14-day letter, costs
    case = case_of(app, "T1")
    assert case.is_open
    assert rules(app, "T1") == ["RET-DECEASED"]
    task = tasks(app, "T1")["task:estate"]
    assert task["kind"] == "estate" and task["due_on"] == date(2026, 2, 5)  # the day the return is booked
    assert not case.robocalls and not case.sms and not case.letters
    assert case.signal is None and case.costs_charged_on is None and case.legal_eligible_on is None
    assert app.ports.letters.sent == {} and app.ports.telephony.campaigns == [] and app.ports.sms.sent == {}
    worklist = app.worklist(SYSTEM, date(2026, 5, 31))
    assert [(r["kind"], r["rule"]) for r in worklist] == [("estate", "RET-DECEASED")]


@pytest.mark.parametrize("code", ["AC04", "AC06"])
def test_closed_or_blocked_account_asks_for_new_bank_details_and_the_rhythm_goes_on(app, code) -> None:  # type: ignore[no-untyped-def]
    tenant(app, "T1")
    returned(app, "T1", code)
    run(app, "2026-02-02", "2026-02-16")
    assert tasks(app, "T1")["task:bank_details:manual/RT-" + code]["kind"] == "new_bank_details"
    assert "RET-BANK-DETAILS" in rules(app, "T1")
    assert "STD-ROBOCALL-12" in rules(app, "T1") and "REMINDER-D14" in rules(app, "T1")


@pytest.mark.parametrize("code", ["AM04", "MS02"])
def test_insufficient_funds_or_refusal_follow_the_normal_rhythm(app, code) -> None:  # type: ignore[no-untyped-def]
    tenant(app, "T1")
    returned(app, "T1", code)
    run(app, "2026-02-02", "2026-02-16")
    assert not [r for r in rules(app, "T1") if r.startswith("RET-")]
    assert "STD-ROBOCALL-12" in rules(app, "T1") and "REMINDER-D14" in rules(app, "T1")


def test_the_policy_names_the_rule_per_code(app) -> None:  # type: ignore[no-untyped-def]
    pf = policy_from_mapping({"playbook": {"return_codes": {"MS02": "new_bank_details"}}})
    assert pf.policy.return_codes["MS02"] == "new_bank_details"
    assert pf.policy.return_codes["MD07"] == "stop_contact"  # the other defaults stand
    app.policy = attrs.evolve(app.policy, return_codes=pf.policy.return_codes)
    tenant(app, "T1")
    returned(app, "T1", "MS02")
    run(app, "2026-02-02", "2026-02-06")
    assert "RET-BANK-DETAILS" in rules(app, "T1")


@pytest.mark.parametrize(("table", "message"), [
    ({"MD07": "phone_anyway"}, "must be one of stop_contact, new_bank_details, normal"),
    ({"md07": "normal"}, "not an ISO 20022 reason code"),
])
def test_a_bad_return_code_rule_is_refused_with_its_key(table, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PolicyError, match=message):
        policy_from_mapping({"playbook": {"return_codes": table}})
