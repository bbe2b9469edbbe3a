"""Bank statements through the store (CAMT.053 via the CLI), and an import killed in the
middle of its write leaves nothing behind: re-running it records each transaction once."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.cli.main import cli
from adapters.store.sql import SideWriter
from tests.unit.test_camt import ntry, statement_xml, tx


def invoke(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.output


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VANGNET_DB", str(tmp_path / "v.db"))
    monkeypatch.setenv("VANGNET_OUT", str(tmp_path / "out"))
    monkeypatch.delenv("VANGNET_ACTOR", raising=False)
    for ref in ("T1", "T2"):
        assert invoke("tenancy", "start", ref, "--rent", "650.00", "--start", "2024-01-01")[0] == 0
        assert invoke("tenancy", "charge", ref, "--period", "2024-05", "--amount", "650.00")[0] == 0
    return tmp_path / "v.db"


def rows(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def balance(ref: str) -> str:
    return json.loads(CliRunner().invoke(cli, ["tenancy", "show", ref, "--json"]).stdout)["balance"]


def test_a_statement_lands_matches_never_guesses_and_a_return_reverses(store: Path, tmp_path: Path) -> None:
    batch = ntry(130_000, details=[tx(65_000, e2e="DD-T1-2024-05", mandate="M-T1"),
                                   tx(65_000, e2e="DD-T2-2024-05", mandate="M-T2")])
    unknown = ntry(12_345, details=[tx(12_345, strd="XYZ-999")])
    first = tmp_path / "s1.xml"
    first.write_bytes(statement_xml([batch, unknown], stmt_id="S1", seq=1))
    code, out = invoke("ledger", "import-camt", str(first), "--json")
    assert code == 0, out
    assert json.loads(out)["imported"] == {"PAYMENT": 2} and json.loads(out)["suspense"] == 1
    assert balance("T1") == "0.00" and balance("T2") == "0.00"

    code, out = invoke("ledger", "import-camt", str(first))  # the same statement again
    assert code == 0 and "already booked 2" in out

    closing_1 = 100_000 + 130_000 + 12_345
    returned = ntry(65_000, "DBIT", details=[tx(65_000, e2e="DD-T2-2024-05", reason="AM04")], booked="2024-05-20")
    second = tmp_path / "s2.xml"
    second.write_bytes(statement_xml([returned], stmt_id="S2", seq=2, opening=closing_1))
    code, out = invoke("ledger", "import-camt", str(second), "--json")
    assert code == 0, out
    assert json.loads(out)["imported"] == {"REVERSAL": 1}
    assert balance("T2") == "650.00"  # the storno re-opens the arrears

    code, out = invoke("ledger", "suspense", "--json")
    (item,) = json.loads(out)
    assert item["cents"] == 12_345 and item["status"] == "open"
    assert invoke("ledger", "suspense", "--assign", item["item_id"], "T1")[0] == 0
    assert balance("T1") == "-123.45"
    code, out = invoke("ledger", "suspense", "--assign", item["item_id"], "T1")
    assert code == 2 and "already assigned" in out


def test_a_broken_balance_or_a_gap_between_statements_is_refused(store: Path, tmp_path: Path) -> None:
    before = rows(store, "SELECT COUNT(*) FROM stored_events")
    broken = tmp_path / "broken.xml"
    broken.write_bytes(statement_xml([ntry(65_000, details=[tx(65_000, strd="T1")])], closing=999_999))
    code, out = invoke("ledger", "import-camt", str(broken))
    assert code == 2 and "balance" in out.lower()
    assert rows(store, "SELECT COUNT(*) FROM stored_events") == before

    ok = tmp_path / "ok.xml"
    ok.write_bytes(statement_xml([ntry(65_000, details=[tx(65_000, strd="T1")])], stmt_id="S1", seq=1))
    assert invoke("ledger", "import-camt", str(ok))[0] == 0
    gap = tmp_path / "gap.xml"
    gap.write_bytes(statement_xml([ntry(100, details=[tx(100, strd="T2")])], stmt_id="S3", seq=3, opening=5))
    code, out = invoke("ledger", "import-camt", str(gap))
    assert code == 2 and "does not follow on" in out


HEADER = "transaction_id;tenancy_id;booking_date;kind;amount;period\n"


class ProcessKilled(BaseException):
    """Stands for a kill: nothing after it runs (not even ordinary exception handlers)."""


def test_an_import_killed_while_writing_leaves_nothing_and_a_rerun_lands_each_row_once(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "ledger.csv"
    f.write_text(HEADER + "".join(f"P{i};T{1 + i % 2};0{1 + i % 9}-05-2024;PAYMENT;10,00;\n" for i in range(40)))
    events_before = rows(store, "SELECT COUNT(*) FROM stored_events")
    original = SideWriter.apply

    def die_midway(self, cursor, ops):  # type: ignore[no-untyped-def]
        original(self, cursor, ops[: len(ops) // 2])  # half the side rows written...
        raise ProcessKilled("killed")  # ...then the process dies

    monkeypatch.setattr(SideWriter, "apply", die_midway)
    with pytest.raises(ProcessKilled):
        CliRunner().invoke(cli, ["ledger", "import", str(f), "--source", "erp"], catch_exceptions=False)
    monkeypatch.setattr(SideWriter, "apply", original)
    assert rows(store, "SELECT COUNT(*) FROM stored_events") == events_before
    assert rows(store, "SELECT COUNT(*) FROM ledger_tx WHERE source = 'erp'") == [(0,)]

    code, out = invoke("ledger", "import", str(f), "--source", "erp")
    assert code == 0 and "PAYMENT 40" in out
    assert rows(store, "SELECT COUNT(*) FROM ledger_tx WHERE source = 'erp'") == [(40,)]
    assert rows(store, "SELECT COUNT(DISTINCT tx_id) FROM ledger_tx WHERE source = 'erp'") == [(40,)]
    code, out = invoke("ledger", "import", str(f), "--source", "erp")
    assert "skipped (already imported): 40" in out


def test_a_file_of_two_statements_lands_whole_or_not_at_all(store: Path, tmp_path: Path) -> None:
    first = statement_xml([ntry(65_000, details=[tx(65_000, strd="T1")])], stmt_id="S1", seq=1)
    broken_second = statement_xml([ntry(65_000, details=[tx(65_000, strd="T2")])], stmt_id="S2", seq=2, opening=7)
    both = tmp_path / "two.xml"
    both.write_bytes(first.replace(b"</BkToCstmrStmt></Document>", b"")
                     + broken_second[broken_second.index(b"<Stmt>"):])
    before = rows(store, "SELECT COUNT(*) FROM stored_events")
    code, out = invoke("ledger", "import-camt", str(both))
    assert code == 2 and "statement S2 of account NL91...4300 EUR does not follow on from statement S1" in out
    assert rows(store, "SELECT COUNT(*) FROM stored_events") == before
    assert rows(store, "SELECT COUNT(*) FROM bank_statements") == [(0,)]
