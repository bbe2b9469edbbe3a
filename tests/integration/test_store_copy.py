"""Moving a store: ``vangnet store copy`` takes everything between SQLite and
PostgreSQL and verifies the copy; ``store backup`` copies a SQLite store in use;
``audit import`` says what an export does not carry."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.bootstrap import Settings, build
from adapters.cli.main import cli
from adapters.memory import (
    FixedClock,
    RecordingLetters,
    RecordingSignals,
    RecordingSms,
    RecordingTelephony,
)
from application import daily_run
from application.ports import Contact
from domain.values import Actor, IntakeAnswers, Period, Role

ADMIN = Actor(Role.ADMIN, "root")


def _app(db: str, tmp_path: Path, day: date = date(2026, 2, 12)):  # type: ignore[no-untyped-def]
    return build(Settings(db=db, out_dir=str(tmp_path / "out")), clock=FixedClock(day), telephony=RecordingTelephony(),
                 sms=RecordingSms(), letters=RecordingLetters(), signals=RecordingSignals())


def _landlord(db: str, tmp_path: Path) -> None:
    app = _app(db, tmp_path)
    for i in range(3):
        ref = f"T{i}"
        app.start_tenancy(ADMIN, ref, rent_cents=65000, start_date=date(2026, 1, 1),
                          contact=Contact(tenancy_id=None, name=f"Tenant {i}", phone="0612345678"))  # type: ignore[arg-type]
        app.record_intake(ADMIN, ref, IntakeAnswers(debt_counselling=i == 0, garnishment=False,
                                                    financial_administration=False, benefit_pay_day=5))
        app.charge_rent(ADMIN, ref, period=Period(2026, 2), cents=65000)
    app.pay(ADMIN, "T1", cents=65000, booked_on=date(2026, 2, 3), tx_id="B1")
    daily_run.run(app, date(2026, 2, 2), through=date(2026, 2, 12))
    app.close()


def _state(db: str, tmp_path: Path) -> dict[str, object]:
    app = _app(db, tmp_path)
    try:
        t0 = app.tenancy_view(ADMIN, "T0")
        return {"events": app.store.count_events(), "contact": app.store.contact(app.get_tenancy("T0").id).name,
                "intake": json.dumps(t0, sort_keys=True, default=str),
                "outbox": len(app.store.outbox_items(include_sent=True)),
                "cases": [c["case_id"] for c in app.store.list_cases()]}
    finally:
        app.close()


def copy(src: str, dst: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["store", "copy", "--from", src, "--to", dst],
                              env={"VANGNET_OUT": str(tmp_path / "out"), "VANGNET_ACTOR": ""})


@pytest.mark.postgres
def test_store_copy_moves_everything_sqlite_to_postgres_and_back(pg_db: str, tmp_path: Path) -> None:
    src = str(tmp_path / "a.db")
    _landlord(src, tmp_path)
    before = _state(src, tmp_path)
    assert before["outbox"] and before["cases"]
    r = copy(src, pg_db, tmp_path)
    assert r.exit_code == 0, r.output
    assert "verified" in r.output
    assert _state(pg_db, tmp_path) == before  # contact directory and keys came along: intake readable
    back = str(tmp_path / "b.db")
    r = copy(pg_db, back, tmp_path)
    assert r.exit_code == 0, r.output
    assert _state(back, tmp_path) == before
    r = CliRunner().invoke(cli, ["--db", back, "audit", "verify"], env={"VANGNET_ACTOR": ""})
    assert r.exit_code == 0, r.output
    # the copy is a working store: new events continue after the copied positions
    app = _app(back, tmp_path, date(2026, 2, 13))
    app.pay(ADMIN, "T2", cents=100, booked_on=date(2026, 2, 13), tx_id="B2")
    app.close()
    r = CliRunner().invoke(cli, ["--db", back, "audit", "verify"], env={"VANGNET_ACTOR": ""})
    assert r.exit_code == 0, r.output


def test_store_copy_refuses_a_target_that_holds_data(tmp_path: Path) -> None:
    src, dst = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    _landlord(src, tmp_path)
    _landlord(dst, tmp_path)
    events = _state(dst, tmp_path)["events"]
    r = copy(src, dst, tmp_path)
    assert r.exit_code == 2
    assert "the target is not empty" in r.output
    assert _state(dst, tmp_path)["events"] == events


def test_store_backup_copies_a_sqlite_store_in_use(tmp_path: Path) -> None:
    src = str(tmp_path / "a.db")
    _landlord(src, tmp_path)
    reader = sqlite3.connect(src)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM stored_events").fetchone()  # someone reading meanwhile
    r = CliRunner().invoke(cli, ["--db", src, "store", "backup", str(tmp_path / "backup.db")],
                           env={"VANGNET_ACTOR": ""})
    reader.close()
    assert r.exit_code == 0, r.output
    assert _state(str(tmp_path / "backup.db"), tmp_path) == _state(src, tmp_path)
    r = CliRunner().invoke(cli, ["--db", src, "store", "backup", str(tmp_path / "backup.db")],
                           env={"VANGNET_ACTOR": ""})
    assert r.exit_code == 2 and "exists" in r.output


def test_audit_import_says_what_an_export_does_not_carry(tmp_path: Path) -> None:
    src = str(tmp_path / "a.db")
    _landlord(src, tmp_path)
    export = tmp_path / "events.jsonl"
    r = CliRunner().invoke(cli, ["--db", src, "audit", "export", "--out", str(export)], env={"VANGNET_ACTOR": ""})
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["--db", str(tmp_path / "b.db"), "audit", "import", str(export)],
                           env={"VANGNET_ACTOR": ""})
    assert r.exit_code == 0, r.output
    assert "not carried: contact directory, sealing keys" in r.output
    assert "vangnet store copy" in r.output


def _tables(db: str, tmp_path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every copied table's rows, sorted (the same on SQLite and PostgreSQL)."""
    from adapters.store import copy as store_copy

    app = _app(db, tmp_path)
    try:
        side = store_copy._Side(app, store_copy._dialect(db))
        out = {}
        for t in side.tables():
            if t == "meta":
                continue
            cols = sorted(side.columns(t))
            out[t] = sorted((tuple(r) for page in side.rows(t, cols) for r in page), key=repr)
        return out
    finally:
        app.close()


@pytest.mark.postgres
@pytest.mark.parametrize("pg_key", ["key", "ctid"])
def test_store_copy_of_many_rows_read_page_by_page_is_complete_and_equal(
        pg_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_key: str) -> None:
    """Side tables are read by key after the last row of the previous page (never by
    OFFSET); with pages of 7 rows every row of every table arrives once, both ways."""
    from adapters.store import copy as store_copy

    src = str(tmp_path / "a.db")
    app = _app(src, tmp_path)
    for i in range(60):
        app.start_tenancy(ADMIN, f"T{i:02d}", rent_cents=65000, start_date=date(2026, 1, 1),
                          contact=Contact(tenancy_id=None, name=f"Tenant {i}", phone="0612345678"))  # type: ignore[arg-type]
    lines = [f"C{i};T{i:02d};01-02-2026;CHARGE;650,00;2026-02;Huur;;;" for i in range(60)]
    lines += [f"P{i};T{i:02d};03-02-2026;PAYMENT;{600 + i},00;;Betaling;;;" for i in range(60)]
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("transaction_id;tenancy_id;booking_date;kind;amount;period;description;counterparty_iban;"
                      "reason_code;reverses_transaction_id\n" + "\n".join(lines) + "\n")
    app.close()
    r = CliRunner().invoke(cli, ["--db", src, "ledger", "import", str(ledger), "--source", "erp"],
                           env={"VANGNET_ACTOR": ""})
    assert r.exit_code == 0, r.output
    app = _app(src, tmp_path)
    daily_run.run(app, date(2026, 2, 2), through=date(2026, 2, 12))
    app.close()
    before = _tables(src, tmp_path)
    assert len(before["ledger_tx"]) == 120 and len(before["contact_directory"]) == 60
    assert len(before["rm_tenancies"]) == 60 and len(before["event_chain"]) > 180

    monkeypatch.setattr(store_copy, "PAGE", 7)
    if pg_key == "ctid":  # PostgreSQL tables read by physical row id (a table without a unique key)
        monkeypatch.setattr(store_copy._Side, "key", lambda self, table: ["rowid"] if self.dialect == "sqlite"
                            else ["ctid"])
    r = copy(src, pg_db, tmp_path)
    assert r.exit_code == 0, r.output
    assert _tables(pg_db, tmp_path) == before
    back = str(tmp_path / "b.db")
    r = copy(pg_db, back, tmp_path)
    assert r.exit_code == 0, r.output
    assert _tables(back, tmp_path) == before
