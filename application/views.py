"""The tenancy and case views staff see: one query module for the CLI, audit's as-of
views, the dossier and any front-end.

Each view is a plain, JSON-ready dict built from an aggregate (live, or rebuilt as of
an instant) and the tenancy's sealing key: sealed free text (intake answers, due-day
and worry reasons, notes) opens with the key and reads ``"erased"`` without it. The
live view (``Vangnet.tenancy_view``) and the as-of view (``audit.tenancy_as_of``) are
the same function of the same aggregate, so they cannot drift apart."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from application import sealing
from domain.arrears_case import ArrearsCase
from domain.tenancy import Tenancy
from domain.values import format_cents


def eur(cents: int) -> str:
    """Cents as plain euros for views and JSON (``"-12.50"``)."""
    return format_cents(cents)


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def jsonable(v: Any, *, dates: bool = True) -> Any:
    """A plain copy for JSON, views and event payloads: UUIDs as text, tuples as lists,
    sets as sorted lists, keys as text, sealed bytes as None; dates as ISO text, or kept
    as dates with ``dates=False`` (an event payload: the transcoder stores them)."""
    if isinstance(v, date):
        return v.isoformat() if dates else v
    if isinstance(v, dict):
        return {str(k): jsonable(x, dates=dates) for k, x in v.items()}
    if isinstance(v, (set, frozenset)):
        return sorted(jsonable(x, dates=dates) for x in v)
    if isinstance(v, (list, tuple)):
        return [jsonable(x, dates=dates) for x in v]
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, bytes):
        return None
    return v


def tenancy_dict(t: Tenancy, key: bytes | None, tolerance_cents: int) -> dict[str, Any]:
    """The tenancy as shown to staff (``tenancy show``, the as-of view, front-ends)."""
    return {
        "ref": t.ref,
        "tenancy_id": str(t.id),
        "version": t.version,
        "rent": eur(t.rent_cents),
        "start_date": t.start_date.isoformat(),
        "due_day": t.due_day,
        "proposed_due_day": t.proposed_due_day,
        "due_day_history": jsonable(
            [{**h, "reason": sealing.open_text(key, t.id, h["reason"])} for h in t.due_day_history]
        ),
        "intake": sealing.unseal(key, t.id, t.intake_sealed),
        "intake_on": iso(t.intake_on),
        "prevention_profile": {"active": t.profile_active,
                               "reasons": sealing.unseal(key, t.id, t.profile_reasons_sealed)},
        "worry": {"active": t.worry, "reason": sealing.open_text(key, t.id, t.worry_reason)},
        "end_reason": sealing.open_text(key, t.id, t.end_reason),
        "balance": eur(t.balance_cents),
        "charged": eur(t.charged),
        "paid": eur(t.paid),
        "reversed": eur(t.reversed),
        "credited": eur(t.credited),
        "collection_costs": eur(t.costs_booked),
        "costs_lines": [{"kind": x["kind"], "amount": eur(x["cents"]), "booked_on": x["booked_on"].isoformat(),
                         "rule": x["rule"], "case_id": x["case_id"]} for x in t.costs_lines],
        "arrears": [{"period": p, "amount": eur(c), "due_date": d.isoformat()} for p, c, d in t.arrears_by_period()],
        "unpaid_since": iso(t.unpaid_since(tolerance_cents)),
        "open_case_id": str(t.open_case_id) if t.open_case_id else None,
        "cases": [str(c) for c in t.case_ids],
        "ended_on": iso(t.ended_on),
        "erased": key is None,
    }


def case_dict(c: ArrearsCase, t: Tenancy, key: bytes | None = None) -> dict[str, Any]:
    """The case as shown to staff; sealed free text opens with the tenancy ``key``
    (``"erased"`` without it)."""

    def text(v: Any) -> Any:
        return sealing.open_text(key, t.id, v)

    return jsonable({
        "case_id": str(c.id),
        "version": c.version,
        "tenancy_ref": t.ref,
        "tenancy_id": str(t.id),
        "period": c.period,
        "due_date": c.due_date,
        "track": c.track,
        "status": "open" if c.is_open else "closed",
        "opened_on": c.opened_on,
        "opened_amount": eur(c.amount_cents),
        "arrears": eur(t.arrears_cents()),
        "reopens": str(c.reopens) if c.reopens else None,
        "contacts": c.contacts,
        "tasks": list(c.tasks.values()),
        "robocalls": c.robocalls,
        "sms": c.sms,
        "promises": c.promises,
        "arrangements": c.arrangements,
        "referrals": c.referrals,
        "letters": c.letters,
        "signal_objected_on": c.objected_on,
        "signal": c.signal,
        "signal_conditions": c.signal_conditions(),
        "collection_costs": eur(c.costs_cents) if c.costs_charged_on else None,
        "bailiff_eligible_on": c.bailiff_eligible_on,
        "bailiff_handed_over": c.bailiff_handed_over,
        "legal_eligible_on": c.legal_eligible_on,
        "legal_decisions": [{**x, "reason": text(x["reason"])} for x in c.legal_decisions],
        "legal_action_approved": c.legal_action_approved,
        "budget_checks": [{"verdict": b["verdict"], "on": b["on"], "by": b["by"], "rule": b["rule"],
                           "budget": text(b["sealed"])} for b in c.budget_checks],
        "track_changed_on": c.track_changed_on,
        "programme": c.programme,
        "programme_history": c.programmes,
        "household": [{"on": h["on"], "by": h["by"], "facts": text(h["sealed"])} for h in c.household],
        "court": c.court,
        "in_programme": c.in_programme(),
        "paused_until": c.paused_until,
        "pause_reason": text(c.pause_reason),
        "notes": [{"about": n["about"], "text": text(n["sealed"]), "on": n["on"], "by": n["by"]}
                  for n in c.notes],
        "closed_on": c.closed_on,
        "close_reason": c.close_reason,
        "steps": c.steps,
    })
