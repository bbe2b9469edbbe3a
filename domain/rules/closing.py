"""Closing a case: the tenancy ended, or the arrears are paid (PLAYBOOK.md 2)."""

from __future__ import annotations

from domain.actions import Decision
from domain.rulebook import Context, rule, step
from domain.rules.arrangement import ARR_COMPLETE
from domain.rules.promises import PROMISE_CHECK

CLOSE_ENDED = rule("CLOSE-ENDED", "the tenancy ended on or before the day", inputs=("ended_on",))
CLOSE_PAID = rule("CLOSE-PAID", "arrears at or below the tolerance", inputs=("tolerance_cents",),
                  policy_keys=("tolerance_cents",))


@step(CLOSE_ENDED, preventive=10, classic=10)
def tenancy_ended(ctx: Context) -> Decision | None:
    t = ctx.tenancy
    if t.ended_on is not None and t.ended_on <= ctx.day:
        ctx.add("close", CLOSE_ENDED, "close:CLOSE-ENDED", {"ended_on": t.ended_on}, reason="tenancy_ended")
        return ctx.done()
    return None


@step(CLOSE_PAID, ARR_COMPLETE, PROMISE_CHECK, preventive=20)
def paid(ctx: Context) -> Decision | None:
    """Paid off: an active arrangement is completed and open promises were kept."""
    case, policy = ctx.case, ctx.policy
    if ctx.arrears > policy.tolerance_cents:
        return None
    if case.arrangement_active():  # not left active on a closed case
        assert case.arrangement is not None
        ctx.add("arrangement_completed", ARR_COMPLETE, f"arr{case.arrangement['index']}:completed",
                {"tolerance_cents": policy.tolerance_cents})
    for p_index, p in enumerate(case.promises):
        if p["status"] == "open":
            ctx.add("promise_check", PROMISE_CHECK, f"promise:{p_index}:checked", {"pay_by": p["pay_by"]},
                    kept=True)
    ctx.add("close", CLOSE_PAID, "close:CLOSE-PAID", {"tolerance_cents": policy.tolerance_cents}, reason="paid")
    return ctx.done()


@step(CLOSE_PAID, classic=20)
def paid_classic(ctx: Context) -> Decision | None:
    """The classic process closes a paid case and leaves arrangements and promises be."""
    if ctx.arrears > ctx.policy.tolerance_cents:
        return None
    ctx.add("close", CLOSE_PAID, "close:CLOSE-PAID", {"tolerance_cents": ctx.policy.tolerance_cents}, reason="paid")
    return ctx.done()
