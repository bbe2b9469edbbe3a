"""Helpers that let the tests read like the playbook: staff, tenants, days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from application import daily_run
from application.ports import Contact
from application.service import Vangnet
from domain.values import Actor, IntakeAnswers, Period, Role

ADMIN = Actor(Role.ADMIN, "admin")
SYSTEM = Actor(Role.SYSTEM, "vangnet")
LETTING = Actor(Role.LETTING, "lotte")
OFFICER = Actor(Role.OFFICER, "olga")
LEAD_ANNA = Actor(Role.TEAM_LEAD, "anna")
LEAD_BERT = Actor(Role.TEAM_LEAD, "bert")
AUDITOR = Actor(Role.AUDITOR, "aud")

RENT = 650_00


def d(text: str) -> date:
    return date.fromisoformat(text)


def tenant(
    app: Vangnet,
    ref: str,
    *,
    rent: int = RENT,
    start: date = date(2026, 1, 1),
    due_day: int | None = None,
    contact: Contact | None = None,
) -> None:
    app.start_tenancy(
        LETTING, ref, rent_cents=rent, start_date=start, due_day=due_day, contact=contact
    )


def profiled_tenant(app: Vangnet, ref: str, *, pay_day: int = 5, **kw: Any) -> None:
    """A tenant whose intake gives a prevention profile (debt counselling) and a
    benefit on ``pay_day``, with the due day agreed on the pay day."""
    tenant(app, ref, **kw)
    app.record_intake(
        LETTING, ref, IntakeAnswers(True, False, False, pay_day, True), on=date(2026, 1, 1)
    )
    if pay_day != 1:
        app.agree_due_day(
            LETTING,
            ref,
            day=pay_day,
            reason=f"benefit paid on the {pay_day}th",
            on=date(2026, 1, 1),
        )


def charge(app: Vangnet, ref: str, period: str, cents: int = RENT) -> None:
    p = Period.parse(period)
    app.charge_rent(SYSTEM, ref, period=p, cents=cents, booked_on=p.first_day())


def pay(app: Vangnet, ref: str, on: str | date, cents: int = RENT, tx: str | None = None) -> None:
    day = on if isinstance(on, date) else d(on)
    app.pay(
        SYSTEM, ref, cents=cents, booked_on=day, tx_id=tx or f"{ref}-pay-{day.isoformat()}-{cents}"
    )


def run(
    app: Vangnet, first: str | date, last: str | date | None = None
) -> list[daily_run.DayReport]:
    """Run the day (or every day from ``first`` through ``last``), moving the clock along."""
    f = first if isinstance(first, date) else d(first)
    t = (last if isinstance(last, date) else d(last)) if last is not None else f
    reports = daily_run.run(app, f, through=t)
    clock = app.ports.clock if app.ports is not None else None
    if clock is not None and hasattr(clock, "day"):
        clock.day = t
    return reports


def days(first: str, last: str) -> list[date]:
    f, t = d(first), d(last)
    return [f + timedelta(days=i) for i in range((t - f).days + 1)]


def case_of(app: Vangnet, ref: str) -> Any:
    """The tenancy's open case, or its latest one."""
    t = app.get_tenancy(ref)
    cid = t.open_case_id or (t.case_ids[-1] if t.case_ids else None)
    assert cid is not None, f"tenancy {ref} has no case"
    return app.get_case(cid)


def fired(app: Vangnet, ref: str) -> list[tuple[str, date]]:
    """(rule, day) of every automated step of the tenancy's latest case, in order."""
    return [(s["rule"], s["on"]) for s in case_of(app, ref).steps]


def rules(app: Vangnet, ref: str) -> list[str]:
    return [r for r, _ in fired(app, ref)]


def tasks(app: Vangnet, ref: str) -> dict[str, dict[str, Any]]:
    return dict(case_of(app, ref).tasks)


def steps_of(reports: list[daily_run.DayReport]) -> dict[str, int]:
    total: dict[str, int] = {}
    for r in reports:
        assert not r.errors, r.errors
        for rule, n in r.actions.items():
            total[rule] = total.get(rule, 0) + n
    return total


def household_known(app: Vangnet, ref: str, on: str | date, *, children: bool = False) -> None:
    """Before legal action: a home visit attempted and the household facts recorded."""
    from domain.values import Channel, Outcome

    day = on if isinstance(on, date) else d(on)
    cid = case_of(app, ref).id
    app.record_contact(OFFICER, cid, channel=Channel.HOME_VISIT, outcome=Outcome.NOT_HOME, on=day)
    app.record_household(OFFICER, cid, children=children, care=False, social_services=False, on=day)
