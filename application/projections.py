"""Read-model rows as pure functions of aggregate state (rebuildable by replay)."""

from __future__ import annotations

from datetime import date
from typing import Any

from application.store import Delete, SideOp, TouchCase, Upsert
from domain.arrears_case import ArrearsCase
from domain.tenancy import Tenancy

TRACK_PRIORITY = {"prevention": 0, "worry": 1, "standard": 2}
READ_MODEL_TABLES = ("rm_tenancies", "rm_cases", "rm_tasks")


def _d(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def tenancy_row(t: Tenancy, tolerance_cents: int) -> dict[str, Any]:
    return {
        "tenancy_id": str(t.id),
        "ref": t.ref,
        "rent_cents": t.rent_cents,
        "due_day": t.due_day,
        "start_date": _d(t.start_date),
        "balance_cents": t.balance_cents,
        "unpaid_since": _d(t.unpaid_since(tolerance_cents)),
        "open_case_id": str(t.open_case_id) if t.open_case_id else None,
        "profile_active": int(t.profile_active),
        "worry": int(t.worry),
        "ended_on": _d(t.ended_on),
        "version": t.version,
    }


def tenancy_ops(t: Tenancy, tolerance_cents: int) -> list[SideOp]:
    return [Upsert("rm_tenancies", ("tenancy_id",), tenancy_row(t, tolerance_cents))]


def case_row(c: ArrearsCase, ref: str, next_check: date | None) -> dict[str, Any]:
    return {
        "case_id": str(c.id),
        "tenancy_id": str(c.tenancy_id),
        "ref": ref,
        "period": c.period,
        "track": c.track,
        "status": "open" if c.is_open else "closed",
        "due_date": _d(c.due_date),
        "opened_on": _d(c.opened_on),
        "closed_on": _d(c.closed_on),
        "next_check_on": _d(next_check) if c.is_open else None,
        "version": c.version,
    }


def task_rows(c: ArrearsCase, ref: str) -> list[dict[str, Any]]:
    rows = []
    for t in c.tasks.values():
        rows.append({
            "task_id": f"{c.id.hex}.{t['task_id']}",
            "case_id": str(c.id),
            "tenancy_id": str(c.tenancy_id),
            "ref": ref,
            "kind": t["kind"],
            "rule": t["rule"],
            "due_on": _d(t["due_on"]),
            "created_on": _d(t["created_on"]),
            "status": t["status"],
            "track": c.track,
            "priority": TRACK_PRIORITY.get(c.track, 9),
            "case_due_date": _d(c.due_date),
        })
    return rows


def case_ops(c: ArrearsCase, ref: str, next_check: date | None, *, force: bool, tasks: bool = True) -> list[SideOp]:
    """``force``: the daily run sets the next check; other commands only bring it forward.
    ``tasks=False``: the case has no new events, so its task rows are those written with
    its last event (same transaction) and are left as they are."""
    row = case_row(c, ref, next_check)
    ops: list[SideOp] = []
    if force or not c.is_open:
        ops.append(Upsert("rm_cases", ("case_id",), row))
    else:
        row.pop("next_check_on")
        ops.append(Upsert("rm_cases", ("case_id",), row))
        if next_check is not None:
            ops.append(TouchCase(c.id, next_check))
    if not tasks:
        return ops
    ops.append(Delete("rm_tasks", {"case_id": str(c.id)}))
    ops.extend(Upsert("rm_tasks", ("task_id",), r) for r in task_rows(c, ref))
    return ops
