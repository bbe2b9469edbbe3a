"""Bailiff eligibility after the 14-day letter's deadline, at enough months of rent in
arrears; a team lead approves the hand-over (both strategies)."""

from __future__ import annotations

from datetime import timedelta

from domain.actions import Decision
from domain.calendar import on_or_next_business_day
from domain.rulebook import BASIS_BAILIFF, Context, rule, step
from domain.values import LetterKind, TaskKind

BAILIFF_ELIGIBLE = rule("BAILIFF-ELIGIBLE", "after the 14-day deadline, arrears of bailiff_months_of_rent or more",
                        inputs=("deadline", "rent_cents", "months"), policy_keys=("bailiff_months_of_rent",),
                        legal_basis=BASIS_BAILIFF)


@step(BAILIFF_ELIGIBLE, preventive=120, classic=120)
def bailiff(ctx: Context) -> Decision | None:
    case, t, policy = ctx.case, ctx.tenancy, ctx.policy
    letter = case.letters.get(LetterKind.FOURTEEN_DAY_LETTER.value)
    if letter is None or letter.get("withdrawn_on") is not None:
        return None
    deadline = letter["deadline"]
    if (
        case.bailiff_eligible_on is None
        and ctx.arrears >= policy.bailiff_months_of_rent * t.rent_cents
        and ctx.at(deadline + timedelta(days=1))
    ):
        withdrawn = sum(1 for w in case.eligibility_withdrawals if w["which"] == "bailiff")
        ctx.add("bailiff_eligible", BAILIFF_ELIGIBLE, "bailiff:eligible" if not withdrawn else f"bailiff:eligible:{withdrawn + 1}",
                {"deadline": deadline, "rent_cents": t.rent_cents, "months": policy.bailiff_months_of_rent})
        ctx.add("task", BAILIFF_ELIGIBLE, "task:bailiff:approve", {},
                task_kind=TaskKind.APPROVE_BAILIFF.value, due_on=on_or_next_business_day(ctx.day))
    return None
