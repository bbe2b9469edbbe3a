"""A property over the bank ledger: whatever the order of imports, re-imports, tenancy
creation and assignments, each bank entry is booked at most once and the balances at
the end are the same."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.bootstrap import Settings, build
from adapters.camt.parser import parse_camt053_statements
from adapters.camt.reader import CamtReader
from adapters.memory import FixedClock
from application.bank import BankBook
from domain.values import Actor, Role
from tests.bank_files import ACCOUNT_A, ACCOUNT_B, Item, Stmt, camt_file, chain

ADMIN = Actor(Role.ADMIN, "test")
OFFICER = Actor(Role.OFFICER, "anna")
REFS = ("T1", "T2", "T3")

# two accounts, two statements each; every credit names a tenancy by reference
A = chain("A", [Item(1_000, ref="T1", bank_ref="A1"), Item(2_000, ref="T2", bank_ref="A2")],
          [Item(3_000, ref="T3", bank_ref="A3"), Item(4_000, ref="ZZ", bank_ref="A4")], account=ACCOUNT_A)
B = chain("B", [Item(500, ref="T3", bank_ref="B1")], [Item(700, ref="T1", bank_ref="B2")], account=ACCOUNT_B)
# files as banks send them: a day's statement, or several days at once (never the
# second day before the first: that is refused as out of order, see test_bank_statements)
FILES = {
    "a1": camt_file(A[0]), "a12": camt_file(*A),
    "b1": camt_file(B[0]), "b12": camt_file(*B), "all": camt_file(A[0], B[0], A[1], B[1]),
}
TOTAL = sum(i.cents for s in [*A, *B] for i in s.items)

step = st.one_of(
    st.tuples(st.just("import"), st.sampled_from(sorted(FILES))),
    st.tuples(st.just("start"), st.sampled_from(REFS)),
    st.tuples(st.just("assign"), st.sampled_from(["first", "all"])),
)
EXPECTED = {"T1": -(1_000 + 700 + 4_000), "T2": -2_000, "T3": -(3_000 + 500)}


def _assign(book: BankBook, how: str) -> None:
    """An officer takes the suggestion; the item that never matches goes to T1."""
    for item in book.suspense(OFFICER):
        target = (item["suggestion"] or {}).get("tenancy") or ("T1" if item["reference"] == "ZZ" else None)
        if target is not None and book.app.tenancy_exists(target):
            book.assign(OFFICER, item["item_id"], target)
            if how == "first":
                return


def _run(tmp: Path, steps: list[tuple[str, str]]) -> tuple[dict[str, int], int]:
    app = build(Settings(db=f"file:prop-{uuid.uuid4().hex}?mode=memory&cache=shared",
                         out_dir=str(tmp)), clock=FixedClock(date(2024, 6, 1)))
    book = BankBook(app)
    reader = CamtReader()
    try:
        for kind, arg in steps:
            if kind == "import":
                try:
                    book.import_statements(ADMIN, parse_camt053_statements(FILES[arg]), reader)
                except Exception as e:  # a statement out of order is refused whole
                    assert "does not follow on" in str(e), e
            elif kind == "start" and not app.tenancy_exists(arg):
                app.start_tenancy(ADMIN, arg, rent_cents=50_000, start_date=date(2024, 1, 1), due_day=1)
            elif kind == "assign":
                _assign(book, arg)
        # finally: every tenancy exists, every file is in, every open item is assigned
        for ref in REFS:
            if not app.tenancy_exists(ref):
                app.start_tenancy(ADMIN, ref, rent_cents=50_000, start_date=date(2024, 1, 1), due_day=1)
        book.import_statements(ADMIN, parse_camt053_statements(FILES["all"]), reader)
        _assign(book, "all")
        assert book.suspense(OFFICER) == []
        balances = {ref: app.get_tenancy(ref).balance_cents for ref in REFS}
        booked = {r["item_id"]: r for r in book.suspense(OFFICER, all_items=True)}
        return balances, len(booked)
    finally:
        app.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, max_size=8))
def test_any_interleaving_books_each_entry_once(tmp_path: Path, steps: list[Any]) -> None:
    balances, items = _run(tmp_path, steps)
    assert items == 6  # six bank entries, each known once
    assert sum(balances.values()) == -TOTAL  # every cent booked exactly once
    assert balances == EXPECTED  # and in the same place, whatever the order


def test_import_assign_and_reimport_on_every_store(app: Any) -> None:
    """The same story on each event store (SQLite in memory, SQLite file, PostgreSQL)."""
    book, reader = BankBook(app), CamtReader()
    app.start_tenancy(ADMIN, "T1", rent_cents=50_000, start_date=date(2024, 1, 1), due_day=1)
    report = book.import_statements(ADMIN, parse_camt053_statements(FILES["all"]), reader)
    assert report.imported == {"PAYMENT": 2} and report.suspense == 4
    app.start_tenancy(ADMIN, "T2", rent_cents=50_000, start_date=date(2024, 1, 1), due_day=1)
    [offered] = [i for i in book.suspense(OFFICER) if i["suggestion"]]
    assert offered["suggestion"] == {"tenancy": "T2", "by": "structured_ref"}
    book.assign(OFFICER, offered["item_id"], "T2")
    again = book.import_statements(ADMIN, parse_camt053_statements(FILES["all"]), reader)
    assert (again.imported, again.suspense, again.already_booked, again.statements_known) == ({}, 0, 3, 4)
    assert app.get_tenancy("T2").balance_cents == -2_000
    assert app.get_tenancy("T1").balance_cents == -(1_000 + 700)


def test_two_officers_assigning_the_same_item_at_once_book_it_once(backend: Any) -> None:
    """The second officer read the item while it was still open: the store refuses the
    second booking as a concurrent change, and the money stays booked once."""
    from application.service import ConcurrencyConflict

    first, second = backend.build(), backend.build()
    for ref in REFS:
        first.start_tenancy(ADMIN, ref, rent_cents=50_000, start_date=date(2024, 1, 1), due_day=1)
    book1, book2 = BankBook(first), BankBook(second)
    book1.import_statements(ADMIN, parse_camt053_statements(FILES["a12"]), CamtReader())
    [item] = book1.suspense(OFFICER)  # the 40.00 credit with reference ZZ
    stale = second.store.bank_item(item["item_id"])
    book1.assign(OFFICER, item["item_id"], "T2")
    second.store.bank_item = lambda item_id: stale  # type: ignore[method-assign]
    for decide in (lambda: book2.assign(OFFICER, item["item_id"], "T1"),
                   lambda: book2.split(OFFICER, item["item_id"], [("T1", 2_000), ("T3", 2_000)]),
                   lambda: book2.mark_not_rent(OFFICER, item["item_id"], "refund")):
        try:
            decide()
            raise AssertionError("a second decision on the item must be refused")
        except ConcurrencyConflict:
            pass
    assert first.get_tenancy("T1").balance_cents == -1_000  # its own payment only
    assert first.get_tenancy("T3").balance_cents == -3_000
    assert first.get_tenancy("T2").balance_cents == -(2_000 + 4_000)
    [kept] = [i for i in book1.suspense(OFFICER, all_items=True) if i["item_id"] == item["item_id"]]
    assert (kept["status"], kept["tenancy"]) == ("assigned", "T2")


def test_two_imports_of_the_same_new_file_at_once_book_it_once(backend: Any) -> None:
    from application.service import ConcurrencyConflict

    first, second = backend.build(), backend.build()
    for ref in REFS:
        first.start_tenancy(ADMIN, ref, rent_cents=50_000, start_date=date(2024, 1, 1), due_day=1)
    book1, book2 = BankBook(first), BankBook(second)
    second.store.bank_items_of_account = lambda account, ids: {}  # type: ignore[method-assign]
    second.store.bank_statements = lambda account: []  # type: ignore[method-assign]
    book1.import_statements(ADMIN, parse_camt053_statements(FILES["a1"]), CamtReader())
    try:
        book2.import_statements(ADMIN, parse_camt053_statements(FILES["a1"]), CamtReader())
        raise AssertionError("the second import must be refused")
    except ConcurrencyConflict:
        pass
    assert first.get_tenancy("T1").balance_cents == -1_000
    assert first.get_tenancy("T2").balance_cents == -2_000


def test_suspense_items_of_an_older_store_keep_their_state_and_are_not_booked_again(fast: Any) -> None:
    """A store written before bank items existed: one suspense item was assigned (and
    booked under the old 'suspense' source), one is still open. Re-importing the
    statement books neither again; the open one stays on the worklist."""
    import json as _json

    from application.ledger_types import LedgerLine
    from application.store import Upsert
    from domain.values import LedgerKind

    app = fast
    for ref in ("T1", "T2"):
        app.start_tenancy(ADMIN, ref, rent_cents=50_000, start_date=date(2024, 1, 1), due_day=1)
    data = camt_file(Stmt("OLD-1", [Item(1_500, ref="X", bank_ref="R-1"), Item(2_500, ref="Y")], seq=1))

    def legacy(item_id: str, cents: int, refs: dict[str, str], status: str, ref: str | None) -> Upsert:
        return Upsert("suspense", ("item_id",), {
            "item_id": item_id, "statement_id": "OLD-1", "booked_on": "2024-05-13", "cents": cents,
            "credit_debit": "CRDT", "reason": "no match", "refs": _json.dumps(refs), "status": status,
            "assigned_ref": ref, "assigned_by": "officer:old" if ref else None})

    app.store.apply([legacy("OLD-1/1/1", 1_500, {"acct_svcr_ref": "R-1", "structured_ref": "X"}, "assigned", "T1"),
                     legacy("OLD-1/2/1", 2_500, {"structured_ref": "Y"}, "open", None)])
    app.import_ledger(ADMIN, [LedgerLine(line=1, transaction_id="suspense/OLD-1/1/1", tenancy_ref="T1",
                                         booking_date=date(2024, 5, 13), kind=LedgerKind.PAYMENT, cents=1_500)],
                      source="suspense")
    book = BankBook(app)
    report = book.import_statements(ADMIN, parse_camt053_statements(data), CamtReader())
    assert (report.imported, report.suspense, report.already_booked, report.already_in_suspense) == ({}, 0, 1, 1)
    [still_open] = book.suspense(OFFICER)
    assert (still_open["cents"], still_open["status"]) == (2_500, "open")
    book.assign(OFFICER, still_open["item_id"], "T2")
    book.import_statements(ADMIN, parse_camt053_statements(data), CamtReader())
    assert (app.get_tenancy("T1").balance_cents, app.get_tenancy("T2").balance_cents) == (-1_500, -2_500)
    assert app.store.legacy_suspense() == []
