"""The audit's event-log port and its fast decoder: every stored event of a month of
daily runs decodes on the fast path to the same event the library's mapper gives, and
a recorder without Vangnet's hash chain is read through the library's own API."""

from __future__ import annotations

from collections import Counter
from typing import Any

from application import audit
from application.audit.eventlog import ChainedRecorder, EventLog
from application.service import Vangnet
from tests.integration.test_audit import month_story
from tests.story import AUDITOR


def test_the_fast_decoder_gives_what_the_mapper_gives_for_every_stored_event(fast: Vangnet) -> None:
    month_story(fast)
    decoder = audit.EventDecoder(fast)
    assert decoder.fast  # a plain JSON store: the fast path is the one taken
    fallbacks: list[str] = []
    mapper_decode = decoder.mapper.to_domain_event

    class CountingMapper:
        def __getattr__(self, name: str) -> Any:
            return getattr(fast.mapper, name)

        def to_domain_event(self, stored: Any) -> Any:
            fallbacks.append(stored.topic)
            return mapper_decode(stored)

    decoder.mapper = CountingMapper()
    topics: Counter[str] = Counter()
    notifications = fast.recorder.select_notifications(1, 1_000_000)
    for n in notifications:
        mine, theirs = decoder(n), fast.mapper.to_domain_event(n)
        assert type(mine) is type(theirs)
        assert vars(mine) == vars(theirs), n.topic
        topics[n.topic.rsplit(".", 1)[-1]] += 1
    assert fallbacks == []  # no event needed the mapper
    # the story covers the events whose fields are not plain JSON (dates, ids, sealed text)
    for name in ("Started", "RentCharged", "PaymentReceived", "Opened", "ContactAttempted",
                 "MunicipalSignalSent", "CollectionCostsCharged"):
        assert topics[name], (name, sorted(topics))


def test_vangnets_recorders_offer_the_chained_event_log(fast: Vangnet) -> None:
    assert isinstance(fast.recorder, ChainedRecorder)
    log = audit.event_log(fast)
    assert log.has_chain and log.max_position() == 0


class LibraryOnly:
    """A recorder with only the library's API (no hash chain, no row pages)."""

    def __init__(self, recorder: Any):
        self._r = recorder

    def select_notifications(self, start: int, limit: int) -> Any:
        return self._r.select_notifications(start, limit)

    def select_events(self, originator_id: Any) -> Any:
        return self._r.select_events(originator_id)

    def max_notification_id(self) -> int:
        return int(self._r.max_notification_id() or 0)


def test_a_library_recorder_is_read_through_notifications_and_has_no_chain(fast: Vangnet) -> None:
    month_story(fast)
    chained = audit.event_log(fast)
    plain = EventLog(LibraryOnly(fast.recorder))
    assert not plain.has_chain and plain.chain(0, None) == []
    rows = [r for page in plain.pages(page=7) for r in page]
    expected = [r for page in chained.pages(page=1000) for r in page]
    def key(r: Any) -> tuple[Any, ...]:  # ids as stored: UUID objects or hex text
        return (r[0], getattr(r[1], "hex", str(r[1]).replace("-", "")), r[2], r[3])

    assert [key(r) for r in rows] == [key(r) for r in expected]
    assert all(r[5] is None for r in rows)
    assert plain.max_position() == chained.max_position() == rows[-1][0]


def test_verify_says_so_when_the_store_keeps_no_chain(fast: Vangnet, monkeypatch: Any) -> None:
    month_story(fast)
    monkeypatch.setattr(fast, "recorder", LibraryOnly(fast.recorder))
    report = audit.verify(fast, AUDITOR)
    assert [d.message for d in report.discrepancies if d.kind == "chain"] == [
        "this store keeps no hash chain (its recorder has no event_chain)"
    ]
    assert report.events > 50 and report.tenancies == 4
