"""Workbench pages without a browser: the single-sign-on header (off by default), the
dossier as PDF, a letter that is not in the outbox, the report page and its chart."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Settings, build
from adapters.memory import FixedClock, RecordingLetters, RecordingSignals
from adapters.web.app import WebSettings, create_app
from tests.e2e.workbench_story import PASSWORD, seed


@pytest.fixture(scope="module")
def story(tmp_path_factory: Any) -> Any:
    tmp = tmp_path_factory.mktemp("pages")
    clock = FixedClock(date(2026, 1, 1))
    app = build(Settings(db=str(tmp / "p.db"), out_dir=str(tmp / "out")), clock=clock,
                letters=RecordingLetters(), signals=RecordingSignals())
    seed(app, clock)
    return app


def signed_in(web: Any, name: str) -> TestClient:
    c = TestClient(web, base_url="https://testserver")
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"csrf": token, "name": name, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303
    return c


def test_the_single_sign_on_header_is_trusted_only_when_configured(story):
    off = TestClient(create_app(story, WebSettings(secret_key="k" * 48)), base_url="https://testserver")
    r = off.get("/worklist", headers={"X-Remote-User": "tess"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    on = TestClient(create_app(story, WebSettings(secret_key="k" * 48, sso_header="X-Remote-User")),
                    base_url="https://testserver")
    r = on.get("/worklist", headers={"X-Remote-User": "tess"})
    assert r.status_code == 200 and "tess (teamleider)" in r.text
    r = on.get("/worklist", headers={"X-Remote-User": "mallory"}, follow_redirects=False)
    assert r.status_code == 303  # a name that is no user is no one


def test_session_cookie_is_secure_httponly_and_samesite(story):
    c = TestClient(create_app(story, WebSettings(secret_key="k" * 48)), base_url="https://testserver")
    cookie = c.get("/login").headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_dossier_pdf_letters_and_report(story):
    c = signed_in(create_app(story, WebSettings(secret_key="k" * 48)), "tess")
    case = story.get_case("T9")
    r = c.get(f"/cases/{case.id}/dossier.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf" and r.content[:5] == b"%PDF-"
    assert "fourteen_day_letter" in case.letters
    r = c.get(f"/cases/{case.id}/letters/fourteen_day_letter.pdf")  # recorded, not written to the outbox here
    assert r.status_code == 404 and "not in the outbox folder" in r.text
    r = c.get("/report?first=2026-01&last=2026-04")
    assert r.status_code == 200 and "/report/chart.svg?first=2026-01&amp;last=2026-04" in r.text
    r = c.get("/report/chart.svg?first=2026-01&last=2026-04")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")


@pytest.mark.parametrize("form,message", [
    ({"instalments": "0", "first_date": "2026-05-01"}, "instalments: 0 must be between 1 and 60"),
    ({"instalments": "three", "first_date": "2026-05-01"}, "instalments: 'three' must be a whole number"),
    ({"instalments": "3", "first_date": "01-05-2026"}, "first_date: '01-05-2026'"),
    ({"instalments": "3", "first_date": "2026-05-01", "amount": "12,5,0"}, "amount:"),
])
def test_bad_form_values_are_refused_naming_the_field_and_nothing_is_saved(story, form, message):
    c = signed_in(create_app(story, WebSettings(secret_key="k" * 48)), "olaf")
    page = c.get("/tenancy/T2").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    case = story.get_case("T2")
    r = c.post(f"/cases/{case.id}/arrange", data={"csrf": token, "ref": "T2", "version": str(case.version), **form})
    assert r.status_code == 200 and message in html.unescape(r.text)
    assert story.get_case("T2").version == case.version


def test_a_letter_opens_as_the_pdf_in_the_outbox(tmp_path):
    from tests.e2e.test_letters_signals_e2e import POLICY

    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    clock = FixedClock(date(2026, 1, 1))
    app = build(Settings(db=str(tmp_path / "l.db"), out_dir=str(tmp_path / "out"), policy_path=str(policy)),
                clock=clock)
    seed(app, clock)
    case = app.get_case("T2")
    assert "reminder" in case.letters
    c = signed_in(create_app(app, WebSettings(secret_key="k" * 48, out_dir=str(tmp_path / "out"))), "olaf")
    assert f"/cases/{case.id}/letters/reminder.pdf" in c.get("/tenancy/T2").text
    r = c.get(f"/cases/{case.id}/letters/reminder.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf" and r.content[:5] == b"%PDF-"
