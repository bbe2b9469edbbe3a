"""Erasing free text that was stored in plain, before free text was sealed.

Since free text is sealed with the tenancy key, ``privacy erase`` (deleting the key)
makes it unreadable. Events stored before that hold the same fields in plain text;
deleting the key does nothing to them. Erasure therefore also rewrites those stored
events: each plain free-text field (``FREE_TEXT``) becomes ``"erased"``, exactly what a
sealed field reads after erasure, and the aggregate's snapshots are dropped.

Rewriting a stored event changes what the hash chain covers. The chain entry is kept
as it was, and the redaction is itself recorded in the chain: one ``FreeTextRedacted``
event on the tenancy, written in the same transaction, names every rewritten event
(aggregate, version, the fields, the sha256 of the state now stored). A side table
``redactions`` holds the same sha256 per event so that ``audit verify`` can, at a
position whose hash no longer matches, tell a recorded redaction (the state's sha256
is the recorded one) from an edit, and checks that every such record is named by a
``FreeTextRedacted`` event in the chain. A later edit of a redacted event, a redaction
record without its chained event, or one whose state differs is reported as before.
With a keyed seal the chain's hashes are unchanged, so the seals still match.

What stays: the fact that a reason was given, who gave it and when; not its text.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

from application.sealing import ERASED
from application.store import DropSnapshots, RewriteEvent, SideOp, Upsert
from domain.tenancy import Tenancy
from domain.values import END_REASON_CODES

# event (class qualname in its topic) -> the fields that can hold personal free text
FREE_TEXT: dict[str, tuple[str, ...]] = {
    "Tenancy.WorryFlagRaised": ("reason",),
    "Tenancy.WorryFlagLifted": ("reason",),
    "Tenancy.DueDayAgreed": ("reason",),
    "Tenancy.CreditPosted": ("reason",),
    "Tenancy.Ended": ("reason",),
    "Tenancy.PreventionProfileAssigned": ("reasons_sealed",),
    "Tenancy.PreventionProfileLifted": ("reason_sealed",),
    "ArrearsCase.LegalActionDecided": ("reason",),
    "ArrearsCase.Paused": ("reason",),
    "ArrearsCase.NoteAdded": ("sealed",),
    "ArrearsCase.HouseholdRecorded": ("sealed",),
    "ArrearsCase.BudgetChecked": ("sealed",),
}


def _plain(name: str, field: str, state: dict[str, Any]) -> bool:
    """A value that is personal free text in plain (not sealed, not a system code)."""
    value = state.get(field)
    if not isinstance(value, str) or not value.strip() or value.startswith("v1:") or value == ERASED:
        return False
    if name == "Tenancy.Ended" and value in END_REASON_CODES:
        return False
    if name == "Tenancy.WorryFlagRaised" and state.get("rule", "STAFF") != "STAFF":
        return False  # raised by a rule (a broken arrangement): the rule's own words
    return True


def _decode(app: Any, state: bytes) -> dict[str, Any]:
    m = app.mapper
    if m.cipher:
        state = m.cipher.decrypt(state)
    if m.compressor:
        state = m.compressor.decompress(state)
    out: dict[str, Any] = m.transcoder.decode(state)
    return out


def _encode(app: Any, data: dict[str, Any]) -> bytes:
    m = app.mapper
    state: bytes = m.transcoder.encode(data)
    if m.compressor:
        state = m.compressor.compress(state)
    if m.cipher:
        state = m.cipher.encrypt(state)
    return state


def legacy_free_text(app: Any, tenancy: Tenancy) -> list[tuple[Any, list[str], bytes]]:
    """Stored events of the tenancy and its cases with plain free text: (stored event,
    fields, the state with those fields erased)."""
    ids = [tenancy.id, *tenancy.case_ids]
    out = []
    for se in app.store.events_of(ids):
        name = se.topic.rpartition(":")[2]
        fields = FREE_TEXT.get(name)
        if not fields:
            continue
        data = _decode(app, bytes(se.state))
        plain = [f for f in fields if _plain(name, f, data)]
        if plain:
            out.append((se, plain, _encode(app, {**data, **{f: ERASED for f in plain}})))
    return out


def event_key(originator_id: Any, version: int) -> str:
    oid = originator_id.hex if isinstance(originator_id, uuid.UUID) else uuid.UUID(str(originator_id)).hex
    return f"{oid}:{version}"


def redact_legacy_free_text(app: Any, tenancy: Tenancy, *, on: date, by: str,
                            extra: list[SideOp] | None = None) -> int:
    """Erase the plain free text of the tenancy's stored events, recorded in the chain
    (see the module), in one transaction with the ``extra`` side operations (the erasure's
    own deletes). Returns how many events were rewritten (0: nothing to do)."""
    found = legacy_free_text(app, tenancy)
    if not found:
        if extra:
            app.store.apply(extra)
        return 0
    events_table = app.recorder.events_table_name
    snapshots = app.snapshots.recorder.events_table_name if app.snapshots is not None else None
    ops: list[SideOp] = list(extra or [])
    records = []
    for se, fields, state in found:
        oid = se.originator_id if isinstance(se.originator_id, uuid.UUID) else uuid.UUID(str(se.originator_id))
        digest = hashlib.sha256(state).hexdigest()
        ops.append(RewriteEvent(events_table, oid, se.originator_version, state))
        ops.append(Upsert("redactions", ("event_key",), {
            "event_key": event_key(oid, se.originator_version), "tenancy_id": str(tenancy.id),
            "state_sha256": digest, "redacted_on": on.isoformat()}))
        records.append({"aggregate": str(oid), "version": se.originator_version, "fields": fields,
                        "state_sha256": digest})
    if snapshots is not None:
        ops.extend(DropSnapshots(snapshots, i) for i in {tenancy.id, *tenancy.case_ids})
    tenancy.record_redaction(events=records, on=on, by=by)
    app.save_all([tenancy], extra=ops, on=on)  # with its read-model row
    app.forget_cache()
    compact = getattr(app.store, "compact_after_erasure", None)
    if compact is not None:  # no copy of the old bytes left in a journal or free pages
        compact()
    return len(records)
