"""Export and import of the event log (JSON lines or CSV), byte-identical stored states."""

from __future__ import annotations

import base64
import csv
import io
import re
import sys
import uuid
from collections.abc import Iterable, Iterator
from typing import IO, Any

import attrs
import orjson

from application.audit.chain import _as_bytes
from application.audit.common import PAGE, AuditError, _bulk, _check
from application.audit.decoding import EventDecoder, _Ids, _orjson_default, _plain, event_payload
from application.audit.eventlog import event_log, iter_rows
from application.audit.readmodels import _rebuild
from application.csv_safe import TRIGGERS

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


# cells starting with these are formulas to a spreadsheet (application.csv_safe.TRIGGERS);
# the other cells of the audit CSV cannot start with one: positions, versions and
# timestamps are digits, ids hex, topics module paths, payloads and text states JSON
_FORMULA = tuple(t.encode() for t in TRIGGERS)


def _csv_field(b: bytes) -> bytes:
    return b'"' + b.replace(b'"', b'""') + b'"'


_NEEDS_QUOTES = re.compile(rb'[",\r\n]').search


def _csv_plain(b: bytes) -> bytes:
    """A field that needs no quotes as it is (ids, timestamps), quoted if it does."""
    return _csv_field(b) if _NEEDS_QUOTES(b) else b


def export_events(  # noqa: C901 - once per stored event: the common case is inlined for export speed (benchmarks)
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
                    if st[:1] in _FORMULA:  # base64 may start with "+": a spreadsheet formula
                        st = b"'" + st  # (application.csv_safe rule; read_export takes it off)
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
    log = event_log(app)
    if log.max_position():
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
                    state = base64.b64decode(str(raw).removeprefix("'"), validate=True)
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
                log.insert(pending)
                pending = []
        if pending:
            log.insert(pending)
    summary.aggregates = len(seen)
    app.forget_cache()
    summary.read_models = _rebuild(app)
    return summary
