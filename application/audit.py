"""Audit: what Vangnet knew when, a faithful export, and proof that the record is whole.

Functions take the application (``Vangnet``) and the actor; each checks the actor's
permission first. The CLI (``vangnet audit ...``) only parses and prints.

As-of instants
    ``as_of`` is compared with each event's *recorded* timestamp (``event.timestamp``:
    the UTC wall-clock time at which Vangnet stored it). An as-of rebuild therefore
    answers "what did Vangnet know at that instant", which is what an auditor can hold
    Vangnet to. Business dates (``on``, ``booked_on``, ``opened_on``) live in the events'
    own fields and can differ (a back-dated payment; a simulation that records a year
    of business days in a minute). A time without a UTC offset is read as Dutch local
    time (Europe/Amsterdam); a plain date means the end of that day, Dutch time.

Export and import
    Every event with its position (notification id), aggregate id, version, type (the
    stored topic), recorded timestamp, payload (plain JSON: dates and times as ISO
    text, ids as UUID text) and the stored state itself (``state``: UTF-8 text, or
    base64 when the store encrypts or compresses), so that ``import_events`` puts back
    byte-identical events. Streamed page by page in constant memory. Events hold no
    personal data by design (names, phone numbers, addresses and IBANs live in the
    contact directory; intake answers are sealed, opaque strings).

Hash chain (tamper evidence)
    The recorders keep ``event_chain(position, hash)`` in the transaction that inserts
    the events: ``h_n = sha256(h_{n-1} || position || originator id || version || topic
    || state)`` with ``h_0`` = 64 zeros (``chain_hash``). ``verify`` recomputes it and
    reports every position where a stored event was changed (hash mismatch), inserted
    (no chain entry) or deleted (a chain entry without its event; on SQLite, whose
    positions have no gaps, also a position missing from both). A chain is not a
    signature: whoever can rewrite both tables, or delete the last events together
    with their chain entries, is caught only by comparing the head (position and hash,
    printed by verify) with a copy kept elsewhere (``anchor``).

Speed
    Export, verify and rebuild read one page (1,000 events) per query, decode JSON
    states with orjson (the mapper does encrypted or unusual events), and replay
    ``@event`` methods directly when the event class uses the library's plain
    ``mutate``/``apply`` (the same calls, fewer layers); the cyclic garbage collector is
    paused while a whole store is replayed.
"""

from __future__ import annotations

import base64
import csv
import gc
import hashlib
import inspect
import io
import operator
import re
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import IO, Any

import attrs
import orjson

GENESIS = "0" * 64
PAGE = 1000
AMSTERDAM = "Europe/Amsterdam"


# ------------------------------------------------------------------ hash chain


def chain_hash(
    prev: str, position: int, originator_id: Any, version: int, topic: str, state: bytes
) -> str:
    """``sha256(prev || position || originator id || version || topic || state)``, hex.

    Fields are separated by 0x1f (only ``state``, which comes last, can hold it); the
    originator id is the UUID's 32 hex digits; text is UTF-8."""
    oid = originator_id.hex if isinstance(originator_id, uuid.UUID) else str(originator_id)
    h = hashlib.sha256(bytes.fromhex(prev))
    h.update(f"\x1f{position}\x1f{oid}\x1f{version}\x1f{topic}\x1f".encode())
    h.update(state)
    return h.hexdigest()


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


# ------------------------------------------------------------------ decoding


def _plain(v: Any) -> Any:
    """JSON-ready copy: dates and datetimes as ISO text, UUIDs as text, sets as lists."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return sorted(_plain(x) for x in v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, uuid.UUID):
        return str(v)
    return v


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


def iter_rows(
    app: Any, *, after: int | None = None, page: int = PAGE, with_chain: bool = False
) -> Iterator[list[Any]]:
    """Pages of (position, originator id, version, topic, state, chain hash or None)
    in position order, after position ``after``: one query per page."""
    rec = app.recorder
    select = getattr(rec, "select_event_rows", None)
    last = after or 0
    while True:
        if select is not None:
            rows = select(last, page, with_chain=with_chain)
        else:  # a recorder without the audit helpers: the library's notifications
            rows = [
                (n.id, n.originator_id, n.originator_version, n.topic, n.state, None)
                for n in rec.select_notifications(last + 1, page)
            ]
        if not rows:
            return
        yield rows
        last = rows[-1][0]


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


def _event_row(event: Any, topic: str) -> dict[str, Any]:
    return {
        "aggregate_id": str(event.originator_id),
        "version": event.originator_version,
        "type": topic,
        "timestamp": event.timestamp.isoformat(),
        "payload": event_payload(event),
    }


# -------------------------------------------------------------------- as-of


def aggregate_as_of(
    app: Any, aggregate_id: uuid.UUID, as_of: datetime
) -> tuple[Any, list[tuple[Any, str]]]:
    """The aggregate rebuilt from its stored events recorded at or before ``as_of``, and
    those events with their topics; ``None`` when it did not exist yet.

    Versions are contiguous, so the rebuild takes the longest prefix of the aggregate's
    events recorded by then (a later version with an earlier clock reading is not
    taken on its own)."""
    decode = EventDecoder(app)
    agg = None
    taken: list[tuple[Any, str]] = []
    for s in app.recorder.select_events(aggregate_id):
        ev = decode(s)
        if ev.timestamp > as_of:
            break
        agg = ev.mutate(agg)
        taken.append((ev, s.topic))
    return agg, taken


def tenancy_state(app: Any, t: Any) -> dict[str, Any]:
    """What ``Vangnet.tenancy_view`` shows, for any (possibly historical) tenancy."""
    from application import sealing
    from application.service import _eur, _iso

    key = app.store.key(t.id)
    return {
        "ref": t.ref,
        "tenancy_id": str(t.id),
        "version": t.version,
        "rent": _eur(t.rent_cents),
        "start_date": t.start_date.isoformat(),
        "due_day": t.due_day,
        "proposed_due_day": t.proposed_due_day,
        "due_day_history": _plain([{**h, "reason": sealing.open_text(key, t.id, h["reason"])}
                                   for h in t.due_day_history]),
        "intake": sealing.unseal(key, t.id, t.intake_sealed),
        "intake_on": _iso(t.intake_on),
        "prevention_profile": {
            "active": t.profile_active,
            "reasons": sealing.unseal(key, t.id, t.profile_reasons_sealed),
        },
        "worry": {"active": t.worry, "reason": sealing.open_text(key, t.id, t.worry_reason)},
        "balance": _eur(t.balance_cents),
        "charged": _eur(t.charged),
        "paid": _eur(t.paid),
        "reversed": _eur(t.reversed),
        "credited": _eur(t.credited),
        "collection_costs": _eur(t.costs_booked),
        "arrears": [
            {"period": p, "amount": _eur(c), "due_date": d.isoformat()}
            for p, c, d in t.arrears_by_period()
        ],
        "unpaid_since": _iso(t.unpaid_since(app.policy.tolerance_cents)),
        "open_case_id": str(t.open_case_id) if t.open_case_id else None,
        "cases": [str(c) for c in t.case_ids],
        "ended_on": _iso(t.ended_on),
        "erased": key is None,
    }


def tenancy_as_of(app: Any, actor: Any, ref: str, as_of: str | date | datetime) -> dict[str, Any]:
    """Tenancy ``ref`` as Vangnet knew it at ``as_of``: state, version and its events."""
    from application.service import NotFound
    from domain.tenancy import tenancy_id_for

    _check_any(app, actor, "audit", "read")
    when = parse_as_of(as_of)
    t, events = aggregate_as_of(app, tenancy_id_for(ref), when)
    if t is None:
        raise NotFound(f"tenancy: {ref!r} did not exist at {when.isoformat()}")
    return {
        "as_of": when.isoformat(),
        "time_basis": "recorded timestamp (UTC)",
        "aggregate": "tenancy",
        "id": str(t.id),
        "version": t.version,
        "state": tenancy_state(app, t),
        "events": [_event_row(ev, topic) for ev, topic in events],
    }


def case_as_of(
    app: Any, actor: Any, case_id: uuid.UUID | str, as_of: str | date | datetime
) -> dict[str, Any]:
    """Case ``case_id`` as Vangnet knew it at ``as_of`` (its arrears from the tenancy at
    that same instant): state, version and the case's events."""
    from application.service import NotFound, case_dict
    from domain.arrears_case import ArrearsCase

    _check_any(app, actor, "audit", "read")
    when = parse_as_of(as_of)
    try:
        cid = case_id if isinstance(case_id, uuid.UUID) else uuid.UUID(str(case_id))
    except ValueError:
        raise NotFound(f"case: {case_id!r} is not a case id") from None
    c, events = aggregate_as_of(app, cid, when)
    if c is None:
        raise NotFound(f"case: {case_id} did not exist at {when.isoformat()}")
    if not isinstance(c, ArrearsCase):
        raise NotFound(f"case: {case_id} is not a case")
    t, _ = aggregate_as_of(app, c.tenancy_id, when)
    return {
        "as_of": when.isoformat(),
        "time_basis": "recorded timestamp (UTC)",
        "aggregate": "case",
        "id": str(c.id),
        "version": c.version,
        "tenancy_version": t.version,
        "state": case_dict(c, t, app.store.key(t.id)),
        "events": [_event_row(ev, topic) for ev, topic in events],
    }


# ------------------------------------------------------------------- export

EXPORT_COLUMNS = (
    "position",
    "aggregate_id",
    "version",
    "type",
    "timestamp",
    "payload",
    "state",
    "state_encoding",
)


def _untype(v: Any) -> Any:
    """A parsed stored state with its ``{"_type_", "_data_"}`` wrappers replaced by the
    plain text they hold (UUIDs as canonical text): the export's payload."""
    tv = type(v)
    if tv is dict:
        t = v.get("_type_")
        if t is not None and len(v) == 2 and "_data_" in v:
            data = v["_data_"]
            if type(data) is not str:
                return _untype(data)
            return str(uuid.UUID(data)) if t == "uuid_hex" else data
        for k, x in v.items():
            if type(x) is dict or type(x) is list:
                v[k] = _untype(x)
        return v
    if tv is list:
        return [_untype(x) for x in v]
    return v


def _csv_field(b: bytes) -> bytes:
    return b'"' + b.replace(b'"', b'""') + b'"'


_NEEDS_QUOTES = re.compile(rb'[",\r\n]').search


def _csv_plain(b: bytes) -> bytes:
    """A field that needs no quotes as it is (ids, timestamps), quoted if it does."""
    return _csv_field(b) if _NEEDS_QUOTES(b) else b


def export_events(
    app: Any,
    actor: Any,
    out: IO[bytes],
    *,
    fmt: str = "jsonl",
    since: int | None = None,
    tenancy: str | None = None,
    page: int = PAGE,
) -> int:
    """Write every event after position ``since`` (only tenancy ``tenancy`` and its
    cases, when given) to the binary stream ``out``, as JSON lines or CSV (RFC 4180,
    UTF-8) with the columns of ``EXPORT_COLUMNS``. Returns the number of events.

    ``payload`` is the event's own fields as plain JSON (``null`` for a state that does
    not decode); ``state`` the stored state (``state_encoding`` ``utf-8``, or
    ``base64`` for an encrypted or compressed store)."""
    _check(app, actor, "audit")
    if fmt not in ("jsonl", "csv"):
        raise AuditError(f"format: {fmt!r} must be jsonl or csv")
    only: set[Any] | None = None
    if tenancy is not None:
        t = app.get_tenancy(tenancy)
        only = set()
        for u in (t.id, *t.case_ids):
            only.update((u, u.hex, str(u)))
    decoder = EventDecoder(app)
    text_state = decoder.state_is_text
    encoding = "utf-8" if text_state else "base64"
    canonical: dict[Any, str] = {}
    topics: dict[str, bytes] = {}
    loads, dumps = orjson.loads, orjson.dumps
    csv_line = b"%d,%s,%d,%s,%s,%s,%s," + encoding.encode() + b"\n"
    count = 0
    if fmt == "csv":
        out.write(",".join(EXPORT_COLUMNS).encode() + b"\n")

    decoder_ids = _Ids()

    def slow(raw_id: Any, version: int, topic: str, state: bytes) -> tuple[str, Any, Any]:
        """(aggregate id text, timestamp, payload) through the decoder (mapper)."""
        oid = decoder_ids.get(raw_id)[0]
        try:
            ev = decoder.decode(topic, state, oid, version) if oid is not None else None
        except Exception:  # noqa: BLE001 - exported as it is stored, without a payload
            ev = None
        if ev is None:
            return str(oid or raw_id), None, None
        return str(oid), ev.timestamp.isoformat(), event_payload(ev)

    with _bulk():
        for rows in iter_rows(app, after=since, page=page):
            chunk: list[bytes] = []
            for pos, raw_id, version, topic, state, _ in rows:
                if only is not None and raw_id not in only:
                    continue
                if type(state) is not bytes:
                    state = _as_bytes(state)
                aid = canonical.get(raw_id)
                if aid is None:
                    if len(canonical) > 200_000:
                        canonical.clear()
                    try:
                        aid = canonical[raw_id] = str(
                            raw_id if isinstance(raw_id, uuid.UUID) else uuid.UUID(str(raw_id))
                        )
                    except ValueError:
                        aid = str(raw_id)
                ts: Any = None
                payload: Any = None
                if text_state:
                    try:
                        d = loads(state)
                        stamp = d.pop("timestamp")
                        ts = stamp["_data_"]
                        payload = _untype(d)
                    except (KeyError, ValueError, TypeError, AttributeError):
                        ts = None
                if ts is None:
                    aid, ts, payload = slow(raw_id, version, topic, state)
                if fmt == "csv":
                    tb = topics.get(topic)
                    if tb is None:
                        tb = topics[topic] = _csv_field(topic.encode())
                    st = bytes(state) if text_state else base64.b64encode(state)
                    chunk.append(
                        csv_line
                        % (
                            pos,
                            _csv_plain(aid.encode()),
                            version,
                            tb,
                            _csv_plain((ts or "").encode()),
                            _csv_field(dumps(payload, default=_orjson_default)),
                            _csv_field(st),
                        )
                    )
                else:
                    chunk.append(
                        dumps(
                            {
                                "position": pos,
                                "aggregate_id": aid,
                                "version": version,
                                "type": topic,
                                "timestamp": ts,
                                "payload": payload,
                                "state": bytes(state).decode("utf-8")
                                if text_state
                                else base64.b64encode(state).decode("ascii"),
                                "state_encoding": encoding,
                            },
                            default=_orjson_default,
                        )
                        + b"\n"
                    )
            if chunk:
                out.write(b"".join(chunk))
                count += len(chunk)
    return count


# ------------------------------------------------------------------- import


@attrs.define
class ImportSummary:
    events: int = 0
    aggregates: int = 0
    first_position: int | None = None
    last_position: int | None = None
    read_models: dict[str, int] = attrs.Factory(dict)

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def read_export(stream: IO[bytes], fmt: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) from an export file: JSON lines or CSV (told, or seen from
    the first byte)."""
    if fmt is None:
        head = stream.peek(1)[:1] if hasattr(stream, "peek") else b"{"
        fmt = "jsonl" if head in (b"{", b"") else "csv"
    if fmt == "jsonl":
        for i, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                yield i, orjson.loads(line)
            except orjson.JSONDecodeError as e:
                raise AuditError(f"line {i}: not JSON ({e})") from None
        return
    if fmt != "csv":
        raise AuditError(f"format: {fmt!r} must be jsonl or csv")
    csv.field_size_limit(sys.maxsize)
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        reader = csv.DictReader(text)
        missing = set(EXPORT_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise AuditError(f"line 1: the CSV header lacks {', '.join(sorted(missing))}")
        for i, row in enumerate(reader, start=2):
            try:
                rec: dict[str, Any] = dict(row)
                rec["payload"] = orjson.loads(row["payload"]) if row["payload"] else {}
            except orjson.JSONDecodeError as e:
                raise AuditError(f"line {i}: payload is not JSON ({e})") from None
            yield i, rec
    finally:
        text.detach()


def import_events(
    app: Any,
    actor: Any,
    records: Iterable[tuple[int, dict[str, Any]]],
    *,
    batch: int = PAGE,
    check_payload: bool = True,
) -> ImportSummary:
    """Put exported events into an *empty* store (migration between SQLite and
    PostgreSQL): the same aggregate ids, versions, topics and stored states, in the
    export's order (the target gives positions anew and writes its own hash chain),
    then rebuild the read models.

    Refused: a store that holds events, a record out of order, a state that does not
    decode, a payload that differs from its state (an edited export). Each batch is
    one transaction: after a failure, start again with an empty store. Not copied: the
    contact directory, sealing keys (intake answers show as erased without them), the
    ledger transaction index, outbox and meta. An encrypted export needs a target with
    the same cipher key."""
    from eventsourcing.persistence import StoredEvent

    _check(app, actor, "audit", "import_ledger")
    if app.recorder.max_notification_id():
        raise AuditError(
            "import: the target store already holds events; import needs an empty store"
        )
    decoder = EventDecoder(app)
    summary = ImportSummary()
    seen: set[uuid.UUID] = set()
    pending: list[Any] = []
    last = 0
    with _bulk():
        for line, rec in records:
            try:
                position = int(rec["position"])
                oid = uuid.UUID(str(rec["aggregate_id"]))
                version = int(rec["version"])
                topic = str(rec["type"])
                raw = rec["state"]
                if (rec.get("state_encoding") or "utf-8") == "base64":
                    state = base64.b64decode(raw, validate=True)
                else:
                    state = str(raw).encode("utf-8")
            except (KeyError, ValueError, TypeError) as e:
                raise AuditError(f"line {line}: not an exported event ({e})") from None
            if position <= last:
                raise AuditError(
                    f"line {line}: position {position} is not after {last}; keep the export's order"
                )
            last = position
            if check_payload:
                try:
                    ev = decoder.decode(topic, state, oid, version)
                except Exception as e:  # noqa: BLE001 - any decoding failure refuses the line
                    raise AuditError(
                        f"line {line}: the stored state does not decode: {e}"
                    ) from None
                if "payload" in rec and event_payload(ev) != _plain(rec["payload"]):
                    raise AuditError(
                        f"line {line}: the payload differs from the stored state (position "
                        f"{position}): the export was edited"
                    )
            pending.append(
                StoredEvent(originator_id=oid, originator_version=version, topic=topic, state=state)
            )
            seen.add(oid)
            summary.events += 1
            if summary.first_position is None:
                summary.first_position = position
            summary.last_position = position
            if len(pending) >= batch:
                app.recorder.insert_events(pending)
                pending = []
        if pending:
            app.recorder.insert_events(pending)
    summary.aggregates = len(seen)
    app.forget_cache()
    summary.read_models = _rebuild(app)
    return summary


# ------------------------------------------------------------------- replay


@attrs.define
class Discrepancy:
    kind: str  # chain | replay | invariant | read_model
    message: str
    position: int | None = None
    aggregate_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in attrs.asdict(self).items() if v is not None}

    def __str__(self) -> str:
        where = f"position {self.position}: " if self.position is not None else ""
        return f"[{self.kind}] {where}{self.message}"


@attrs.define
class VerifyReport:
    events: int = 0
    tenancies: int = 0
    cases: int = 0
    chain_entries: int = 0
    chain_head: dict[str, Any] | None = None
    discrepancies: list[Discrepancy] = attrs.Factory(list)
    omitted: int = 0  # found, but past the listing limit
    limit: int = 1000
    read_model_rows: dict[str, int] = attrs.Factory(dict)

    @property
    def ok(self) -> bool:
        return not self.discrepancies and not self.omitted

    @property
    def first_tampered_position(self) -> int | None:
        ps = [
            d.position for d in self.discrepancies if d.kind == "chain" and d.position is not None
        ]
        return min(ps) if ps else None

    def add(
        self, kind: str, message: str, position: int | None = None, aggregate_id: Any = None
    ) -> None:
        if len(self.discrepancies) >= self.limit:
            self.omitted += 1
            return
        self.discrepancies.append(
            Discrepancy(
                kind, message, position, str(aggregate_id) if aggregate_id is not None else None
            )
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "tenancies": self.tenancies,
            "cases": self.cases,
            "chain_entries": self.chain_entries,
            "chain_head": self.chain_head,
            "first_tampered_position": self.first_tampered_position,
            "read_model_rows": self.read_model_rows,
            "discrepancies": [d.as_dict() for d in self.discrepancies],
            "omitted": self.omitted,
        }


_LEDGER = {"RentCharged": 0, "PaymentReceived": 1, "PaymentReversed": 2, "CreditPosted": 3,
           "CollectionCostsBooked": 4, "CollectionCostsReversed": 5}


def _mutation_plan(cls: type) -> tuple[Callable[..., Any], tuple[str, ...], Any] | None:
    """``(decorated function, its parameter names, positional getter or None)`` when
    ``cls.mutate`` would do no more than check the version, call that function with
    the event's attributes of those names, and set ``version`` and ``modified_on``;
    else ``None`` (replay calls ``mutate``)."""
    from eventsourcing.domain import CanMutateAggregate, DecoratedFuncCaller, decorated_funcs

    if getattr(cls, "mutate", None) is not CanMutateAggregate.mutate:
        return None
    if not issubclass(cls, DecoratedFuncCaller) or cls.apply is not DecoratedFuncCaller.apply:
        return None
    mro = cls.__mro__
    for k in mro[mro.index(DecoratedFuncCaller) + 1 :]:
        a = k.__dict__.get("apply")
        if a is not None and a is not CanMutateAggregate.apply:
            return None
    func = decorated_funcs.get(cls)
    if func is None or not inspect.isfunction(func):
        return None
    params = [p for n, p in inspect.signature(func).parameters.items() if n != "self"]
    names = tuple(p.name for p in params)
    positional = all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params)
    getter = operator.itemgetter(*names) if positional and len(names) > 1 else None
    return func, names, (getter if getter is not None else positional)


class _Replay:
    """Replays every aggregate from the event rows, checking the rules that must have
    held before each recorded step (when given a report)."""

    def __init__(self, app: Any, report: VerifyReport | None):
        self.report = report
        self.aggs: dict[Any, Any] = {}  # raw originator id -> aggregate
        self.broken: set[Any] = set()
        self.ledger: dict[Any, list[int]] = {}
        self.ids = _Ids(bound=sys.maxsize)
        self.decoder = EventDecoder(app)
        self.decode = self.decoder.decode
        self.walk = self.decoder._walk
        self.topics: dict[str, tuple[Any, ...]] = {}
        self.direct: set[type] = set()
        self.indirect: set[type] = set()
        self.checks: dict[str, Callable[[Any, Any, int], None]] = {
            "MunicipalSignalSent": self._signal,
            "CollectionCostsCharged": self._costs,
            "LegalActionDecided": self._legal,
            "BailiffHandedOver": self._bailiff,
        }

    def _topic(self, topic: str, cls: type) -> tuple[Any, ...]:
        """Per stored topic: (mutation plan, rule check, ledger column, event class,
        decodable on the fast path, replayable on the hot path)."""
        name = topic.rsplit(".", 1)[-1]
        with_report = self.report is not None
        plan = _mutation_plan(cls)
        check = self.checks.get(name) if with_report else None
        fast = self.decoder.fast and getattr(cls, "class_version", 1) == 1
        info = (
            plan,
            check,
            _LEDGER.get(name) if with_report else None,
            cls,
            fast,
            fast and plan is not None and check is None,  # the hot path may take it
        )
        self.topics[topic] = info
        return info

    def scan(self, rows: Sequence[Any], chain: _ChainCheck | None = None) -> None:
        """Replay a page of event rows, checking the hash chain too when given one.

        This runs once per stored event: the common case (plain JSON state, an @event
        method, no rule to check first) is inlined; the rest goes to ``_apply_slow``."""
        broken, topics, aggs, direct = self.broken, self.topics, self.aggs, self.direct
        loads, walk, slow, ledger_of = orjson.loads, self.walk, self._apply_slow, self.ledger
        revive, any_ = self.decoder.names, self.decoder._any
        sha256, fromhex = hashlib.sha256, bytes.fromhex
        checking = chain is not None
        if chain is not None:
            prev, last, matched, head_pos = chain.prev, chain.last, 0, chain.head_pos
            alt = chain.alt
        for pos, key, version, topic, state, chash in rows:
            if type(state) is not bytes:  # a state edited into text, or a memoryview
                state = _as_bytes(state)
            if checking:
                assert chain is not None  # noqa: S101 - for the type checker; checking says so
                if pos != last + 1 or chash is None:
                    chain.prev, chain.last, chain.alt = prev, last, alt
                    if pos != last + 1:
                        chain.gap(pos)
                    if chash is None:
                        chain.unchained(pos, key, version)
                    prev, alt = chain.prev, chain.alt
                if chash is not None:
                    hid = key.encode() if type(key) is str else key.hex.encode()
                    try:
                        stored_hash = fromhex(chash)
                    except (ValueError, TypeError):  # an edited chain entry
                        stored_hash = b""
                    fields = b"\x1f%d\x1f%s\x1f%d\x1f%s\x1f%s" % (
                        pos,
                        hid,
                        version,
                        topic.encode(),
                        state,
                    )
                    digest = sha256(prev + fields).digest()
                    if digest == stored_hash:
                        alt = None
                    elif alt is not None and sha256(alt + fields).digest() == stored_hash:
                        alt = None  # only the chain entry before this one was edited
                    else:
                        chain.report.add("chain", chain.changed(key, version), pos, _idtext(key))
                        alt = digest  # what the chain should hold, had only this entry changed
                    prev = stored_hash
                    matched += 1
                    head_pos = pos
                last = pos
            if key in broken:
                continue
            info = topics.get(topic)
            agg = aggs.get(key)
            if info is None or not info[5] or agg is None or type(agg) not in direct:
                slow(pos, key, version, topic, state, agg)
                continue
            try:
                d = loads(state)
                if "class_version" in d:
                    raise ValueError("class_version")
                for k, v in d.items():  # the decoder's walk, its top level inlined
                    if type(v) is dict:
                        if "_type_" in v and len(v) == 2:
                            data = v["_data_"]
                            d[k] = revive[v["_type_"]](data if type(data) is str else any_(data))
                        else:
                            walk(v)
                    elif type(v) is list:
                        d[k] = [any_(x) for x in v]
            except (KeyError, ValueError, TypeError, AttributeError):
                slow(pos, key, version, topic, state, agg)  # it decodes it, or says what is wrong
                continue
            try:
                if info[2] is not None:
                    tally = ledger_of.get(key)
                    if tally is None:
                        tally = ledger_of[key] = [0, 0, 0, 0, 0, 0]
                    tally[info[2]] += d["cents"]
                if version != agg._version + 1:
                    from eventsourcing.domain import OriginatorVersionError

                    raise OriginatorVersionError(version, agg._version + 1)
                func, names, getter = info[0]
                try:
                    if getter is True:  # one or no positional parameter
                        args = [d[n] for n in names]
                    elif getter is False:  # keyword-only parameters: the library's way
                        args = None
                    else:
                        args = getter(d)
                except KeyError:
                    args = None
                if args is None:
                    func(agg, **{n: d[n] for n in names if n in d})
                else:
                    func(agg, *args)
                agg._version = version
                agg._modified_on = d["timestamp"]
            except Exception as e:  # noqa: BLE001
                self._stop(key, pos, version, topic, f"{type(e).__name__}: {e}")
        if chain is not None:
            chain.prev, chain.last, chain.alt = prev, last, alt
            chain.matched += matched
            if head_pos is not None and (chain.head_pos is None or head_pos > chain.head_pos):
                chain.head_pos = head_pos

    def _apply_slow(
        self, pos: int, key: Any, version: int, topic: str, state: bytes, agg: Any
    ) -> None:
        """Decode to an event object (mapper when needed), check the rule that must have
        held before it, and mutate."""
        oid = self.ids.get(key)[0]
        if oid is None:
            self._stop(key, pos, version, topic, f"the originator id {key!r} is not a UUID")
            return
        try:
            ev = self.decode(topic, state, oid, version)
        except Exception as e:  # noqa: BLE001 - an undecodable event is a finding, not a crash
            self._stop(key, pos, version, topic, f"the event does not decode: {e}")
            return
        info = self.topics.get(topic)
        if info is None:
            info = self._topic(topic, type(ev))
        plan, check, ledger, cls = info[:4]
        if check is not None and agg is not None:
            check(agg, ev, pos)
        try:
            if ledger is not None:
                tally = self.ledger.get(key)
                if tally is None:
                    tally = self.ledger[key] = [0, 0, 0, 0, 0, 0]
                tally[ledger] += ev.cents
            if agg is None:
                agg = self.aggs[key] = ev.mutate(None)
            else:
                self.aggs[key] = ev.mutate(agg)
            if type(agg) not in self.direct and type(agg) not in self.indirect:
                self._direct(type(agg))
        except Exception as e:  # noqa: BLE001
            self._stop(key, pos, version, topic, f"{type(e).__name__}: {e}")

    def _direct(self, agg_cls: type) -> bool:
        """Whether the aggregate class keeps the library's ``version``/``modified_on``
        properties over ``_version``/``_modified_on`` (then set them directly)."""
        from eventsourcing.domain import BaseAggregate

        ok = (
            getattr(agg_cls, "version", None) is BaseAggregate.__dict__.get("version")
            and getattr(agg_cls, "modified_on", None) is BaseAggregate.__dict__.get("modified_on")
            and BaseAggregate.__dict__.get("version") is not None
        )
        (self.direct if ok else self.indirect).add(agg_cls)
        return ok

    def _stop(self, key: Any, pos: int, version: int, topic: str, why: str) -> None:
        self.broken.add(key)
        if self.report is not None:
            oid = self.ids.get(key)[0]
            who = oid if oid is not None else key
            self.report.add(
                "replay",
                f"aggregate {who} does not replay at version {version} ({_short(topic)}): {why}; "
                "its later events are not checked",
                pos,
                who,
            )

    # --- rules that must have held before a recorded step -----------------
    def _flag(self, message: str, position: int | None, aggregate_id: Any) -> None:
        if self.report is not None:
            self.report.add("invariant", message, position, aggregate_id)

    def _signal(self, case: Any, ev: Any, pos: int) -> None:
        missing = [k for k, ok in case.signal_conditions().items() if not ok]
        if missing:
            self._flag(
                f"municipal signal of case {case.id} sent without: {', '.join(missing)} (BGS-2)",
                pos,
                case.id,
            )
        if case.signal is not None:
            self._flag(f"second municipal signal of case {case.id}", pos, case.id)

    def _costs(self, case: Any, ev: Any, pos: int) -> None:
        letter = case.letters.get("fourteen_day_letter")
        if letter is None:
            self._flag(
                f"collection costs on case {case.id} without a 14-day letter (WIK)", pos, case.id
            )
            return
        if letter["deadline"] is None or not ev.on > letter["deadline"]:
            self._flag(
                f"collection costs on case {case.id} charged on {ev.on}, before the 14-day deadline "
                f"{letter['deadline']} had passed (WIK)",
                pos,
                case.id,
            )
        if ev.cents != letter["costs_cents"]:
            self._flag(
                f"collection costs on case {case.id}: {ev.cents} cents, the 14-day letter stated "
                f"{letter['costs_cents']} (WIK)",
                pos,
                case.id,
            )
        if case.costs_charged_on is not None:
            self._flag(f"collection costs on case {case.id} charged twice (WIK)", pos, case.id)

    def _legal(self, case: Any, ev: Any, pos: int) -> None:
        if case.legal_eligible_on is None:
            self._flag(
                f"legal-action decision on case {case.id} before the case was eligible (EVICT)",
                pos,
                case.id,
            )
        if any(d["by"] == ev.by for d in case.legal_decisions):
            self._flag(
                f"legal action on case {case.id} decided twice by {ev.by}: approval needs two "
                "different people",
                pos,
                case.id,
            )

    def _bailiff(self, case: Any, ev: Any, pos: int) -> None:
        if case.bailiff_eligible_on is None:
            self._flag(
                f"bailiff hand-over of case {case.id} before the case was eligible (BAILIFF)",
                pos,
                case.id,
            )

    # --- after the last event ---------------------------------------------
    def split(self) -> tuple[dict[uuid.UUID, Any], dict[uuid.UUID, Any], set[uuid.UUID]]:
        """Replayed tenancies and cases by id, and the ids that did not replay."""
        from domain.arrears_case import ArrearsCase
        from domain.tenancy import Tenancy

        tenancies: dict[uuid.UUID, Any] = {}
        cases: dict[uuid.UUID, Any] = {}
        broken: set[uuid.UUID] = set()
        for key, agg in self.aggs.items():
            if key in self.broken:
                broken.add(agg.id)
            elif isinstance(agg, Tenancy):
                tenancies[agg.id] = agg
            elif isinstance(agg, ArrearsCase):
                cases[agg.id] = agg
        return tenancies, cases, broken

    def final_checks(
        self, tenancies: dict[uuid.UUID, Any], cases: dict[uuid.UUID, Any], broken: set[uuid.UUID]
    ) -> None:
        flag = self._flag
        tallies = {self.aggs[k].id: v for k, v in self.ledger.items() if k in self.aggs}
        for tid, t in tenancies.items():
            charged, paid, reversed_, credited, costs, costs_back = tallies.get(tid, (0, 0, 0, 0, 0, 0))
            expected = charged - paid + reversed_ - credited + costs - costs_back
            if t.balance_cents != expected:
                flag(
                    f"tenancy {t.ref}: balance {t.balance_cents} is not charges {charged} - payments "
                    f"{paid} + reversals {reversed_} - credits {credited} + costs {costs - costs_back} "
                    f"= {expected}",
                    None,
                    tid,
                )
            if sum(t.charges.values()) != t.charged:
                flag(
                    f"tenancy {t.ref}: charges per period add up to {sum(t.charges.values())}, "
                    f"not {t.charged}",
                    None,
                    tid,
                )
        open_by_tenancy: dict[uuid.UUID, list[Any]] = {}
        for cid, c in cases.items():
            t = tenancies.get(c.tenancy_id)
            if t is None:
                if c.tenancy_id not in broken:
                    flag(
                        f"case {cid} belongs to tenancy {c.tenancy_id}, which does not exist",
                        None,
                        cid,
                    )
                continue
            if cid not in t.case_ids:
                flag(f"case {cid} is not linked to its tenancy {t.ref}", None, cid)
            if c.is_open:
                open_by_tenancy.setdefault(t.id, []).append(c)
        for tid, t in tenancies.items():
            open_cases = open_by_tenancy.get(tid, [])
            if len(open_cases) > 1:
                ids = ", ".join(str(c.id) for c in open_cases)
                flag(f"tenancy {t.ref} has {len(open_cases)} open cases: {ids}", None, tid)
            actual = open_cases[0].id if len(open_cases) == 1 else None
            if t.open_case_id != actual and t.open_case_id not in broken:
                flag(
                    f"tenancy {t.ref}: open_case_id is {t.open_case_id}, but its open case is {actual}",
                    None,
                    tid,
                )


def _replay_all(app: Any, page: int = PAGE) -> _Replay:
    r = _Replay(app, None)
    with _bulk():
        for rows in iter_rows(app, page=page):
            r.scan(rows)
    return r


def expected_read_models(
    app: Any, tenancies: dict[uuid.UUID, Any], cases: dict[uuid.UUID, Any]
) -> dict[str, dict[Any, dict[str, Any]]]:
    """Read-model rows rebuilt from replayed aggregates, by table and key (with the
    projections' ``tenancy_ops``/``case_ops``; ``rm_cases.next_check_on`` is empty)."""
    from application.projections import READ_MODEL_TABLES, case_ops, tenancy_ops
    from application.store import Upsert

    out: dict[str, dict[Any, dict[str, Any]]] = {t: {} for t in READ_MODEL_TABLES}
    tol = app.policy.tolerance_cents

    def take(ops: Iterable[Any]) -> None:
        for op in ops:
            if isinstance(op, Upsert) and op.table in out:
                key = tuple(op.row[k] for k in op.key)
                out[op.table][key[0] if len(key) == 1 else key] = op.row

    for t in tenancies.values():
        take(tenancy_ops(t, tol))
    for c in cases.values():
        t = tenancies.get(c.tenancy_id)
        take(case_ops(c, t.ref if t is not None else "", None, force=True))
    return out


# Scheduling state that no event holds: not compared, kept by a rebuild.
NOT_DERIVABLE = {"rm_cases": frozenset({"next_check_on"})}


def _compare_read_models(
    app: Any, expected: dict[str, dict[Any, dict[str, Any]]], report: VerifyReport, broken: set[str]
) -> None:
    for table, rows in expected.items():
        stored = app.store.read_model_rows(table)
        report.read_model_rows[table] = len(stored)
        ignore = NOT_DERIVABLE.get(table, frozenset())
        seen = set()
        for row in stored:
            key_col = next(iter(row))
            key = row[key_col]
            seen.add(key)
            want = rows.get(key)
            if want is not None and (
                row == want or (ignore and row == {**want, **{c: row.get(c) for c in ignore}})
            ):
                continue  # the common case, compared in C
            if want is None:
                if not (broken and any(str(v) in broken for v in row.values())):
                    report.add(
                        "read_model", f"{table} row {key_col}={key} has no aggregate behind it"
                    )
                continue
            diffs = [
                f"{col}: stored {row.get(col)!r}, the events give {want[col]!r}"
                for col in want
                if col not in ignore and row.get(col) != want[col]
            ]
            if diffs:
                report.add("read_model", f"{table} row {key_col}={key}: " + "; ".join(diffs))
        for key in rows.keys() - seen:
            report.add("read_model", f"{table}: no row for {key}, which the events give")


# ------------------------------------------------------------------- verify

_DELETED = "stored event deleted: the chain has an entry here, the store has no event"


def _unhex(text: Any) -> bytes:
    try:
        return bytes.fromhex(text)
    except (ValueError, TypeError):  # an edited chain entry: it matches nothing
        return b""


def _as_bytes(state: Any) -> bytes:
    return state.encode("utf-8") if isinstance(state, str) else bytes(state)


def _idtext(key: Any) -> str:
    """An originator id as read, as canonical UUID text when it is one."""
    try:
        return str(key if isinstance(key, uuid.UUID) else uuid.UUID(str(key)))
    except ValueError:
        return str(key)


class _ChainCheck:
    """The hash chain as verify walks it: the previous hash, the last position seen,
    and what to report for gaps, unchained and changed events."""

    def __init__(self, report: VerifyReport, select_chain: Callable[..., Any], dense: bool):
        self.report = report
        self.select_chain = select_chain
        self.dense = dense
        self.prev = bytes(32)
        self.alt: bytes | None = None  # after a mismatch: the hash recomputed there
        self.last = 0
        self.head_pos: int | None = None  # the last position with a chain entry
        self.matched = 0
        self.extra = 0  # chain entries without an event

    def gap(self, pos: int) -> None:
        """Positions between the last one seen and ``pos``: chain entries there belong
        to deleted events; on SQLite a position with neither was deleted too."""
        for cpos, chash in self.select_chain(self.last, pos - 1):
            if self.dense:
                _missing(self.report, self.last, cpos)
            self.report.add("chain", _DELETED, cpos)
            self.prev, self.head_pos, self.last, self.alt = _unhex(chash), cpos, cpos, None
            self.extra += 1
        if self.dense:
            _missing(self.report, self.last, pos)

    def unchained(self, pos: int, key: Any, version: int) -> None:
        self.report.add(
            "chain",
            f"stored event inserted: no chain entry (aggregate {_idtext(key)} version {version})",
            pos,
            _idtext(key),
        )

    @staticmethod
    def changed(key: Any, version: int) -> str:
        return (
            f"stored event changed: it does not match the hash chain (aggregate {_idtext(key)} version "
            f"{version}; edited here, or an event just before it was deleted with its chain entry)"
        )

    def tail(self, page: int) -> None:
        """Chain entries after the last stored event: deleted events."""
        while True:
            rows = self.select_chain(self.last, None, page)
            if not rows:
                return
            for cpos, _hash in rows:
                self.report.add("chain", _DELETED, cpos)
                self.head_pos = cpos
            self.extra += len(rows)
            self.last = rows[-1][0]


def verify(
    app: Any,
    actor: Any,
    *,
    anchor: tuple[int, str] | None = None,
    page: int = PAGE,
    limit: int = 1000,
) -> VerifyReport:
    """Check the whole store: the hash chain, every aggregate's replay and invariants,
    and every read-model row against one rebuilt from the events. ``anchor``:
    (position, hash) of the chain noted earlier elsewhere, which must still be there.
    At most ``limit`` discrepancies are listed (``omitted`` counts the rest).

    Run it when nothing writes (a daily run in between makes read models look stale)."""
    _check(app, actor, "audit")
    report = VerifyReport(limit=limit)
    rec = app.recorder
    select_chain = getattr(rec, "select_chain", None)
    chain = None
    if select_chain is not None and hasattr(rec, "select_event_rows"):
        chain = _ChainCheck(
            report, select_chain, bool(getattr(rec, "chain_positions_dense", False))
        )
    replay = _Replay(app, report)
    with _bulk():
        for rows in iter_rows(app, page=page, with_chain=chain is not None):
            replay.scan(rows, chain)
            report.events += len(rows)
    if chain is not None:
        chain.tail(page)
        report.chain_entries = chain.matched + chain.extra
        if chain.head_pos is not None:
            head = chain.select_chain(chain.head_pos - 1, chain.head_pos)
            report.chain_head = {"position": chain.head_pos, "hash": head[0][1] if head else None}
        if anchor is not None:
            got = chain.select_chain(anchor[0] - 1, anchor[0])
            if not got or got[0][1] != anchor[1].lower():
                report.add(
                    "chain",
                    "anchor not matched: the chain's hash here is "
                    f"{got[0][1] if got else 'missing'}, the anchor says {anchor[1]}",
                    anchor[0],
                )
    else:
        report.add("chain", "this store keeps no hash chain (its recorder has no event_chain)")
    tenancies, cases, broken = replay.split()
    report.tenancies, report.cases = len(tenancies), len(cases)
    replay.final_checks(tenancies, cases, broken)
    expected = expected_read_models(app, tenancies, cases)
    _compare_read_models(app, expected, report, {str(b) for b in broken})
    return report


def _missing(report: VerifyReport, last: int, upto: int) -> None:
    """Positions after ``last`` and before ``upto`` with neither event nor chain entry
    (SQLite only: its positions have no gaps). At most 10 per gap are listed."""
    for p in range(last + 1, min(upto, last + 11)):
        report.add(
            "chain",
            "stored event missing: neither an event nor a chain entry at this position "
            "(deleted together with its chain entry)",
            p,
        )
    if upto - last - 1 > 10:
        report.omitted += upto - last - 11


# ---------------------------------------------------------- rebuild read models


def _rebuild(app: Any) -> dict[str, int]:
    for _ in range(3):
        before = app.recorder.max_notification_id()
        tenancies, cases, _broken = _replay_all(app).split()
        expected = expected_read_models(app, tenancies, cases)
        # keep the next check of open cases (scheduling state); a new row is due at once
        scheduled = {
            r["case_id"]: r.get("next_check_on") for r in app.store.read_model_rows("rm_cases")
        }
        for key, row in expected["rm_cases"].items():
            if row["status"] == "open":
                row["next_check_on"] = scheduled.get(key)
        rows = {table: list(by_key.values()) for table, by_key in expected.items()}
        app.store.replace_read_models(rows)
        if app.recorder.max_notification_id() == before:
            return {table: len(r) for table, r in rows.items()}
    raise AuditError(
        "rebuild: the store kept changing while the read models were rebuilt; run it when "
        "no daily run or import is writing"
    )


def rebuild_read_models(app: Any, actor: Any) -> dict[str, int]:
    """Replace every read-model row by one rebuilt from the events (an open case keeps
    its next check, scheduling state that no event holds). Returns rows per table.

    Aggregates that do not replay get no rows: run ``verify`` first."""
    _check(app, actor, "audit")
    return _rebuild(app)


# ------------------------------------------------------------------ dossier

LEGAL_BASIS = {
    "BGS": "Besluit gemeentelijke schuldhulpverlening art. 2 (vroegsignalering)",
    "REMINDER": "Besluit gemeentelijke schuldhulpverlening art. 2 (herinnering met aanbod)",
    "WIK": "art. 6:96 lid 6 BW; Besluit vergoeding buitengerechtelijke incassokosten",
    "EVICT": "ontbinding alleen door de kantonrechter; convenant december 2022",
    "BAILIFF": "beleid: overdracht aan de deurwaarder na goedkeuring",
}


def _basis(rule: str | None) -> str | None:
    if not rule:
        return None
    for prefix, text in LEGAL_BASIS.items():
        if rule.startswith(prefix):
            return text
    return None


def _month_history(t: Any, until: date) -> list[dict[str, Any]]:
    """Per calendar month: rent charged, paid (net of reversals), credited, and the
    balance at the month's end, from the tenancy's booked transactions."""
    from domain.values import Period

    txs = sorted(t.transactions.values(), key=lambda x: x["booked_on"])
    if not txs:
        return []
    p = Period.of(min(t.start_date, txs[0]["booked_on"]))
    last = Period.of(max(until, txs[-1]["booked_on"]))
    rows: list[dict[str, Any]] = []
    balance = 0
    i = 0
    while p <= last:
        charged = paid = credited = costs = 0
        end = p.last_day()
        while i < len(txs) and txs[i]["booked_on"] <= end:
            kind, cents = txs[i]["kind"], txs[i]["cents"]
            if kind == "CHARGE":
                charged += cents
            elif kind == "PAYMENT":
                paid += cents
            elif kind == "REVERSAL":
                paid -= cents
            elif kind == "CREDIT":
                credited += cents
            elif kind == "COSTS":  # WIK collection costs, a ledger line
                costs += cents
            elif kind == "COSTS_REVERSAL":
                costs -= cents
            i += 1
        balance += charged - paid - credited + costs
        rows.append(
            {
                "period": str(p),
                "charged_cents": charged,
                "paid_cents": paid,
                "credited_cents": credited,
                "costs_cents": costs,
                "balance_cents": balance,
            }
        )
        p = p.next()
    return rows


def dossier(
    app: Any, actor: Any, case_id: uuid.UUID | str, *, generated_on: date | None = None
) -> dict[str, Any]:
    """What a Dutch district judge asks for before dissolving a lease for arrears: the
    tenancy, arrears per period and month by month, every contact attempt, letters with
    dates and deadlines, referrals, the municipal signal, promises and arrangements,
    legal steps, and every automated step with its rule and inputs.

    Personal data: only the tenant's name, from the contact directory (the dossier is
    for the court), or ``"erased"`` when it was erased."""
    from application.sealing import open_text
    from application.service import _eur

    _check_any(app, actor, "audit", "read")
    c = app.get_case(case_id)
    t = app.get_tenancy_by_id(c.tenancy_id)
    day = generated_on or app.today()
    key = app.store.key(t.id)

    def text(v: Any) -> Any:  # sealed free text: readable with the tenancy key, else "erased"
        return open_text(key, t.id, v)

    contact = app.store.contact(t.id)
    is_erased = getattr(app.store, "is_erased", None)
    if contact is not None and contact.name:
        name = contact.name
    elif (is_erased is not None and is_erased(t.id)) or app.store.key(t.id) is None:
        name = "erased"
    else:
        name = "unknown"
    contacts = [
        {
            **_plain(x),
            "personal": x["channel"] in ("phone", "home_visit"),
            "basis": _basis(x.get("rule")),
        }
        for x in sorted(c.contacts, key=lambda x: x["on"])
    ]
    pending = [
        {"channel": channel, "on": v["on"].isoformat(), "rule": v["rule"], "id": k}
        for channel, group in (("robocall", c.robocalls), ("sms", c.sms))
        for k, v in group.items()
        if v["outcome"] is None
    ]
    letters = [
        {
            "kind": kind,
            "posted_on": _plain(v["posted_on"]),
            "deadline": _plain(v["deadline"]),
            "amount": _eur(v["amount_cents"]),
            "costs": _eur(v["costs_cents"]) if v["costs_cents"] is not None else None,
            "letter_id": v["letter_id"],
            "checksum": v["checksum"],
        }
        for kind, v in sorted(c.letters.items(), key=lambda kv: kv[1]["posted_on"])
    ]
    steps = [
        {
            "on": s["on"].isoformat(),
            "rule": s["rule"],
            "action_id": s["action_id"],
            "inputs": _plain(s["inputs"]),
            "basis": _basis(s["rule"]),
        }
        for s in c.steps
    ]
    previous = []
    for other_id in t.case_ids:
        if other_id == c.id:
            continue
        try:
            o = app.get_case(other_id)
        except Exception:  # noqa: BLE001 - shown as missing rather than failing the dossier
            previous.append({"case_id": str(other_id), "missing": True})
            continue
        previous.append(
            {
                "case_id": str(o.id),
                "period": o.period,
                "opened_on": o.opened_on.isoformat(),
                "closed_on": _plain(o.closed_on),
                "close_reason": o.close_reason,
                "contacts": len(o.contacts),
                "letters": sorted(o.letters),
                "signal_on": _plain(o.signal["on"]) if o.signal else None,
            }
        )
    arrears = t.arrears_cents()
    return {
        "generated_on": day.isoformat(),
        "case": {
            "case_id": str(c.id),
            "version": c.version,
            "period": c.period,
            "due_date": c.due_date.isoformat(),
            "opened_on": c.opened_on.isoformat(),
            "opened_amount": _eur(c.amount_cents),
            "track": c.track,
            "status": "open" if c.is_open else "closed",
            "closed_on": _plain(c.closed_on),
            "close_reason": c.close_reason,
            "reopens": str(c.reopens) if c.reopens else None,
            "paused_until": _plain(c.paused_until),
            "pause_reason": text(c.pause_reason),
        },
        "tenancy": {
            "ref": t.ref,
            "tenancy_id": str(t.id),
            "version": t.version,
            "tenant_name": name,
            "start_date": t.start_date.isoformat(),
            "rent": _eur(t.rent_cents),
            "due_day": t.due_day,
            "due_day_history": _plain([{**h, "reason": text(h["reason"])} for h in t.due_day_history]),
            "prevention_profile": t.profile_active,
            "worry": t.worry,
            "ended_on": _plain(t.ended_on),
            "balance": _eur(t.balance_cents),
            "arrears_total": _eur(arrears),
            "months_of_rent": round(arrears / t.rent_cents, 2) if t.rent_cents else None,
        },
        "arrears_by_period": [
            {"period": p, "amount": _eur(cents), "due_date": d.isoformat()}
            for p, cents, d in t.arrears_by_period()
        ],
        "history_by_month": [
            {
                **r,
                "charged": _eur(r["charged_cents"]),
                "paid": _eur(r["paid_cents"]),
                "credited": _eur(r["credited_cents"]),
                "costs": _eur(r["costs_cents"]),
                "balance": _eur(r["balance_cents"]),
            }
            for r in _month_history(t, day)
        ],
        "contacts": contacts,
        "contacts_pending": pending,
        "personal_contact_attempts": sum(1 for x in contacts if x["personal"]),
        "promises": _plain(c.promises),
        "arrangements": _plain(c.arrangements),
        "referrals": _plain(c.referrals),
        "debt_counselling_accepted": c.debt_counselling_accepted(),
        "letters": letters,
        "signal": _plain(c.signal),
        "signal_conditions": c.signal_conditions(),
        "signal_objected_on": _plain(c.objected_on),
        "collection_costs": _eur(c.costs_cents) if c.costs_charged_on else None,
        "collection_costs_on": _plain(c.costs_charged_on),
        "bailiff_eligible_on": _plain(c.bailiff_eligible_on),
        "bailiff_handed_over": _plain(c.bailiff_handed_over),
        "legal_eligible_on": _plain(c.legal_eligible_on),
        "legal_decisions": _plain([{**x, "reason": text(x["reason"])} for x in c.legal_decisions]),
        "notes": _plain([{"about": n["about"], "text": text(n["sealed"]), "on": n["on"], "by": n["by"]}
                         for n in c.notes]),
        "legal_action_approved": c.legal_action_approved,
        "steps": steps,
        "previous_cases": previous,
    }


__all__ = [
    "AuditError",
    "Discrepancy",
    "EventDecoder",
    "GENESIS",
    "ImportSummary",
    "VerifyReport",
    "aggregate_as_of",
    "case_as_of",
    "chain_hash",
    "dossier",
    "export_events",
    "import_events",
    "iter_rows",
    "parse_as_of",
    "read_export",
    "rebuild_read_models",
    "tenancy_as_of",
    "verify",
]
