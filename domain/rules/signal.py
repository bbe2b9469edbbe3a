"""The municipal early-warning signal (BGS art. 2; PLAYBOOK.md 5.2): only after personal
contact was attempted, debt help was pointed to, the reminder offered the signal, and
the tenant had the objection period."""

from __future__ import annotations

from datetime import timedelta

from domain.actions import Decision
from domain.calendar import on_or_next_business_day
from domain.rulebook import BASIS_BGS, Context, rule, step
from domain.values import LetterKind, TaskKind

BGS_CONTACT_FIRST = rule("BGS-CONTACT-FIRST", "the signal is due but no personal contact was attempted: "
                         "a phone task first", inputs=("conditions",), policy_keys=("signal_days",),
                         legal_basis=BASIS_BGS)
BGS_2 = rule("BGS-2", "D + signal_days, the four conditions met and the objection period over",
             inputs=("conditions", "origin_date", "offered_on", "objection_days"),
             policy_keys=("signal_days", "signal_objection_days"), legal_basis=BASIS_BGS)


@step(BGS_CONTACT_FIRST, BGS_2, preventive=90)
def municipal_signal(ctx: Context) -> Decision | None:
    case, day, policy = ctx.case, ctx.day, ctx.policy
    D = case.due_date
    if case.signal is not None or case.objected_on is not None or not ctx.at(D + timedelta(days=policy.signal_days)):
        return None
    conditions = case.signal_conditions()
    officer_task_open = any(
        t["kind"] in (TaskKind.PHONE.value, TaskKind.HOME_VISIT.value) for t in case.open_tasks()
    )
    if not conditions["personal_contact_attempted"] and not officer_task_open:
        ctx.add("task", BGS_CONTACT_FIRST, "task:bgs:contact", {"conditions": conditions},
                task_kind=TaskKind.PHONE.value, due_on=on_or_next_business_day(day))
    elif all(conditions.values()):
        offered = case.letters[LetterKind.REMINDER.value]["posted_on"]
        # the tenant has had the objection period since the reminder offered the signal
        if ctx.at(offered + timedelta(days=policy.signal_objection_days)):
            ctx.add("signal", BGS_2, "signal", {"conditions": conditions, "origin_date": D,
                                                "offered_on": offered,
                                                "objection_days": policy.signal_objection_days})
    return None
