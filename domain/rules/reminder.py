"""The reminder letter at D + reminder_days, with the offer of debt help (PLAYBOOK.md 5.1)."""

from __future__ import annotations

from datetime import timedelta

from domain.actions import Decision
from domain.calendar import on_or_previous_business_day
from domain.rulebook import BASIS_REMINDER, Context, rule, step
from domain.values import LetterKind

REMINDER_D14 = rule("REMINDER-D14", "no reminder yet, on the business day on or before D + reminder_days",
                    inputs=("reminder_due",), policy_keys=("reminder_days",), legal_basis=BASIS_REMINDER)


def reminder_day(ctx: Context) -> object:
    """The first reminder's day: D + reminder_days, on or before a business day, not
    before the case opened."""
    return max(on_or_previous_business_day(ctx.case.due_date + timedelta(days=ctx.policy.reminder_days)),
               ctx.case.opened_on)


@step(REMINDER_D14, preventive=80)
def reminder(ctx: Context) -> Decision | None:
    on = reminder_day(ctx)
    if LetterKind.REMINDER.value not in ctx.case.letters and ctx.at(on):  # type: ignore[arg-type]
        ctx.add("letter", REMINDER_D14, "letter:reminder", {"reminder_due": on},
                letter_kind=LetterKind.REMINDER.value)
    return None
