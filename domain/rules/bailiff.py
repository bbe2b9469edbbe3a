"""Bailiff eligibility after the 14-day letter's deadline, at enough months of rent in
arrears; a team lead approves the hand-over (both strategies).

An eligibility recorded before a debt-help programme is held while the programme runs
(its approval task is cancelled, the hand-over refused). When the programme ended,
failed or lapsed and the playbook resumes, the case is looked at again
(BAILIFF-AFTER-PROGRAMME): with the arrears still at the threshold the approval task is
offered again; below it the eligibility is withdrawn (a later rise makes the case
eligible anew, with its own approval task)."""

from __future__ import annotations

from datetime import timedelta

from domain import late_facts
from domain.actions import Decision
from domain.arrears_case import ArrearsCase
from domain.calendar import on_or_next_business_day
from domain.policy import Policy
from domain.programmes import ended_since
from domain.rulebook import BASIS_BAILIFF, Context, rule, step
from domain.tenancy import Tenancy
from domain.values import LetterKind, TaskKind

BAILIFF_ELIGIBLE = rule("BAILIFF-ELIGIBLE", "after the 14-day deadline, arrears of bailiff_months_of_rent or more: "
                        "eligible as of the first day after the deadline the arrears as booked reached it",
                        inputs=("deadline", "rent_cents", "months"), policy_keys=("bailiff_months_of_rent",),
                        legal_basis=BASIS_BAILIFF)
BAILIFF_AFTER_PROGRAMME = rule(
    "BAILIFF-AFTER-PROGRAMME", "eligible before a debt-help programme that ended, failed or lapsed, once the "
    "playbook resumes: arrears of bailiff_months_of_rent or more offer the approval task again, less withdraw "
    "the eligibility", inputs=("eligible_on", "programme", "state", "rent_cents", "months"),
    policy_keys=("bailiff_months_of_rent", "programme_resume_days"), legal_basis=BASIS_BAILIFF)


@step(BAILIFF_ELIGIBLE, BAILIFF_AFTER_PROGRAMME, preventive=120, classic=120)
def bailiff(ctx: Context) -> Decision | None:
    case, t, policy = ctx.case, ctx.tenancy, ctx.policy
    letter = case.letters.get(LetterKind.FOURTEEN_DAY_LETTER.value)
    if letter is None or letter.get("withdrawn_on") is not None:
        return None
    deadline = letter["deadline"]
    enough = ctx.arrears >= policy.bailiff_months_of_rent * t.rent_cents
    if case.bailiff_eligible_on is not None and case.bailiff_handed_over is None:
        p = ended_since(case, case.bailiff_eligible_on)
        if p is not None:
            inputs = {"eligible_on": case.bailiff_eligible_on, "programme": p["number"], "state": p["state"],
                      "rent_cents": t.rent_cents, "months": policy.bailiff_months_of_rent}
            if enough:
                ctx.add("task", BAILIFF_AFTER_PROGRAMME, f"task:bailiff:approve:programme:{p['number']}", inputs,
                        task_kind=TaskKind.APPROVE_BAILIFF.value, due_on=on_or_next_business_day(ctx.day))
            else:
                ctx.add("eligibility_withdrawn", BAILIFF_AFTER_PROGRAMME,
                        f"bailiff:withdrawn:programme:{p['number']}", inputs, which="bailiff")
        return None
    if case.bailiff_eligible_on is not None or not ctx.at(deadline + timedelta(days=1)):
        return None
    # from the booked facts: the first day after the deadline on which the arrears as booked
    # reached the threshold, whenever those facts were recorded (PLAYBOOK 5)
    start = late_facts.eligibility_start(case, "bailiff", deadline + timedelta(days=1), ctx.day)
    on = late_facts.first_day_reached(case, t, start, ctx.day,
                                      policy.bailiff_months_of_rent * t.rent_cents, policy)
    if on is not None:
        withdrawn = sum(1 for w in case.eligibility_withdrawals if w["which"] == "bailiff")
        ctx.add("bailiff_eligible", BAILIFF_ELIGIBLE, "bailiff:eligible" if not withdrawn else f"bailiff:eligible:{withdrawn + 1}",
                {"deadline": deadline, "rent_cents": t.rent_cents, "months": policy.bailiff_months_of_rent,
                 "reached_on": on, "arrears_reached_cents": t.arrears_cents(as_of=on)}, on=on)
        # a case eligible anew (after a withdrawal) gets its own approval task
        ctx.add("task", BAILIFF_ELIGIBLE, "task:bailiff:approve" if not withdrawn else f"task:bailiff:approve:{withdrawn + 1}",
                {}, task_kind=TaskKind.APPROVE_BAILIFF.value, due_on=on_or_next_business_day(ctx.day))
    return None


def eligible_before_close(case: ArrearsCase, tenancy: Tenancy, policy: Policy,
                          withdrawing: bool = False) -> late_facts.Compensation | None:
    """A closed case that a late fact reached (a charge booked before its close, recorded
    after it): eligible as of the first day after the 14-day deadline on which the
    arrears as booked reached the threshold before the case was cleared, as it would
    have been with every fact recorded on its booking day. No approval task: the case is
    closed, nothing is handed over. ``withdrawing``: the review withdraws the recorded
    eligibility (LATE-ELIGIBILITY-WITHDRAWN), so it is looked for anew."""
    assert case.closed_on is not None
    letter = case.letters.get(LetterKind.FOURTEEN_DAY_LETTER.value)
    if (letter is None or letter.get("withdrawn_on") is not None or case.in_programme()
            or (case.bailiff_eligible_on is not None and not withdrawing)):
        return None
    deadline = letter["deadline"]
    if case.closed_on <= deadline:
        return None
    start = late_facts.eligibility_start(case, "bailiff", deadline + timedelta(days=1), case.closed_on)
    on = late_facts.first_day_reached(case, tenancy, start, case.closed_on,
                                      policy.bailiff_months_of_rent * tenancy.rent_cents, policy)
    if on is None:
        return None
    withdrawn = sum(1 for w in case.eligibility_withdrawals if w["which"] == "bailiff") + (1 if withdrawing else 0)
    return late_facts.Compensation(
        "bailiff_eligible", BAILIFF_ELIGIBLE, "bailiff:eligible" if not withdrawn else f"bailiff:eligible:{withdrawn + 1}",
        {"deadline": deadline, "rent_cents": tenancy.rent_cents, "months": policy.bailiff_months_of_rent,
         "reached_on": on, "arrears_reached_cents": tenancy.arrears_cents(as_of=on), "closed_on": case.closed_on},
        {"on": on})
