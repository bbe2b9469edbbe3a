"""Debt-help programmes hold collection (``domain.programmes``): current rent is still
watched, a state held too long lapses, and an ended programme resumes the playbook
with an officer task first."""

from __future__ import annotations

from domain.actions import Decision
from domain.programmes import programme_rules
from domain.rulebook import Context, rule, step

DEBT_CURRENT_RENT = rule("DEBT-CURRENT-RENT", "in a programme: rent falling due after it began is unpaid after "
                         "the grace days", inputs=("period", "due_date", "paid_since_cents", "due_since_cents",
                                                   "programme_since"),
                         policy_keys=("instalment_grace_days",))
DEBT_LAPSED = rule("DEBT-LAPSED", "a programme state held longer than the policy allows",
                   inputs=("state", "since", "max_days"),
                   policy_keys=("programme_intake_max_days", "programme_stabilisation_max_days",
                                "programme_moratorium_max_days"))
DEBT_RESUME = rule("DEBT-RESUME", "the programme ended, failed or lapsed: an officer task, formal steps wait",
                   inputs=("state", "since"), policy_keys=("programme_resume_days",))


DEBT_BAILIFF_HOLD = rule("DEBT-BAILIFF-HOLD", "a programme runs and the case was already handed over to the "
                         "bailiff: an officer task to tell the bailiff to hold collection",
                         inputs=("handed_over_on", "programme_since"),
                         legal_basis="NVVK gedragscode; convenant woningcorporaties december 2022")


@step(DEBT_CURRENT_RENT, DEBT_LAPSED, DEBT_RESUME, DEBT_BAILIFF_HOLD, preventive=45)
def programme(ctx: Context) -> Decision | None:
    if programme_rules(ctx.case, ctx.tenancy, ctx.day, ctx.policy, ctx.add, ctx.at):
        return ctx.decision()  # collection is held today
    return None
