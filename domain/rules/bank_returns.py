"""Bank return reason codes (``domain.returns``): MD07 stops all contact, AC04/AC06 ask
for new bank details."""

from __future__ import annotations

from domain.actions import Decision
from domain.returns import return_code_rules
from domain.rulebook import Context, rule, step

RET_DECEASED = rule("RET-DECEASED", "a reversal whose reason code stops all contact (MD07: debtor deceased)",
                    inputs=("reversal", "reason_code", "booked_on"), policy_keys=("return_codes",))
RET_BANK_DETAILS = rule("RET-BANK-DETAILS", "a reversal of this episode whose code asks for new bank details "
                        "(AC04, AC06)", inputs=("reversal", "reason_code", "booked_on"),
                        policy_keys=("return_codes",))


@step(RET_DECEASED, RET_BANK_DETAILS, preventive=30)
def return_codes(ctx: Context) -> Decision | None:
    if return_code_rules(ctx.case, ctx.tenancy, ctx.day, ctx.policy.return_codes, ctx.add):
        return ctx.decision()  # all contact stops: no other step for the case
    return None
