"""Side-table operations of one save, reordered so that they batch, change nothing."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import date

import pytest

from adapters.store.sql import SideWriter, batchable_order, ddl
from application.store import Delete, TouchCase, Upsert


def _task(case: str, n: int, status: str = "open") -> Upsert:
    return Upsert("rm_tasks", ("task_id",), {"task_id": f"{case}.t{n}", "case_id": case, "status": status})


def _case(case: str, status: str = "open") -> Upsert:
    return Upsert("rm_cases", ("case_id",), {"case_id": case, "status": status, "next_check_on": "2026-02-01"})


def _run(ops: list) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    con = sqlite3.connect(":memory:")
    for stmt in ddl("sqlite"):
        con.execute(stmt)
    con.execute("INSERT INTO rm_tasks (task_id, case_id, status) VALUES ('c1.old', 'c1', 'open')")
    SideWriter("sqlite").apply(con.cursor(), ops)
    return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in ("rm_tasks", "rm_cases")}


C1, C2 = str(uuid.uuid4()), str(uuid.uuid4())
CASES = {
    "one save of two cases": [
        _case("c1"), Delete("rm_tasks", {"case_id": "c1"}), _task("c1", 1), _task("c1", 2),
        _case("c2"), Delete("rm_tasks", {"case_id": "c2"}), _task("c2", 1),
    ],
    "a delete after an upsert it matches stays after it": [
        _task("c1", 1), Delete("rm_tasks", {"case_id": "c1"}), _task("c1", 2), _case("c1"),
    ],
    "a touch keeps its place among the case rows": [
        _case("c1"), TouchCase(uuid.UUID(int=1), date(2026, 1, 5)), _case("c1", "closed"),
        Delete("rm_tasks", {"case_id": "c1"}),
    ],
}


@pytest.mark.parametrize("ops", CASES.values(), ids=CASES.keys())
def test_the_batchable_order_gives_the_same_tables(ops: list) -> None:  # type: ignore[type-arg]
    assert _run(list(ops)) == _run_in_given_order(list(ops))


def test_deletes_of_many_cases_go_first_and_together() -> None:
    ops = CASES["one save of two cases"]
    kinds = [type(op).__name__ + ":" + op.table for op in batchable_order(ops)]  # type: ignore[union-attr]
    assert kinds == ["Upsert:rm_cases", "Upsert:rm_cases", "Delete:rm_tasks", "Delete:rm_tasks",
                     "Upsert:rm_tasks", "Upsert:rm_tasks", "Upsert:rm_tasks"]


def test_a_delete_that_would_remove_an_earlier_row_is_not_hoisted() -> None:
    ops = CASES["a delete after an upsert it matches stays after it"]
    tasks = [op for op in batchable_order(ops) if getattr(op, "table", "") == "rm_tasks"]
    assert tasks == ops[:3]


def _run_in_given_order(ops: list) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    import adapters.store.sql as sql

    original = sql.batchable_order
    sql.batchable_order = lambda o: o  # type: ignore[assignment]
    try:
        return _run(ops)
    finally:
        sql.batchable_order = original
