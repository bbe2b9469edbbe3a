"""The signal lifecycle at export (PLAYBOOK 5): a pending signal is re-checked with the
arrears and conditions of the export day before it leaves."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain import late_facts


def recheck(app: Any, record: dict[str, Any], today: date) -> tuple[str, int | None, str]:
    """``("export", arrears, "")``, ``("hold", None, why)`` or ``("drop", None, why)``."""
    try:
        case = app.get_case(UUID(record["case_id"]))
    except Exception:  # noqa: BLE001 - an unknown case: keep it pending for a person to look at
        return "hold", None, "case not found"
    t = app.get_tenancy_by_id(case.tenancy_id)
    sig = case.signal
    if sig is None or sig.get("withdrawn_on") is not None:
        return "drop", None, "withdrawn"
    arrears = t.arrears_cents(as_of=today)
    if arrears <= app.policy.tolerance_cents or sig.get("resolved_on") is not None:
        return "drop", None, "arrears cleared before export"
    if case.pending_promise(today) is not None:
        return "hold", None, "a promise to pay is pending"
    if case.objected_on is not None:
        return "hold", None, "the tenant objected"
    ok, why = late_facts.threshold("signal", t, today, app.policy)
    if not ok:
        return "hold", None, f"arrears {arrears} below the signal threshold {why['threshold_cents']}"
    return "export", arrears, ""
