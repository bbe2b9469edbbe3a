"""Transcoding of event attributes: dates, datetimes (including freezegun's
``FakeDatetime`` and ``FakeDate``, stored as plain ISO values), UUIDs, Decimals,
sets and tuples. Stored format: the ``_type_`` names below never change."""

from __future__ import annotations

from datetime import UTC, date, datetime
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


# ------------------------------------------------------------ fast transcoder

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; keep the library's path working
    orjson = None  # type: ignore[assignment]

from decimal import Decimal  # noqa: E402
from uuid import UUID  # noqa: E402

# held in a dict, which freezegun does not patch (orjson refuses its FakeDatetime/FakeDate)
_NATIVE: dict[type, bool] = {datetime: True, date: False}  # class -> is a datetime


def _prep(o: Any) -> Any:
    t = type(o)
    if t is dict:
        return {k: _prep(v) for k, v in o.items()}
    if t is str or t is int or t is bool or o is None or t is float:
        return o
    if t is list or t is tuple:
        return [_prep(v) for v in o]
    if t in _NATIVE:  # orjson writes the real date and UTC datetime classes as isoformat() does
        if not _NATIVE[t]:
            return {"_type_": "date_iso", "_data_": o}
        if o.tzinfo is None or o.tzinfo is UTC:
            return {"_type_": "datetime_iso", "_data_": o}
    if isinstance(o, UUID):
        return {"_type_": "uuid_hex", "_data_": o.hex}
    if isinstance(o, datetime):
        return {"_type_": "datetime_iso", "_data_": o.isoformat()}
    if isinstance(o, date):
        return {"_type_": "date_iso", "_data_": o.isoformat()}
    if isinstance(o, Decimal):
        return {"_type_": "decimal_str", "_data_": str(o)}
    if isinstance(o, (set, frozenset)):
        return [_prep(v) for v in sorted(o)]
    if isinstance(o, dict):
        return {k: _prep(v) for k, v in o.items()}
    raise TypeError(f"Object of type {t} is not serializable by the Vangnet transcoder")


_REVIVE = {
    "uuid_hex": lambda d: UUID(hex=d),
    "datetime_iso": datetime.fromisoformat,
    "date_iso": date.fromisoformat,
    "decimal_str": Decimal,
}


def _revive(o: Any) -> Any:
    """Tagged values revived, in place: ``o`` is freshly decoded JSON nobody else holds
    (only dicts and lists are visited; scalars are left where they are)."""
    t = type(o)
    if t is dict:
        if len(o) == 2 and "_type_" in o and "_data_" in o:
            return _REVIVE[o["_type_"]](o["_data_"])
        revive_dict(o)
    elif t is list:
        _revive_list(o)
    return o


def revive_dict(o: dict[str, Any]) -> None:
    """``_revive`` of a dict that is not itself a tagged value, flattened: a tagged value
    is revived where it is met, and a dict of records (a tenancy's ledger lines, its
    charges' due dates) is walked one level down without a call per record."""
    rev = _REVIVE
    for k, v in o.items():
        t = type(v)
        if t is dict:
            if "_type_" in v and "_data_" in v and len(v) == 2:
                o[k] = rev[v["_type_"]](v["_data_"])
            elif v:
                for k2, v2 in v.items():
                    t2 = type(v2)
                    if t2 is dict:
                        if "_type_" in v2 and "_data_" in v2 and len(v2) == 2:
                            v[k2] = rev[v2["_type_"]](v2["_data_"])
                        elif v2:
                            revive_dict(v2)
                    elif t2 is list and v2:
                        _revive_list(v2)
        elif t is list and v:
            _revive_list(v)


def _revive_list(o: list[Any]) -> None:
    rev = _REVIVE
    for i, v in enumerate(o):
        t = type(v)
        if t is dict:
            if "_type_" in v and "_data_" in v and len(v) == 2:
                o[i] = rev[v["_type_"]](v["_data_"])
            elif v:
                revive_dict(v)
        elif t is list and v:
            _revive_list(v)


class FastTranscoder(VangnetTranscoder):
    """orjson with the same stored format as the library's JSON transcoder
    (``{"_type_": ..., "_data_": ...}`` tags), so either reads the other's events."""

    def encode(self, obj: Any) -> bytes:
        if orjson is None:  # pragma: no cover
            return super().encode(obj)
        return orjson.dumps(_prep(obj))

    def decode(self, data: bytes) -> Any:
        if orjson is None:  # pragma: no cover
            return super().decode(data)
        return _revive(orjson.loads(data))
