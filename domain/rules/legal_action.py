"""Eligibility for legal action (eviction: only the district court dissolves a lease;
covenant of December 2022): the playbook asks for the documented steps, months after
the signal, and no debt-help programme (nor debt counselling by the intake); two staff members still decide (four eyes)."""

from __future__ import annotations

from domain.actions import Decision
from domain.calendar import add_months, on_or_next_business_day
from domain.rulebook import BASIS_EVICT, Context, rule, step
from domain.values import LetterKind, TaskKind

EVICT_ELIGIBLE = rule("EVICT-ELIGIBLE", "legal_months_after_signal after the signal, arrears of "
                      "legal_months_of_rent or more, every step documented, not in debt counselling",
                      inputs=("documented", "signal_on", "rent_cents", "months", "in_debt_counselling"),
                      policy_keys=("legal_months_of_rent", "legal_months_after_signal"), legal_basis=BASIS_EVICT)


@step(EVICT_ELIGIBLE, preventive=130)
def legal_action(ctx: Context) -> Decision | None:
    case, t, policy = ctx.case, ctx.tenancy, ctx.policy
    if case.legal_eligible_on is not None or case.signal is None or case.signal.get("withdrawn_on") is not None:
        return None
    documented = {
        "reminder": LetterKind.REMINDER.value in case.letters,
        "fourteen_day_letter": LetterKind.FOURTEEN_DAY_LETTER.value in case.letters,
        "signal": True,
        "personal_contact": bool(case.personal_attempts()),
    }
    enough = ctx.arrears >= policy.legal_months_of_rent * t.rent_cents
    not_in_counselling = not case.in_programme() and not ctx.in_debt_counselling
    if enough and all(documented.values()) and not_in_counselling:
        if ctx.at(add_months(case.signal["on"], policy.legal_months_after_signal)):
            withdrawn = sum(1 for w in case.eligibility_withdrawals if w["which"] == "legal")
            ctx.add("legal_eligible", EVICT_ELIGIBLE, "legal:eligible" if not withdrawn else f"legal:eligible:{withdrawn + 1}",
                    {"documented": documented, "signal_on": case.signal["on"], "rent_cents": t.rent_cents,
                     "months": policy.legal_months_of_rent, "in_debt_counselling": ctx.in_debt_counselling})
            ctx.add("task", EVICT_ELIGIBLE, "task:legal:review", {},
                    task_kind=TaskKind.REVIEW_LEGAL_ACTION.value, due_on=on_or_next_business_day(ctx.day))
    return None
