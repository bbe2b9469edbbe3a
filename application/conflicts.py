"""Optimistic concurrency: the one retry loop of the project.

Two writers that load the same aggregate and both save it collide in the store
(``IntegrityError``): nothing of the second write was saved. The step is run again
on fresh copies (the application's cache is dropped first), a few times, with a
little random wait so that writers that collided do not retry in lockstep and
collide again. Steps must be idempotent (deterministic ids), which every command
and every daily-run batch is.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from eventsourcing.persistence import IntegrityError

T = TypeVar("T")

ATTEMPTS = 3


class ConcurrencyConflict(RuntimeError):
    """Another writer changed the same aggregate; the command was retried and still conflicted."""


def retry_on_conflict(app: Any, step: Callable[[], T], message: str, *, attempts: int = ATTEMPTS,
                      pause: Callable[[float], None] = time.sleep) -> T:
    """``step()``, run again on fresh copies when another writer was first; after
    ``attempts`` collisions :class:`ConcurrencyConflict` with ``message`` (nothing of the
    last attempt was saved)."""
    for attempt in range(attempts):
        try:
            return step()
        except IntegrityError:
            app.forget_cache()
            if attempt == attempts - 1:
                raise ConcurrencyConflict(message) from None
            pause(random.uniform(0, 0.01 * (attempt + 1)))
    raise ValueError("attempts must be at least 1")
