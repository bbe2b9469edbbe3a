"""The reminder letter at D + reminder_days, with the offer of debt help (PLAYBOOK.md 5.1)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain import late_facts
from domain.actions import Decision
from domain.arrears_case import LETTER_ACTIONS, ArrearsCase
from domain.calendar import on_or_previous_business_day
from domain.rulebook import BASIS_REMINDER, Context, rule, step
from domain.values import LetterKind

REMINDER_D14 = rule("REMINDER-D14", "no reminder yet, on the business day on or before D + reminder_days, "
                    "the arrears at least min_reminder_cents",
                    inputs=("reminder_due", "threshold_cents"), policy_keys=("reminder_days", "min_reminder_cents"),
                    legal_basis=BASIS_REMINDER)


def reminder_day(ctx: Context) -> object:
    """The first reminder's day: D + reminder_days, on or before a business day, not
    before the case opened."""
    return max(on_or_previous_business_day(ctx.case.due_date + timedelta(days=ctx.policy.reminder_days)),
               ctx.case.opened_on)


@step(REMINDER_D14, preventive=80)
def reminder(ctx: Context) -> Decision | None:
    on = reminder_day(ctx)
    if live_letter(ctx.case, LetterKind.REMINDER.value) is None and ctx.at(on):  # type: ignore[arg-type]
        ok, why = late_facts.threshold("reminder", ctx.tenancy, ctx.day, ctx.policy)
        if ok:
            ctx.add("letter", REMINDER_D14, letter_action(ctx.case, LetterKind.REMINDER.value),
                    {"reminder_due": on, **why}, letter_kind=LetterKind.REMINDER.value)
        else:
            ctx.later.append(ctx.day + timedelta(days=1))
    return None


def live_letter(case: ArrearsCase, kind: str) -> dict[str, Any] | None:
    """The case's letter of ``kind`` unless it was withdrawn (sent in error)."""
    letter = case.letters.get(kind)
    return None if letter is None or letter.get("withdrawn_on") is not None else letter


def letter_action(case: ArrearsCase, kind: str) -> str:
    """The letter's action id; a letter sent again after a withdrawal gets a new one."""
    base = LETTER_ACTIONS[kind]
    n = sum(1 for w in case.withdrawn_letters if w["kind"] == kind)
    return base if n == 0 else f"{base}:{n + 1}"
