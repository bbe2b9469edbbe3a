"""Ledger import end to end through the CLI: every refusal leaves the store as it was,
re-imports are no-ops, and a reversal re-opens the arrears for the next day's run."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.cli.main import cli

HEADER = "transaction_id;tenancy_id;booking_date;kind;amount;period;description;counterparty_iban;reason_code;reverses_transaction_id\n"


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "v.db"
    monkeypatch.setenv("VANGNET_DB", str(db))
    monkeypatch.setenv("VANGNET_OUT", str(tmp_path / "out"))
    monkeypatch.delenv("VANGNET_ACTOR", raising=False)
    for ref in ("T1", "00123"):
        r = CliRunner().invoke(cli, ["tenancy", "start", ref, "--rent", "650.00", "--start", "2026-01-01"])
        assert r.exit_code == 0, r.output
    return db


def snapshot(db: Path) -> tuple[int, int]:
    con = sqlite3.connect(db)
    try:
        events = con.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
        txs = con.execute("SELECT COUNT(*) FROM ledger_tx").fetchone()[0]
    finally:
        con.close()
    return events, txs


def run_import(tmp_path: Path, body: str | bytes, *args: str) -> tuple[int, str]:
    f = tmp_path / "ledger.csv"
    f.write_bytes(body if isinstance(body, bytes) else (HEADER + body).encode())
    r = CliRunner().invoke(cli, ["ledger", "import", str(f), "--source", "erp", *args])
    return r.exit_code, r.output


GOOD = (
    "C1;T1;01-02-2026;CHARGE;650,00;2026-02;huur;;;\n"
    "P1;T1;03-02-2026;PAYMENT;650,00;;;;;\n"
    "C2;00123;01-02-2026;CHARGE;650,00;2026-02;;;;\n"
)


def test_a_good_file_lands_whole_and_again_is_a_no_op(store: Path, tmp_path: Path) -> None:
    before = snapshot(store)
    code, out = run_import(tmp_path, GOOD)
    assert code == 0, out
    assert "CHARGE 2" in out and "PAYMENT 1" in out
    after = snapshot(store)
    assert after[1] == before[1] + 3
    code, out = run_import(tmp_path, GOOD)
    assert code == 0
    assert "skipped (already imported): 3" in out and "nothing new" in out
    assert snapshot(store) == after


@pytest.mark.parametrize(
    ("body", "expect"),
    [
        (GOOD + "P2;T9;03-02-2026;PAYMENT;10,00;;;;;\n", "column tenancy_id, value 'T9': unknown tenancy"),
        (GOOD + "P2;123;03-02-2026;PAYMENT;10,00;;;;;\n", "value '123': unknown tenancy"),  # Excel stripped zeros
        (GOOD + "P2;T1;03-02-2026;PAYMENT;12.50;;;;;\n", "column amount"),
        (GOOD + "P2;T1;2026-02-03;PAYMENT;12,50;;;;;\n", "column booking_date"),
        (GOOD + "P2;T1;03-02-2026;payment;12,50;;;;;\n", "column kind"),
        (GOOD + "R1;T1;05-02-2026;REVERSAL;700,00;;;;AM04;P1\n", "larger"),
        (GOOD + "R1;T1;05-02-2026;REVERSAL;650,00;;;;;P1\n", "column reason_code"),
        (GOOD + "P1;T1;03-02-2026;PAYMENT;650,00;;;;;\n", "column transaction_id"),
        (b"\xff\xfe" + (HEADER + GOOD).encode("utf-16-le"), "UTF-16"),
        ((HEADER + GOOD).replace(";", ",").encode(), "separator"),
        (HEADER.encode(), "no data rows"),
    ],
)
def test_any_bad_line_refuses_the_whole_file_and_writes_nothing(
    store: Path, tmp_path: Path, body: str | bytes, expect: str
) -> None:
    before = snapshot(store)
    code, out = run_import(tmp_path, body)
    assert code == 2, out
    assert expect.lower() in out.lower(), out
    assert "nothing imported" in out
    assert snapshot(store) == before


def test_store_level_refusals_name_line_and_value(store: Path, tmp_path: Path) -> None:
    assert run_import(tmp_path, GOOD)[0] == 0
    before = snapshot(store)
    # same id, other content
    code, out = run_import(tmp_path, "P1;T1;03-02-2026;PAYMENT;600,00;;;;;\n")
    assert code == 2 and "line 2, column transaction_id, value 'P1'" in out and "different content" in out
    # reversal of another tenancy's payment, and of an unknown payment
    code, out = run_import(tmp_path, "R1;00123;05-02-2026;REVERSAL;10,00;;;;AM04;P1\nR2;T1;05-02-2026;REVERSAL;10,00;;;;AM04;P404\n")
    assert code == 2 and "belongs to another tenancy" in out and "unknown payment 'P404'" in out
    assert snapshot(store) == before


def test_reversing_twice_is_refused(store: Path, tmp_path: Path) -> None:
    assert run_import(tmp_path, GOOD + "R1;T1;05-02-2026;REVERSAL;650,00;;;;AM04;P1\n")[0] == 0
    before = snapshot(store)
    code, out = run_import(tmp_path, "R2;T1;06-02-2026;REVERSAL;650,00;;;;AM04;P1\n")
    assert code == 2 and "already reversed" in out
    assert snapshot(store) == before


def test_skip_invalid_imports_the_rest_and_writes_rejects(store: Path, tmp_path: Path) -> None:
    f = tmp_path / "ledger.csv"
    f.write_text(HEADER + GOOD + "P2;T9;03-02-2026;PAYMENT;10,00;;;;;\n")
    r = CliRunner().invoke(cli, ["ledger", "import", str(f), "--source", "erp", "--skip-invalid", "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["imported_total"] == 3 and len(report["rejected"]) == 1
    rejects = (tmp_path / "ledger.csv.rejects.csv").read_text()
    assert "T9" in rejects and "unknown tenancy" in rejects


def test_dry_run_writes_nothing(store: Path, tmp_path: Path) -> None:
    before = snapshot(store)
    code, out = run_import(tmp_path, GOOD, "--dry-run")
    assert code == 0 and "would import" in out
    assert snapshot(store) == before


def test_a_reversal_reopens_the_arrears_for_the_next_days_run(store: Path, tmp_path: Path) -> None:
    assert run_import(tmp_path, GOOD)[0] == 0
    r = CliRunner().invoke(cli, ["day", "run", "--date", "2026-02-05"])
    assert r.exit_code == 0
    assert "opened 1" in r.output  # only 00123 is unpaid
    assert run_import(tmp_path, "R1;T1;09-02-2026;REVERSAL;650,00;;storno;;AM04;P1\n")[0] == 0
    r = CliRunner().invoke(cli, ["day", "run", "--date", "2026-02-10"])
    assert r.exit_code == 0, r.output
    assert "opened 1" in r.output  # T1's storno re-opened its arrears
    shown = json.loads(CliRunner().invoke(cli, ["tenancy", "show", "T1", "--json"]).output)
    assert shown["balance"] == "650.00" and shown["open_case_id"]
