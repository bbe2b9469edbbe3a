"""Arrangements people can keep: an instalment checked against a simple budget
(PLAYBOOK 3; the UK pre-action protocol's "affordable repayments").

room = net monthly income - fixed costs - current rent - living allowance (a norm
from the policy: one amount for the first person, another for each further person).
An instalment above the room is refused (ARR-AFFORD); above ``affordability_warn_percent``
of it the arrangement is agreed with a warning. The figures are the officer's, as the
tenant gives them; the application seals them. Pure rules, exact cents.
"""

from __future__ import annotations

import attrs

from domain.policy import Policy
from domain.values import format_cents

AFFORDABLE = "affordable"
TIGHT = "tight"
UNAFFORDABLE = "unaffordable"


@attrs.frozen
class Budget:
    income_cents: int  # net monthly household income
    fixed_costs_cents: int  # monthly fixed costs besides the rent (energy, insurance, debts being paid)
    people: int = 1  # persons in the household

    def __attrs_post_init__(self) -> None:
        if self.income_cents < 0 or self.fixed_costs_cents < 0:
            raise ValueError("budget: income and fixed costs cannot be negative")
        if not 1 <= self.people <= 20:
            raise ValueError(f"people: {self.people} must be 1-20")


@attrs.frozen
class Verdict:
    verdict: str  # affordable | tight | unaffordable
    room_cents: int
    instalment_cents: int
    reason: str


def living_allowance(budget: Budget, policy: Policy) -> int:
    return policy.living_allowance_cents + (budget.people - 1) * policy.living_allowance_extra_person_cents


def check(budget: Budget, *, rent_cents: int, instalment_cents: int, policy: Policy) -> Verdict:
    allowance = living_allowance(budget, policy)
    room = budget.income_cents - budget.fixed_costs_cents - rent_cents - allowance
    sums = (f"income {format_cents(budget.income_cents)} - fixed costs {format_cents(budget.fixed_costs_cents)}"
            f" - rent {format_cents(rent_cents)} - living allowance {format_cents(allowance)}"
            f" ({budget.people} {'person' if budget.people == 1 else 'persons'})"
            f" leaves {format_cents(room)} a month")
    inst = format_cents(instalment_cents)
    if instalment_cents > room:
        return Verdict(UNAFFORDABLE, room, instalment_cents,
                       f"instalment {inst} is more than the budget allows: {sums}")
    if instalment_cents * 100 > room * policy.affordability_warn_percent:
        return Verdict(TIGHT, room, instalment_cents,
                       f"instalment {inst} takes more than {policy.affordability_warn_percent}% of what is left: {sums}")
    return Verdict(AFFORDABLE, room, instalment_cents, f"instalment {inst} fits: {sums}")
