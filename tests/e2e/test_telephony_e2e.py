"""The robocall on the 12th end to end: daily run -> campaign -> provider facts ->
case events -> the same or next day's SMS or officer task."""

from __future__ import annotations

import csv
import io
import urllib.parse
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from twilio.request_validator import RequestValidator

from adapters.bootstrap import Settings, build
from adapters.cli.main import cli
from adapters.memory import FixedClock, RecordingLetters, RecordingSignals
from adapters.telephony.simulated import DialerRates, SimulatedDialer
from adapters.telephony.twilio_adapter import make_webhook_app
from adapters.telephony.vendor import VendorTelephony
from application import daily_run
from application.ports import Contact
from domain.values import Actor, Period, Role

ADMIN = Actor(Role.ADMIN, "root")
FEB_12 = date(2026, 2, 12)  # a Thursday


def rates(**kw: float) -> DialerRates:
    base = dict(answered=0.0, voicemail=0.0, no_answer=0.0, busy=0.0, invalid_number=0.0,
                press_1=0.0, press_2=0.0, no_input=0.0)
    base.update(kw)
    return DialerRates(**base)


def landlord(tmp_path: Path, dialer_rates: DialerRates | None = None, phone: str | None = "0612345678"):  # type: ignore[no-untyped-def]
    clock = FixedClock(date(2026, 2, 1))
    app = build(Settings(db=str(tmp_path / "v.db"), out_dir=str(tmp_path / "out")), clock=clock,
                letters=RecordingLetters(), signals=RecordingSignals())
    dialer = None
    if dialer_rates is not None:
        dialer = SimulatedDialer(app, app.store, dialer_rates, seed=7)
        app.ports.telephony = dialer
        app.ports.sms = dialer
    app.start_tenancy(ADMIN, "T1", rent_cents=65000, start_date=date(2026, 1, 1),
                      contact=Contact(tenancy_id=None, name="A. Tenant", phone=phone))  # type: ignore[arg-type]
    app.charge_rent(ADMIN, "T1", period=Period(2026, 2), cents=65000)
    return app, dialer


def case_of(app):  # type: ignore[no-untyped-def]
    return app.get_case(app.get_tenancy("T1").open_case_id)


def test_pressing_1_sends_the_sms_the_same_day_and_the_call_is_placed_once(tmp_path: Path) -> None:
    app, dialer = landlord(tmp_path, rates(answered=1.0, press_1=1.0))
    daily_run.run(app, date(2026, 2, 2), through=FEB_12)
    assert dialer.calls_dialled == 0  # batch delivery: the provider calls when flushed
    daily_run.run(app, FEB_12)  # the 12th run twice
    assert len(dialer.pending) == 1
    dialer.flush()
    assert dialer.calls_dialled == 1
    c = case_of(app)
    assert [x["outcome"] for x in c.contacts if x["channel"] == "robocall"] == ["chose_sms"]
    daily_run.run(app, FEB_12)  # the facts are seen the same day
    assert dialer.sms_sent == [f"{c.id.hex}.sms-chosen-1"]
    assert "STD-SMS-CHOSEN" in [s["rule"] for s in case_of(app).steps]
    daily_run.run(app, date(2026, 2, 13))
    assert dialer.calls_dialled == 1


def test_no_answer_is_retried_once_the_next_business_day_then_an_sms(tmp_path: Path) -> None:
    app, dialer = landlord(tmp_path, rates(no_answer=1.0, press_1=1.0))
    daily_run.run(app, date(2026, 2, 2), through=FEB_12)
    dialer.flush()
    daily_run.run(app, date(2026, 2, 13))  # Friday: the retry
    dialer.flush()
    assert dialer.calls_dialled == 2
    daily_run.run(app, date(2026, 2, 16))  # Monday: retry unanswered -> SMS fallback
    rules = [s["rule"] for s in case_of(app).steps]
    assert rules.count("STD-ROBOCALL-12") == 1 and rules.count("STD-ROBOCALL-RETRY") == 1
    assert "STD-SMS-FALLBACK" in rules
    assert len(dialer.sms_sent) == 1


def test_a_missing_number_gives_an_officer_task_to_fix_contact_details(tmp_path: Path) -> None:
    app, dialer = landlord(tmp_path, rates(answered=1.0, press_1=1.0), phone=None)
    daily_run.run(app, date(2026, 2, 2), through=FEB_12)
    dialer.flush()
    daily_run.run(app, date(2026, 2, 13))
    tasks = app.worklist(ADMIN, date(2026, 2, 13))
    assert [(t["kind"], t["rule"]) for t in tasks] == [("fix_contact_details", "STD-FIX-CONTACT")]


def test_a_duplicated_fact_is_recorded_once(tmp_path: Path) -> None:
    app, dialer = landlord(tmp_path, rates(answered=1.0, press_2=1.0))
    dialer.duplicate_rate = 1.0
    daily_run.run(app, date(2026, 2, 2), through=FEB_12)
    dialer.flush()
    c = case_of(app)
    assert [x["outcome"] for x in c.contacts if x["channel"] == "robocall"] == ["chose_transfer"]
    # chose transfer: a live officer contact is recorded
    assert [(x["channel"], x["outcome"], x["by"]) for x in c.contacts if x["channel"] == "phone"] == [
        ("phone", "reached", "officer-line")
    ]


def test_vendor_call_list_and_results_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app, _ = landlord(tmp_path)
    outbox = tmp_path / "out" / "calls" / "outbox"
    outbox.mkdir(parents=True)
    app.ports.telephony = VendorTelephony(outbox, app.store, app, clock=app.ports.clock)
    daily_run.run(app, date(2026, 2, 2), through=FEB_12)
    lists = sorted(outbox.glob("campaign-*.csv"))
    assert len(lists) == 1 and (lists[0].with_suffix(".manifest.json")).exists()
    rows = list(csv.DictReader(io.StringIO(lists[0].read_text()), delimiter=";"))
    assert len(rows) == 1 and rows[0]["phone"] == "+31612345678"
    attempt = rows[0]["attempt_id"]
    inbox = tmp_path / "out" / "calls" / "inbox"
    inbox.mkdir(parents=True)
    head = "result_id;attempt_id;event;detail;occurred_at;duration_s\n"
    (inbox / "bad.csv").write_text(head + f"r1;{attempt};pressed_nine;;2026-02-12T10:00:00+01:00;5\n")
    monkeypatch.setenv("VANGNET_DB", str(tmp_path / "v.db"))
    monkeypatch.setenv("VANGNET_OUT", str(tmp_path / "out"))
    r = CliRunner().invoke(cli, ["telephony", "collect"])
    assert r.exit_code == 2 and "line 2" in r.output and "pressed_nine" in r.output
    assert case_of(app).contacts == []  # nothing recorded from a malformed file
    (inbox / "bad.csv").unlink()
    good = head + f"r2;{attempt};chose_sms;1;2026-02-12T10:00:00+01:00;20\n"
    (inbox / "results-1.csv").write_text(good)
    r = CliRunner().invoke(cli, ["telephony", "collect"])
    assert r.exit_code == 0, r.output
    (inbox / "results-again.csv").write_text(good)  # the same result delivered twice
    CliRunner().invoke(cli, ["telephony", "collect"])
    fresh = build(Settings(db=str(tmp_path / "v.db")), clock=FixedClock(FEB_12))
    c = fresh.get_case(case_of(app).id)
    assert [x["outcome"] for x in c.contacts] == ["chose_sms"]


def test_twilio_webhook_records_a_signed_choice_and_refuses_a_forged_one(tmp_path: Path) -> None:
    app, _ = landlord(tmp_path)
    daily_run.run(app, date(2026, 2, 2), through=FEB_12)
    attempt = app.ports.telephony.calls[0].attempt_id
    token, public = "secret-token", "https://vangnet.example.org/tw"
    wsgi = make_webhook_app(token, public, app, officer_line="0881234567", clock=FixedClock(FEB_12))

    def post(path: str, params: dict[str, str], signature: str | None) -> str:
        body = urllib.parse.urlencode(params).encode()
        env = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "SERVER_NAME": "x",
               "SERVER_PORT": "80", "wsgi.url_scheme": "http", "QUERY_STRING": ""}
        if signature is not None:
            env["HTTP_X_TWILIO_SIGNATURE"] = signature
        status: list[str] = []
        b"".join(wsgi(env, lambda s, h: status.append(s)))
        return status[0]

    params = {"CallSid": "CA" + "0" * 32, "Digits": "1", "AccountSid": "AC" + "1" * 32}
    forged = RequestValidator("wrong-token").compute_signature(public + f"/gather/{attempt}", params)
    assert post(f"/gather/{attempt}", params, forged).startswith("403")
    assert post(f"/gather/{attempt}", params, None).startswith("403")
    assert case_of(app).contacts == []
    good = RequestValidator(token).compute_signature(public + f"/gather/{attempt}", params)
    assert post(f"/gather/{attempt}", params, good).startswith("200")
    assert post(f"/gather/{attempt}", params, good).startswith("200")  # Twilio retries: recorded once
    assert [x["outcome"] for x in case_of(app).contacts] == ["chose_sms"]
