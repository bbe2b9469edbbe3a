"""What has not reached an adapter yet: the outbox of robocalls, SMS and signals.

One rule for an item's status, used by the CLI (``vangnet outbox``) and any other
front-end: sent once an adapter accepted it, failed while its last attempt was
refused, claimed while a process is delivering it, pending otherwise."""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs

from domain.values import Actor


def item_status(row: dict[str, Any]) -> str:
    if row.get("sent_on"):
        return "sent"
    if row.get("last_error"):
        return "failed"
    if row.get("claimed_by"):
        return "claimed"
    return "pending"


@attrs.frozen
class OutboxItem:
    item_id: str
    kind: str
    status: str
    created_on: str
    age_days: int
    attempts: int
    last_error: str | None
    sent_on: str | None

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def outbox_items(app: Any, actor: Actor, *, include_sent: bool = False) -> list[OutboxItem]:
    """The outbox as of the application's today (``read`` right), oldest first as stored."""
    app.access.check(actor, "read")
    today = app.today()
    return [
        OutboxItem(item_id=r["item_id"], kind=r["kind"], status=item_status(r), created_on=r["created_on"],
                   age_days=(today - date.fromisoformat(r["created_on"])).days,
                   attempts=int(r.get("attempts") or 0), last_error=r.get("last_error"), sent_on=r.get("sent_on"))
        for r in app.store.outbox_items(include_sent=include_sent)
    ]
