"""Facts that arrive late, through the CLI as a landlord's staff use it (PLAYBOOK 5):
the outcome follows the booking dates, not the order in which facts were entered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.cli_story import POLICY, invoke, landlord_folder, start_tenant


@pytest.fixture()
def landlord(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = landlord_folder(tmp_path, monkeypatch)
    start_tenant("X1", "585.00")
    return folder


def cases() -> list[dict]:
    return sorted(json.loads(invoke("case", "list", "--json")), key=lambda c: c["due_date"])


def test_a_backdated_payment_closes_februarys_case_with_its_booking_date(landlord: Path) -> None:
    invoke("tenancy", "charge", "X1", "--period", "2026-02", "--amount", "585.00")
    invoke("day", "run", "--date", "2026-02-02", "--through", "2026-02-28")
    # the bank statement of 19 February is entered after the run of the 28th
    invoke("tenancy", "pay", "X1", "--amount", "585.00", "--date", "2026-02-19", "--tx", "B1")
    invoke("tenancy", "charge", "X1", "--period", "2026-03", "--amount", "585.00")
    invoke("day", "run", "--date", "2026-03-01", "--through", "2026-03-31")
    feb, march = cases()
    assert (feb["due_date"], feb["status"], feb["closed_on"]) == ("2026-02-01", "closed", "2026-02-19")
    assert (march["due_date"], march["status"]) == ("2026-03-01", "open")
    # no 14-day letter for March in March (its D + 35 is 5 April), no costs, no signal from February
    letters = json.loads(invoke("letters", "outbox", "--json"))
    assert [(x["kind"], x["date"]) for x in letters] == [("reminder", "2026-02-13"), ("reminder", "2026-03-13")]
    shown = json.loads(invoke("tenancy", "show", "X1", "--json"))
    assert shown["collection_costs"] == "0.00" and shown["costs_lines"] == []
    assert json.loads(invoke("signals", "list", "--json")) == []


def test_the_same_payment_entered_in_time_gives_the_same_outcome(landlord: Path) -> None:
    invoke("tenancy", "charge", "X1", "--period", "2026-02", "--amount", "585.00")
    invoke("day", "run", "--date", "2026-02-02", "--through", "2026-02-18")
    invoke("tenancy", "pay", "X1", "--amount", "585.00", "--date", "2026-02-19", "--tx", "B1")
    invoke("day", "run", "--date", "2026-02-19", "--through", "2026-02-28")
    invoke("tenancy", "charge", "X1", "--period", "2026-03", "--amount", "585.00")
    invoke("day", "run", "--date", "2026-03-01", "--through", "2026-03-31")
    feb, march = cases()
    assert (feb["status"], feb["closed_on"], march["status"]) == ("closed", "2026-02-19", "open")


def test_a_payment_booked_before_the_wik_deadline_but_imported_after_it_means_no_costs(landlord: Path) -> None:
    invoke("tenancy", "charge", "X1", "--period", "2026-02", "--amount", "585.00")
    invoke("tenancy", "charge", "X1", "--period", "2026-03", "--amount", "585.00")
    invoke("day", "run", "--date", "2026-02-02", "--through", "2026-04-02")
    letter = [x for x in json.loads(invoke("letters", "outbox", "--json")) if x["kind"] == "fourteen_day_letter"]
    # posted Monday 9 March, delivered Tuesday and Wednesday: received the 11th, deadline 12 + 14 = 26 March
    assert [(x["date"], x["deadline"]) for x in letter] == [("2026-03-09", "2026-03-26")]
    shown = json.loads(invoke("tenancy", "show", "X1", "--json"))
    assert shown["collection_costs"] == "175.50"  # 15% of 1,170.00, booked on 27 March
    assert shown["balance"] == "1345.50"
    # the bank booked the whole arrears on 25 March; the statement is imported on 3 April
    invoke("tenancy", "pay", "X1", "--amount", "1170.00", "--date", "2026-03-25", "--tx", "B2")
    invoke("day", "run", "--date", "2026-04-03")
    shown = json.loads(invoke("tenancy", "show", "X1", "--json"))
    assert shown["balance"] == "0.00" and shown["collection_costs"] == "0.00"
    assert [(x["kind"], x["amount"], x["rule"]) for x in shown["costs_lines"]] == [
        ("COSTS", "175.50", "WIK-COSTS"), ("COSTS_REVERSAL", "175.50", "LATE-COSTS-REVERSED")]
    (case,) = cases()
    assert (case["status"], case["closed_on"]) == ("closed", "2026-03-25")
    invoke("audit", "verify")  # exit 0: the ledger, the costs lines and the cases agree


# --------------------------------------------------------------- signal lifecycle


def signal_decided() -> str:
    invoke("tenancy", "charge", "X1", "--period", "2026-02", "--amount", "585.00")
    invoke("tenancy", "charge", "X1", "--period", "2026-03", "--amount", "585.00")
    invoke("day", "run", "--date", "2026-02-02", "--through", "2026-02-20")
    case_id = cases()[0]["case_id"]
    invoke("case", "contact", case_id, "--channel", "phone", "--outcome", "no_answer", "--date", "2026-02-20")
    invoke("day", "run", "--date", "2026-02-21", "--through", "2026-03-06")  # the signal is decided on 3 March
    assert [s["status"] for s in json.loads(invoke("signals", "list", "--json"))] == ["pending"]
    return case_id


def batches(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((root / "out" / "signals" / "Emmen").glob("signals-*.json"))]


def test_a_signal_paid_before_export_is_rechecked_and_never_sent(landlord: Path) -> None:
    signal_decided()
    invoke("tenancy", "pay", "X1", "--amount", "1170.00", "--date", "2026-03-05", "--tx", "B3")
    out = invoke("signals", "export")
    assert "dropped: signal" in out and batches(landlord) == []
    invoke("day", "run", "--date", "2026-03-07")  # the case closes; nothing was sent, nothing to resolve
    assert "nothing to export" in invoke("signals", "export")
    assert batches(landlord) == []


def test_cleared_arrears_send_one_resolved_message_in_the_same_format(landlord: Path) -> None:
    signal_decided()
    invoke("signals", "export")
    (first,) = batches(landlord)
    assert [(r["status"], r["bedrag"]) for r in first["signalen"]] == [("nieuw", "1170.00")]
    invoke("tenancy", "pay", "X1", "--amount", "1170.00", "--date", "2026-03-10", "--tx", "B4")
    invoke("day", "run", "--date", "2026-03-07", "--through", "2026-03-12")
    invoke("signals", "export")
    invoke("signals", "export")  # again: nothing new
    first, second = batches(landlord)
    (row,) = second["signalen"]
    assert (row["signaal_id"], row["status"], row["statusdatum"]) == (
        first["signalen"][0]["signaal_id"], "opgelost", "2026-03-10")
    assert set(row) >= {"referentie", "gemeente", "ontstaansdatum", "signaaldatum", "client"}


def test_the_letter_states_and_checks_the_deadline_with_the_policys_delivery_days(
    landlord: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = landlord / "policy.toml"
    policy.write_text('[playbook]\nwik_no_delivery_weekdays = "sun"\n' + POLICY)  # post on Mondays too
    invoke("tenancy", "charge", "X1", "--period", "2026-05", "--amount", "585.00")
    invoke("day", "run", "--date", "2026-05-02", "--through", "2026-06-06")
    letters = json.loads(invoke("letters", "outbox", "--json", "--verify"))
    wik14 = [x for x in letters if x["kind"] == "fourteen_day_letter"]
    # posted Friday 5 June 2026 (D + 35): Saturday 6 and Monday 8 June are delivery days under
    # this policy, so receipt is the 8th and the deadline 9 + 14 = Tuesday 23 June (not the 24th)
    assert [(x["date"], x["deadline"]) for x in wik14] == [("2026-06-05", "2026-06-23")]
