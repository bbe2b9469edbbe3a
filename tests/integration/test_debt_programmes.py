"""Debt-help programmes as a state machine on the case, day by day.

The GKB story of the issue: a tenant whose referral to the municipal credit bank was
accepted used to get, when the 30-day pause ended, the reminder and the 14-day letter,
a signal although the GKB already helped, EUR 192 costs, and a bailiff-approval task
that ``approve-bailiff`` then refused. Now the programme holds collection while it
runs, watches current rent, and its end resumes the playbook with an officer task."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from application.service import CommandError
from domain.values import Channel, Outcome, Partner
from tests.story import LEAD_ANNA, OFFICER, case_of, charge, pay, rules, run, tenant

HELD = {"STD-ROBOCALL-12", "STD-ROBOCALL-RETRY", "STD-SMS-FALLBACK", "STD-SMS-NO-RESULT", "REMINDER-D14",
        "BGS-CONTACT-FIRST", "BGS-2", "WIK-14", "WIK-COSTS", "BAILIFF-ELIGIBLE", "EVICT-ELIGIBLE"}


def gkb_story(app, months: tuple[str, ...] = ("02", "03", "04", "05", "06", "07")) -> str:  # type: ignore[no-untyped-def]
    """February's rent stays unpaid; the officer reaches the tenant on 13 February and
    refers her, with consent, to the GKB, which accepts on 16 February. Current rent
    from March is paid on the 1st."""
    tenant(app, "T1")
    for m in months:
        charge(app, "T1", f"2026-{m}")
    run(app, "2026-02-02", "2026-02-13")
    cid = str(case_of(app, "T1").id)
    app.record_contact(OFFICER, cid, channel=Channel.PHONE, outcome=Outcome.REACHED, on=date(2026, 2, 13))
    app.refer(OFFICER, cid, partner=Partner.GKB, consent=True, on=date(2026, 2, 13), details="schulden bij 6 schuldeisers")
    run(app, "2026-02-14", "2026-02-16")
    app.accept_referral(OFFICER, cid, partner=Partner.GKB, on=date(2026, 2, 16))
    for m in months[1:]:
        pay(app, "T1", f"2026-{m}-01")
    return cid


def steps_after(app, day: date) -> list[str]:  # type: ignore[no-untyped-def]
    return [s["rule"] for s in case_of(app, "T1").steps if s["on"] > day]


def test_gkb_referral_accepted_holds_collection_through_every_state_without_contradiction(app) -> None:  # type: ignore[no-untyped-def]
    cid = gkb_story(app)
    case = case_of(app, "T1")
    assert case.programme["state"] == "intake" and case.in_programme()
    run(app, "2026-02-17", "2026-03-09")
    app.change_programme(OFFICER, cid, state="stabilisation", on=date(2026, 3, 10))
    run(app, "2026-03-10", "2026-05-31")
    app.change_programme(OFFICER, cid, state="minnelijk", on=date(2026, 6, 1))
    run(app, "2026-06-01", "2026-07-31")
    case = case_of(app, "T1")
    after = steps_after(app, date(2026, 2, 16))
    assert not HELD & set(after), after  # the 30-day pause ended on 18 March: still nothing
    assert "PAUSE-END" in after
    assert case.signal is None and case.costs_charged_on is None
    assert case.bailiff_eligible_on is None and case.legal_eligible_on is None
    assert "fourteen_day_letter" not in case.letters
    open_kinds = {t["kind"] for t in case.open_tasks()}
    assert not open_kinds & {"approve_bailiff", "review_legal_action"}
    assert case.programme["state"] == "minnelijk"
    assert [p["state"] for p in case.programmes] == ["intake", "stabilisation", "minnelijk"]
    assert case.is_open  # February's rent is in the counsellor's arrangement, not paid yet
    with pytest.raises(CommandError, match="not eligible"):  # and nothing on the worklist offered it
        app.approve_bailiff(LEAD_ANNA, cid, on=date(2026, 7, 31))


def test_current_rent_is_still_watched_during_a_programme(app) -> None:  # type: ignore[no-untyped-def]
    cid = gkb_story(app, months=("02", "03"))  # March paid on the 1st
    charge(app, "T1", "2026-04")  # April is not paid
    app.change_programme(OFFICER, cid, state="stabilisation", on=date(2026, 3, 2))
    run(app, "2026-02-17", "2026-04-05")
    assert "DEBT-CURRENT-RENT" not in rules(app, "T1")  # due 1 April: unpaid five days later
    run(app, "2026-04-06")
    task = case_of(app, "T1").tasks["task:programme:1:rent:2026-04"]
    assert task["kind"] == "programme_current_rent" and task["rule"] == "DEBT-CURRENT-RENT"
    assert not HELD & set(steps_after(app, date(2026, 2, 16)))


def test_a_failed_programme_resumes_the_playbook_with_a_task_first(app) -> None:  # type: ignore[no-untyped-def]
    cid = gkb_story(app, months=("02", "03", "04"))
    run(app, "2026-02-17", "2026-03-31")
    app.change_programme(OFFICER, cid, state="failed", on=date(2026, 4, 1))
    case = case_of(app, "T1")
    assert not case.in_programme()
    run(app, "2026-04-01")
    case = case_of(app, "T1")
    assert case.tasks["task:programme:1:resume"]["rule"] == "DEBT-RESUME"
    assert case.tasks["task:programme:1:resume"]["due_on"] == date(2026, 4, 1)
    assert not HELD & set(steps_after(app, date(2026, 2, 16)))  # the officer speaks first
    run(app, "2026-04-02", "2026-04-16")
    after = steps_after(app, date(2026, 4, 14))
    assert "WIK-14" in after  # fourteen days later the formal steps go on
    assert after.count("WIK-14") == 1


def test_stabilisation_held_too_long_lapses_and_resumes(app) -> None:  # type: ignore[no-untyped-def]
    from tests.story import ADMIN

    app.policy = attrs.evolve(app.policy, programme_stabilisation_max_days=30)
    cid = gkb_story(app, months=("02", "03"))
    app.change_programme(OFFICER, cid, state="stabilisation", on=date(2026, 3, 2))
    run(app, "2026-02-17", "2026-04-01")
    assert "DEBT-LAPSED" not in rules(app, "T1")
    run(app, "2026-04-02")
    case = case_of(app, "T1")
    assert case.programme["state"] == "lapsed" and "DEBT-LAPSED" in rules(app, "T1")
    assert case.tasks["task:programme:1:resume"]["kind"] == "programme_ended"
    assert app.case_view(ADMIN, cid)["in_programme"] is False


@pytest.mark.parametrize(("state", "message"), [("minnelijk", "cannot follow 'no programme'"),
                                                ("intake", "accepted debt-counselling referral")])
def test_a_programme_starts_with_an_accepted_referral(app, state, message) -> None:  # type: ignore[no-untyped-def]
    tenant(app, "T1")
    charge(app, "T1", "2026-02")
    run(app, "2026-02-02")
    cid = str(case_of(app, "T1").id)
    with pytest.raises(CommandError, match=message):
        app.change_programme(OFFICER, cid, state=state, on=date(2026, 2, 3))


def test_wsnp_and_moratorium_states(app) -> None:  # type: ignore[no-untyped-def]
    cid = gkb_story(app, months=("02", "03"))
    app.change_programme(OFFICER, cid, state="moratorium", on=date(2026, 2, 20))
    app.change_programme(OFFICER, cid, state="wsnp", on=date(2026, 3, 20))
    with pytest.raises(CommandError, match="cannot follow 'wsnp'"):
        app.change_programme(OFFICER, cid, state="minnelijk", on=date(2026, 3, 21))
    run(app, "2026-02-17", "2026-04-30")
    assert not HELD & set(steps_after(app, date(2026, 2, 16)))
    assert case_of(app, "T1").programme["state"] == "wsnp"
