"""The WIK 14-day letter and the collection costs after its deadline (art. 6:96 lid 6
BW). The law applies to both strategies; the playbook charges costs only when the
letter's amount stayed unpaid in its term."""

from __future__ import annotations

from datetime import timedelta

from domain import late_facts, wik
from domain.actions import Decision, WithdrawLetter
from domain.calendar import next_business_day, on_or_next_business_day
from domain.rulebook import BASIS_WIK, PREVENTIVE, Context, rule, step
from domain.rules.reminder import letter_action, live_letter
from domain.values import LetterKind

WIK_14 = rule("WIK-14", "no 14-day letter yet, on the business day on or after D + wik_letter_days, the "
              "arrears over its threshold and the reminder posted on an earlier day (never two letters on "
              "one day); the deadline counts postal delivery days and the Algemene termijnenwet",
              inputs=("costs_cents", "deadline", "posted_on", "threshold_cents", "reminder_posted_on"),
              policy_keys=("wik_letter_days", "wik_vat_percent", "wik_receipt_days", "wik_term_days",
                           "wik_no_delivery_weekdays", "min_wik_letter_cents", "min_wik_letter_rent_percent"),
              legal_basis=BASIS_WIK)  # the deadline: Algemene termijnenwet art. 1, 3 (domain.wik)
WIK_COSTS = rule("WIK-COSTS", "the day after the 14-day letter's deadline, the rent it stated left unpaid "
                 "as booked: the costs, once, as a ledger line on the tenancy",
                 inputs=("deadline", "letter_id", "letter_amount_cents", "unpaid_at_deadline_cents"),
                 legal_basis=BASIS_WIK)


@step(WIK_14, preventive=100, classic=100)
def fourteen_day_letter(ctx: Context) -> Decision | None:
    policy, case = ctx.policy, ctx.case
    kind = LetterKind.FOURTEEN_DAY_LETTER.value
    if live_letter(case, kind) is None and ctx.at(
        on_or_next_business_day(case.due_date + timedelta(days=policy.wik_letter_days))
    ):
        why: dict[str, object] = {}
        if ctx.strategy == PREVENTIVE:
            ok, why = late_facts.threshold("wik14", ctx.tenancy, ctx.day, policy)
            reminder = live_letter(case, LetterKind.REMINDER.value)
            # never two escalation letters on one day, and "after our reminder" must be true
            if not ok or reminder is None or not reminder["posted_on"] < ctx.day:
                ctx.later.append(next_business_day(ctx.day))
                return None
            why["reminder_posted_on"] = reminder["posted_on"]
        costs = wik.letter_costs(ctx.arrears, policy)
        deadline = wik.letter_deadline(ctx.day, policy)
        ctx.add("letter", WIK_14, letter_action(case, kind),
                {"costs_cents": costs, "deadline": deadline, "posted_on": ctx.day, **why},
                letter_kind=kind, costs_cents=costs, deadline=deadline)
    return None


@step(WIK_COSTS, preventive=110)
def collection_costs(ctx: Context) -> Decision | None:
    add_costs_if_due(ctx)
    return None


def add_costs_if_due(ctx: Context) -> None:
    """The costs of a live 14-day letter once its deadline passed with the stated rent
    unpaid as booked; also on the day a case closes paid (CLOSE-PAID): money booked after
    the deadline does not undo them, whenever it was recorded."""
    case = ctx.case
    letter = live_letter(case, LetterKind.FOURTEEN_DAY_LETTER.value)
    if letter is None or any(isinstance(a, WithdrawLetter) and a.letter_id == letter["letter_id"]
                             for a in ctx.acts):
        return  # withdrawn today as sent in error (LATE-LETTER-APOLOGY): no costs on it
    deadline = letter["deadline"]
    unpaid = late_facts.stated_debt_unpaid(ctx.tenancy, letter)
    if (
        (case.costs_charged_on is None or case.costs_reversed)
        and unpaid > ctx.policy.tolerance_cents  # costs only when the stated rent stayed unpaid (as booked)
        and ctx.at(deadline + timedelta(days=1))
    ):
        n = len(case.withdrawn_letters) if case.costs_reversed else 0
        ctx.add("costs", WIK_COSTS, "costs:wik" if not case.costs_reversed else f"costs:wik:{n + 1}",
                {"deadline": deadline, "letter_id": letter["letter_id"],
                 "letter_amount_cents": letter["amount_cents"], "unpaid_at_deadline_cents": unpaid},
                cents=letter["costs_cents"])


@step(WIK_COSTS, classic=110)
def collection_costs_classic(ctx: Context) -> Decision | None:
    """The classic process charges the costs after the deadline whatever was paid."""
    case = ctx.case
    letter = case.letters.get(LetterKind.FOURTEEN_DAY_LETTER.value)
    if letter is not None and case.costs_charged_on is None and ctx.at(letter["deadline"] + timedelta(days=1)):
        ctx.add("costs", WIK_COSTS, "costs:wik", {"deadline": letter["deadline"], "letter_id": letter["letter_id"]},
                cents=letter["costs_cents"])
    return None
