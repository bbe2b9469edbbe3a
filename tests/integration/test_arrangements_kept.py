"""Arrangements people can keep: a budget check before the arrangement, a confirmation
letter with the instalment plan, and a letter when it breaks; a broken arrangement
moves the open case to the worry track with its personal contact."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.letters import render
from adapters.letters.config import LetterConfig
from application.ports import Contact
from application.service import CommandError
from domain.affordability import Budget
from tests.story import ADMIN, OFFICER, case_of, charge, pay, rules, run, tenant

FITS = Budget(income_cents=2400_00, fixed_costs_cents=300_00, people=2)  # room 400.00 a month


def arranged(app, budget: Budget = FITS) -> str:  # type: ignore[no-untyped-def]
    """February's rent unpaid; on 10 February three instalments from 5 March."""
    tenant(app, "T1")
    for m in ("02", "03", "04", "05"):
        charge(app, "T1", f"2026-{m}")
    run(app, "2026-02-02", "2026-02-09")
    cid = str(case_of(app, "T1").id)
    case, verdict = app.arrange(OFFICER, cid, instalments=3, first_date=date(2026, 3, 5), on=date(2026, 2, 10),
                                budget=budget)
    assert verdict is not None and verdict.verdict == "affordable", verdict
    run(app, "2026-02-10")
    return cid


def letters_of(app, kind: str) -> list:  # type: ignore[no-untyped-def]
    return [x for x in app.ports.letters.sent.values() if x.kind == kind]


def test_a_kept_arrangement_is_confirmed_in_writing_and_closes_the_case(app) -> None:  # type: ignore[no-untyped-def]
    cid = arranged(app)
    [confirmation] = letters_of(app, "arrangement_confirmation")
    assert confirmation.posted_on == date(2026, 2, 10)
    assert confirmation.instalments == ((date(2026, 3, 5), 216_67), (date(2026, 4, 5), 216_67),
                                        (date(2026, 5, 5), 216_66))
    assert ("ARR-CONFIRM", date(2026, 2, 10)) in [(s["rule"], s["on"]) for s in case_of(app, "T1").steps]
    for m, inst in (("03", 216_67), ("04", 216_67), ("05", 216_66)):
        pay(app, "T1", f"2026-{m}-01")
        pay(app, "T1", f"2026-{m}-05", cents=inst)
    run(app, "2026-02-11", "2026-05-10")
    case = case_of(app, "T1")
    assert not case.is_open and case.arrangement["status"] == "completed"
    assert case.closed_on == date(2026, 5, 5)
    assert letters_of(app, "arrangement_broken") == []
    assert len(letters_of(app, "arrangement_confirmation")) == 1
    assert app.case_view(ADMIN, cid)["budget_checks"][0]["verdict"] == "affordable"


def test_a_broken_arrangement_gets_a_letter_and_moves_the_case_to_the_worry_track(app) -> None:  # type: ignore[no-untyped-def]
    arranged(app)
    for m in ("03", "04"):
        pay(app, "T1", f"2026-{m}-01")  # current rent paid, the instalments not
    run(app, "2026-02-11", "2026-04-09")
    assert case_of(app, "T1").track == "standard"
    run(app, "2026-04-10")  # the second instalment is five days late: broken
    case = case_of(app, "T1")
    assert case.arrangement["status"] == "broken"
    [broken] = letters_of(app, "arrangement_broken")
    assert broken.posted_on == date(2026, 4, 10)
    assert case.track == "worry" and case.track_changed_on == date(2026, 4, 10)
    assert app.get_tenancy("T1").worry
    phone = case.tasks["task:phone:1"]
    assert phone["rule"] == "WORRY-CONTACT-D3" and phone["due_on"] == date(2026, 4, 10)
    assert {"ARR-BROKEN", "ARR-BROKEN-LETTER", "ARR-BROKEN-WORRY", "WORRY-CONTACT-D3"} <= set(rules(app, "T1"))


def test_an_instalment_the_budget_cannot_carry_is_refused_with_the_reason(app) -> None:  # type: ignore[no-untyped-def]
    tenant(app, "T1")
    charge(app, "T1", "2026-02")
    run(app, "2026-02-02")
    cid = str(case_of(app, "T1").id)
    poor = Budget(income_cents=1500_00, fixed_costs_cents=200_00, people=1)  # room -100.00
    with pytest.raises(CommandError, match=r"ARR-AFFORD.*instalment 325.00 is more than the budget allows.*"
                                           r"leaves -100.00 a month"):
        app.arrange(OFFICER, cid, instalments=2, first_date=date(2026, 3, 5), on=date(2026, 2, 3), budget=poor)
    case = case_of(app, "T1")
    assert case.arrangement is None and case.budget_checks == []  # nothing written


def test_a_tight_instalment_is_agreed_with_a_warning(app) -> None:  # type: ignore[no-untyped-def]
    tenant(app, "T1")
    charge(app, "T1", "2026-02")
    run(app, "2026-02-02")
    cid = str(case_of(app, "T1").id)
    tight = Budget(income_cents=1800_00, fixed_costs_cents=150_00, people=1)  # room 250.00, instalment 216.67
    _, verdict = app.arrange(OFFICER, cid, instalments=3, first_date=date(2026, 3, 5), on=date(2026, 2, 3),
                             budget=tight)
    assert verdict.verdict == "tight" and "more than 80% of what is left" in verdict.reason
    assert case_of(app, "T1").arrangement_active()


def test_the_budget_figures_are_sealed_and_erased(app) -> None:  # type: ignore[no-untyped-def]
    cid = arranged(app)
    assert app.case_view(ADMIN, cid)["budget_checks"][0]["budget"]["income_cents"] == 2400_00
    app.erase_personal_data(ADMIN, "T1")
    assert app.case_view(ADMIN, cid)["budget_checks"][0]["budget"] == "erased"


@pytest.mark.parametrize("kind", ["arrangement_confirmation", "arrangement_broken"])
def test_the_arrangement_letters_render_the_plan(app, kind) -> None:  # type: ignore[no-untyped-def]
    arranged(app)
    for m in ("03", "04"):
        pay(app, "T1", f"2026-{m}-01")
    run(app, "2026-02-11", "2026-04-10")
    [letter] = letters_of(app, kind)
    config = LetterConfig.from_mapping({
        "landlord_name": "Woningstichting Voorbeeld", "landlord_address": "Postbus 1, 7800 AA Emmen",
        "landlord_iban": "NL91ABNA0417164300", "payment_phone": "0591 - 123 456", "sender_name": "Team Huur",
        "debt_help_municipality": "Gemeente Emmen", "objection_phone": "0591 - 123 456"})
    contact = Contact(tenancy_id=letter.tenancy_id, name="J. Jansen", address="Dorpsstraat 1, Emmen")
    text = render.render_text(kind, render.context(letter, config, contact))
    html = render.render_html(kind, render.context(letter, config, contact))
    assert "Termijn 1: uiterlijk 5 maart 2026" in text and "216,67" in text
    assert "216,66" in html
    if kind == "arrangement_broken":
        assert "VERVALLEN" in text and "persoonlijk contact" in text
    else:
        assert "BEVESTIGING" in text and "Totaal van de termijnen" in text
