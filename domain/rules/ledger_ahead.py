"""Money booked, or rent falling due, after the day evaluated (a catch-up run sees the
ledger ahead of the day it evaluates): the case is looked at again on those days."""

from __future__ import annotations

from datetime import date

from domain.actions import Decision
from domain.ledger_index import remembered
from domain.rulebook import Context, step
from domain.tenancy import Tenancy


def known_future(tenancy: Tenancy, day: date) -> list[date]:
    """Booking and due dates after ``day`` (remembered per state of the ledger: do not change the list)."""
    return remembered(tenancy, ("known_future", day), lambda: _known_future(tenancy, day))


def _known_future(tenancy: Tenancy, day: date) -> list[date]:
    out = [tx["booked_on"] for tx in tenancy.transactions.values() if tx["booked_on"] > day]
    out.extend(d for d in tenancy.charge_due.values() if d > day)
    return out


@step(preventive=0)
def ledger_ahead(ctx: Context) -> Decision | None:
    ctx.later.extend(known_future(ctx.tenancy, ctx.day))
    return None
