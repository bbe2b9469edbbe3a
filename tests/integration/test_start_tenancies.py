"""Letting starts a day's new tenancies at once (the simulation's relets and first day):
the same events, read-model rows, sealed intake and contact details as starting each
with ``start_tenancy``, ``record_intake`` and ``agree_due_day`` one by one."""

from __future__ import annotations

from typing import Any

import pytest

from application.ports import Contact
from application.service import CommandError, NewTenancy, Vangnet
from domain.tenancy import tenancy_id_for
from domain.values import IntakeAnswers
from tests.story import LETTING, OFFICER, d

DAY = d("2026-01-01")
HOMES = [
    # ref suffix, rent, intake answers, agreed due day
    ("1", 60000, IntakeAnswers(True, False, False, 5, True), (5, "benefit paid on day 5")),
    ("2", 55000, IntakeAnswers(False, False, False, None, False), None),
    ("3", 70000, None, None),
    ("4", 48000, IntakeAnswers(False, True, False, 15, False), None),
]


def _contact(n: str) -> Contact:
    return Contact(tenancy_id=None, name=f"Huurder {n}", phone=f"0612345{n:0>3}", municipality="Emmen")  # type: ignore[arg-type]


def _one_by_one(app: Vangnet, prefix: str) -> None:
    for n, rent, intake, due in HOMES:
        ref = prefix + n
        app.start_tenancy(LETTING, ref, rent_cents=rent, start_date=DAY, contact=_contact(n))
        if intake is not None:
            app.record_intake(LETTING, ref, intake, on=DAY)
        if due is not None:
            app.agree_due_day(LETTING, ref, day=due[0], reason=due[1], on=DAY)


def _at_once(app: Vangnet, prefix: str) -> None:
    app.start_tenancies(LETTING, [NewTenancy(prefix + n, rent, DAY, contact=_contact(n), intake=intake,
                                             agreed_due_day=due) for n, rent, intake, due in HOMES])


def _story(app: Vangnet, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """Each tenancy's events (topic and plain facts, sealed text left out) in store order."""
    ids = {tenancy_id_for(prefix + n) for n, *_ in HOMES}
    out = []
    for n in app.recorder.select_notifications(1, 1000):
        if n.originator_id not in ids:
            continue
        e = app.mapper.to_domain_event(n)
        facts = {k: v for k, v in vars(e).items()
                 if k not in ("timestamp", "originator_id", "sealed", "reasons_sealed", "reason")}
        facts["ref"] = app.get_tenancy_by_id(e.originator_id).ref[len(prefix):]
        out.append((n.topic, facts))
    return out


def _views(app: Vangnet, prefix: str) -> list[dict[str, Any]]:
    views = []
    for n, *_ in HOMES:
        v = app.tenancy_view(OFFICER, prefix + n)
        v = {k: val for k, val in v.items() if k not in ("ref", "tenancy_id", "id")}
        views.append((v, app.store.contact(tenancy_id_for(prefix + n)).phone))
    return views


def test_starting_at_once_gives_what_starting_one_by_one_gives(fast: Vangnet) -> None:
    _one_by_one(fast, "A")
    _at_once(fast, "B")
    assert _story(fast, "B") == _story(fast, "A")
    assert _views(fast, "B") == _views(fast, "A")
    rows = {r["ref"]: r for r in fast.store.tenancy_rows()}  # the read model the playbook reads
    for n, *_ in HOMES:
        a = {k: v for k, v in rows["A" + n].items() if k not in ("ref", "tenancy_id")}
        b = {k: v for k, v in rows["B" + n].items() if k not in ("ref", "tenancy_id")}
        assert a == b


@pytest.mark.parametrize("bad", ["existing", "twice", "reason", "due_day"])
def test_one_refused_tenancy_refuses_the_day_and_writes_nothing(fast: Vangnet, bad: str) -> None:
    fast.start_tenancy(LETTING, "OLD", rent_cents=60000, start_date=DAY)
    before = fast.store.count_events()
    starts = [NewTenancy("N1", 60000, DAY, contact=_contact("1"))]
    if bad == "existing":
        starts.append(NewTenancy("OLD", 60000, DAY))
    elif bad == "twice":
        starts.append(NewTenancy("N1", 60000, DAY))
    elif bad == "reason":
        starts.append(NewTenancy("N2", 60000, DAY, intake=HOMES[0][2], agreed_due_day=(5, "  ")))
    else:
        starts.append(NewTenancy("N2", 60000, DAY, intake=HOMES[0][2], agreed_due_day=(40, "benefit")))
    ref = "OLD" if bad == "existing" else "N1" if bad == "twice" else "N2"
    with pytest.raises(CommandError, match=ref):
        fast.start_tenancies(LETTING, starts)
    assert fast.store.count_events() == before
    assert not fast.tenancy_exists("N1")
