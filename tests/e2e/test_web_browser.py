"""The officer's workbench in a real browser (Debian's Chromium, driven by Playwright):
the stories of officers, team leads and an auditor on 7 April 2026."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import date
from pathlib import Path

import pytest

from tests.e2e.conftest import DOCS, sign_in

# the README's screenshots are refreshed with VANGNET_SCREENSHOTS=1; otherwise a run leaves docs/ alone
SHOTS = DOCS if os.environ.get("VANGNET_SCREENSHOTS") == "1" else Path(tempfile.gettempdir())

pytestmark = pytest.mark.browser


def test_sign_in_and_work_the_worklist(served, new_page):
    page = new_page()
    page.goto(served.url + "/worklist")
    assert "/login" in page.url  # not signed in: the sign-in page, in Dutch
    assert page.get_by_role("heading", name="Aanmelden").is_visible()
    page.get_by_label("Naam").fill("olaf")
    page.get_by_label("Wachtwoord").fill("wrong password!!")
    page.get_by_role("button", name="Aanmelden").click()
    assert page.get_by_role("alert").inner_text() == "Onbekende naam of verkeerd wachtwoord."
    sign_in(page, served.url, "olaf")

    rows = page.locator("table.list tbody tr")
    assert rows.count() == 5  # T9's new missed month gives an officer phone task too (RHYTHM-NEW-MONTH)
    first = rows.nth(0).inner_text()
    assert "J. Jansen" in first and "T1" in first and "650.00" in first and "PREV-PHONE-D1" in first
    assert "preventie" in first and "Bel de huurder" in first
    assert "P. Bakker" in rows.nth(4).inner_text()  # standard track last
    page.screenshot(path=str(SHOTS / "workbench-worklist.png"), full_page=True)

    page.get_by_label("Spoor").select_option("standard")
    page.get_by_label("Taak", exact=True).select_option("phone")
    page.get_by_role("button", name="Filteren").click()
    assert page.locator("table.list tbody tr").count() == 2  # T2's contact task and T9's new-month call
    page.get_by_role("button", name="Zaak oppakken T2").click()
    assert page.get_by_role("status").inner_text() == "U behandelt deze zaak nu."
    page.get_by_role("link", name="Mijn zaken").click()
    assert page.locator("table.list tbody tr").count() == 1
    page.get_by_role("link", name="P. Bakker").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("P. Bakker")


def test_record_a_contact_with_a_promise(served, new_page):
    page = new_page()
    sign_in(page, served.url, "olaf")
    page.get_by_role("link", name="J. Jansen").click()
    assert page.url.endswith("/tenancy/T1")
    page.get_by_label("Kanaal").select_option("phone")
    page.get_by_label("Uitkomst", exact=True).select_option("reached")
    page.get_by_label("Belooft te betalen voor").fill("2026-04-20")
    page.get_by_role("button", name="Contact vastleggen").click()
    assert page.get_by_role("status").inner_text() == "Contact vastgelegd."
    assert "2026-04-20 (open)" in page.locator("dl.facts.wide").inner_text()
    timeline = page.locator("table.timeline").inner_text()
    assert "Contact via telefoon: bereikt" in timeline and "Betaalbelofte voor 2026-04-20" in timeline
    assert "officer:olaf" in timeline
    case = served.app.get_case("T1")
    assert case.promises[-1]["pay_by"] == date(2026, 4, 20) and case.contacts[-1]["by"] == "officer:olaf"
    page.screenshot(path=str(SHOTS / "workbench-tenancy.png"), full_page=True)


def test_agree_an_arrangement(served, new_page):
    page = new_page()
    sign_in(page, served.url, "otto")
    page.goto(served.url + "/tenancy/T2")
    page.get_by_label("Termijnen").fill("3")
    page.get_by_label("Eerste termijn op").fill("2026-05-01")
    page.get_by_role("button", name="Regeling afspreken").click()
    assert page.get_by_role("status").inner_text() == "Betalingsregeling afgesproken."
    facts = page.locator("dl.facts.wide").inner_text()
    assert "2026-05-01 480.00" in facts and "2026-07-01 480.00" in facts
    arrangement = served.app.get_case("T2").arrangement
    assert arrangement["by"] == "officer:otto" and len(arrangement["instalments"]) == 3


def test_update_contact_details_keeps_their_history(served, new_page):
    page = new_page()
    sign_in(page, served.url, "olaf")
    page.goto(served.url + "/tenancy/T2")
    page.get_by_label("Telefoon", exact=True).fill("06 1234 5670")
    page.get_by_role("button", name="Contactgegevens opslaan").click()
    assert page.get_by_role("status").inner_text() == "Contactgegevens opgeslagen."
    assert page.get_by_label("Telefoon", exact=True).input_value() == "+31612345670"
    page.get_by_text("Geschiedenis van de contactgegevens").click()
    history = page.locator("details table").inner_text()
    assert "officer:olaf" in history and "+31612345670" in history and "2026-04-07" in history
    page.get_by_label("Telefoon", exact=True).fill("12")
    page.get_by_role("button", name="Contactgegevens opslaan").click()
    assert "phone: the given number is not a valid phone number" in page.get_by_role("alert").inner_text()


def test_a_team_lead_approves_legal_action_after_another_team_lead(served, new_page):
    tess, tom = new_page(), new_page()
    sign_in(tess, served.url, "tess")
    tess.get_by_role("link", name="Goedkeuringen").click()
    row = tess.locator("tr", has_text="gerechtelijke stappen")
    assert "0/2" in row.inner_text()
    row.get_by_label("Reden").fill("drie maanden achterstand, signaal verstuurd")
    row.get_by_role("button", name="Besluit over gerechtelijke stappen").click()
    assert tess.get_by_role("status").inner_text() == "Besluit over gerechtelijke stappen vastgelegd."
    assert "1/2: team_lead:tess" in tess.locator("tr", has_text="gerechtelijke stappen").inner_text()
    # the same team lead cannot be the second pair of eyes
    row = tess.locator("tr", has_text="gerechtelijke stappen")
    row.get_by_label("Reden").fill("nogmaals")
    row.get_by_role("button", name="Besluit over gerechtelijke stappen").click()
    assert "a second, different person must decide" in tess.get_by_role("alert").inner_text()

    sign_in(tom, served.url, "tom")
    tom.goto(served.url + "/approvals")
    row = tom.locator("tr", has_text="gerechtelijke stappen")
    row.get_by_label("Reden").fill("akkoord")
    row.get_by_role("button", name="Besluit over gerechtelijke stappen").click()
    assert "goedgekeurd" in tom.locator("tr", has_text="gerechtelijke stappen").inner_text()
    assert served.app.get_case("T9").legal_action_approved


def test_an_auditor_sees_but_cannot_change(served, new_page):
    page = new_page()
    sign_in(page, served.url, "audrey")
    page.goto(served.url + "/tenancy/T1")
    assert "Alleen lezen" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Contact vastleggen").count() == 0
    assert "J. Jansen" not in page.locator("main").inner_text()  # no personal data for auditors
    # a forged form post is refused by the application, and nothing is recorded
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    case = served.app.get_case("T1")
    before = case.version
    resp = page.request.post(served.url + f"/cases/{case.id}/contact", form={
        "csrf": csrf, "ref": "T1", "channel": "phone", "outcome": "reached", "version": str(before)})
    assert resp.status == 403
    assert "Uw rol mag dit niet" in resp.text()
    assert served.app.get_case("T1").version == before


def test_two_sessions_saving_the_same_case(served, new_page):
    olaf, otto = new_page(), new_page()
    sign_in(olaf, served.url, "olaf")
    sign_in(otto, served.url, "otto")
    olaf.goto(served.url + "/tenancy/T1")
    otto.goto(served.url + "/tenancy/T1")
    olaf.get_by_label("Uitkomst", exact=True).select_option("no_answer")
    olaf.get_by_role("button", name="Contact vastleggen").click()
    assert olaf.get_by_role("status").inner_text() == "Contact vastgelegd."
    otto.get_by_label("Termijnen").fill("2")
    otto.get_by_label("Eerste termijn op").fill("2026-05-01")
    otto.get_by_role("button", name="Regeling afspreken").click()
    assert "gewijzigd" in otto.get_by_role("alert").inner_text()
    assert served.app.get_case("T1").arrangement is None  # nothing of the stale form was saved
    otto.reload()
    otto.get_by_label("Termijnen").fill("2")
    otto.get_by_label("Eerste termijn op").fill("2026-05-01")
    otto.get_by_role("button", name="Regeling afspreken").click()
    assert otto.get_by_role("status").inner_text() == "Betalingsregeling afgesproken."


def test_english_is_selectable_and_forms_need_the_csrf_token(served, new_page):
    page = new_page()
    sign_in(page, served.url, "olaf")
    page.get_by_label("Taal").select_option("en")
    page.get_by_role("button", name="Wissel").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Worklist")
    case = served.app.get_case("T1")
    resp = page.request.post(served.url + f"/cases/{case.id}/contact",
                             form={"csrf": "forged", "ref": "T1", "channel": "phone", "outcome": "reached"})
    assert resp.status == 403
    assert served.app.get_case("T1").version == case.version
    page.get_by_role("button", name="Sign out").click()
    page.goto(served.url + "/tenancy/T1")
    assert "/login" in page.url


def test_keyboard_only_sign_in_and_labelled_controls(served, new_page):
    page = new_page()
    page.goto(served.url + "/login")
    for _ in range(15):  # reach the name field with the keyboard alone
        if page.evaluate("document.activeElement && document.activeElement.id") == "name":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "name"
    page.keyboard.type("olaf")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/worklist"))
    page.goto(served.url + "/tenancy/T1")
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)""")
    assert unlabelled == []
