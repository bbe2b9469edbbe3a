"""The store contract: the application on every event store (a named in-memory SQLite
database, a SQLite file, PostgreSQL marked ``postgres``) keeps what it was given.

* a fresh application on the same store reads the same state (replay);
* two writers on one store lose nothing: a collision is retried on fresh copies, and
  one that persists is a clear ``ConcurrencyConflict`` that saves nothing;
* no personal data lands in the event table.

Every test runs once per store through the ``backend`` fixture of ``tests/conftest.py``;
a new store adds its kind there and passes this suite.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from application.ports import Contact
from application.service import ConcurrencyConflict, Vangnet
from domain.values import Channel, IntakeAnswers, Outcome, Partner
from tests.conftest import Backend, make_backend
from tests.story import (
    AUDITOR,
    LETTING,
    OFFICER,
    RENT,
    case_of,
    charge,
    d,
    pay,
    profiled_tenant,
    run,
    tenant,
)

# ------------------------------------------------------------------ replay


def test_a_fresh_application_on_the_same_store_reads_the_same_state(backend: Backend):
    app = backend.build()
    profiled_tenant(app, "P1", pay_day=5)
    tenant(app, "S1")
    for ref in ("P1", "S1"):
        charge(app, ref, "2026-02")
    run(app, "2026-02-02", "2026-02-13")
    app.record_contact(
        OFFICER,
        case_of(app, "P1").id,
        channel=Channel.PHONE,
        outcome=Outcome.NO_ANSWER,
        on=d("2026-02-09"),
    )
    fresh = backend.build()
    for ref in ("P1", "S1"):
        assert fresh.tenancy_view(AUDITOR, ref) == app.tenancy_view(AUDITOR, ref)
        assert fresh.case_view(AUDITOR, case_of(fresh, ref).id) == app.case_view(
            AUDITOR, case_of(app, ref).id
        )
    assert fresh.list_cases(AUDITOR) == app.list_cases(AUDITOR)


# ---------------------------------------------------------------- concurrency


def _interfere(app: Vangnet, other_writer: Any, times: int | None) -> list[int]:
    """Let ``other_writer()`` save just before ``app`` saves (``times`` times, or always):
    ``app`` has read the aggregates, another writer changes them, then ``app`` writes."""
    original = app.save
    calls: list[int] = []

    def save(*objs: Any, **kw: Any) -> Any:
        if times is None or len(calls) < times:
            calls.append(len(calls) + 1)
            other_writer()
        return original(*objs, **kw)

    app.save = save  # type: ignore[method-assign]
    return calls


def test_two_applications_writing_to_the_same_tenancy_lose_no_event_and_retry_a_conflict(
    backend: Backend,
):
    one, two = backend.build(), backend.build()
    tenant(one, "T1")
    charge(one, "T1", "2026-02")
    interfered = _interfere(two, lambda: pay(one, "T1", "2026-02-02", 300_00, tx="A"), times=1)
    pay(two, "T1", "2026-02-02", 350_00, tx="B")  # conflicts once, retried on a fresh copy
    assert interfered == [1]
    fresh = backend.build()
    t = fresh.get_tenancy("T1")
    assert (t.paid, t.balance_cents) == (650_00, 0)
    assert {"manual/A", "manual/B"} <= set(t.transactions)
    assert set(fresh.store.known_transactions("manual", ["A", "B"])) == {"A", "B"}
    assert fresh.tenancy_view(AUDITOR, "T1")["unpaid_since"] is None


def test_a_conflict_that_persists_is_a_clear_concurrency_conflict_and_saves_nothing(
    backend: Backend,
):
    one, two = backend.build(), backend.build()
    tenant(one, "T1")
    charge(one, "T1", "2026-02")
    n = iter(range(100))
    _interfere(two, lambda: pay(one, "T1", "2026-02-02", 1_00, tx=f"A{next(n)}"), times=None)
    with pytest.raises(ConcurrencyConflict, match="try again"):
        pay(two, "T1", "2026-02-02", tx="B")
    fresh = backend.build()
    assert fresh.store.known_transactions("manual", ["B"]) == {}
    t = fresh.get_tenancy("T1")
    assert "manual/B" not in t.transactions
    assert t.paid == 3 * 1_00  # the other writer's payments, one per attempt, all kept


def test_the_daily_run_and_an_officer_writing_the_same_case_lose_nothing(backend: Backend):
    """A day run reads a case, an officer records a contact on it before the run saves:
    the run retries or says so clearly; the officer's contact and the run's steps are kept."""
    run_app = backend.build()
    officer_app = backend.build()
    tenant(run_app, "S1")
    charge(run_app, "S1", "2026-02")
    run(run_app, "2026-02-02", "2026-02-12")
    cid = case_of(run_app, "S1").id

    def officer_calls() -> None:
        officer_app.record_contact(
            OFFICER, cid, channel=Channel.PHONE, outcome=Outcome.NO_ANSWER, on=d("2026-02-13")
        )

    interfered = _interfere(run_app, officer_calls, times=1)
    try:
        run(run_app, "2026-02-13")
    except ConcurrencyConflict:
        run(run_app, "2026-02-13")
    assert interfered == [1]
    case = case_of(backend.build(), "S1")
    assert [(c["channel"], c["on"]) for c in case.contacts] == [("phone", d("2026-02-13"))]
    assert "letter:reminder" in case.actions
    assert len(run_app.ports.letters.sent) == 1  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_applications_paying_in_parallel_lose_no_payment(kind, request, tmp_path, clock):
    backend = make_backend(kind, request, tmp_path, clock)
    try:
        apps = [backend.build(), backend.build()]
        tenant(apps[0], "T1")
        done: list[str] = []
        conflicts: list[str] = []
        errors: list[BaseException] = []

        def writer(i: int) -> None:
            try:
                for n in range(15):
                    tx = f"w{i}-{n}"
                    try:
                        pay(apps[i], "T1", "2026-02-02", 1_00, tx=tx)
                        done.append(tx)
                    except ConcurrencyConflict:
                        conflicts.append(tx)
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=writer, args=(i,)) for i in (0, 1)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert errors == []
        assert len(done) + len(conflicts) == 30
        t = backend.build().get_tenancy("T1")
        assert t.paid == len(done) * 1_00
        assert {k.split("/", 1)[1] for k in t.transactions} == set(done)
    finally:
        backend.close()


# ----------------------------------------------------------------- privacy

PERSONAL = {
    "name": "Johanna Pietersen-de Vries",
    "phone": "+31612345678",
    "address": "Kerkstraat 17, Assen",
    "iban": "NL91ABNA0417164300",
}


def test_no_personal_data_in_the_event_store(backend: Backend):
    app = backend.build()
    contact = Contact(
        tenancy_id=None,
        name=PERSONAL["name"],
        phone=PERSONAL["phone"],  # type: ignore[arg-type]
        address=PERSONAL["address"],
        iban=PERSONAL["iban"],
        municipality="Assen",
    )
    app.start_tenancy(LETTING, "T1", rent_cents=RENT, start_date=d("2026-01-01"), contact=contact)
    app.record_intake(LETTING, "T1", IntakeAnswers(True, True, False, 5, True), on=d("2026-01-01"))
    charge(app, "T1", "2026-02")
    run(app, "2026-02-02", "2026-03-20")
    cid = case_of(app, "T1").id
    app.record_contact(
        OFFICER, cid, channel=Channel.PHONE, outcome=Outcome.REACHED, on=d("2026-03-20")
    )
    app.refer(OFFICER, cid, partner=Partner.WELFARE, consent=True, on=d("2026-03-20"))
    assert app.store.contact(app.get_tenancy("T1").id).phone == PERSONAL["phone"]  # type: ignore[union-attr]

    table = app.recorder.events_table_name
    with app.recorder.datastore.transaction(commit=False) as c:
        c.execute(f"SELECT * FROM {table}")
        rows = [dict(r) for r in c.fetchall()]
    assert len(rows) == app.store.count_events() > 5
    dump = "\n".join(
        bytes(v).decode("utf-8", "replace")
        if isinstance(v, (bytes, bytearray, memoryview))
        else str(v)
        for row in rows
        for v in row.values()
    )
    assert "Started" in dump  # the dump is readable: the check below means something
    for key, value in PERSONAL.items():
        for probe in {value, value.replace("+31", "0"), value[-8:], value.split()[0]}:
            assert probe not in dump, f"{key} ({probe!r}) found in {table}"
    assert "debt_counselling" not in dump  # sensitive intake answers are sealed


# ------------------------------------------------------------- side tables


def test_a_batch_of_read_model_rows_lands_as_given_with_its_gaps_and_repeats(backend: Backend):
    """Many rows of one table are written together (PostgreSQL: one statement over an
    array per column); columns left empty, a row written twice in one batch (the last
    one stands) and values of mixed kinds land as they would one by one. A column the
    key decides (a tenancy's ref: its id is the uuid5 of it) keeps the value first
    written: saves do not rewrite it (nor its index entry)."""
    from application.store import Upsert

    app = backend.build()
    rows = [{"tenancy_id": f"t{i:02d}", "ref": f"R{i}", "rent_cents": 50000 + i, "due_day": 1,
             "start_date": "2026-01-01", "balance_cents": i, "unpaid_since": None if i % 3 else "2026-02-01",
             "open_case_id": None, "profile_active": 0, "worry": 0, "ended_on": None, "version": i}
            for i in range(12)]
    app.store.apply([Upsert("rm_tenancies", ("tenancy_id",), r) for r in rows])
    again = [dict(r, balance_cents=-r["balance_cents"]) for r in rows[:10]]
    again += [dict(rows[0], ref="R0-second", version=99)]  # the same key twice in one batch
    app.store.apply([Upsert("rm_tenancies", ("tenancy_id",), r) for r in again])
    keys = [{"tenancy_id": f"t{i:02d}", "key": bytes([i]) * 32} for i in range(10)]
    app.store.apply([Upsert("tenancy_keys", ("tenancy_id",), k) for k in keys])
    got = {r["tenancy_id"]: r for r in app.store.read_model_rows("rm_tenancies")}  # type: ignore[attr-defined]
    want = {r["tenancy_id"]: r for r in rows}
    want.update({r["tenancy_id"]: dict(r, ref=want[r["tenancy_id"]]["ref"]) for r in again})
    assert got == want
    assert got["t00"]["ref"] == "R0" and got["t00"]["version"] == 99
    stored = app.store.read_model_rows("tenancy_keys")  # type: ignore[attr-defined]
    assert {r["tenancy_id"]: bytes(r["key"]) for r in stored} == {k["tenancy_id"]: k["key"] for k in keys}
