"""Privacy use cases: which tenancies are past their retention period, and erasure.

The retention rule (PLAYBOOK, privacy): a tenancy that has ended and is settled
(balance within the tolerance) keeps its personal data for
``policy.retention_months_after_end`` months after the end date; from then on its
erasure is due. A tenancy already erased (no sealing key left) is not listed again.
The CLI, the web and any other front-end call :func:`retention_due`; none of them
repeats the rule."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import attrs

from domain.calendar import add_months
from domain.policy import Policy
from domain.values import Actor


@attrs.frozen
class RetentionDue:
    """A tenancy whose personal data should be erased (refers by reference only)."""

    ref: str
    ended_on: date
    due_since: date

    def as_dict(self) -> dict[str, str]:
        return {"ref": self.ref, "ended_on": self.ended_on.isoformat(), "due_since": self.due_since.isoformat()}


def erasure_due_since(ended_on: date | None, balance_cents: int, policy: Policy) -> date | None:
    """The day from which a tenancy's erasure is due, or ``None`` while it runs or owes money."""
    if ended_on is None or balance_cents > policy.tolerance_cents:
        return None
    return add_months(ended_on, policy.retention_months_after_end)


def retention_due(app: Any, actor: Actor, on: date | None = None) -> list[RetentionDue]:
    """Tenancies ended and settled longer ago than the retention period, as of ``on``
    (default: the application's today), not yet erased. Needs the ``read`` right."""
    app.access.check(actor, "read")
    day = on or app.today()
    out = []
    for r in app.store.tenancy_rows():
        ended = date.fromisoformat(r["ended_on"]) if r["ended_on"] else None
        due = erasure_due_since(ended, r["balance_cents"], app.policy)
        if due is None or due > day or ended is None:
            continue
        if app.store.key(UUID(r["tenancy_id"])) is None:  # erased before
            continue
        out.append(RetentionDue(r["ref"], ended, due))
    return out
