"""The one retry loop: a step that collides with another writer runs again on fresh
copies, and after the last attempt the conflict is reported, never swallowed."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError

from application.conflicts import ConcurrencyConflict, retry_on_conflict


class App:
    def __init__(self) -> None:
        self.forgotten = 0

    def forget_cache(self) -> None:
        self.forgotten += 1


def colliding(times: int):
    calls = []

    def step() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise IntegrityError("another writer was first")
        return "saved"

    return step, calls


@pytest.mark.parametrize(("collisions", "runs"), [(0, 1), (1, 2), (2, 3)])
def test_a_step_that_collides_runs_again_on_fresh_copies(collisions, runs):
    app, pauses = App(), []
    step, calls = colliding(collisions)
    assert retry_on_conflict(app, step, "no", pause=pauses.append) == "saved"
    assert len(calls) == runs and app.forgotten == collisions
    assert len(pauses) == collisions and all(0 <= p <= 0.03 for p in pauses)


def test_after_the_last_attempt_the_conflict_is_reported():
    app = App()
    step, calls = colliding(99)
    with pytest.raises(ConcurrencyConflict, match="run the day again"):
        retry_on_conflict(app, step, "run the day again", attempts=3, pause=lambda _: None)
    assert len(calls) == 3 and app.forgotten == 3


def test_other_errors_are_not_retried():
    app, calls = App(), []

    def step() -> None:
        calls.append(1)
        raise ValueError("bad input")

    with pytest.raises(ValueError):
        retry_on_conflict(app, step, "no", pause=lambda _: None)
    assert calls == [1] and app.forgotten == 0
