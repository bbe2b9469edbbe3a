"""The preventive playbook (PLAYBOOK.md sections 2-5, LEGAL.md) as a strategy of named rules.

``evaluate(case, tenancy, day, policy)`` returns the actions due on ``day`` and the
next day anything can fall due without new events. Each action names its rule, the
inputs that made it fire and a deterministic ``action_id``: the application carries
actions out; the case refuses an ``action_id`` it has already recorded, so re-running a
day never repeats a step. No clock, no I/O.

The rules live one module each in ``domain/rules/`` (with their trigger, inputs,
policy keys and legal basis) and are composed by ``domain.rulebook``'s strategies:
``PREVENTIVE_STRATEGY`` runs these steps in order (``rulebook.PREVENTIVE_STRATEGY.steps()``):

ledger ahead; CLOSE-ENDED; late facts (LATE-LETTER-APOLOGY, LATE-COSTS-REVERSED,
LATE-SIGNAL-WITHDRAWN, LATE-ELIGIBILITY-WITHDRAWN); CLOSE-PAID (ARR-COMPLETE, PROMISE-CHECK,
BGS-RESOLVED); RET-DECEASED,
RET-BANK-DETAILS; PAUSE-END; DEBT-LAPSED, DEBT-CURRENT-RENT, DEBT-RESUME; ARR-MISSED, ARR-BROKEN, ARR-COMPLETE, CLOSE-ARRANGEMENT;
PROMISE-CHECK; first contact (PREV-PHONE-D1, PREV-PHONE-RETRY, PREV-VISIT,
WORRY-CONTACT-D3, WORRY-PHONE-RETRY, WORRY-VISIT, STD-ROBOCALL-12, STD-ROBOCALL-RETRY,
STD-SMS-CHOSEN, STD-SMS-FALLBACK, STD-SMS-NO-RESULT, STD-FIX-CONTACT, LATE-PATTERN-DUE-DAY);
the monthly rhythm (RHYTHM-ROBOCALL, RHYTHM-NEW-MONTH); REMINDER-D14; BGS-CONTACT-FIRST, BGS-2;
WIK-14; WIK-COSTS; BAILIFF-ELIGIBLE; EVICT-ELIGIBLE; RHYTHM-CONTACT (nothing else due).
Every rule id, its trigger, legal basis and policy keys: ``docs/playbook.md``.
The daily run opens cases (OPEN-CASE, ``domain.rules.opening``).
"""

from __future__ import annotations

from datetime import date

from domain.actions import Action, Decision
from domain.arrears_case import ArrearsCase
from domain.policy import Policy
from domain.rulebook import PREVENTIVE_STRATEGY, strategy_for
from domain.rules.arrangement import arrangement_progress, arrangement_rule
from domain.rules.first_contact import FIX_CONTACT_OUTCOMES, RETRY_OUTCOMES, robocall_day
from domain.rules.opening import case_opening_day, choose_track
from domain.tenancy import Tenancy

STRATEGY = PREVENTIVE_STRATEGY


def evaluate(
    case: ArrearsCase, tenancy: Tenancy, day: date, policy: Policy, *, in_debt_counselling: bool = False
) -> Decision:
    """The actions of the strategy the policy names (the classic process when
    ``strategy = "classic"``). ``in_debt_counselling``: the tenant is in a
    debt-counselling programme by their (sealed) intake answers; the application
    unseals them, the rule only reads the flag."""
    return strategy_for(policy).evaluate(case, tenancy, day, policy, in_debt_counselling=in_debt_counselling)


__all__ = [
    "FIX_CONTACT_OUTCOMES",
    "RETRY_OUTCOMES",
    "STRATEGY",
    "Action",
    "Decision",
    "arrangement_progress",
    "arrangement_rule",
    "case_opening_day",
    "choose_track",
    "evaluate",
    "robocall_day",
]
