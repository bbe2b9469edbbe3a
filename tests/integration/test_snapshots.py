"""Long-lived tenancies load from a snapshot: the same tenancy as a full replay, and a
snapshot of another shape (written by older code) is ignored, not trusted."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import Snapshot

from application.service import Vangnet, _project
from domain.values import Actor, Period, Role
from tests.conftest import Backend

ADMIN = Actor(Role.ADMIN, "test")


def _history(app: Vangnet, ref: str, months: int) -> None:
    app.start_tenancy(ADMIN, ref, rent_cents=60000, start_date=date(2020, 1, 1))
    p = Period(2020, 1)
    for m in range(months):
        app.charge_rent(ADMIN, ref, period=p, cents=60000)
        if m % 5 != 4:
            app.pay(ADMIN, ref, cents=60000 if m % 3 else 55000, booked_on=p.first_day(), tx_id=f"p{m}")
        if m == 7:
            app.raise_worry(ADMIN, ref, reason="neighbour called", on=p.first_day())
        p = p.next()


def _replayed(app: Vangnet, tenancy_id: Any) -> Any:
    events = app.events.get(tenancy_id)
    return _project(None, events)


def _snapshot_rows(app: Vangnet, tenancy_id: Any) -> list[Any]:
    return list(app.snapshots.get(tenancy_id))  # type: ignore[union-attr]


def test_a_tenancy_of_years_loads_from_its_snapshot_as_it_replays(fast_backend: Backend) -> None:
    app = fast_backend.build()
    _history(app, "T1", 30)  # about 55 events: snapshots at 24 and 48
    t = app.get_tenancy("T1")
    snaps = _snapshot_rows(app, t.id)
    assert [s.originator_version for s in snaps] and max(s.originator_version for s in snaps) >= 48
    fresh = fast_backend.build()
    loaded = fresh.get_tenancy("T1")
    assert vars(loaded) == vars(_replayed(fresh, t.id))
    assert fresh.load_many([t.id])[t.id].balance_cents == loaded.balance_cents
    # and it goes on from there: a new event on the loaded tenancy saves at the next version
    fresh.pay(ADMIN, "T1", cents=100, booked_on=date(2022, 8, 1), tx_id="late")
    again = fast_backend.build().get_tenancy("T1")
    assert again.version == loaded.version + 1
    assert vars(again) == vars(_replayed(fresh, t.id))


def test_a_snapshot_of_another_shape_is_ignored(fast_backend: Backend) -> None:
    app = fast_backend.build()
    _history(app, "T2", 3)
    t = app.get_tenancy("T2")
    old = Snapshot.take(t)
    state = dict(old.state)
    state.pop("worry")  # as if written by code without this attribute
    state["retired_attribute"] = 1
    app.snapshots.put([Snapshot(originator_id=t.id, originator_version=t.version, timestamp=old.timestamp,  # type: ignore[union-attr, call-arg]
                                topic=old.topic, state=state)])
    fresh = fast_backend.build()
    loaded = fresh.get_tenancy("T2")
    assert not hasattr(loaded, "retired_attribute")
    assert vars(loaded) == vars(_replayed(fresh, t.id))
