"""The signal lifecycle at export (PLAYBOOK 5): a pending signal is re-checked with the
arrears and conditions of the export day before it leaves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from domain import late_facts
from domain.values import Actor


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


class SignalExporter(Protocol):
    """The municipal-signal adapter that writes export batches (``adapters.signals.FileSignals``)."""

    recheck: Callable[[dict[str, Any]], tuple[str, int | None, str]] | None

    def export(self, municipality: str | None = None, out: Path | None = None, *, today: date) -> Any: ...


def export_signals(app: Any, actor: Actor, port: SignalExporter, municipality: str | None = None,
                   out: Path | None = None) -> Any:
    """Export the pending signals once (PLAYBOOK 5), for an actor with ``export_signals``:
    deliver any decided-but-undelivered signal first, then write each pending one that
    still holds on the export day (:func:`recheck`); held and dropped ones are reported."""
    from application import daily_run

    app.access.check(actor, "export_signals")
    today = app.today()
    daily_run.dispatch_outbox(app, today)
    port.recheck = lambda record: recheck(app, record, today)  # conditions and arrears as of the export
    return port.export(municipality, out, today=today)
