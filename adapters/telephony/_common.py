"""Helpers shared by the telephony adapters (not a public API)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from uuid import UUID

from adapters.files import atomic_write as _atomic_write
from application.ports import ContactDirectory, FactKind, TelephonyFact

from .numbers import InvalidNumber, can_call, can_sms, normalise

NO_NUMBER = "no_number"
INVALID_NUMBER = "invalid_number"
OPTED_OUT = "opted_out"
OUTSIDE_WINDOW = "outside_window"
NOT_MOBILE = "not_mobile"


def telephony_fact(provider_id: str, attempt_id: str, kind: FactKind, at: datetime, detail: str = "",
                   duration_s: int | None = None) -> TelephonyFact:
    """One fact as every telephony adapter reports it to the sink."""
    return TelephonyFact(provider_id=provider_id, attempt_id=attempt_id, kind=kind, occurred_at=at,
                         detail=detail, duration_s=duration_s)


def normalise_opt_out(entries: Iterable[str]) -> frozenset[str]:
    """Opt-out entries: phone numbers (normalised to E.164) or tenancy ids (as text)."""
    out: set[str] = set()
    for entry in entries:
        text = str(entry).strip()
        if not text:
            continue
        out.add(text)
        try:
            out.add(normalise(text))
        except InvalidNumber:
            pass
    return frozenset(out)


def resolve_number(
    contacts: ContactDirectory,
    tenancy_id: UUID,
    opt_out: frozenset[str],
    *,
    purpose: str = "call",
    allow_foreign_sms: bool = False,
) -> tuple[str | None, str | None]:
    """``(e164, None)`` when the tenancy's number may be used, else ``(None, reason)``.

    Reasons: ``no_number``, ``invalid_number``, ``opted_out`` and, for SMS,
    ``not_mobile``. The number itself never leaves this function except as the
    successful result.
    """
    if str(tenancy_id) in opt_out:
        return None, OPTED_OUT
    contact = contacts.get(tenancy_id)
    raw = contact.phone if contact is not None else None
    if raw is None or not str(raw).strip():
        return None, NO_NUMBER
    try:
        e164 = normalise(raw)
    except InvalidNumber:
        return None, INVALID_NUMBER
    if purpose == "sms":
        if not can_sms(e164, allow_foreign=allow_foreign_sms):
            return None, NOT_MOBILE
    elif not can_call(e164):
        return None, INVALID_NUMBER
    if e164 in opt_out:
        return None, OPTED_OUT
    return e164, None




def atomic_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Call lists hold phone numbers: owner-only by default."""
    _atomic_write(path, data, mode=mode)
