"""The lean write path keeps the library's stored format: what the fast mapper
writes, the library's own mapper reads, and the other way round."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    UUIDAsHex,
)

from application.transcoding import DateAsISO, FastTranscoder
from application.writepath import FastMapper, decode_state
from domain.arrears_case import ArrearsCase
from domain.tenancy import Tenancy
from domain.values import Period, Track

DAY = date(2026, 1, 1)


def _library_mapper() -> Mapper[Any]:
    t = JSONTranscoder()
    for tr in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        t.register(tr)
    return Mapper(transcoder=t)


def _fast_mapper() -> FastMapper:
    t = FastTranscoder()
    for tr in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        t.register(tr)
    m = FastMapper(transcoder=t)
    assert m.fast
    return m


def _events() -> list[Any]:
    t = Tenancy.start("T-1", 60000, DAY, 1, by="letting")
    t.charge_rent(period=Period(2026, 1), cents=60000, source="erp", tx_id="c1", booked_on=DAY)
    t.receive_payment(cents=30000, source="bank", tx_id="p1", booked_on=date(2026, 1, 3))
    c = ArrearsCase.open(tenancy_id=t.id, period="2026-01", seq=1, due_date=DAY, opened_on=date(2026, 1, 2),
                         amount_cents=30000, track=Track.PREVENTION, reopens=uuid.uuid4(), rule="R-1",
                         inputs={"amount": 30000, "days": [1, 2], "nested": {"on": DAY, "x": Decimal("1.5")}})
    t.link_case(c.id, on=date(2026, 1, 2))
    c.create_task(task_id="task:phone:1", kind="phone", due_on=date(2026, 1, 5), rule="R-2",
                  inputs={"ids": [uuid.uuid4()], "on": DAY}, on=date(2026, 1, 2))
    c.agree_arrangement(instalments=[(date(2026, 2, 1), 15000), (date(2026, 3, 1), 15000)],
                        on=date(2026, 1, 10), by="officer")
    return [*t.collect_events(), *c.collect_events()]


def _same(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    assert vars(a) == vars(b)


@pytest.mark.parametrize("writer,reader", [("fast", "library"), ("library", "fast"), ("fast", "fast")])
def test_events_round_trip_between_the_fast_and_the_library_mapper(writer: str, reader: str) -> None:
    mappers = {"fast": _fast_mapper(), "library": _library_mapper()}
    events = _events()
    assert len(events) >= 7
    for e in events:
        stored = mappers[writer].to_stored_event(e)
        back = mappers[reader].to_domain_event(stored)
        _same(e, back)


def test_the_fast_mapper_writes_the_bytes_of_the_fast_transcoder() -> None:
    fast, plain = _fast_mapper(), Mapper(transcoder=_fast_mapper().transcoder)
    for e in _events():
        a, b = fast.to_stored_event(e), plain.to_stored_event(e)
        assert (a.originator_id, a.originator_version, a.topic, a.state) == (
            b.originator_id, b.originator_version, b.topic, b.state)


def test_with_a_cipher_the_fast_mapper_is_the_library_mapper() -> None:
    from eventsourcing.cipher import AESCipher
    from eventsourcing.utils import Environment

    key = AESCipher.create_key(16)
    cipher = AESCipher(Environment(env={"CIPHER_KEY": key}))
    m = FastMapper(transcoder=_fast_mapper().transcoder, cipher=cipher)
    assert not m.fast
    for e in _events():
        _same(e, m.to_domain_event(m.to_stored_event(e)))


def test_the_chain_of_a_batch_is_the_chain_of_its_events_one_by_one() -> None:
    """``chain_hashes`` (the write path's loop) links exactly as ``chain_hash`` does."""
    import uuid as _uuid

    from eventsourcing.persistence import StoredEvent

    from application.audit.chain import GENESIS, chain_hash, chain_hashes

    events = [StoredEvent(_uuid.uuid4() if i % 2 else _uuid.uuid4().hex, i + 1, "domain.tenancy:Tenancy.X",
                          b'{"a":%d,"\\u001f":1}' % i) for i in range(5)]
    positions = [7, 8, 9, 10, 12]
    prev, want = GENESIS, []
    for e, pos in zip(events, positions, strict=True):
        prev = chain_hash(prev, pos, e.originator_id, e.originator_version, e.topic, e.state)
        want.append(prev)
    assert chain_hashes(GENESIS, events, positions) == want
    assert chain_hashes(want[1], events[2:], positions[2:]) == want[2:]


@pytest.mark.parametrize("value", [
    date(2026, 2, 1), date(1, 1, 1), datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, 2, 3, 4, tzinfo=UTC),
    datetime(2026, 1, 1, 0, 0, 0, 500000), datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=1, minutes=30))),
])
def test_dates_and_datetimes_are_stored_as_their_isoformat(value: Any) -> None:
    """orjson formats the real date and UTC datetime classes inside their tags; the bytes
    are those of ``isoformat()``, as the library's transcoder writes them."""
    import orjson

    from application.writepath import encode_state

    tag = "datetime_iso" if isinstance(value, datetime) else "date_iso"
    want = orjson.dumps({"on": {"_type_": tag, "_data_": value.isoformat()}, "n": [{"_type_": tag,
                         "_data_": value.isoformat()}]})
    got = encode_state({"originator_id": uuid.uuid4(), "originator_version": 3, "on": value, "n": [value]}, 1)
    assert got == want


def test_freezegun_dates_are_stored_as_their_isoformat() -> None:
    from freezegun import freeze_time

    from application.writepath import encode_state

    with freeze_time("2026-03-01 12:00:00"):
        now, today = datetime.now(UTC), date.today()
        got = encode_state({"originator_id": uuid.uuid4(), "originator_version": 1, "at": now, "on": today}, 1)
    assert got == (b'{"at":{"_type_":"datetime_iso","_data_":"2026-03-01T12:00:00+00:00"},'
                   b'"on":{"_type_":"date_iso","_data_":"2026-03-01"}}')


def _random_value(rng: Any, depth: int) -> Any:
    """Plain JSON values, tagged ones (dates, datetimes, ids, decimals) and containers of
    both, nested: records of records, lists of lists, empty ones, look-alike keys."""
    kind = rng.randrange(10 if depth < 4 else 5)
    if kind == 0:
        return rng.choice([None, True, False, 0, -3, 1.5, "", "_type_", "2026-01-01"])
    if kind == 1:
        return date(2020, 1, 1) + timedelta(days=rng.randrange(3000))
    if kind == 2:
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10**8))
    if kind == 3:
        return uuid.UUID(int=rng.getrandbits(128))
    if kind == 4:
        return Decimal(rng.randrange(-10**6, 10**6)) / 100
    if kind in (5, 6, 7):
        keys = ["a", "b", "booked_on", "_data_", "_type_x", "2026-01"]
        return {rng.choice(keys) + str(i): _random_value(rng, depth + 1) for i in range(rng.randrange(5))}
    return [_random_value(rng, depth + 1) for _ in range(rng.randrange(5))]


@pytest.mark.parametrize("seed", range(30))
def test_the_fast_decoder_revives_what_the_library_revives(seed: int) -> None:
    import random

    rng = random.Random(seed)
    fast, library = _fast_mapper().transcoder, _library_mapper().transcoder
    for _ in range(20):
        state = {f"f{i}": _random_value(rng, 0) for i in range(rng.randrange(1, 8))}
        for writer in (fast, library):
            data = writer.encode(state)
            assert fast.decode(data) == library.decode(data) == decode_state(data) == state


def test_a_tenancy_snapshot_read_by_the_fast_mapper_is_the_librarys() -> None:
    from eventsourcing.domain import Snapshot

    t = Tenancy.start("T-9", 60000, DAY, 1, by="letting")
    for m in range(1, 13):
        t.charge_rent(period=Period(2026, m), cents=60000, source="erp", tx_id=f"c{m}", booked_on=date(2026, m, 1))
        t.receive_payment(cents=60000, source="bank", tx_id=f"p{m}", booked_on=date(2026, m, 3))
    t.link_case(uuid.uuid4(), on=date(2026, 12, 5))
    t.collect_events()
    snap = Snapshot.take(t)
    for writer in (_fast_mapper(), _library_mapper()):
        stored = writer.to_stored_event(snap)
        a, b = _fast_mapper().to_domain_event(stored), _library_mapper().to_domain_event(stored)
        _same(a, b)
        assert vars(a.mutate(None)) == vars(t)
