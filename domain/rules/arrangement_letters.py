"""Arrangements in writing (PLAYBOOK 3; the pre-action protocol's "agree affordable
repayments in writing"): the instalment plan is confirmed by letter; a broken
arrangement gets a letter and moves a standard case to the worry track, whose
personal contact (phone, then home visit) follows."""

from __future__ import annotations

from domain.actions import Decision
from domain.rulebook import Context, rule, step
from domain.values import LetterKind, Track

ARR_CONFIRM = rule("ARR-CONFIRM", "an agreed arrangement: the instalment plan confirmed in writing",
                   inputs=("agreed_on",))
ARR_BROKEN_LETTER = rule("ARR-BROKEN-LETTER", "a broken arrangement: a letter saying so and what follows",
                         inputs=("missed",), policy_keys=("instalments_missed_to_break",))
ARR_BROKEN_WORRY = rule("ARR-BROKEN-WORRY", "a broken arrangement moves a standard case to the worry track",
                        inputs=("from",))


def arrangement_letters(case, add) -> None:  # type: ignore[no-untyped-def]
    arr = case.arrangement
    if arr is None:
        return
    n = arr["index"]
    plan = tuple((i["due_on"], i["cents"]) for i in arr["instalments"])
    if arr["status"] == "active":
        add("letter", ARR_CONFIRM, f"letter:arr{n}:confirmation", {"agreed_on": arr["agreed_on"]},
            letter_kind=LetterKind.ARRANGEMENT_CONFIRMATION.value, instalments=plan)
    elif arr["status"] == "broken":
        add("letter", ARR_BROKEN_LETTER, f"letter:arr{n}:broken", {"missed": list(arr["missed"])},
            letter_kind=LetterKind.ARRANGEMENT_BROKEN.value, instalments=plan)
        if case.track == Track.STANDARD.value:
            add("track", ARR_BROKEN_WORRY, f"track:arr{n}:worry", {"from": case.track}, track=Track.WORRY.value)


@step(ARR_CONFIRM, ARR_BROKEN_LETTER, ARR_BROKEN_WORRY, preventive=48)
def arrangement_in_writing(ctx: Context) -> Decision | None:
    arrangement_letters(ctx.case, ctx.add)
    return None
