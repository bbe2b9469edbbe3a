"""The classic dunning process, as pure rules: the practice the playbook replaced.

Used with ``Policy(strategy="classic")`` (``domain.rulebook.strategy_for`` picks it),
so the simulation can run both processes through the same application, daily run
and adapters. It is a strategy of the same named rules (``domain/rules/``, the steps
registered with ``classic=...``), the same actions and the same case aggregate, so
every step is recorded the same way.

What the classic process does (a typical Dutch corporation's incassoprocedure
before preventive practices, as contrasted in the Woonconcept article):

- no intake-driven tracks, no robocalls, no SMS, no personal-contact tasks and no
  municipal early-warning signal: the case's track is ignored;
- a reminder letter at ``D + reminder_days`` and another one every month while the
  arrears stay open and the case is not with the bailiff;
- the WIK 14-day letter at ``D + wik_letter_days`` and the collection costs after its
  deadline (the law applies to both processes);
- bailiff eligibility at ``bailiff_months_of_rent`` months' arrears after the WIK
  deadline (approval by a team lead, as in the playbook);
- legal action eligible at ``legal_months_of_rent`` months' arrears once the WIK
  letter was sent, with no signal, contact or debt-counselling conditions; filing
  still needs two staff members' decisions (the case aggregate enforces it).

Arrangements, promises and pauses recorded on a case are honoured as in the
playbook (a tenant may call in after a letter), but a missed instalment or a broken
promise creates no officer task. A broken arrangement still flags the tenancy
(the daily run records that with the break); the classic rules never read the flag.

Steps in order: CLOSE-ENDED; CLOSE-PAID; PAUSE-END; ARR-MISSED, ARR-BROKEN,
ARR-COMPLETE, CLOSE-ARRANGEMENT; PROMISE-CHECK; CLASSIC-REMINDER-D14,
CLASSIC-REMINDER-MONTHLY; WIK-14; WIK-COSTS; BAILIFF-ELIGIBLE; CLASSIC-EVICT-3M.
"""

from __future__ import annotations

from datetime import date

from domain.actions import Decision
from domain.arrears_case import ArrearsCase
from domain.policy import Policy
from domain.rulebook import CLASSIC_STRATEGY
from domain.rules.classic_process import REMINDER_RULES
from domain.tenancy import Tenancy

STRATEGY = CLASSIC_STRATEGY


def evaluate(case: ArrearsCase, tenancy: Tenancy, day: date, policy: Policy) -> Decision:
    return CLASSIC_STRATEGY.evaluate(case, tenancy, day, policy)


__all__ = ["REMINDER_RULES", "STRATEGY", "evaluate"]
