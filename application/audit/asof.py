"""As-of rebuilds: an aggregate, a tenancy or a case as Vangnet knew it at an instant."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from application.audit.common import _check_any, parse_as_of
from application.audit.decoding import EventDecoder, _event_row, _plain
from application.audit.eventlog import event_log


def aggregate_as_of(
    app: Any, aggregate_id: uuid.UUID, as_of: datetime
) -> tuple[Any, list[tuple[Any, str]]]:
    """The aggregate rebuilt from its stored events recorded at or before ``as_of``, and
    those events with their topics; ``None`` when it did not exist yet.

    Versions are contiguous, so the rebuild takes the longest prefix of the aggregate's
    events recorded by then (a later version with an earlier clock reading is not
    taken on its own)."""
    decode = EventDecoder(app)
    agg = None
    taken: list[tuple[Any, str]] = []
    for s in event_log(app).aggregate_events(aggregate_id):
        ev = decode(s)
        if ev.timestamp > as_of:
            break
        agg = ev.mutate(agg)
        taken.append((ev, s.topic))
    return agg, taken


def tenancy_state(app: Any, t: Any) -> dict[str, Any]:
    """What ``Vangnet.tenancy_view`` shows, for any (possibly historical) tenancy."""
    from application import sealing
    from application.service import _eur, _iso

    key = app.store.key(t.id)
    return {
        "ref": t.ref,
        "tenancy_id": str(t.id),
        "version": t.version,
        "rent": _eur(t.rent_cents),
        "start_date": t.start_date.isoformat(),
        "due_day": t.due_day,
        "proposed_due_day": t.proposed_due_day,
        "due_day_history": _plain([{**h, "reason": sealing.open_text(key, t.id, h["reason"])}
                                   for h in t.due_day_history]),
        "intake": sealing.unseal(key, t.id, t.intake_sealed),
        "intake_on": _iso(t.intake_on),
        "prevention_profile": {
            "active": t.profile_active,
            "reasons": sealing.unseal(key, t.id, t.profile_reasons_sealed),
        },
        "worry": {"active": t.worry, "reason": sealing.open_text(key, t.id, t.worry_reason)},
        "balance": _eur(t.balance_cents),
        "charged": _eur(t.charged),
        "paid": _eur(t.paid),
        "reversed": _eur(t.reversed),
        "credited": _eur(t.credited),
        "collection_costs": _eur(t.costs_booked),
        "arrears": [
            {"period": p, "amount": _eur(c), "due_date": d.isoformat()}
            for p, c, d in t.arrears_by_period()
        ],
        "unpaid_since": _iso(t.unpaid_since(app.policy.tolerance_cents)),
        "open_case_id": str(t.open_case_id) if t.open_case_id else None,
        "cases": [str(c) for c in t.case_ids],
        "ended_on": _iso(t.ended_on),
        "erased": key is None,
    }


def tenancy_as_of(app: Any, actor: Any, ref: str, as_of: str | date | datetime) -> dict[str, Any]:
    """Tenancy ``ref`` as Vangnet knew it at ``as_of``: state, version and its events."""
    from application.service import NotFound
    from domain.tenancy import tenancy_id_for

    _check_any(app, actor, "audit", "read")
    when = parse_as_of(as_of)
    t, events = aggregate_as_of(app, tenancy_id_for(ref), when)
    if t is None:
        raise NotFound(f"tenancy: {ref!r} did not exist at {when.isoformat()}")
    return {
        "as_of": when.isoformat(),
        "time_basis": "recorded timestamp (UTC)",
        "aggregate": "tenancy",
        "id": str(t.id),
        "version": t.version,
        "state": tenancy_state(app, t),
        "events": [_event_row(ev, topic) for ev, topic in events],
    }


def case_as_of(
    app: Any, actor: Any, case_id: uuid.UUID | str, as_of: str | date | datetime
) -> dict[str, Any]:
    """Case ``case_id`` as Vangnet knew it at ``as_of`` (its arrears from the tenancy at
    that same instant): state, version and the case's events."""
    from application.service import NotFound, case_dict
    from domain.arrears_case import ArrearsCase

    _check_any(app, actor, "audit", "read")
    when = parse_as_of(as_of)
    try:
        cid = case_id if isinstance(case_id, uuid.UUID) else uuid.UUID(str(case_id))
    except ValueError:
        raise NotFound(f"case: {case_id!r} is not a case id") from None
    c, events = aggregate_as_of(app, cid, when)
    if c is None:
        raise NotFound(f"case: {case_id} did not exist at {when.isoformat()}")
    if not isinstance(c, ArrearsCase):
        raise NotFound(f"case: {case_id} is not a case")
    t, _ = aggregate_as_of(app, c.tenancy_id, when)
    return {
        "as_of": when.isoformat(),
        "time_basis": "recorded timestamp (UTC)",
        "aggregate": "case",
        "id": str(c.id),
        "version": c.version,
        "tenancy_version": t.version,
        "state": case_dict(c, t, app.store.key(t.id)),
        "events": [_event_row(ev, topic) for ev, topic in events],
    }
