"""Closing a case: the tenancy ended, or the arrears are paid (PLAYBOOK.md 2)."""

from __future__ import annotations

from domain.actions import Decision
from domain.rulebook import BASIS_BGS, Context, rule, step
from domain.rules.arrangement import ARR_COMPLETE
from domain.rules.promises import PROMISE_CHECK
from domain.rules.wik_letter import add_costs_if_due

CLOSE_ENDED = rule("CLOSE-ENDED", "the tenancy ended on or before the day", inputs=("ended_on",))
CLOSE_PAID = rule("CLOSE-PAID", "arrears at or below the tolerance as booked: the case closes with the booking "
                  "date of the money that cleared it, whenever it was recorded",
                  inputs=("tolerance_cents", "cleared_on"), policy_keys=("tolerance_cents",))
BGS_RESOLVED = rule("BGS-RESOLVED", "the arrears of a sent signal are cleared: one 'resolved' message to the "
                    "municipality", inputs=("signal_on", "cleared_on"), legal_basis=BASIS_BGS)


@step(CLOSE_ENDED, preventive=10, classic=10)
def tenancy_ended(ctx: Context) -> Decision | None:
    t = ctx.tenancy
    if t.ended_on is not None and t.ended_on <= ctx.day:
        ctx.add("close", CLOSE_ENDED, "close:CLOSE-ENDED", {"ended_on": t.ended_on}, reason="tenancy_ended")
        return ctx.done()
    return None


@step(CLOSE_PAID, ARR_COMPLETE, PROMISE_CHECK, BGS_RESOLVED, preventive=20)
def paid(ctx: Context) -> Decision | None:
    """Paid off (as booked): an active arrangement is completed, open promises were kept,
    a sent signal is resolved, and the case closes with the day the money cleared it."""
    case, policy = ctx.case, ctx.policy
    cleared = ctx.cleared_on()
    if cleared is None:
        return None
    if case.arrangement_active():  # not left active on a closed case
        assert case.arrangement is not None
        ctx.add("arrangement_completed", ARR_COMPLETE, f"arr{case.arrangement['index']}:completed",
                {"tolerance_cents": policy.tolerance_cents})
    for p_index, p in enumerate(case.promises):
        if p["status"] == "open":
            ctx.add("promise_check", PROMISE_CHECK, f"promise:{p_index}:checked", {"pay_by": p["pay_by"]},
                    kept=True)
    sig = case.signal
    if sig is not None and sig.get("withdrawn_on") is None and sig.get("resolved_on") is None and sig["on"] < cleared:
        ctx.add("signal_resolved", BGS_RESOLVED, f"signal:resolved:{sig['signal_id']}",
                {"signal_on": sig["on"], "cleared_on": cleared}, signal_id=sig["signal_id"])
    add_costs_if_due(ctx)  # rent paid after the 14-day deadline: the costs are due all the same (WIK-COSTS)
    ctx.add("close", CLOSE_PAID, "close:CLOSE-PAID", {"tolerance_cents": policy.tolerance_cents,
                                                      "cleared_on": cleared}, reason="paid", closed_on=cleared)
    return ctx.done()


@step(CLOSE_PAID, classic=20)
def paid_classic(ctx: Context) -> Decision | None:
    """The classic process closes a paid case and leaves arrangements and promises be."""
    if ctx.arrears > ctx.policy.tolerance_cents:
        return None
    ctx.add("close", CLOSE_PAID, "close:CLOSE-PAID", {"tolerance_cents": ctx.policy.tolerance_cents}, reason="paid")
    return ctx.done()
