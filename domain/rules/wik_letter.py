"""The WIK 14-day letter and the collection costs after its deadline (art. 6:96 lid 6
BW). The law applies to both strategies; the playbook charges costs only when the
letter's amount stayed unpaid in its term."""

from __future__ import annotations

from datetime import timedelta

from domain import wik
from domain.actions import Decision
from domain.calendar import on_or_next_business_day
from domain.rulebook import BASIS_WIK, Context, rule, step
from domain.values import LetterKind

WIK_14 = rule("WIK-14", "no 14-day letter yet, on the business day on or after D + wik_letter_days",
              inputs=("costs_cents", "deadline", "posted_on"),
              policy_keys=("wik_letter_days", "wik_vat_percent", "wik_receipt_days", "wik_term_days"),
              legal_basis=BASIS_WIK)
WIK_COSTS = rule("WIK-COSTS", "the day after the 14-day letter's deadline, its amount not paid in the term",
                 inputs=("deadline", "letter_id", "letter_amount_cents", "paid_in_term_cents"),
                 legal_basis=BASIS_WIK)


@step(WIK_14, preventive=100, classic=100)
def fourteen_day_letter(ctx: Context) -> Decision | None:
    policy = ctx.policy
    if ctx.case.letters.get(LetterKind.FOURTEEN_DAY_LETTER.value) is None and ctx.at(
        on_or_next_business_day(ctx.case.due_date + timedelta(days=policy.wik_letter_days))
    ):
        costs = wik.letter_costs(ctx.arrears, policy)
        deadline = wik.letter_deadline(ctx.day, policy)
        ctx.add("letter", WIK_14, "letter:wik14", {"costs_cents": costs, "deadline": deadline, "posted_on": ctx.day},
                letter_kind=LetterKind.FOURTEEN_DAY_LETTER.value, costs_cents=costs, deadline=deadline)
    return None


@step(WIK_COSTS, preventive=110)
def collection_costs(ctx: Context) -> Decision | None:
    case = ctx.case
    letter = case.letters.get(LetterKind.FOURTEEN_DAY_LETTER.value)
    if letter is None:
        return None
    deadline = letter["deadline"]
    paid_in_term = ctx.tenancy.payments_between(letter["posted_on"], deadline)
    if (
        case.costs_charged_on is None
        and paid_in_term < letter["amount_cents"]  # costs only when the letter's amount stayed unpaid
        and ctx.at(deadline + timedelta(days=1))
    ):
        ctx.add("costs", WIK_COSTS, "costs:wik",
                {"deadline": deadline, "letter_id": letter["letter_id"],
                 "letter_amount_cents": letter["amount_cents"], "paid_in_term_cents": paid_in_term},
                cents=letter["costs_cents"])
    return None


@step(WIK_COSTS, classic=110)
def collection_costs_classic(ctx: Context) -> Decision | None:
    """The classic process charges the costs after the deadline whatever was paid."""
    case = ctx.case
    letter = case.letters.get(LetterKind.FOURTEEN_DAY_LETTER.value)
    if letter is not None and case.costs_charged_on is None and ctx.at(letter["deadline"] + timedelta(days=1)):
        ctx.add("costs", WIK_COSTS, "costs:wik", {"deadline": letter["deadline"], "letter_id": letter["letter_id"]},
                cents=letter["costs_cents"])
    return None
