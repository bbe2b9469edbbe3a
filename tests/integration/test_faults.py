"""Fault tests: kill -9 a long import and a multi-month daily run at random points,
run them again, and compare with an uninterrupted run: the same events, the same
deliveries, nothing twice, audit verify clean. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from adapters.bootstrap import Settings, build
from adapters.memory import FixedClock
from application.audit import verify
from application.ports import Contact
from domain.values import Actor, Period, Role
from tests.conftest import PG_ADMIN_URL, _pg_connect

ADMIN = Actor(Role.ADMIN, "root")
ROOT = Path(__file__).resolve().parents[2]
STORES = [pytest.param("sqlite", id="sqlite"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]
HEADER = "transaction_id;tenancy_id;booking_date;kind;amount;period;description;counterparty_iban;reason_code;reverses_transaction_id"
pytestmark = pytest.mark.slow


class Stores:
    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind, self.tmp, self.names = kind, tmp_path, []

    def new(self) -> str:
        if self.kind == "sqlite":
            return str(self.tmp / f"{uuid.uuid4().hex[:8]}.db")
        name = f"vangnet_fault_{uuid.uuid4().hex[:10]}"
        with _pg_connect(PG_ADMIN_URL) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return urlunparse(urlparse(PG_ADMIN_URL)._replace(path=f"/{name}"))

    def drop(self) -> None:
        if self.names:
            with _pg_connect(PG_ADMIN_URL) as admin:
                for n in self.names:
                    admin.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')


@pytest.fixture()
def stores(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "postgres":
        try:
            _pg_connect(PG_ADMIN_URL).close()
        except Exception as e:  # noqa: BLE001
            pytest.skip(f"no PostgreSQL server ({e})")
    s = Stores(request.param, tmp_path)
    yield s
    s.drop()


def _seed(db: str, tmp_path: Path, n: int) -> None:
    app = build(Settings(db=db, out_dir=str(tmp_path / "out")), clock=FixedClock(date(2026, 1, 1)))
    for i in range(n):
        app.start_tenancy(ADMIN, f"T{i}", rent_cents=65000, start_date=date(2026, 1, 1),
                          contact=Contact(tenancy_id=None, name=f"T {i}", phone="0612345678"))  # type: ignore[arg-type]
        if i % 3:  # a third pays every month; the rest are in arrears from February
            continue
    app.close()


def _events(db: str, tmp_path: Path) -> tuple[Counter[tuple[str, int, str]], bool]:
    app = build(Settings(db=db, out_dir=str(tmp_path / "out")), clock=FixedClock(date(2026, 6, 1)))
    try:
        rows = app.recorder.select_event_rows(0, 10**7, with_chain=False)  # type: ignore[attr-defined]
        ok = verify(app, ADMIN).ok
        return Counter((str(r[1]).replace("-", ""), int(r[2]), str(r[3])) for r in rows), ok
    finally:
        app.close()


def _run(args: list[str], kill_after: float | None, go: Path) -> int:
    go.unlink(missing_ok=True)
    p = subprocess.Popen([sys.executable, "-m", "tests.integration.reliab_worker", *args[:1], args[1], str(go),
                          *args[2:]], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if kill_after is not None:
        deadline = time.monotonic() + 60
        while not go.exists() and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(kill_after)
        p.kill()  # SIGKILL: no clean-up of any kind
    p.wait(timeout=300)
    return p.returncode


@pytest.mark.parametrize("stores", STORES, indirect=True)
def test_a_long_import_killed_at_random_points_and_run_again_equals_an_uninterrupted_one(
        stores: Stores, tmp_path: Path) -> None:
    csv = tmp_path / "ledger.csv"
    rows = [HEADER] + [f"P{i}-{k};T{i};0{1 + k}-02-2026;PAYMENT;10,00;;;;;" for k in range(8) for i in range(150)]
    csv.write_text("\n".join(rows) + "\n")
    clean, broken = stores.new(), stores.new()
    for db in (clean, broken):
        _seed(db, tmp_path, 150)
    assert _run(["import", clean, str(csv)], None, tmp_path / "go") == 0
    rng = random.Random(17)
    for _ in range(3):  # killed three times at random points, then run to the end
        _run(["import", broken, str(csv)], rng.uniform(0.0, 1.5), tmp_path / "go")
    assert _run(["import", broken, str(csv)], None, tmp_path / "go") == 0
    want, ok_clean = _events(clean, tmp_path)
    got, ok_broken = _events(broken, tmp_path)
    assert ok_clean and ok_broken
    assert got == want  # the same events, none twice


@pytest.mark.parametrize("stores", STORES, indirect=True)
def test_a_multi_month_day_run_killed_at_random_points_and_run_again_delivers_the_same_once(
        stores: Stores, tmp_path: Path) -> None:
    clean, broken = stores.new(), stores.new()
    for db in (clean, broken):
        app = build(Settings(db=db, out_dir=str(tmp_path / "out")), clock=FixedClock(date(2026, 1, 1)))
        for i in range(12):
            app.start_tenancy(ADMIN, f"T{i}", rent_cents=65000, start_date=date(2026, 1, 1),
                              contact=Contact(tenancy_id=None, name=f"T {i}", phone="0612345678"))  # type: ignore[arg-type]
            for m in (2, 3, 4):
                app.charge_rent(ADMIN, f"T{i}", period=Period(2026, m), cents=65000)
        app.close()
    through = "2026-04-30"
    assert _run(["dayrun", clean, through, str(tmp_path / "rec-clean")], None, tmp_path / "go") == 0
    rng = random.Random(5)
    for _ in range(3):
        _run(["dayrun", broken, through, str(tmp_path / "rec-broken")], rng.uniform(0.2, 3.0), tmp_path / "go")
    assert _run(["dayrun", broken, through, str(tmp_path / "rec-broken")], None, tmp_path / "go") == 0
    want, ok_clean = _events(clean, tmp_path)
    got, ok_broken = _events(broken, tmp_path)
    assert ok_clean and ok_broken
    assert got == want
    for kind in ("calls", "sms"):
        a = sorted(p.name for p in (tmp_path / "rec-clean" / kind).glob("*.json"))
        b = sorted(p.name for p in (tmp_path / "rec-broken" / kind).glob("*.json"))
        assert a == b, kind  # the same deliveries (each id one file: never twice)
    assert (tmp_path / "rec-clean" / "calls").exists()


@pytest.mark.parametrize("stores", STORES, indirect=True)
def test_two_daily_runs_at_once_deliver_each_item_once_and_as_one_run_would(stores: Stores, tmp_path: Path) -> None:
    clean, shared = stores.new(), stores.new()
    for db in (clean, shared):
        app = build(Settings(db=db, out_dir=str(tmp_path / "out")), clock=FixedClock(date(2026, 1, 1)))
        for i in range(12):
            app.start_tenancy(ADMIN, f"T{i}", rent_cents=65000, start_date=date(2026, 1, 1),
                              contact=Contact(tenancy_id=None, name=f"T {i}", phone="0612345678"))  # type: ignore[arg-type]
            app.charge_rent(ADMIN, f"T{i}", period=Period(2026, 2), cents=65000)
        app.close()
    through = "2026-02-20"
    one, two, go = tmp_path / "one.log", tmp_path / "two.log", tmp_path / "go"

    def start(db: str, log: Path) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "tests.integration.reliab_worker", "dayrun-count", db,
                                 str(go), through, str(log)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)

    procs = [start(clean, one)]
    go.touch()
    procs[0].communicate(timeout=300)
    assert procs[0].returncode == 0
    go.unlink()
    procs = [start(shared, two), start(shared, two)]
    go.touch()  # both start their run at the same moment
    errs = [p.communicate(timeout=300)[1].decode(errors="replace") for p in procs]
    assert all(p.returncode == 0 for p in procs), errs
    delivered = Counter(line.split()[1] for line in two.read_text().splitlines())
    assert [i for i, k in delivered.items() if k > 1] == []  # nothing delivered twice
    alone = Counter(line.split()[1] for line in one.read_text().splitlines())
    assert set(delivered) == set(alone) and alone  # the same deliveries as a single run
    want, _ = _events(clean, tmp_path)
    got, ok = _events(shared, tmp_path)
    assert ok and got == want
