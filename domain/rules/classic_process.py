"""The classic dunning process's own rules (``domain.classic``): a reminder letter every
month, and legal action on arrears alone."""

from __future__ import annotations

from datetime import timedelta

from domain.actions import Decision
from domain.calendar import add_months, on_or_next_business_day, on_or_previous_business_day
from domain.rulebook import Context, rule, step
from domain.values import LetterKind, TaskKind

CLASSIC_REMINDER_D14 = rule("CLASSIC-REMINDER-D14", "the first reminder at D + reminder_days",
                            inputs=("reminder_due", "reminder_number"), policy_keys=("reminder_days",))
CLASSIC_REMINDER_MONTHLY = rule("CLASSIC-REMINDER-MONTHLY", "another reminder every month while the arrears "
                                "stay open and the case is not with the bailiff",
                                inputs=("reminder_due", "reminder_number"), policy_keys=("reminder_days",))
CLASSIC_EVICT_3M = rule("CLASSIC-EVICT-3M", "the 14-day letter was sent and the arrears are legal_months_of_rent "
                        "or more (no signal, contact or counselling conditions)",
                        inputs=("rent_cents", "months", "fourteen_day_letter"),
                        policy_keys=("legal_months_of_rent",))
REMINDER_RULES = (CLASSIC_REMINDER_D14, CLASSIC_REMINDER_MONTHLY)


@step(CLASSIC_REMINDER_D14, CLASSIC_REMINDER_MONTHLY, classic=80)
def monthly_reminders(ctx: Context) -> Decision | None:
    case = ctx.case
    first_due = max(
        on_or_previous_business_day(case.due_date + timedelta(days=ctx.policy.reminder_days)), case.opened_on
    )
    sent = sum(1 for s in case.steps if s["rule"] in REMINDER_RULES)
    if case.bailiff_handed_over is None:
        n = sent + 1
        due = first_due if n == 1 else on_or_next_business_day(add_months(first_due, n - 1))
        if ctx.at(due):
            action_id = "letter:reminder" if n == 1 else f"letter:reminder:{n}"
            ctx.add("letter", REMINDER_RULES[0] if n == 1 else REMINDER_RULES[1], action_id,
                    {"reminder_due": due, "reminder_number": n}, letter_kind=LetterKind.REMINDER.value)
    return None


@step(CLASSIC_EVICT_3M, classic=130)
def legal_action_on_arrears(ctx: Context) -> Decision | None:
    case, t, policy = ctx.case, ctx.tenancy, ctx.policy
    letter = case.letters.get(LetterKind.FOURTEEN_DAY_LETTER.value)
    if letter is None or case.legal_eligible_on is not None or ctx.arrears < policy.legal_months_of_rent * t.rent_cents:
        return None
    ctx.add("legal_eligible", CLASSIC_EVICT_3M, "legal:eligible",
            {"rent_cents": t.rent_cents, "months": policy.legal_months_of_rent,
             "fourteen_day_letter": letter["letter_id"]})
    ctx.add("task", CLASSIC_EVICT_3M, "task:legal:review", {},
            task_kind=TaskKind.REVIEW_LEGAL_ACTION.value, due_on=on_or_next_business_day(ctx.day))
    return None
