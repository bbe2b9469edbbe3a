"""Household context and the road to court, day by day: before legal eligibility a home
visit is attempted and the household facts are recorded (sealed), with children social
services come first (EVICT-CHILDREN); after two team leads decide, the summons, hearing,
judgment and eviction date are case events, and a tenant who pays before the eviction
date is not evicted (eviction prevented), in the dossier and the KPIs."""

from __future__ import annotations

import pytest

from adapters.simulation import kpi
from application.audit.dossier import dossier
from application.service import CommandError
from domain.values import Channel, Outcome
from tests.story import (
    ADMIN,
    LEAD_ANNA,
    LEAD_BERT,
    OFFICER,
    case_of,
    charge,
    d,
    pay,
    rules,
    run,
    tenant,
)


def unpaid_for_months(app) -> str:  # type: ignore[no-untyped-def]
    """Nothing paid from February; the officer phones on 10 February (no answer)."""
    tenant(app, "S1")
    for p in ("2026-02", "2026-03", "2026-04", "2026-05", "2026-06"):
        charge(app, "S1", p)
    run(app, "2026-02-02", "2026-02-10")
    cid = str(case_of(app, "S1").id)
    app.record_contact(OFFICER, cid, channel=Channel.PHONE, outcome=Outcome.NO_ANSWER, on=d("2026-02-10"))
    return cid


def test_legal_action_waits_for_a_home_visit_and_the_household_and_restraint_with_children(app) -> None:  # type: ignore[no-untyped-def]
    cid = unpaid_for_months(app)
    run(app, "2026-02-11", "2026-05-04")
    case = case_of(app, "S1")
    assert case.legal_eligible_on is None  # 3 May would have been the day
    assert case.tasks["task:legal:home_visit"]["rule"] == "EVICT-HOME-VISIT"
    assert case.tasks["task:legal:household"]["kind"] == "record_household"
    app.record_contact(OFFICER, cid, channel=Channel.HOME_VISIT, outcome=Outcome.REACHED, on=d("2026-05-05"))
    app.record_household(OFFICER, cid, children=True, care=False, social_services=False,
                         note="twee kinderen, 4 en 7 jaar", on=d("2026-05-05"))
    run(app, "2026-05-05", "2026-05-06")
    case = case_of(app, "S1")
    assert case.legal_eligible_on is None
    assert case.tasks["task:legal:social_services:1"]["rule"] == "EVICT-CHILDREN"
    with pytest.raises(CommandError, match="not eligible"):
        app.decide_legal_action(LEAD_ANNA, cid, reason="drie maanden", on=d("2026-05-06"))
    app.record_household(OFFICER, cid, children=True, care=False, social_services=True,
                         note="wijkteam betrokken", on=d("2026-05-07"))
    run(app, "2026-05-07")
    case = case_of(app, "S1")
    assert case.legal_eligible_on == d("2026-05-07")
    review = [r for r in app.worklist(LEAD_ANNA, d("2026-05-07")) if r["kind"] == "review_legal_action"]
    assert review[0]["household"] == {"children": True, "care": False, "social_services": True,
                                      "note": "wijkteam betrokken"}
    assert "EVICT-ELIGIBLE" in rules(app, "S1")


def test_a_case_goes_to_court_and_is_settled_before_the_eviction_date(app) -> None:  # type: ignore[no-untyped-def]
    from tests.story import household_known

    cid = unpaid_for_months(app)
    household_known(app, "S1", "2026-02-10")
    run(app, "2026-02-11", "2026-05-04")
    assert case_of(app, "S1").legal_eligible_on == d("2026-05-03")
    with pytest.raises(CommandError, match="two different staff members"):
        app.record_court_event(LEAD_ANNA, cid, kind="summons", on=d("2026-05-05"))
    app.decide_legal_action(LEAD_ANNA, cid, reason="drie maanden achterstand, geen contact", on=d("2026-05-05"))
    app.decide_legal_action(LEAD_BERT, cid, reason="akkoord", on=d("2026-05-05"))
    app.record_court_event(LEAD_ANNA, cid, kind="summons", on=d("2026-05-12"))
    with pytest.raises(CommandError, match="needs the judgment first"):
        app.record_court_event(LEAD_ANNA, cid, kind="eviction_scheduled", on=d("2026-05-12"),
                               scheduled_on=d("2026-07-15"))
    app.record_court_event(LEAD_ANNA, cid, kind="hearing", on=d("2026-06-02"))
    app.record_court_event(LEAD_ANNA, cid, kind="judgment", on=d("2026-06-16"), outcome="dissolved")
    app.record_court_event(LEAD_ANNA, cid, kind="eviction_scheduled", on=d("2026-06-20"),
                           scheduled_on=d("2026-07-15"))
    pay(app, "S1", "2026-07-10", cents=5 * 650_00)  # everything paid before the eviction date
    run(app, "2026-05-05", "2026-07-11")
    app.record_court_event(LEAD_ANNA, cid, kind="eviction_prevented", on=d("2026-07-11"), outcome="paid")
    with pytest.raises(CommandError, match="already carried out or prevented"):
        app.record_court_event(LEAD_ANNA, cid, kind="evicted", on=d("2026-07-15"))
    case = app.get_case(cid)
    assert [e["kind"] for e in case.court] == ["summons", "hearing", "judgment", "eviction_scheduled",
                                              "eviction_prevented"]
    assert not case.is_open  # paid: closed, and the court facts stand
    doc = dossier(app, ADMIN, cid, generated_on=d("2026-07-11"))
    assert [e["kind"] for e in doc["court"]] == [e["kind"] for e in case.court]
    assert doc["household"][0]["facts"]["children"] is False
    assert [v["channel"] for v in doc["home_visits"]] == ["home_visit"]
    totals = kpi.compute(app)["totals"]
    assert totals["evictions"] == 0 and totals["evictions_prevented"] == 1
