"""A large ledger import is written in bounded steps: chunks of whole tenancies,
each a short transaction, so other writers get their turn; an import cut off
between chunks is completed by running it again, and the daily run waits for it."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.csv_ledger.parser import parse_ledger_csv
from application import bulk, daily_run
from application.service import CommandError, ConcurrencyConflict
from domain.values import Actor, Role
from tests.conftest import Backend

ADMIN = Actor(Role.ADMIN, "root")
HEADER = "transaction_id;tenancy_id;booking_date;kind;amount;period;description;counterparty_iban;reason_code;reverses_transaction_id"


def _ledger(tenancies: int, per_tenancy: int) -> bytes:
    rows = [HEADER]
    for k in range(per_tenancy):
        for i in range(tenancies):
            rows.append(f"P{i}-{k};T{i};0{1 + k % 9}-02-2026;PAYMENT;1,00;;;;;")
    return ("\n".join(rows) + "\n").encode()


def _setup(backend: Backend, tenancies: int):  # type: ignore[no-untyped-def]
    app = backend.build()
    for i in range(tenancies):
        app.start_tenancy(ADMIN, f"T{i}", rent_cents=65000, start_date=date(2026, 1, 1))
    return app


def _events(app) -> int:  # type: ignore[no-untyped-def]
    return int(app.store.count_events())


def test_a_large_import_commits_in_chunks_and_other_writers_get_their_turn(
        backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "CHUNK_EVENTS", 40)
    app = _setup(backend, 30)
    officer = backend.build()  # a second application (another writer) on the same store
    lines, errors, rows = parse_ledger_csv(_ledger(30, 6), today=date(2026, 3, 1))
    assert not errors
    seen: list[tuple[int, int]] = []

    def between_chunks(written: int, total: int) -> None:
        seen.append((written, total))
        if written < total:  # the store is free between chunks: another writer saves at once
            officer.pay(ADMIN, "T0", cents=100, booked_on=date(2026, 2, 20), tx_id=f"OFFICER-{written}")

    report = app.import_ledger(ADMIN, lines, source="erp", rows_read=rows, on_chunk=between_chunks)
    assert report.imported == {"PAYMENT": 180}
    total = seen[-1][1]
    assert total >= 4 and [w for w, _ in seen] == list(range(1, total + 1))
    assert app.store.incomplete_imports() == []
    assert app.get_tenancy("T5").balance_cents == -600


def test_an_officer_paying_on_tenancies_of_later_chunks_during_the_import_costs_a_chunk_retry_not_the_import(
        backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seen on PostgreSQL with the CLI: a 40,000-row import failed with "another writer
    changed the same record" because an officer recorded payments while it ran: every
    payment on a tenancy the import had read but not yet written made the next chunk
    conflict, and the whole import was retried until it gave up."""
    monkeypatch.setattr(bulk, "CHUNK_EVENTS", 40)  # 6 tenancies (36 payments) per chunk
    app = _setup(backend, 30)
    officer = backend.build()
    lines, errors, rows = parse_ledger_csv(_ledger(30, 6), today=date(2026, 3, 1))
    assert not errors
    paid: list[str] = []

    def officer_keeps_working(written: int, total: int) -> None:
        if written < total:  # a payment on the first tenancy the import has read but not yet written
            officer.forget_cache()
            ref = next(f"T{i}" for i in range(30) if officer.get_tenancy(f"T{i}").balance_cents == 0)
            officer.pay(ADMIN, ref, cents=100, booked_on=date(2026, 2, 20), tx_id=f"OFFICER-{len(paid)}")
            paid.append(ref)

    report = app.import_ledger(ADMIN, lines, source="erp", rows_read=rows, on_chunk=officer_keeps_working)
    assert report.imported == {"PAYMENT": 180}
    assert paid == ["T6", "T12", "T18", "T24"]
    assert app.store.incomplete_imports() == []
    fresh = backend.build()
    for i in range(30):  # every import line and every officer payment, each once
        assert fresh.get_tenancy(f"T{i}").balance_cents == (-700 if f"T{i}" in paid else -600), i
    assert _events(fresh) == 30 + 180 + 4


def test_a_chunk_that_keeps_colliding_stops_the_import_with_how_far_it_got_and_a_rerun_completes_it(
        backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "CHUNK_EVENTS", 40)
    monkeypatch.setattr(bulk, "CHUNK_ATTEMPTS", 1)  # no second try: the conflict stands
    app = _setup(backend, 30)
    officer = backend.build()
    data = _ledger(30, 6)
    lines, _, rows = parse_ledger_csv(data, today=date(2026, 3, 1))

    def officer_pays_t6(written: int, total: int) -> None:
        if written == 1:
            officer.pay(ADMIN, "T6", cents=100, booked_on=date(2026, 2, 20), tx_id="OFFICER-1")

    with pytest.raises(ConcurrencyConflict, match="stopped after 1 of 5 chunks.*run the same import again"):
        app.import_ledger(ADMIN, lines, source="erp", rows_read=rows, on_chunk=officer_pays_t6)
    [half] = app.store.incomplete_imports()
    assert half["written"] == 1
    again = backend.build()
    lines, _, rows = parse_ledger_csv(data, today=date(2026, 3, 1))
    report = again.import_ledger(ADMIN, lines, source="erp", rows_read=rows)
    assert report.skipped == 36 and sum(report.imported.values()) == 144
    assert again.store.incomplete_imports() == []
    assert again.get_tenancy("T6").balance_cents == -700


def test_an_import_cut_off_between_chunks_is_completed_by_running_it_again(
        backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "CHUNK_EVENTS", 40)
    app = _setup(backend, 30)
    data = _ledger(30, 6)
    lines, _, rows = parse_ledger_csv(data, today=date(2026, 3, 1))
    before = _events(app)

    def die_after_two(written: int, total: int) -> None:
        if written == 2:
            raise ConnectionError("lost the connection to the store")

    with pytest.raises(ConnectionError):
        app.import_ledger(ADMIN, lines, source="erp", rows_read=rows, on_chunk=die_after_two)
    [half] = app.store.incomplete_imports()
    assert half["written"] == 2 and half["status"] == "writing"
    with pytest.raises(CommandError, match="run the same import again"):
        daily_run.run(app, date(2026, 3, 2))  # the playbook never sees half an import

    app2 = backend.build()
    lines, _, rows = parse_ledger_csv(data, today=date(2026, 3, 1))
    report = app2.import_ledger(ADMIN, lines, source="erp", rows_read=rows)
    assert report.skipped > 0  # the two written chunks
    assert sum(report.imported.values()) + report.skipped == 180
    assert app2.store.incomplete_imports() == []
    assert _events(app2) == before + 180  # every payment once: nothing lost, nothing twice
    daily_run.run(app2, date(2026, 3, 2))


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_forty_thousand_payment_rows_finish_on_postgres_while_an_officer_keeps_writing(backend: Backend) -> None:
    """The size reported to hang (40,000 rows) finishes in default-size chunks, and an
    officer's payment during the import is saved at once, not after it."""
    app = backend.build()
    for start in range(0, 2000, 500):
        from domain.tenancy import Tenancy

        batch = [Tenancy.start(f"T{i}", 65000, date(2026, 1, 1), 1, by="test") for i in range(start, start + 500)]
        app.save_all(batch, on=date(2026, 1, 1))
    officer = backend.build()
    lines, errors, rows = parse_ledger_csv(_ledger(2000, 20), today=date(2026, 3, 1))
    assert not errors and len(lines) == 40_000
    paid: list[int] = []

    def between(written: int, total: int) -> None:
        if written == 3:
            officer.pay(ADMIN, "T1", cents=100, booked_on=date(2026, 2, 20), tx_id="OFFICER-1")
            paid.append(written)

    report = app.import_ledger(ADMIN, lines, source="erp", rows_read=rows, on_chunk=between)
    assert report.imported == {"PAYMENT": 40_000}
    assert paid == [3]
    assert app.store.incomplete_imports() == []
