"""The actions a strategy decides and the application carries out: one attrs class each.

Every action names the rule that fired (``rule``), a deterministic ``action_id`` the
case refuses to repeat, and the ``inputs`` that made the rule fire (recorded with the
step). What the action does is its class; its own fields are typed (a task's kind and
due day, a letter's kind, deadline and costs). ``kind`` is a short stable name of the
class (reports and tests count actions by it).

A new kind of action is a class here (registered in ``ACTIONS``) and one handler in
``application.daily_run.HANDLERS``. Pure values: no clock, no I/O.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import attrs


@attrs.frozen
class Action:
    """What every action has: the rule, a deterministic id and the rule's inputs."""

    kind: ClassVar[str] = ""
    rule: str
    action_id: str
    inputs: dict[str, Any]

    @property
    def params(self) -> dict[str, Any]:
        """The action's own fields (not rule, id or inputs), by name."""
        return {f.name: getattr(self, f.name) for f in attrs.fields(type(self))[3:]}


@attrs.frozen
class Close(Action):
    kind: ClassVar[str] = "close"
    reason: str
    closed_on: date | None = None  # a case cleared in time closes with the booking date (PLAYBOOK 5)


@attrs.frozen
class Resume(Action):
    kind: ClassVar[str] = "resume"
    reason: str


@attrs.frozen
class CreateTask(Action):
    kind: ClassVar[str] = "task"
    task_kind: str
    due_on: date
    proposed_due_day: int | None = None  # LATE-PATTERN-DUE-DAY: the due day the task proposes


@attrs.frozen
class Robocall(Action):
    kind: ClassVar[str] = "robocall"
    attempt: int


@attrs.frozen
class Sms(Action):
    kind: ClassVar[str] = "sms"


@attrs.frozen
class SendLetter(Action):
    kind: ClassVar[str] = "letter"
    letter_kind: str
    costs_cents: int | None = None
    deadline: date | None = None
    instalments: tuple[tuple[date, int], ...] = ()  # arrangement letters: the plan (due day, cents)


@attrs.frozen
class SendSignal(Action):
    kind: ClassVar[str] = "signal"


@attrs.frozen
class ChargeCosts(Action):
    kind: ClassVar[str] = "costs"
    cents: int


@attrs.frozen
class MarkBailiffEligible(Action):
    kind: ClassVar[str] = "bailiff_eligible"
    on: date | None = None  # the booking date the arrears reached the threshold (else the day of the run)


@attrs.frozen
class MarkLegalEligible(Action):
    kind: ClassVar[str] = "legal_eligible"
    on: date | None = None  # the booking date the arrears reached the threshold (else the day of the run)


@attrs.frozen
class SettlePromise(Action):
    kind: ClassVar[str] = "promise_check"
    kept: bool


@attrs.frozen
class MissInstalment(Action):
    kind: ClassVar[str] = "instalment_missed"
    number: int


@attrs.frozen
class BreakArrangement(Action):
    kind: ClassVar[str] = "arrangement_broken"
    worry_reason: str


@attrs.frozen
class CompleteArrangement(Action):
    kind: ClassVar[str] = "arrangement_completed"


@attrs.frozen
class ChangeProgramme(Action):
    """A debt-help programme's state changes (``domain.programmes``: it lapsed)."""

    kind: ClassVar[str] = "programme"
    state: str


# --- compensating steps: a fact that arrived late shows a step should not have been taken


@attrs.frozen
class WithdrawLetter(Action):
    """A letter sent in error: marked withdrawn, an officer apologises (LATE-LETTER-APOLOGY)."""

    kind: ClassVar[str] = "letter_withdrawn"
    letter_kind: str
    letter_id: str


@attrs.frozen
class ReverseCosts(Action):
    """Booked collection costs that are not due: reversed by a ledger line (LATE-COSTS-REVERSED)."""

    kind: ClassVar[str] = "costs_reversed"
    cents: int


@attrs.frozen
class WithdrawSignal(Action):
    """A signal that should not have been sent: withdrawn with a message (LATE-SIGNAL-WITHDRAWN)."""

    kind: ClassVar[str] = "signal_withdrawn"
    signal_id: str


@attrs.frozen
class ResolveSignal(Action):
    """The arrears of a sent signal are cleared: a "resolved" message (BGS-RESOLVED)."""

    kind: ClassVar[str] = "signal_resolved"
    signal_id: str


@attrs.frozen
class WithdrawEligibility(Action):
    """Bailiff or legal eligibility the booked arrears did not support (LATE-ELIGIBILITY-WITHDRAWN)."""

    kind: ClassVar[str] = "eligibility_withdrawn"
    which: str


@attrs.frozen
class ChangeTrack(Action):
    """The case moves to another track (a broken arrangement: the worry track)."""

    kind: ClassVar[str] = "track"
    track: str


ACTIONS: dict[str, type[Action]] = {
    cls.kind: cls
    for cls in (
        Close, Resume, CreateTask, Robocall, Sms, SendLetter, SendSignal, ChargeCosts,
        MarkBailiffEligible, MarkLegalEligible, SettlePromise, MissInstalment,
        BreakArrangement, CompleteArrangement, ChangeProgramme, ChangeTrack,
        WithdrawLetter, ReverseCosts, WithdrawSignal, ResolveSignal, WithdrawEligibility,
    )
}


def register(cls: type[Action]) -> type[Action]:
    """Register an action class defined elsewhere in the domain (a class decorator)."""
    if not cls.kind or ACTIONS.get(cls.kind, cls) is not cls:
        raise ValueError(f"action kind {cls.kind!r} is empty or taken")
    ACTIONS[cls.kind] = cls
    return cls


def make(kind: str, rule: str, action_id: str, inputs: dict[str, Any], **params: Any) -> Action:
    """The action of ``kind`` (``ACTIONS``) with its own fields from ``params``."""
    try:
        cls = ACTIONS[kind]
    except KeyError:
        raise ValueError(f"unknown action kind {kind!r}") from None
    return cls(rule, action_id, inputs, **params)


@attrs.frozen
class Decision:
    """The actions due on a day, and the next day anything can fall due without new events."""

    actions: list[Action]
    next_check: date | None
