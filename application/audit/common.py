"""Shared by the audit modules: permissions, the error, the as-of instant, paging."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Any

PAGE = 1000
AMSTERDAM = "Europe/Amsterdam"


# ---------------------------------------------------------------- permissions


def _check(app: Any, actor: Any, *permissions: str) -> None:
    """The actor needs every one of ``permissions``."""
    for p in permissions:
        app.access.check(actor, p)


def _check_any(app: Any, actor: Any, *permissions: str) -> None:
    """The actor needs one of ``permissions`` (the first names the refusal)."""
    if actor is None or not any(app.access.allowed(actor, p) for p in permissions):
        app.access.check(actor, permissions[0])


class AuditError(ValueError):
    """An audit request that cannot be answered (bad instant, bad file, busy store)."""


# ---------------------------------------------------------------- as-of time


def _local_zone() -> Any:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(AMSTERDAM)
    except Exception:  # noqa: BLE001 - no time-zone database: fall back to UTC
        return UTC


def parse_as_of(value: str | date | datetime, *, zone: Any = None) -> datetime:
    """An aware UTC instant from ``2026-03-01T12:00`` (Dutch time), ``...+01:00`` or
    ``...Z`` (as given), or ``2026-03-01`` (the end of that day, Dutch time)."""
    tz = zone or _local_zone()
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time.max)
    else:
        text = str(value).strip()
        try:
            if len(text) == 10:
                dt = datetime.combine(date.fromisoformat(text), time.max)
            else:
                dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
        except ValueError:
            raise AuditError(
                f"as_of: {value!r} is not an instant like 2026-03-01T12:00, "
                "2026-03-01T11:00Z or 2026-03-01"
            ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.astimezone(UTC)


@contextmanager
def _bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while a whole store is read (aggregates are
    acyclic; collections over millions of live objects cost more than the work)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _short(topic: str) -> str:
    """``domain.arrears_case:ArrearsCase.Opened`` -> ``ArrearsCase.Opened``."""
    return topic.rsplit(":", 1)[-1]
