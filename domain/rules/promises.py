"""A promise to pay (PLAYBOOK.md 4.3): checked the day after its pay-by day."""

from __future__ import annotations

from datetime import timedelta

from domain.actions import Decision
from domain.calendar import on_or_next_business_day
from domain.rulebook import Context, rule, step
from domain.values import TaskKind

PROMISE_CHECK = rule("PROMISE-CHECK", "the day after a promise's pay-by day (kept when the arrears are paid)",
                     inputs=("pay_by",))


@step(PROMISE_CHECK, preventive=60)
def promise(ctx: Context) -> Decision | None:
    """An unkept promise gets a follow-up task; a pending one holds calls and letters,
    but never past the reminder's D + reminder_days."""
    case, day, policy = ctx.case, ctx.day, ctx.policy
    for p_index, p in enumerate(case.promises):
        if p["status"] != "open":
            continue
        if ctx.at(p["pay_by"] + timedelta(days=1)):
            ctx.add("promise_check", PROMISE_CHECK, f"promise:{p_index}:checked", {"pay_by": p["pay_by"]}, kept=False)
            ctx.add("task", PROMISE_CHECK, f"task:promise:{p_index}", {"pay_by": p["pay_by"]},
                    task_kind=TaskKind.PROMISE_FOLLOW_UP.value, due_on=on_or_next_business_day(day))
        else:
            ctx.promise_pending = True
    reminder_day = case.due_date + timedelta(days=policy.reminder_days)
    if ctx.promise_pending and day < reminder_day:
        ctx.later.append(reminder_day)
        return ctx.decision()
    return None


@step(PROMISE_CHECK, classic=60)
def promise_classic(ctx: Context) -> Decision | None:
    """Checked, without a follow-up task; a pending promise holds everything."""
    for p_index, p in enumerate(ctx.case.promises):
        if p["status"] != "open":
            continue
        if ctx.at(p["pay_by"] + timedelta(days=1)):
            ctx.add("promise_check", PROMISE_CHECK, f"promise:{p_index}:checked", {"pay_by": p["pay_by"]},
                    kept=False)
        else:
            return ctx.decision()
    return None
