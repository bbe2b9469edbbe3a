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


def eligible_for_the_bailiff_then_in_a_programme(app, months=("02", "03", "04", "05", "06", "07")) -> str:  # type: ignore[no-untyped-def]
    """Nothing paid from February; the officer phones on 10 February (no answer). Past the
    14-day letter's deadline with two months unpaid the team lead gets the approval task;
    on 2 April the tenant is referred to the GKB, which accepts the same day."""
    tenant(app, "T1")
    for m in months:
        charge(app, "T1", f"2026-{m}")
    run(app, "2026-02-02", "2026-02-10")
    cid = str(case_of(app, "T1").id)
    app.record_contact(OFFICER, cid, channel=Channel.PHONE, outcome=Outcome.NO_ANSWER, on=date(2026, 2, 10))
    run(app, "2026-02-11", "2026-04-01")
    case = case_of(app, "T1")
    assert case.bailiff_eligible_on is not None and case.tasks["task:bailiff:approve"]["status"] == "open"
    app.refer(OFFICER, cid, partner=Partner.GKB, consent=True, on=date(2026, 4, 2))
    app.accept_referral(OFFICER, cid, partner=Partner.GKB, on=date(2026, 4, 2))
    return cid


def approvals_on_the_worklist(app, day: date) -> list[str]:  # type: ignore[no-untyped-def]
    return [r["task_id"] for r in app.worklist(LEAD_ANNA, day) if r["kind"] == "approve_bailiff"]


def test_the_bailiff_approval_is_offered_again_when_a_failed_programme_resumes_the_playbook(app) -> None:  # type: ignore[no-untyped-def]
    cid = eligible_for_the_bailiff_then_in_a_programme(app)
    assert case_of(app, "T1").tasks["task:bailiff:approve"]["status"] == "cancelled"
    run(app, "2026-04-02", "2026-04-30")
    assert approvals_on_the_worklist(app, date(2026, 4, 30)) == []  # never offered while it runs
    with pytest.raises(CommandError, match="refused"):  # the 30-day pause, then the programme itself
        app.approve_bailiff(LEAD_ANNA, cid, on=date(2026, 4, 30))
    with pytest.raises(CommandError, match="debt-help programme"):
        app.approve_bailiff(LEAD_ANNA, cid, on=date(2026, 5, 3))
    app.change_programme(OFFICER, cid, state="failed", on=date(2026, 5, 4))
    run(app, "2026-05-04", "2026-05-15")
    assert approvals_on_the_worklist(app, date(2026, 5, 15)) == []  # the officer speaks to the tenant first
    run(app, "2026-05-16", "2026-05-18")  # 14 days after the end the playbook resumes
    task = case_of(app, "T1").tasks["task:bailiff:approve:programme:1"]
    assert task["rule"] == "BAILIFF-AFTER-PROGRAMME" and task["status"] == "open"
    assert task["created_on"] == date(2026, 5, 18)
    assert len(approvals_on_the_worklist(app, date(2026, 5, 18))) == 1
    app.approve_bailiff(LEAD_ANNA, cid, on=date(2026, 5, 18))  # what the worklist offers, the command does
    assert case_of(app, "T1").bailiff_handed_over["on"] == date(2026, 5, 18)


def test_a_programme_that_ends_with_less_than_the_threshold_withdraws_the_eligibility(app) -> None:  # type: ignore[no-untyped-def]
    from tests.story import RENT, pay

    cid = eligible_for_the_bailiff_then_in_a_programme(app, months=("02", "03", "04", "05", "06", "07", "08"))
    for m in ("04", "05", "06", "07"):  # the counsellor's plan pays current rent and March's arrears
        pay(app, "T1", f"2026-{m}-01")
    pay(app, "T1", "2026-06-15")
    app.change_programme(OFFICER, cid, state="minnelijk", on=date(2026, 4, 20))
    run(app, "2026-04-02", "2026-06-30")
    app.change_programme(OFFICER, cid, state="ended", on=date(2026, 7, 1))  # one month (February) remains
    run(app, "2026-07-01", "2026-07-20")
    case = case_of(app, "T1")
    assert case.bailiff_eligible_on is None
    assert "BAILIFF-AFTER-PROGRAMME" in [s["rule"] for s in case.steps]
    assert approvals_on_the_worklist(app, date(2026, 7, 20)) == []
    with pytest.raises(CommandError, match="not eligible"):
        app.approve_bailiff(LEAD_ANNA, cid, on=date(2026, 7, 20))
    # August stays unpaid: two months again, the case is eligible anew with its own task
    run(app, "2026-07-21", "2026-08-31")
    case = case_of(app, "T1")
    assert case.bailiff_eligible_on is not None and RENT * 2 <= app.get_tenancy("T1").arrears_cents()
    assert case.tasks["task:bailiff:approve:2"]["status"] == "open"
    app.approve_bailiff(LEAD_ANNA, cid, on=date(2026, 8, 31))


def test_the_legal_review_is_offered_again_after_a_failed_programme(app) -> None:  # type: ignore[no-untyped-def]
    from tests.story import LEAD_BERT, household_known

    tenant(app, "T1")
    for m in ("02", "03", "04", "05", "06", "07", "08"):
        charge(app, "T1", f"2026-{m}")
    run(app, "2026-02-02", "2026-02-10")
    cid = str(case_of(app, "T1").id)
    app.record_contact(OFFICER, cid, channel=Channel.PHONE, outcome=Outcome.NO_ANSWER, on=date(2026, 2, 10))
    household_known(app, "T1", "2026-02-10")
    run(app, "2026-02-11", "2026-05-04")
    assert case_of(app, "T1").legal_eligible_on is not None
    app.decide_legal_action(LEAD_ANNA, cid, reason="drie maanden", on=date(2026, 5, 4))  # one of two
    app.refer(OFFICER, cid, partner=Partner.GKB, consent=True, on=date(2026, 5, 5))
    app.accept_referral(OFFICER, cid, partner=Partner.GKB, on=date(2026, 5, 5))
    run(app, "2026-05-05", "2026-06-30")
    reviews = [r for r in app.worklist(LEAD_BERT, date(2026, 6, 30)) if r["kind"] == "review_legal_action"]
    assert reviews == []
    app.change_programme(OFFICER, cid, state="failed", on=date(2026, 7, 1))
    run(app, "2026-07-01", "2026-07-16")
    task = case_of(app, "T1").tasks["task:legal:review:programme:1"]
    assert task["rule"] == "EVICT-AFTER-PROGRAMME" and task["status"] == "open"
    app.decide_legal_action(LEAD_BERT, cid, reason="programma mislukt, vier maanden", on=date(2026, 7, 16))
    assert case_of(app, "T1").legal_action_approved


def test_no_summons_while_a_programme_runs(app) -> None:  # type: ignore[no-untyped-def]
    from tests.story import LEAD_BERT, household_known

    tenant(app, "T1")
    for m in ("02", "03", "04", "05"):
        charge(app, "T1", f"2026-{m}")
    run(app, "2026-02-02", "2026-02-10")
    cid = str(case_of(app, "T1").id)
    app.record_contact(OFFICER, cid, channel=Channel.PHONE, outcome=Outcome.NO_ANSWER, on=date(2026, 2, 10))
    household_known(app, "T1", "2026-02-10")
    run(app, "2026-02-11", "2026-05-04")
    app.decide_legal_action(LEAD_ANNA, cid, reason="drie maanden", on=date(2026, 5, 4))
    app.decide_legal_action(LEAD_BERT, cid, reason="akkoord", on=date(2026, 5, 4))
    app.refer(OFFICER, cid, partner=Partner.GKB, consent=True, on=date(2026, 5, 5))
    app.accept_referral(OFFICER, cid, partner=Partner.GKB, on=date(2026, 5, 5))
    with pytest.raises(CommandError, match="debt-help programme"):
        app.record_court_event(LEAD_ANNA, cid, kind="summons", on=date(2026, 5, 6))
    app.change_programme(OFFICER, cid, state="failed", on=date(2026, 6, 1))
    app.record_court_event(LEAD_ANNA, cid, kind="summons", on=date(2026, 6, 2))


def test_a_case_with_the_bailiff_when_a_programme_begins_gives_a_task_to_tell_the_bailiff_to_hold(app) -> None:  # type: ignore[no-untyped-def]
    tenant(app, "T1")
    for m in ("02", "03", "04"):
        charge(app, "T1", f"2026-{m}")
    run(app, "2026-02-02", "2026-02-10")
    cid = str(case_of(app, "T1").id)
    app.record_contact(OFFICER, cid, channel=Channel.PHONE, outcome=Outcome.NO_ANSWER, on=date(2026, 2, 10))
    run(app, "2026-02-11", "2026-04-01")
    app.approve_bailiff(LEAD_ANNA, cid, on=date(2026, 4, 1))
    app.refer(OFFICER, cid, partner=Partner.GKB, consent=True, on=date(2026, 4, 2))
    app.accept_referral(OFFICER, cid, partner=Partner.GKB, on=date(2026, 4, 2))
    run(app, "2026-04-02", "2026-04-03")
    task = case_of(app, "T1").tasks["task:programme:1:bailiff_hold"]
    assert task["rule"] == "DEBT-BAILIFF-HOLD" and task["kind"] == "bailiff_hold" and task["status"] == "open"
