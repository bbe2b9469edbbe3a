"""A store made by older code is brought up to date when it is opened: the index of
unpaid tenancies without a case (what the daily run reads to open cases) holds only
unpaid rows after migration 6, and the daily run's question is answered the same."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from adapters.bootstrap import Settings, build
from adapters.memory import FixedClock
from adapters.store.schema import LATEST
from domain.tenancy import Tenancy
from domain.values import Period

DAY = date(2026, 3, 1)


def _indexes(db: Path) -> dict[str, str]:
    con = sqlite3.connect(db)
    try:
        return {n: sql for n, sql in con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'rm_tenancies' AND sql IS NOT NULL")}
    finally:
        con.close()


def _start(db: Path, refs_unpaid: dict[str, bool]) -> None:
    app = build(Settings(db=str(db)), clock=FixedClock(DAY))
    try:
        ts = []
        for ref, unpaid in refs_unpaid.items():
            t = Tenancy.start(ref, 65000, date(2026, 1, 1), 1, by="test")
            t.charge_rent(period=Period(2026, 2), cents=65000, source="erp", tx_id=f"{ref}-c", booked_on=date(2026, 2, 1))
            if not unpaid:
                t.receive_payment(cents=65000, source="erp", tx_id=f"{ref}-p", booked_on=date(2026, 2, 1))
            ts.append(t)
        app.save_all(ts, on=DAY)
    finally:
        app.close()


def test_an_older_store_gets_the_unpaid_only_index_and_answers_the_same(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _start(db, {"T1": True, "T2": False})
    # as older code left it: the index over every row without a case, schema at version 5
    con = sqlite3.connect(db)
    con.execute("DROP INDEX rm_ten_unpaid_only")
    con.execute("CREATE INDEX rm_ten_unpaid ON rm_tenancies (unpaid_since) WHERE open_case_id IS NULL")
    con.execute("DELETE FROM schema_version WHERE version >= 6")
    con.commit()
    con.close()
    assert "rm_ten_unpaid" in _indexes(db) and "rm_ten_unpaid_only" not in _indexes(db)

    _start(db, {"T3": True, "T4": False})  # opening it runs migration 6
    indexes = _indexes(db)
    assert "rm_ten_unpaid" not in indexes
    assert "unpaid_since IS NOT NULL" in indexes["rm_ten_unpaid_only"]
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == LATEST
        plan = " ".join(str(r) for r in con.execute(
            "EXPLAIN QUERY PLAN SELECT tenancy_id FROM rm_tenancies WHERE open_case_id IS NULL "
            "AND unpaid_since IS NOT NULL AND unpaid_since <= '2026-03-01'"))
    finally:
        con.close()
    assert "rm_ten_unpaid_only" in plan  # the daily run's question can use it
    app = build(Settings(db=str(db)), clock=FixedClock(DAY))
    try:
        unpaid = {app.get_tenancy_by_id(tid).ref for tid, _ in app.store.unpaid_without_case(DAY)}
    finally:
        app.close()
    assert unpaid == {"T1", "T3"}
