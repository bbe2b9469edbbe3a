"""Events made by ``domain.fast_events`` are the library's events, attribute for attribute.

Every ``@event`` method of the tenancy and the case takes the direct path
(``domain.fast_events``). Here each call of a small simulation of both strategies
(and the story of a tenancy below) is made twice: on the aggregate through the
direct path and on a copy of it through the library's own ``@event`` machinery.
Both must give an event of the same class with the same attributes in the same
order (the timestamp aside), the same aggregate state and the same version.
"""

from __future__ import annotations

import copy
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.domain import BoundCommandMethodDecorator

from domain import fast_events
from domain.arrears_case import ArrearsCase
from domain.tenancy import Tenancy
from domain.values import Period, Track

_CLOCK = {"_created_on", "_modified_on", "timestamp"}


def _state(obj: Any) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in vars(obj).items() if k not in _CLOCK and k != "_pending_events"]


class Twin:
    """Wraps each direct-path method: every call is also made on a copy through the library."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.checked = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for cls in (Tenancy, ArrearsCase):
            for name, attr in list(vars(cls).items()):
                library = getattr(attr, "_library", None)
                if library is not None:
                    monkeypatch.setattr(cls, name, self.wrap(cls, name, attr, library))

    def wrap(self, cls: type, name: str, fast: Any, library: Any) -> Any:
        def both(agg: Any, *args: Any, **kwargs: Any) -> None:
            twin = copy.deepcopy(agg)
            twin_error = fast_error = None
            try:
                BoundCommandMethodDecorator(library, twin)(*args, **dict(kwargs))
            except Exception as e:  # noqa: BLE001 - compared below
                twin_error = e
            try:
                fast(agg, *args, **kwargs)
            except Exception as e:  # noqa: BLE001
                fast_error = e
            assert type(fast_error) is type(twin_error), (name, fast_error, twin_error)
            if fast_error is not None:
                raise fast_error
            mine, theirs = agg.pending_events[-1], twin.pending_events[-1]
            assert type(mine) is type(theirs)
            assert list(vars(mine)) == list(vars(theirs)), name  # same attributes, same order
            assert _state(mine) == _state(theirs), name
            assert _state(agg) == _state(twin), name
            assert len(agg.pending_events) == len(twin.pending_events)
            self.calls[f"{cls.__name__}.{name}"] += 1
            self.checked += 1

        return both


def test_every_event_method_of_tenancy_and_case_takes_the_direct_path() -> None:
    for cls in (Tenancy, ArrearsCase):
        library = [n for n, a in vars(cls).items() if getattr(a, "_library", None) is not None]
        left = [n for n, a in vars(cls).items() if type(a).__name__ == "CommandMethodDecorator" and n != "__init__"]
        assert library and not left, (cls.__name__, left)


def test_a_tenancy_story_gives_the_library_events(monkeypatch: pytest.MonkeyPatch) -> None:
    twin = Twin()
    twin.install(monkeypatch)
    t = Tenancy.start("T1", 65000, date(2025, 1, 1), 1, by="officer")
    lib = Tenancy(ref="T1", rent_cents=65000, start_date=date(2025, 1, 1), due_day=1, by="officer")
    assert type(t.pending_events[0]) is type(lib.pending_events[0])
    assert list(vars(t.pending_events[0])) == list(vars(lib.pending_events[0]))
    assert _state(t.pending_events[0]) == _state(lib.pending_events[0])
    assert _state(t) == _state(lib)
    t.charge_rent(period=Period(2025, 1), cents=65000, source="erp", tx_id="c1", booked_on=date(2025, 1, 1))
    t.receive_payment(cents=60000, source="erp", tx_id="p1", booked_on=date(2025, 1, 3))
    t.reverse_payment(cents=60000, source="erp", tx_id="r1", reverses="p1", reason_code="AC04",
                      booked_on=date(2025, 1, 4))
    t.post_credit(cents=100, source="erp", tx_id="k1", booked_on=date(2025, 1, 5), reason="")
    with pytest.raises(Exception, match="already recorded"):
        t.receive_payment(cents=1, source="erp", tx_id="p1", booked_on=date(2025, 1, 6))
    assert t.version == 5 and len(t.pending_events) == 5
    assert twin.checked == 4


def test_a_refused_body_leaves_version_and_pending_events(monkeypatch: pytest.MonkeyPatch) -> None:
    t = Tenancy.start("T2", 65000, date(2025, 1, 1), 1, by="officer")
    with pytest.raises(KeyError):  # the body fails half-way: no event, no new version
        t._payment_reversed(cents=1, source="erp", tx_id="r", reverses="erp/none", reason_code="X",
                            booked_on=date(2025, 1, 2))
    assert t.version == 1 and len(t.pending_events) == 1
    with pytest.raises(TypeError):
        t._payment_received(cents=1, source="erp", tx_id="p", booked_on=date(2025, 1, 2), bogus=1)
    with pytest.raises(TypeError):
        t._payment_received(cents=1, source="erp", tx_id="p")


def test_a_case_opened_directly_is_the_library_case() -> None:
    kw: dict[str, Any] = dict(tenancy_id=Tenancy.start("T3", 1, date(2025, 1, 1), by="x").id, period="2025-02",
                              seq=0, due_date=date(2025, 2, 1), opened_on=date(2025, 2, 2), amount_cents=500,
                              reopens=None, rule="R", inputs={"a": 1})
    mine = ArrearsCase.open(track=Track.STANDARD, **kw)
    lib = ArrearsCase(track=Track.STANDARD.value, **kw)
    assert mine.id == lib.id and type(mine.pending_events[0]) is type(lib.pending_events[0])
    assert list(vars(mine.pending_events[0])) == list(vars(lib.pending_events[0]))
    assert _state(mine.pending_events[0]) == _state(lib.pending_events[0])
    assert _state(mine) == _state(lib)
    assert fast_events._CREATE[ArrearsCase] is not False


def test_a_simulation_of_both_strategies_gives_the_library_events(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from adapters.bootstrap import Settings
    from adapters.simulation import engine
    from adapters.simulation import scenario as scen

    twin = Twin()
    twin.install(monkeypatch)
    sc = scen.load(None).with_run(tenancies=60, months=3, seed=1, strategy="both", start="2026-01")
    engine.simulate(sc, settings=Settings(), out=tmp_path, parallel=False)
    assert twin.checked > 500
    used = set(twin.calls)
    for wanted in ("Tenancy._rent_charged", "Tenancy._payment_received", "ArrearsCase._task_created"):
        assert wanted in used, sorted(used)


def test_replay_rebuilds_what_the_library_rebuilds() -> None:
    """Loading (``fast_events.replay``) gives the aggregate the library's ``mutate`` gives."""
    t = Tenancy.start("T4", 65000, date(2025, 1, 1), 1, by="officer")
    t.charge_rent(period=Period(2025, 1), cents=65000, source="erp", tx_id="c1", booked_on=date(2025, 1, 1))
    t.receive_payment(cents=60000, source="erp", tx_id="p1", booked_on=date(2025, 1, 3))
    t.raise_worry(reason="r", on=date(2025, 1, 4), by="officer")
    events = list(t.pending_events)
    mine: Any = None
    theirs: Any = None
    for e in events:
        mine = fast_events.replay(e, mine)
        theirs = e.mutate(theirs)
    assert type(mine) is Tenancy and vars(mine).keys() == vars(theirs).keys()
    assert _state(mine) == _state(theirs) and mine.version == theirs.version == 4
    from eventsourcing.domain import OriginatorVersionError

    with pytest.raises(OriginatorVersionError):
        fast_events.replay(events[2], mine)  # out of sequence
