"""Outbox claims: each pending item is handed to a port by one process only.

An item is claimed (``claimed_by``, ``claimed_until``) in one atomic statement
before it is delivered: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, an
``UPDATE ... WHERE claimed_by IS NULL`` inside a write transaction on SQLite. It is
marked sent after the port accepted it, released with its error (and counted) when
the port refused, and offered again to anyone only when its claim has expired (the
process that held it died). ``provider_sends`` records, once per item id across
processes, that a provider (Twilio) was asked to send it.

Mixed into ``adapters.store.sql.SqlStore`` (kept apart from the read-model queries).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any


def _ts(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


class OutboxClaims:
    datastore: Any
    dialect: str
    ph: str

    def claim_outbox(self, owner: str, now: datetime, lease_s: float) -> list[dict[str, Any]]:
        """Claim every pending item nobody holds (or whose claim expired); the claimed rows."""
        until, at = _ts(now + timedelta(seconds=lease_s)), _ts(now)
        with self.datastore.transaction(commit=True) as c:
            if self.dialect == "postgres":
                c.execute(
                    "UPDATE outbox SET claimed_by = %s, claimed_until = %s WHERE item_id IN ("
                    "SELECT item_id FROM outbox WHERE sent_on IS NULL AND (claimed_by IS NULL OR claimed_until < %s) "
                    "FOR UPDATE SKIP LOCKED) RETURNING *",
                    (owner, until, at),
                )
            else:
                c.execute(
                    "UPDATE outbox SET claimed_by = ?, claimed_until = ? "
                    "WHERE sent_on IS NULL AND (claimed_by IS NULL OR claimed_until < ?)",
                    (owner, until, at),
                )
                c.execute("SELECT * FROM outbox WHERE claimed_by = ? AND sent_on IS NULL", (owner,))
            rows = [dict(r) for r in c.fetchall()]
        return sorted(rows, key=lambda r: (r["created_on"], r["item_id"]))

    def mark_sent(self, owner: str, item_ids: Sequence[str], day: date, now: datetime) -> int:
        """Items the ports accepted: sent on ``day`` (only while this owner holds them)."""
        if not item_ids:
            return 0
        p = self.ph
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"UPDATE outbox SET sent_on = {p}, claimed_by = NULL, claimed_until = NULL, last_attempt_at = {p}, "
                f"attempts = COALESCE(attempts, 0) + 1 WHERE item_id = {p} AND claimed_by = {p}",
                [(day.isoformat(), _ts(now), i, owner) for i in item_ids],
            )
        return len(item_ids)

    def release_claim(self, owner: str, item_id: str, error: str, now: datetime) -> None:
        """A port refused the item: it stays pending, with the reason and one more attempt."""
        p = self.ph
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"UPDATE outbox SET claimed_by = NULL, claimed_until = NULL, attempts = COALESCE(attempts, 0) + 1, "
                f"last_error = {p}, last_attempt_at = {p} WHERE item_id = {p} AND claimed_by = {p}",
                (error[:500], _ts(now), item_id, owner),
            )

    def outbox_items(self, *, include_sent: bool = False) -> list[dict[str, Any]]:
        """Outbox rows, oldest first (pending only unless ``include_sent``)."""
        where = "" if include_sent else "WHERE sent_on IS NULL "
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM outbox {where}ORDER BY created_on, item_id")
            return [dict(r) for r in c.fetchall()]

    def first_provider_send(self, item_id: str, provider: str, now: datetime) -> bool:
        """True once per item id across processes: this caller may ask the provider to send it."""
        p = self.ph
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO provider_sends (item_id, provider, sent_at) VALUES ({p}, {p}, {p}) "
                "ON CONFLICT (item_id) DO NOTHING RETURNING item_id",
                (item_id, provider, _ts(now)),
            )
            return c.fetchone() is not None

    def forget_provider_send(self, item_id: str) -> None:
        """The provider was not reached: the item may be sent by a later attempt."""
        p = self.ph
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM provider_sends WHERE item_id = {p} AND provider_ref IS NULL", (item_id,))

    def provider_sent(self, item_id: str, provider_ref: str) -> None:
        p = self.ph
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"UPDATE provider_sends SET provider_ref = {p} WHERE item_id = {p}", (provider_ref, item_id))


class ImportLog:
    """Chunked imports (``application.bulk``): which ones are written only in part."""

    datastore: Any

    def incomplete_imports(self) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT * FROM imports WHERE status <> 'done' ORDER BY started_at, import_id")
            return [dict(r) for r in c.fetchall()]
