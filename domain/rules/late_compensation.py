"""Facts that arrive late (PLAYBOOK.md 5): the outcome of a case follows the facts as
booked. Steps already taken that the booked facts show should not have been taken get a
compensating step naming its rule (``domain.late_facts.compensations``)."""

from __future__ import annotations

from datetime import date

from domain import late_facts
from domain.actions import Decision
from domain.arrears_case import ArrearsCase
from domain.policy import Policy
from domain.rulebook import BASIS_BGS, BASIS_WIK, Context, rule, step
from domain.rules.bailiff import eligible_before_close
from domain.tenancy import Tenancy

LATE_LETTER_APOLOGY = rule(
    "LATE-LETTER-APOLOGY", "a letter posted on or after the day the arrears were cleared as booked, or under its "
    "threshold as booked: marked withdrawn, and an officer task to apologise (it outlives the case)",
    inputs=("posted_on", "cleared_on", "letter_id", "kind"),
    policy_keys=("min_reminder_cents", "min_wik_letter_cents", "min_wik_letter_rent_percent"))
LATE_COSTS_REVERSED = rule(
    "LATE-COSTS-REVERSED", "booked collection costs not due as booked (the stated rent paid by the deadline, or "
    "the letter sent in error): reversed by a ledger line", inputs=("deadline", "unpaid_at_deadline_cents"),
    legal_basis=BASIS_WIK)
LATE_SIGNAL_WITHDRAWN = rule(
    "LATE-SIGNAL-WITHDRAWN", "a signal sent on or after the day the arrears were cleared as booked, or under its "
    "threshold as booked: withdrawn with a message to the municipality", inputs=("signal_on", "cleared_on"),
    policy_keys=("min_signal_rent_percent",), legal_basis=BASIS_BGS)
LATE_ELIGIBILITY_WITHDRAWN = rule(
    "LATE-ELIGIBILITY-WITHDRAWN", "bailiff or legal eligibility the arrears as booked on that day did not support: "
    "withdrawn", inputs=("eligible_on", "arrears_cents", "months"),
    policy_keys=("bailiff_months_of_rent", "legal_months_of_rent"))
SILENT_CASE = rule(
    "SILENT-CASE", "audit verify: an open case went more than silent_case_days without an automated step, a "
    "contact or an open officer task", policy_keys=("silent_case_days",))


@step(LATE_LETTER_APOLOGY, LATE_COSTS_REVERSED, LATE_SIGNAL_WITHDRAWN, LATE_ELIGIBILITY_WITHDRAWN, preventive=15)
def compensate(ctx: Context) -> Decision | None:
    cleared = ctx.cleared_on()
    before = len(ctx.acts)
    for c in late_facts.compensations(ctx.case, ctx.tenancy, ctx.day, ctx.policy, cleared):
        ctx.add(c.kind, c.rule, c.action_id, c.inputs, **c.params)
    if len(ctx.acts) > before:
        # the steps below decide on the case as compensated (a reminder withdrawn no longer
        # offers the signal, nor comes before a 14-day letter): the run evaluates it again
        return ctx.decision()
    return None
LATE_CLOSE_REDATED = rule(
    "LATE-CLOSE-REDATED", "a closed case reached by a fact booked before its close and recorded after it: "
    "re-checked (the LATE-* steps above, an apology task outliving the case); closed as paid but cleared "
    "on another day as booked (earlier, or later when a charge booked by its close was recorded after it): its "
    "close date follows that booking date", inputs=("cleared_on", "was_closed_on"),
    policy_keys=("tolerance_cents",))


def review_closed(case: ArrearsCase, tenancy: Tenancy, day: date,
                  policy: Policy) -> tuple[list[late_facts.Compensation], date | None]:
    """A closed case that a late fact reached: the compensating steps the facts as booked
    call for (and a bailiff eligibility they show the case had before it closed), and the
    corrected close date (or None)."""
    assert case.closed_on is not None
    cleared = late_facts.cleared_on(case, tenancy, case.closed_on, policy)
    if cleared is None and case.close_reason == "paid":
        # a charge booked by its close, recorded after: not cleared then as booked, but by a
        # booking date since (else the run re-opens it: LATE-CLOSE-REOPENED)
        cleared = late_facts.cleared_on(case, tenancy, day, policy)
    redated = cleared if case.close_reason == "paid" and cleared is not None and cleared != case.closed_on else None
    comps = late_facts.compensations(case, tenancy, day, policy, cleared)
    withdrawing = any(c.kind == "eligibility_withdrawn" and c.params.get("which") == "bailiff" for c in comps)
    eligible = eligible_before_close(case, tenancy, policy, withdrawing)  # a charge recorded after the close
    return comps + ([eligible] if eligible is not None else []), redated
