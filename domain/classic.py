"""The classic dunning process, as pure rules: the practice the playbook replaced.

Used with ``Policy(strategy="classic")`` (``domain.playbook.evaluate`` dispatches
here), so the simulation can run both processes through the same application,
daily run and adapters. It reuses the playbook's ``Action``/``Decision`` and action
kinds, and the same case aggregate, so every step is recorded the same way.

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

Rule ids: CLOSE-ENDED, CLOSE-PAID, CLOSE-ARRANGEMENT, PAUSE-END, ARR-MISSED,
ARR-BROKEN, ARR-COMPLETE, PROMISE-CHECK, CLASSIC-REMINDER-D14,
CLASSIC-REMINDER-MONTHLY, WIK-14, WIK-COSTS, BAILIFF-ELIGIBLE, CLASSIC-EVICT-3M.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain import wik
from domain.arrears_case import ArrearsCase
from domain.calendar import add_months, on_or_next_business_day, on_or_previous_business_day
from domain.playbook import Action, Decision, _decision, arrangement_rule
from domain.policy import Policy
from domain.tenancy import Tenancy
from domain.values import LetterKind, TaskKind

REMINDER_RULES = ("CLASSIC-REMINDER-D14", "CLASSIC-REMINDER-MONTHLY")


def evaluate(case: ArrearsCase, tenancy: Tenancy, day: date, policy: Policy) -> Decision:
    acts: list[Action] = []
    later: list[date] = []
    D = case.due_date
    arrears = tenancy.arrears_cents(as_of=day)
    base = {"arrears_cents": arrears, "days_late": (day - D).days, "strategy": "classic"}

    def add(
        kind: str, rule: str, action_id: str, inputs: dict[str, Any] | None = None, **params: Any
    ) -> None:
        if not case.has_done(action_id):
            acts.append(Action(kind, rule, action_id, {**base, **(inputs or {})}, params))

    def at(when: date) -> bool:
        if day >= when:
            return True
        later.append(when)
        return False

    # --- closing (as the playbook) -------------------------------------------
    if tenancy.ended_on is not None and tenancy.ended_on <= day:
        add(
            "close",
            "CLOSE-ENDED",
            "close:CLOSE-ENDED",
            {"ended_on": tenancy.ended_on},
            reason="tenancy_ended",
        )
        return Decision(acts, None)
    if arrears <= policy.tolerance_cents:
        add(
            "close",
            "CLOSE-PAID",
            "close:CLOSE-PAID",
            {"tolerance_cents": policy.tolerance_cents},
            reason="paid",
        )
        return Decision(acts, None)

    # --- pauses ------------------------------------------------------------------
    if case.paused_until is not None:
        if day > case.paused_until:
            add(
                "resume",
                "PAUSE-END",
                f"resume:{case.paused_until}",
                {"paused_until": case.paused_until},
                reason=f"{case.pause_reason} pause ended",
            )
        else:
            return Decision(acts, case.paused_until + timedelta(days=1))

    # --- arrangement: honoured pauses escalation; no follow-up task
    state = arrangement_rule(case, tenancy, day, policy, add, at, follow_up_tasks=False)
    if state == "completed":
        return Decision(acts, None)
    if state == "honoured":
        return _decision(acts, later, day, policy)

    # --- promise to pay: checked, no follow-up task ------------------------------
    for p_index, p in enumerate(case.promises):
        if p["status"] != "open":
            continue
        if at(p["pay_by"] + timedelta(days=1)):
            add(
                "promise_check",
                "PROMISE-CHECK",
                f"promise:{p_index}:checked",
                {"pay_by": p["pay_by"]},
                kept=False,
            )
        else:
            return _decision(acts, later, day, policy)

    # --- reminder letters: the first at D + reminder_days, then monthly -----------
    first_due = max(
        on_or_previous_business_day(D + timedelta(days=policy.reminder_days)), case.opened_on
    )
    sent = sum(1 for s in case.steps if s["rule"] in REMINDER_RULES)
    if case.bailiff_handed_over is None:
        n = sent + 1
        due = first_due if n == 1 else on_or_next_business_day(add_months(first_due, n - 1))
        if at(due):
            action_id = "letter:reminder" if n == 1 else f"letter:reminder:{n}"
            add(
                "letter",
                REMINDER_RULES[0] if n == 1 else REMINDER_RULES[1],
                action_id,
                {"reminder_due": due, "reminder_number": n},
                letter_kind=LetterKind.REMINDER.value,
            )

    # --- WIK 14-day letter and costs (the law applies to both processes) ---------
    wik_letter = case.letters.get(LetterKind.FOURTEEN_DAY_LETTER.value)
    if wik_letter is None and at(
        on_or_next_business_day(D + timedelta(days=policy.wik_letter_days))
    ):
        costs = wik.collection_costs_cents(arrears, vat_rate_percent=policy.wik_vat_percent)
        deadline = wik.letter_deadline(day, policy)
        add(
            "letter",
            "WIK-14",
            "letter:wik14",
            {"costs_cents": costs, "deadline": deadline, "posted_on": day},
            letter_kind=LetterKind.FOURTEEN_DAY_LETTER.value,
            costs_cents=costs,
            deadline=deadline,
        )
    if wik_letter is not None:
        deadline = wik_letter["deadline"]
        if case.costs_charged_on is None and at(deadline + timedelta(days=1)):
            add(
                "costs",
                "WIK-COSTS",
                "costs:wik",
                {"deadline": deadline, "letter_id": wik_letter["letter_id"]},
                cents=wik_letter["costs_cents"],
            )
        if (
            case.bailiff_eligible_on is None
            and arrears >= policy.bailiff_months_of_rent * tenancy.rent_cents
            and at(deadline + timedelta(days=1))
        ):
            add(
                "bailiff_eligible",
                "BAILIFF-ELIGIBLE",
                "bailiff:eligible",
                {
                    "deadline": deadline,
                    "rent_cents": tenancy.rent_cents,
                    "months": policy.bailiff_months_of_rent,
                },
            )
            add(
                "task",
                "BAILIFF-ELIGIBLE",
                "task:bailiff:approve",
                {},
                task_kind=TaskKind.APPROVE_BAILIFF.value,
                due_on=on_or_next_business_day(day),
            )
        # --- legal action: arrears alone (no signal, contact or counselling conditions)
        if (
            case.legal_eligible_on is None
            and arrears >= policy.legal_months_of_rent * tenancy.rent_cents
        ):
            add(
                "legal_eligible",
                "CLASSIC-EVICT-3M",
                "legal:eligible",
                {
                    "rent_cents": tenancy.rent_cents,
                    "months": policy.legal_months_of_rent,
                    "fourteen_day_letter": wik_letter["letter_id"],
                },
            )
            add(
                "task",
                "CLASSIC-EVICT-3M",
                "task:legal:review",
                {},
                task_kind=TaskKind.REVIEW_LEGAL_ACTION.value,
                due_on=on_or_next_business_day(day),
            )

    return _decision(acts, later, day, policy)


