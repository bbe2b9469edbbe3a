"""Transcoding of event attributes: dates, datetimes (including freezegun's
``FakeDatetime`` and ``FakeDate``, stored as plain ISO values), UUIDs, Decimals,
sets and tuples. Stored format: the ``_type_`` names below never change."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class VangnetTranscoder(JSONTranscoder):
    """The library's JSON transcoder, tolerant of date/datetime subclasses."""

    def _encode_obj(self, o: Any) -> dict[str, Any]:
        t = type(o)
        if t not in self.types:
            if isinstance(o, datetime):
                o = datetime(o.year, o.month, o.day, o.hour, o.minute, o.second, o.microsecond, o.tzinfo)
            elif isinstance(o, date):
                o = date(o.year, o.month, o.day)
            elif isinstance(o, (set, frozenset)):
                return sorted(o)  # type: ignore[return-value]
        return super()._encode_obj(o)
