"""The lean write path: the library's event store and stored format, less per-event work.

``FastMapper`` is the library's ``Mapper`` with the work a plain (unencrypted,
uncompressed) store does not need taken out:

* topics and class versions cached per event class (no ``get_topic`` per event);
* the event's state encoded straight from its ``__dict__`` (no copy of the state
  before encoding, originator id and version skipped on the way), dates and
  datetimes tagged inline, everything else through the transcoder's ``_prep``;
* events rebuilt from the decoded dict in place (tags revived without a second
  dict), with the library's id conversion and upcasting.

With a cipher or compressor configured, or another transcoder, it is exactly the
library's mapper. The bytes are those of ``FastTranscoder`` (the library's
``{"_type_": ..., "_data_": ...}`` JSON), so the library's own mapper reads what this
one writes and the other way round (tests/unit/test_writepath.py).

``save_events`` saves aggregates without the library's per-save protocol checks
(``ProcessingEvent.collect_events`` asks ``isinstance(obj, <Protocol>)`` twice per
aggregate); snapshots, when configured, are still taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    Cipher,
    Compressor,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
    find_id_convertor,
)
from eventsourcing.utils import get_topic, resolve_topic

from application.transcoding import FastTranscoder, _prep, orjson, revive_dict

_UTC = UTC
# held in a dict, which freezegun does not patch: its FakeDatetime takes the isoformat() path
_NATIVE: dict[type, bool] = {datetime: True, date: False}  # class -> is a datetime
_dumps = orjson.dumps if orjson is not None else None
_new = object.__new__
_set = object.__setattr__


def encode_state(d: dict[str, Any], class_version: int) -> bytes:
    """``FastTranscoder.encode`` of an event's state without its originator id and version.

    Dates and UTC (or naive) datetimes go to orjson inside their tags: orjson writes
    them as ``isoformat()`` does (tests/unit/test_writepath.py), in C."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        t = type(v)
        if t is str or t is int or v is None or t is bool:
            out[k] = v
        elif t in _NATIVE:  # the real date and datetime classes (not freezegun's, which orjson refuses)
            if _NATIVE[t] and v.tzinfo is not None and v.tzinfo is not _UTC:
                out[k] = {"_type_": "datetime_iso", "_data_": v.isoformat()}
            else:
                out[k] = {"_type_": "datetime_iso" if _NATIVE[t] else "date_iso", "_data_": v}
        elif k == "originator_id":
            continue
        else:
            out[k] = _prep(v)
    del out["originator_version"]
    out.pop("originator_id", None)  # (an id that is not a UUID passed the loop)
    if class_version > 1:
        out["class_version"] = class_version
    return _dumps(out)  # type: ignore[no-any-return]


def decode_state(data: bytes) -> dict[str, Any]:
    """``FastTranscoder.decode`` of an event's state (a dict), revived in place."""
    d: dict[str, Any] = orjson.loads(data)
    revive_dict(d)
    return d


class FastMapper(Mapper[UUID]):
    def __init__(
        self,
        transcoder: Transcoder,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
    ):
        super().__init__(transcoder, compressor, cipher)
        self.fast = (
            compressor is None
            and cipher is None
            and type(transcoder) is FastTranscoder
            and orjson is not None
        )
        self._out: dict[type, tuple[str, int]] = {}
        self._in: dict[str, tuple[type, int]] = {}

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        if not self.fast:
            return super().to_stored_event(domain_event)
        cls = type(domain_event)
        known = self._out.get(cls)
        if known is None:
            known = self._out[cls] = (get_topic(cls), getattr(cls, "class_version", 1))
        d = domain_event.__dict__
        return _stored(d["originator_id"], d["originator_version"], known[0], encode_state(d, known[1]))

    def to_stored_events(self, events: Sequence[Any]) -> list[StoredEvent]:
        return [self.to_stored_event(e) for e in events]

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        if not self.fast:
            return super().to_domain_event(stored_event)
        known = self._in.get(stored_event.topic)
        if known is None:
            cls = resolve_topic(stored_event.topic)
            known = self._in[stored_event.topic] = (cls, getattr(cls, "class_version", 1))
        cls, class_version = known
        try:
            state = decode_state(stored_event.state)
        except Exception as e:
            raise MapperDeserialisationError(
                f"Failed to deserialise state of stored event with topic '{stored_event.topic}', "
                f"originator_id '{stored_event.originator_id}' and "
                f"originator_version {stored_event.originator_version}: {e}"
            ) from e
        oid = stored_event.originator_id
        if type(oid) is not UUID:
            oid = find_id_convertor(cls, type(oid))(oid)  # type: ignore[arg-type]
        state["originator_id"] = oid
        state["originator_version"] = stored_event.originator_version
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        event: Any = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event


def _stored(originator_id: Any, version: int, topic: str, state: bytes) -> StoredEvent:
    """``StoredEvent(...)`` without the frozen dataclass's field-by-field ``__init__``."""
    s: Any = _new(StoredEvent)
    _set(s, "__dict__", {"originator_id": originator_id, "originator_version": version, "topic": topic,
                         "state": state})
    return s  # type: ignore[no-any-return]


def save_events(app: Any, aggregates: Sequence[Any], side_ops: Sequence[Any]) -> None:
    """``Application.save(*aggregates, side_ops=...)`` without the per-save protocol checks."""
    mapper = app.mapper
    stored: list[StoredEvent] = []
    before: dict[Any, int] = {}
    if mapper.fast:
        known = mapper._out
        for a in aggregates:
            pending = a._pending_events
            if not pending:
                continue
            a._pending_events = []  # what ``collect_events`` leaves
            before[a.id] = pending[0].originator_version - 1
            for e in pending:
                cls = type(e)
                k = known.get(cls)
                if k is None:
                    k = known[cls] = (get_topic(cls), getattr(cls, "class_version", 1))
                d = e.__dict__
                stored.append(_stored(d["originator_id"], d["originator_version"], k[0], encode_state(d, k[1])))
    else:
        for a in aggregates:
            pending = a.collect_events()
            if pending:
                before[a.id] = pending[0].originator_version - 1
            stored.extend(mapper.to_stored_event(e) for e in pending)
    app.recorder.insert_events(stored, side_ops=side_ops)
    repo = app.repository
    if repo.cache is not None and not repo.fastforward:
        for a in aggregates:
            repo.cache.put(a.id, a)
    if app.snapshots is not None and app.snapshotting_intervals:
        take_due_snapshots(app, aggregates, before)


# ------------------------------------------------------------------ snapshots
#
# Policy: a tenancy is snapshotted (the library's ``Snapshot`` in its snapshot table)
# each time its history crosses a multiple of ``Vangnet.snapshotting_intervals``
# events, from the aggregate just saved (no reload). Loading starts from the newest
# snapshot whose attribute names are those of the current ``Tenancy`` (a snapshot
# written by code with other attributes is ignored and the history replayed), then
# applies the events after it. Snapshots are a cache: the events stay the record.


def take_due_snapshots(app: Any, aggregates: Sequence[Any], before: dict[Any, int]) -> None:
    from eventsourcing.domain import Snapshot

    due = []
    for a in aggregates:
        every = app.snapshotting_intervals.get(type(a))
        if every and a.id in before and before[a.id] // every < a.version // every:
            due.append(Snapshot.take(a))
    if due:
        app.snapshots.put(due)


_SHAPES: dict[type, frozenset[str]] = {}
_BOOKKEEPING = frozenset({"_id", "_version", "_pending_events", "class_version"})


def register_shape(cls: type, example: Any) -> None:
    """The attribute names an aggregate of ``cls`` has now (from a fresh example)."""
    _SHAPES[cls] = frozenset(vars(example)) - _BOOKKEEPING


def restore(snapshot: Any) -> Any | None:
    """The aggregate of a decoded snapshot, or None when its shape is not the current one."""
    cls = resolve_topic(snapshot.topic)
    shape = _SHAPES.get(cls)
    if shape is None or frozenset(snapshot.state) - _BOOKKEEPING != shape:
        return None
    return snapshot.mutate(None)
