"""Privacy: encryption at rest, erasure with replay intact, retention, and no personal
data in events, logs or CLI output."""

from __future__ import annotations

import logging
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from eventsourcing.cipher import AESCipher

from adapters.bootstrap import ConfigError, Settings, build
from adapters.cli.main import cli
from adapters.memory import FixedClock
from application.access import AccessDenied
from application.ports import Contact
from domain.values import Actor, IntakeAnswers, Period, Role

ADMIN = Actor(Role.ADMIN, "root")
NAME, PHONE, IBAN, ADDRESS = "Janneke Vermeulen", "0612345678", "NL91ABNA0417164300", "Dorpsstraat 7, Emmen"


def all_text(db: Path) -> str:
    """Every value in every table of the SQLite store, as text."""
    con = sqlite3.connect(db)
    try:
        out = []
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            for row in con.execute(f"SELECT * FROM {t}"):
                for v in row:
                    out.append(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
        return "\n".join(out)
    finally:
        con.close()


def start(app, ref: str = "T1") -> None:  # type: ignore[no-untyped-def]
    app.start_tenancy(ADMIN, ref, rent_cents=65000, start_date=date(2026, 1, 1),
                      contact=Contact(tenancy_id=None, name=NAME, phone=PHONE, iban=IBAN, address=ADDRESS))  # type: ignore[arg-type]
    app.record_intake(ADMIN, ref, IntakeAnswers(True, True, False, 5, True), on=date(2026, 1, 1))
    app.charge_rent(ADMIN, ref, period=Period(2026, 2), cents=65000)


def test_events_hold_no_personal_data_and_intake_answers_are_sealed(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    app = build(Settings(db=str(db)), clock=FixedClock(date(2026, 1, 1)))
    start(app)
    con = sqlite3.connect(db)
    events = "\n".join(r[0].decode() if isinstance(r[0], bytes) else r[0]
                       for r in con.execute("SELECT state FROM stored_events"))
    con.close()
    for secret in (NAME, PHONE, IBAN, ADDRESS, "debt_counselling", "garnishment"):
        assert secret not in events
    view = app.tenancy_view(ADMIN, "T1")
    assert view["intake"]["debt_counselling"] is True
    assert view["prevention_profile"]["reasons"] == ["debt_counselling", "garnishment"]


def test_erase_makes_personal_data_unreadable_while_history_replays(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    app = build(Settings(db=str(db)), clock=FixedClock(date(2026, 3, 1)))
    start(app)
    app.pay(ADMIN, "T1", cents=30000, booked_on=date(2026, 2, 3), tx_id="P1")
    app.erase_personal_data(ADMIN, "T1")
    text = all_text(db)
    for secret in (NAME, PHONE, IBAN, ADDRESS):
        assert secret not in text
    fresh = build(Settings(db=str(db)), clock=FixedClock(date(2026, 3, 1)))  # replay from the events
    view = fresh.tenancy_view(ADMIN, "T1")
    assert view["erased"] is True
    assert view["intake"] == "erased" and view["prevention_profile"]["reasons"] == "erased"
    assert view["prevention_profile"]["active"] is True
    assert view["balance"] == "350.00"
    assert fresh.store.contact(fresh.get_tenancy("T1").id) is None


def test_only_an_administrator_may_erase(tmp_path: Path) -> None:
    app = build(Settings(db=str(tmp_path / "v.db")), clock=FixedClock(date(2026, 3, 1)))
    start(app)
    with pytest.raises(AccessDenied):
        app.erase_personal_data(Actor(Role.OFFICER, "olaf"), "T1")
    assert app.store.contact(app.get_tenancy("T1").id) is not None


def test_encryption_at_rest_and_a_wrong_or_missing_key(tmp_path: Path) -> None:
    db = str(tmp_path / "v.db")
    key = AESCipher.create_key(32)
    app = build(Settings(db=db, cipher_key=key), clock=FixedClock(date(2026, 1, 1)))
    start(app)
    con = sqlite3.connect(db)
    states = [r[0] for r in con.execute("SELECT state FROM stored_events")]
    con.close()
    assert states and all(b"rent_cents" not in bytes(s) for s in states)
    again = build(Settings(db=db, cipher_key=key), clock=FixedClock(date(2026, 1, 1)))
    assert again.get_tenancy("T1").rent_cents == 65000
    with pytest.raises(ConfigError, match="missing"):
        build(Settings(db=db), clock=FixedClock(date(2026, 1, 1)))
    with pytest.raises(ConfigError, match="not the key"):
        build(Settings(db=db, cipher_key=AESCipher.create_key(32)), clock=FixedClock(date(2026, 1, 1)))
    with pytest.raises(ConfigError, match="not base64|bytes"):
        build(Settings(db=db, cipher_key="not a key"), clock=FixedClock(date(2026, 1, 1)))


def test_a_plaintext_store_is_never_mixed_with_encrypted_events(tmp_path: Path) -> None:
    db = str(tmp_path / "v.db")
    start(build(Settings(db=db), clock=FixedClock(date(2026, 1, 1))))
    with pytest.raises(ConfigError, match="not encrypted"):
        build(Settings(db=db, cipher_key=AESCipher.create_key(32)), clock=FixedClock(date(2026, 1, 1)))


def test_retention_lists_settled_tenancies_two_years_after_they_ended(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "v.db")
    app = build(Settings(db=db), clock=FixedClock(date(2026, 3, 1)))
    start(app, "T1")
    start(app, "T2")
    app.pay(ADMIN, "T1", cents=65000, booked_on=date(2026, 2, 2), tx_id="P1")
    app.end_tenancy(ADMIN, "T1", on=date(2026, 3, 31), reason="moved")
    app.end_tenancy(ADMIN, "T2", on=date(2026, 3, 31), reason="moved")  # not settled: stays
    monkeypatch.setenv("VANGNET_DB", db)
    r = CliRunner().invoke(cli, ["privacy", "due", "--date", "2028-03-31", "--json"])
    assert r.exit_code == 0, r.output
    assert '"ref": "T1"' in r.stdout and "T2" not in r.stdout
    r = CliRunner().invoke(cli, ["privacy", "due", "--date", "2028-03-30"])
    assert "no tenancy" in r.stdout
    r = CliRunner().invoke(cli, ["privacy", "erase", "T1", "--yes"])
    assert r.exit_code == 0
    r = CliRunner().invoke(cli, ["privacy", "due", "--date", "2028-03-31", "--json"])
    assert "T1" not in r.stdout


LETTERS_POLICY = """
[letters]
landlord_name = "Woningstichting Vangnet"
landlord_address = "Postbus 1\\n7800 AA Emmen"
landlord_iban = "NL02ABNA0123456789"
payment_phone = "0591 - 123 456"
sender_name = "Team Huurincasso"
debt_help_municipality = "Gemeente Emmen, 14 0591"
debt_help_gkb = "GKB Drenthe, 0592 - 000 000"
objection_phone = "0591 - 123 456"
"""


def test_the_cli_surface_logs_and_prints_no_personal_data(tmp_path: Path, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    """Personal data goes in (contact details, letters with the tenant's name and address),
    the administrator erases it, and none of it shows in any output, log or the store."""
    db = tmp_path / "v.db"
    policy = tmp_path / "policy.toml"
    policy.write_text(LETTERS_POLICY)
    monkeypatch.setenv("VANGNET_DB", str(db))
    monkeypatch.setenv("VANGNET_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("VANGNET_POLICY", str(policy))
    monkeypatch.delenv("VANGNET_ACTOR", raising=False)
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    outputs = []

    def run(*args: str) -> str:
        r = CliRunner().invoke(cli, list(args))
        assert r.exit_code == 0, r.output
        outputs.append(r.output)
        return r.output

    run("tenancy", "start", "T1", "--rent", "650.00", "--start", "2026-01-01", "--name", NAME,
        "--phone", PHONE, "--iban", IBAN, "--address", ADDRESS)
    refused = CliRunner().invoke(cli, ["tenancy", "start", "T2", "--rent", "650.00", "--start", "2026-01-01",
                                       "--iban", "NL00BANK0123456789"])
    assert refused.exit_code == 2  # a bad IBAN is refused without echoing it
    outputs.append(refused.output)
    run("tenancy", "intake", "T1", "--debt-counselling", "yes", "--garnishment", "no",
        "--financial-administration", "no", "--benefit-pay-day", "5")
    run("tenancy", "charge", "T1", "--period", "2026-02", "--amount", "650.00")
    run("tenancy", "pay", "T1", "--amount", "100,00", "--date", "2026-02-03", "--tx", "P1")
    run("day", "run", "--date", "2026-02-02", "--through", "2026-03-20")
    run("worklist", "--date", "2026-03-20", "--json")
    run("case", "list", "--json")
    run("tenancy", "show", "T1", "--json")
    run("letters", "outbox")
    run("signals", "list")
    run("policy", "show")
    # the personal data really went in: the store holds it and a letter names the tenant
    assert NAME in all_text(db)
    letters = list((tmp_path / "out" / "letters").rglob("*.html"))
    assert letters and any(NAME in f.read_text() for f in letters)

    denied = CliRunner().invoke(cli, ["--as", "officer:olaf", "privacy", "erase", "T1", "--yes"])
    assert denied.exit_code == 3 and NAME in all_text(db)  # an officer may not erase
    outputs.append(denied.output)
    assert "erased" in run("privacy", "erase", "T1", "--yes")
    after = run("tenancy", "show", "T1", "--json")
    assert '"erased": true' in after
    run("case", "list", "--json")
    run("letters", "outbox")
    run("day", "run", "--date", "2026-03-21", "--through", "2026-04-20")

    text = "\n".join(outputs) + caplog.text
    for secret in (NAME, PHONE, IBAN, ADDRESS, "NL00BANK0123456789"):
        assert secret not in text
    stored = all_text(db)
    for secret in (NAME, PHONE, IBAN, ADDRESS):
        assert secret not in stored
