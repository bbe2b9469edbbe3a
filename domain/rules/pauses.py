"""A pause of collection (PLAYBOOK.md 4.5): nothing happens until it ends."""

from __future__ import annotations

from datetime import timedelta

from domain.actions import Decision
from domain.rulebook import Context, rule, step

PAUSE_END = rule("PAUSE-END", "the day after a pause ended", inputs=("paused_until",))


@step(PAUSE_END, preventive=40, classic=40)
def pause(ctx: Context) -> Decision | None:
    case = ctx.case
    if case.paused_until is None:
        return None
    if ctx.day > case.paused_until:
        ctx.add("resume", PAUSE_END, f"resume:{case.paused_until}", {"paused_until": case.paused_until},
                reason=f"{case.pause_reason} pause ended")
        return None
    return Decision(ctx.acts, case.paused_until + timedelta(days=1))
