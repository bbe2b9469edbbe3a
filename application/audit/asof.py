"""As-of rebuilds: an aggregate, a tenancy or a case as Vangnet knew it at an instant."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from application.audit.common import _check_any, parse_as_of
from application.audit.decoding import EventDecoder, _event_row
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
    """What ``Vangnet.tenancy_view`` shows, for any (possibly historical) tenancy: the
    same view function (``application.views``)."""
    from application.views import tenancy_dict

    return tenancy_dict(t, app.store.key(t.id), app.policy.tolerance_cents)


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
    from application.service import NotFound
    from application.views import case_dict
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
