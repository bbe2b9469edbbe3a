"""Two processes on one store: a new store opened by both at once, and two daily
runs dispatching the same outbox. Real processes (not threads), on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from adapters.bootstrap import Settings, build
from adapters.memory import FixedClock
from application.store import Upsert
from tests.conftest import fresh_pg_database

ROOT = Path(__file__).resolve().parents[2]
STORES = [pytest.param("sqlite", id="sqlite"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


@pytest.fixture()
def fresh_db(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A store that does not exist yet: a SQLite path, or a new empty PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "new.db")
        return
    with fresh_pg_database("vangnet_reliab") as url:
        yield url


def start(action: str, db: str, go: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tests.integration.reliab_worker", action, db, str(go), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(procs: list[subprocess.Popen[bytes]]) -> list[tuple[int, str]]:
    out = []
    for p in procs:
        _, err = p.communicate(timeout=120)
        out.append((p.returncode, err.decode(errors="replace").strip().splitlines()[-1:] and
                    err.decode(errors="replace").strip().splitlines()[-1] or ""))
    return out


@pytest.mark.parametrize("fresh_db", STORES, indirect=True)
def test_processes_opening_a_new_store_at_once_all_succeed_and_migrate_once(fresh_db: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    procs = [start("open", fresh_db, go) for _ in range(4)]
    go.touch()
    results = finish(procs)
    assert all(rc == 0 for rc, _ in results), results
    app = build(Settings(db=fresh_db, out_dir=str(tmp_path / "out")), clock=FixedClock(date(2026, 2, 2)))
    try:
        with app.recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
            c.execute("SELECT version FROM schema_version ORDER BY version")
            versions = [r["version"] for r in c.fetchall()]
    finally:
        app.close()
    from adapters.store.schema import MIGRATIONS

    assert versions == [v for v, _, _ in MIGRATIONS]  # each migration recorded once


def _fill_outbox(db: str, tmp_path: Path, n: int) -> set[str]:
    app = build(Settings(db=db, out_dir=str(tmp_path / "out")), clock=FixedClock(date(2026, 2, 2)))
    ids = set()
    ops = []
    for i in range(n):
        kind = "sms" if i % 2 else "robocall"
        item = f"{uuid.uuid4().hex}.{kind}-{i}"
        ids.add(item)
        payload = {"case_id": str(uuid.uuid4()), "tenancy_id": str(uuid.uuid4()), "on": "2026-02-02",
                   "amount_cents": 65000, "reference": f"HUUR T{i}"}
        ops.append(Upsert("outbox", ("item_id",), {"item_id": item, "kind": kind, "created_on": "2026-02-02",
                                                    "payload": json.dumps(payload), "sent_on": None}))
    app.store.apply(ops)
    app.close()
    return ids


@pytest.mark.parametrize("fresh_db", STORES, indirect=True)
def test_two_daily_runs_at_once_deliver_each_outbox_item_exactly_once(fresh_db: str, tmp_path: Path) -> None:
    ids = _fill_outbox(fresh_db, tmp_path, 120)
    log = tmp_path / "delivered.log"
    go = tmp_path / "go"
    procs = [start("dispatch", fresh_db, go, str(log)) for _ in range(2)]
    go.touch()
    results = finish(procs)
    assert all(rc == 0 for rc, _ in results), results
    delivered = Counter(line.split()[1] for line in log.read_text().splitlines())
    assert set(delivered) == ids  # every item reached a port
    assert [i for i, k in delivered.items() if k > 1] == []  # none twice
    app = build(Settings(db=fresh_db, out_dir=str(tmp_path / "out")), clock=FixedClock(date(2026, 2, 2)))
    try:
        assert app.store.outbox_items() == []  # all marked sent
    finally:
        app.close()
