"""Read models rebuilt from the events: compared by verify, replaced by rebuild."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from application.audit.common import AuditError, _check
from application.audit.eventlog import event_log
from application.audit.replay import _replay_all
from application.audit.report import VerifyReport


def expected_read_models(
    app: Any, tenancies: dict[uuid.UUID, Any], cases: dict[uuid.UUID, Any]
) -> dict[str, dict[Any, dict[str, Any]]]:
    """Read-model rows rebuilt from replayed aggregates, by table and key (with the
    projections' ``tenancy_ops``/``case_ops``; ``rm_cases.next_check_on`` is empty)."""
    from application.projections import READ_MODEL_TABLES, case_ops, tenancy_ops
    from application.store import Upsert

    out: dict[str, dict[Any, dict[str, Any]]] = {t: {} for t in READ_MODEL_TABLES}
    tol = app.policy.tolerance_cents

    def take(ops: Iterable[Any]) -> None:
        for op in ops:
            if isinstance(op, Upsert) and op.table in out:
                key = tuple(op.row[k] for k in op.key)
                out[op.table][key[0] if len(key) == 1 else key] = op.row

    for t in tenancies.values():
        take(tenancy_ops(t, tol))
    for c in cases.values():
        t = tenancies.get(c.tenancy_id)
        take(case_ops(c, t.ref if t is not None else "", None, force=True))
    return out


# Scheduling state that no event holds: not compared, kept by a rebuild.
NOT_DERIVABLE = {"rm_cases": frozenset({"next_check_on"})}


def _compare_read_models(
    app: Any, expected: dict[str, dict[Any, dict[str, Any]]], report: VerifyReport, broken: set[str]
) -> None:
    for table, rows in expected.items():
        stored = app.store.read_model_rows(table)
        report.read_model_rows[table] = len(stored)
        ignore = NOT_DERIVABLE.get(table, frozenset())
        seen = set()
        for row in stored:
            key_col = next(iter(row))
            key = row[key_col]
            seen.add(key)
            want = rows.get(key)
            if want is not None and (
                row == want or (ignore and row == {**want, **{c: row.get(c) for c in ignore}})
            ):
                continue  # the common case, compared in C
            if want is None:
                if not (broken and any(str(v) in broken for v in row.values())):
                    report.add(
                        "read_model", f"{table} row {key_col}={key} has no aggregate behind it"
                    )
                continue
            diffs = [
                f"{col}: stored {row.get(col)!r}, the events give {want[col]!r}"
                for col in want
                if col not in ignore and row.get(col) != want[col]
            ]
            if diffs:
                report.add("read_model", f"{table} row {key_col}={key}: " + "; ".join(diffs))
        for key in rows.keys() - seen:
            report.add("read_model", f"{table}: no row for {key}, which the events give")


def _rebuild(app: Any) -> dict[str, int]:
    for _ in range(3):
        before = event_log(app).max_position()
        tenancies, cases, _broken = _replay_all(app).split()
        expected = expected_read_models(app, tenancies, cases)
        # keep the next check of open cases (scheduling state); a new row is due at once
        scheduled = {
            r["case_id"]: r.get("next_check_on") for r in app.store.read_model_rows("rm_cases")
        }
        for key, row in expected["rm_cases"].items():
            if row["status"] == "open":
                row["next_check_on"] = scheduled.get(key)
        rows = {table: list(by_key.values()) for table, by_key in expected.items()}
        app.store.replace_read_models(rows)
        if event_log(app).max_position() == before:
            return {table: len(r) for table, r in rows.items()}
    raise AuditError(
        "rebuild: the store kept changing while the read models were rebuilt; run it when "
        "no daily run or import is writing"
    )


def rebuild_read_models(app: Any, actor: Any) -> dict[str, int]:
    """Replace every read-model row by one rebuilt from the events (an open case keeps
    its next check, scheduling state that no event holds). Returns rows per table.

    Aggregates that do not replay get no rows: run ``verify`` first."""
    _check(app, actor, "audit")
    return _rebuild(app)
