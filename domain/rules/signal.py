"""The municipal early-warning signal (BGS art. 2; PLAYBOOK.md 5.2): only after personal
contact was attempted, debt help was pointed to, the reminder offered the signal, and
the tenant had the objection period."""

from __future__ import annotations

from datetime import timedelta

from domain import late_facts
from domain.actions import Decision
from domain.calendar import on_or_next_business_day
from domain.rulebook import BASIS_BGS, Context, rule, step
from domain.values import LetterKind, TaskKind

BGS_CONTACT_FIRST = rule("BGS-CONTACT-FIRST", "the signal is due but no personal contact was attempted: "
                         "a phone task first", inputs=("conditions",), policy_keys=("signal_days",),
                         legal_basis=BASIS_BGS)
BGS_2 = rule("BGS-2", "D + signal_days, the four conditions met, the objection period over, the arrears over "
             "the signal threshold and no promise to pay pending",
             inputs=("conditions", "origin_date", "offered_on", "objection_days", "threshold_cents"),
             policy_keys=("signal_days", "signal_objection_days", "min_signal_rent_percent",
                          "threshold_waived_after_months"), legal_basis=BASIS_BGS)


@step(BGS_CONTACT_FIRST, BGS_2, preventive=90)
def municipal_signal(ctx: Context) -> Decision | None:
    case, day, policy = ctx.case, ctx.day, ctx.policy
    D = case.due_date
    live = case.signal is not None and case.signal.get("withdrawn_on") is None
    if live or case.objected_on is not None or ctx.promise_pending:
        return None
    ok, why = late_facts.threshold("signal", ctx.tenancy, day, policy)
    if not ok or not ctx.at(D + timedelta(days=policy.signal_days)):
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
            sid = "signal" if not case.withdrawn_signals else f"signal:{len(case.withdrawn_signals) + 1}"
            ctx.add("signal", BGS_2, sid, {"conditions": conditions, "origin_date": D, "offered_on": offered,
                                           "objection_days": policy.signal_objection_days, **why})
    return None
