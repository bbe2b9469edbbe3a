"""A payment arrangement's instalments (PLAYBOOK.md 4.4): missed, broken, completed or
honoured. Both strategies; only the playbook gives a missed instalment a task."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.actions import Decision
from domain.calendar import on_or_next_business_day
from domain.policy import Policy
from domain.rulebook import Context, rule, step
from domain.tenancy import Tenancy
from domain.values import TaskKind

ARR_MISSED = rule("ARR-MISSED", "an instalment unpaid after its due day plus the grace days",
                  inputs=("instalment", "due_on", "paid_towards_cents", "due_cents"),
                  policy_keys=("instalment_grace_days",))
ARR_BROKEN = rule("ARR-BROKEN", "as many missed instalments as break an arrangement", inputs=("missed",),
                  policy_keys=("instalments_missed_to_break",))
ARR_COMPLETE = rule("ARR-COMPLETE", "everything the arrangement asked is paid (or the arrears are)",
                    inputs=("paid_towards_cents",), policy_keys=("tolerance_cents",))
CLOSE_ARRANGEMENT = rule("CLOSE-ARRANGEMENT", "a completed arrangement closes the case")


def arrangement_rule(case, tenancy, day, policy, add, at, *, follow_up_tasks: bool) -> str | None:  # type: ignore[no-untyped-def]
    """The active arrangement's instalments (ARR-MISSED, ARR-BROKEN, ARR-COMPLETE):
    ``None`` without an active arrangement, else ``"completed"``, ``"broken"`` (escalation
    resumes) or ``"honoured"`` (escalation pauses). Shared by both strategies; only the
    playbook gives a missed instalment a follow-up task."""
    if not case.arrangement_active():
        return None
    arr = case.arrangement
    towards, towards_with_grace = arrangement_progress(tenancy, arr["agreed_on"], day, policy)
    cumulative = 0
    missed = list(arr["missed"])
    for n, inst in enumerate(arr["instalments"], start=1):
        cumulative += inst["cents"]
        if towards_with_grace >= cumulative:
            continue
        if not at(inst["due_on"] + timedelta(days=policy.instalment_grace_days)):
            break
        if n not in missed:
            missed.append(n)
            add("instalment_missed", ARR_MISSED, f"arr{arr['index']}:missed:{n}",
                {"instalment": n, "due_on": inst["due_on"], "paid_towards_cents": towards_with_grace,
                 "due_cents": cumulative},
                number=n)
            if follow_up_tasks:
                add("task", ARR_MISSED, f"task:arr{arr['index']}:followup:{n}", {"instalment": n},
                    task_kind=TaskKind.INSTALMENT_FOLLOW_UP.value, due_on=on_or_next_business_day(day))
        if len(missed) >= policy.instalments_missed_to_break:
            add("arrangement_broken", ARR_BROKEN, f"arr{arr['index']}:broken", {"missed": list(missed)},
                worry_reason="arrangement broken")
            return "broken"
    if towards >= sum(i["cents"] for i in arr["instalments"]):
        add("arrangement_completed", ARR_COMPLETE, f"arr{arr['index']}:completed", {"paid_towards_cents": towards})
        add("close", CLOSE_ARRANGEMENT, "close:CLOSE-ARRANGEMENT", {}, reason="arrangement_completed")
        return "completed"
    return "honoured"


def arrangement_progress(tenancy: Tenancy, agreed: date, day: date, policy: Policy) -> tuple[int, int]:
    """Money paid towards an arrangement since it was agreed: (for completion, for a missed
    instalment). Current rent stays due: it counts against the arrangement once due, and,
    like an instalment, only after its grace days when judging a missed instalment."""
    grace_days = timedelta(days=policy.instalment_grace_days)
    paid = tenancy.payments_between(agreed, day)  # money booked after ``day`` is not known on it
    rent_due = [(tenancy.charge_due[p], c) for p, c in tenancy.charges.items() if agreed < tenancy.charge_due[p] <= day]
    towards = paid - sum(c for _, c in rent_due)
    return towards, paid - sum(c for due, c in rent_due if due + grace_days <= day)


def _arrangement(ctx: Context, *, follow_up_tasks: bool) -> Decision | None:
    state: Any = arrangement_rule(ctx.case, ctx.tenancy, ctx.day, ctx.policy, ctx.add, ctx.at,
                                  follow_up_tasks=follow_up_tasks)
    if state == "completed":
        return ctx.done()
    if state == "honoured":
        return ctx.decision()  # honoured: escalation pauses
    return None


@step(ARR_MISSED, ARR_BROKEN, ARR_COMPLETE, CLOSE_ARRANGEMENT, preventive=50)
def arrangement(ctx: Context) -> Decision | None:
    return _arrangement(ctx, follow_up_tasks=True)


@step(ARR_MISSED, ARR_BROKEN, ARR_COMPLETE, CLOSE_ARRANGEMENT, classic=50)
def arrangement_classic(ctx: Context) -> Decision | None:
    """As the playbook, but a missed instalment creates no officer task."""
    return _arrangement(ctx, follow_up_tasks=False)
