"""Stored events to event objects: the fast JSON decoder beside the library's mapper."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import orjson

from application.views import jsonable as _plain  # dates, ids and sets as JSON text


def _orjson_default(o: Any) -> Any:
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    if isinstance(o, date):  # date subclasses (freezegun) that orjson does not know
        return o.isoformat()
    return str(o)  # Decimal and the like


_NOT_PAYLOAD = frozenset({"originator_id", "originator_version", "timestamp"})


def event_payload(event: Any) -> dict[str, Any]:
    """The event's own fields (not its id, version or timestamp), as plain JSON values."""
    return _plain({k: v for k, v in event.__dict__.items() if k not in _NOT_PAYLOAD})


class _Ids:
    """Originator ids as read (hex or UUID text, or UUID) -> (UUID or None when it is
    not one, the id's hex digits as stored, as bytes, for the hash chain).

    One UUID object per aggregate instead of one per event; bounded for exports."""

    def __init__(self, bound: int = 200_000):
        self.map: dict[Any, tuple[uuid.UUID | None, bytes]] = {}
        self.bound = bound

    def get(self, raw: Any) -> tuple[uuid.UUID | None, bytes]:
        v = self.map.get(raw)
        if v is None:
            if isinstance(raw, uuid.UUID):
                v = (raw, raw.hex.encode())
            else:
                text = str(raw)
                try:
                    u: uuid.UUID | None = uuid.UUID(text)
                except ValueError:
                    u = None
                v = (u, text.replace("-", "").encode())
            if len(self.map) >= self.bound:
                self.map.clear()
            self.map[raw] = v
        return v


def _c_decoder(t: Any) -> Callable[[Any], Any]:
    """The transcoding's decode, or the C function it amounts to (dates, datetimes)."""
    from eventsourcing.persistence import DatetimeAsISO

    from application.transcoding import DateAsISO

    if type(t) is DateAsISO:
        return date.fromisoformat
    if type(t) is DatetimeAsISO:
        return datetime.fromisoformat
    return t.decode


class EventDecoder:
    """``mapper.to_domain_event`` with a fast path for plain JSON stores.

    Without a cipher or compressor the stored state is the JSON transcoder's output;
    parsing it with orjson and undoing the ``{"_type_", "_data_"}`` wrappers with the
    same transcodings gives the same event at about twice the speed. Anything unusual
    (a class version, an unknown type, a cipher) goes through the mapper."""

    def __init__(self, app: Any):
        from eventsourcing.persistence import JSONTranscoder

        self.mapper = app.mapper
        tr = self.mapper.transcoder
        self.fast = (
            self.mapper.cipher is None
            and self.mapper.compressor is None
            and isinstance(tr, JSONTranscoder)
        )
        self.names: dict[str, Callable[[Any], Any]] = (
            {name: _c_decoder(t) for name, t in tr.names.items()} if self.fast else {}
        )
        self.classes: dict[str, Any] = {}

    @property
    def state_is_text(self) -> bool:
        """Stored states are UTF-8 JSON (no cipher, no compressor)."""
        return self.fast

    def _cls(self, topic: str) -> Any:
        from eventsourcing.utils import resolve_topic

        cls = resolve_topic(topic)
        if getattr(cls, "class_version", 1) != 1:
            cls = None  # upcasting: leave it to the mapper
        self.classes[topic] = cls
        return cls

    def _walk(self, d: dict[str, Any]) -> dict[str, Any]:
        names = self.names
        for k, v in d.items():
            tv = type(v)
            if tv is dict:
                t = v.get("_type_")
                if t is not None and len(v) == 2:
                    data = v["_data_"]
                    d[k] = names[t](data) if type(data) is str else names[t](self._any(data))
                else:
                    self._walk(v)
            elif tv is list:
                d[k] = [self._any(x) for x in v]
        return d

    def _any(self, v: Any) -> Any:
        tv = type(v)
        if tv is dict:
            if len(v) == 2 and "_type_" in v:
                return self.names[v["_type_"]](self._any(v["_data_"]))
            return self._walk(v)
        if tv is list:
            return [self._any(x) for x in v]
        return v

    def decode(self, topic: str, state: bytes, oid: uuid.UUID, version: int) -> Any:
        if self.fast:
            cls = self.classes[topic] if topic in self.classes else self._cls(topic)
            if cls is not None:
                try:
                    d = orjson.loads(state)
                    if type(d) is dict and "class_version" not in d:
                        self._walk(d)
                        d["originator_id"] = oid
                        d["originator_version"] = version
                        event = object.__new__(cls)
                        object.__setattr__(event, "__dict__", d)
                        return event
                except (KeyError, ValueError, TypeError):
                    pass  # the mapper decodes it, or says what is wrong
        from eventsourcing.persistence import StoredEvent

        return self.mapper.to_domain_event(
            StoredEvent(
                originator_id=oid, originator_version=version, topic=topic, state=bytes(state)
            )
        )

    def __call__(self, stored: Any) -> Any:
        """Decode a ``StoredEvent`` or ``Notification``."""
        oid = stored.originator_id
        if not isinstance(oid, uuid.UUID):
            oid = uuid.UUID(str(oid))
        return self.decode(stored.topic, stored.state, oid, stored.originator_version)


def _event_row(event: Any, topic: str) -> dict[str, Any]:
    return {
        "aggregate_id": str(event.originator_id),
        "version": event.originator_version,
        "type": topic,
        "timestamp": event.timestamp.isoformat(),
        "payload": event_payload(event),
    }
