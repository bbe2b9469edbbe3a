"""The simulated dialer: determinism, number checks, batching, cancellation, SMS."""

from __future__ import annotations

import logging
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, time
from zoneinfo import ZoneInfo

import pytest

from adapters.telephony.simulated import DialerRates, SimulatedDialer
from application.ports import CallRequest, Contact, FactKind, SmsRequest, TelephonyFact

MONDAY = date(2026, 4, 20)
SATURDAY = date(2026, 4, 25)
KINGS_DAY = date(2026, 4, 27)


class FakeSink:
    """Collects facts, recording each provider id once (as the application does)."""

    def __init__(self) -> None:
        self.facts: list[TelephonyFact] = []
        self.calls = 0
        self.received = 0
        self._ids: set[str] = set()

    def record_facts(self, facts: Sequence[TelephonyFact]) -> int:
        self.calls += 1
        self.received += len(facts)
        new = 0
        for fact in facts:
            if fact.provider_id not in self._ids:
                self._ids.add(fact.provider_id)
                self.facts.append(fact)
                new += 1
        return new

    def of(self, attempt_id: str) -> list[TelephonyFact]:
        return [f for f in self.facts if f.attempt_id == attempt_id]


class FakeContacts:
    def __init__(self, phones: dict[uuid.UUID, str | None]) -> None:
        self.phones = phones

    def get(self, tenancy_id: uuid.UUID) -> Contact | None:
        if tenancy_id not in self.phones:
            return None
        return Contact(tenancy_id=tenancy_id, phone=self.phones[tenancy_id])


def tid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n + 1)


def mobile(n: int) -> str:
    return f"0612{n:06d}"


def request(n: int, on: date = MONDAY) -> CallRequest:
    return CallRequest(
        attempt_id=f"case{n}:robocall:1",
        case_id=uuid.UUID(int=10_000 + n),
        tenancy_id=tid(n),
        script="robocall-nl-v1",
        on=on,
        window_start=time(9, 0),
        window_end=time(17, 0),
    )


def sms(n: int, message_id: str | None = None) -> SmsRequest:
    return SmsRequest(
        message_id=message_id or f"case{n}:sms:1",
        case_id=uuid.UUID(int=10_000 + n),
        tenancy_id=tid(n),
        amount_cents=65000,
        payment_reference=f"R{n}",
        on=MONDAY,
    )


def contacts_for(count: int) -> FakeContacts:
    return FakeContacts({tid(n): mobile(n) for n in range(count)})


def key(facts: list[TelephonyFact]) -> list[tuple]:
    return sorted(
        (f.provider_id, f.attempt_id, f.kind, f.occurred_at, f.detail, f.duration_s) for f in facts
    )


# ------------------------------------------------------------- determinism


def test_same_seed_same_facts_whatever_the_order_and_batching():
    reqs = [request(n) for n in range(300)]
    a_sink, b_sink = FakeSink(), FakeSink()
    a = SimulatedDialer(a_sink, contacts_for(300), DialerRates(), seed=7)
    b = SimulatedDialer(b_sink, contacts_for(300), DialerRates(), seed=7)
    a.place_campaign("c1", reqs)
    a.flush()
    shuffled = list(reversed(reqs))
    b.place_campaign("c1-part1", shuffled[:100])
    b.flush()
    b.place_campaign("c1-part2", shuffled[100:])
    b.flush()
    assert a_sink.facts and key(a_sink.facts) == key(b_sink.facts)


def test_different_seed_gives_different_facts():
    reqs = [request(n) for n in range(100)]
    sinks = []
    for seed in (1, 2):
        sink = FakeSink()
        dialer = SimulatedDialer(sink, contacts_for(100), DialerRates(), seed=seed)
        dialer.place_campaign("c", reqs)
        dialer.flush()
        sinks.append(sink)
    assert key(sinks[0].facts) != key(sinks[1].facts)


def test_provider_ids_are_deterministic_and_unique():
    sink = FakeSink()
    dialer = SimulatedDialer(sink, contacts_for(50), seed=3)
    dialer.place_campaign("c", [request(n) for n in range(50)])
    dialer.flush()
    ids = [f.provider_id for f in sink.facts]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"sim-case\d+:robocall:1-\d+", i) for i in ids)


# ---------------------------------------------------------- fact sequences


def test_every_dialled_call_ends_completed_with_a_sensible_story():
    sink = FakeSink()
    n_calls = 2000
    dialer = SimulatedDialer(sink, contacts_for(n_calls), DialerRates(), seed=11)
    dialer.place_campaign("c", [request(n) for n in range(n_calls)])
    dialer.flush()
    by_attempt: dict[str, list[TelephonyFact]] = defaultdict(list)
    for f in sink.facts:
        by_attempt[f.attempt_id].append(f)
    assert len(by_attempt) == n_calls
    outcomes: Counter[str] = Counter()
    for facts in by_attempt.values():
        facts.sort(key=lambda f: int(f.provider_id.rsplit("-", 1)[1]))
        kinds = [f.kind for f in facts]
        assert kinds[-1] == FactKind.COMPLETED
        assert facts[-1].duration_s is not None
        assert [f.occurred_at for f in facts] == sorted(f.occurred_at for f in facts)
        outcomes[facts[-1].detail] += 1
        if kinds[0] == FactKind.ANSWERED_HUMAN:
            assert facts[-1].detail == "answered"
            assert kinds[1] in (FactKind.CHOSE_SMS, FactKind.CHOSE_TRANSFER, FactKind.NO_INPUT)
            if kinds[1] == FactKind.CHOSE_TRANSFER:
                assert kinds[2] == FactKind.TRANSFERRED
                assert facts[2].detail in ("connected", "no_agent")
        elif kinds[0] == FactKind.VOICEMAIL:
            assert kinds == [FactKind.VOICEMAIL, FactKind.COMPLETED]
            assert facts[-1].detail == "voicemail"
        else:
            assert kinds == [FactKind.COMPLETED]
            assert facts[0].detail in ("no_answer", "busy", "invalid_number")
        # inside the window, Amsterdam time
        local = facts[0].occurred_at.astimezone(ZoneInfo("Europe/Amsterdam"))
        assert time(9) <= local.time() < time(17)
    assert 0.50 < outcomes["answered"] / n_calls < 0.60
    assert 0.12 < outcomes["voicemail"] / n_calls < 0.18


def test_rates_are_configurable():
    rates = DialerRates(
        answered=1.0, voicemail=0, no_answer=0, busy=0, invalid_number=0,
        press_1=0, press_2=1.0, no_input=0, transfer_connected=0,
    )  # fmt: skip
    sink = FakeSink()
    dialer = SimulatedDialer(sink, contacts_for(20), rates, seed=1)
    dialer.place_campaign("c", [request(n) for n in range(20)])
    dialer.flush()
    kinds = Counter(f.kind for f in sink.facts)
    assert kinds[FactKind.CHOSE_TRANSFER] == 20
    assert {f.detail for f in sink.facts if f.kind == FactKind.TRANSFERRED} == {"no_agent"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"answered": 0.9},  # outcomes sum to 1.35
        {"press_1": 0.9},  # key choices sum to 1.4
        {"busy": -0.05, "answered": 0.65},
        {"sms_failure": 1.5},
    ],
)
def test_rates_must_sum_sensibly(kwargs):
    with pytest.raises(ValueError):
        DialerRates(**kwargs)


# ------------------------------------------------------- not dialled


def test_missing_invalid_m2m_and_opted_out_numbers_are_not_dialled():
    phones = {
        tid(0): mobile(0),
        tid(1): None,
        tid(2): "06123",
        tid(3): "0970 1234 5678",
        tid(4): "06-87654321",  # opted out in another notation
        tid(5): "",
    }
    # tid(6) is not in the directory at all; tid(7) is opted out by tenancy id
    phones[tid(7)] = mobile(7)
    sink = FakeSink()
    dialer = SimulatedDialer(
        sink, FakeContacts(phones), seed=5, opt_out={"+31687654321", str(tid(7))}
    )
    dialer.place_campaign("c", [request(n) for n in range(8)])
    assert sink.facts == []  # batch: nothing before flush
    dialer.flush()
    details = {n: [(f.kind, f.detail) for f in sink.of(f"case{n}:robocall:1")] for n in range(1, 8)}
    assert details == {
        1: [(FactKind.NOT_DIALLED, "no_number")],
        2: [(FactKind.NOT_DIALLED, "invalid_number")],
        3: [(FactKind.NOT_DIALLED, "invalid_number")],
        4: [(FactKind.NOT_DIALLED, "opted_out")],
        5: [(FactKind.NOT_DIALLED, "no_number")],
        6: [(FactKind.NOT_DIALLED, "no_number")],
        7: [(FactKind.NOT_DIALLED, "opted_out")],
    }
    assert sink.of("case0:robocall:1")[-1].kind == FactKind.COMPLETED
    assert dialer.calls_dialled == 1


@pytest.mark.parametrize("day", [SATURDAY, KINGS_DAY])
def test_no_calls_outside_business_days(day):
    sink = FakeSink()
    dialer = SimulatedDialer(sink, contacts_for(1), seed=1, deliver="immediate")
    dialer.place_campaign("c", [request(0, on=day)])
    assert [(f.kind, f.detail) for f in sink.facts] == [(FactKind.NOT_DIALLED, "outside_window")]
    assert dialer.calls_dialled == 0


# ------------------------------------------------- delivery, cancel, dedupe


def test_batch_holds_facts_until_flush_and_immediate_does_not():
    sink = FakeSink()
    batch = SimulatedDialer(sink, contacts_for(5), seed=1)
    batch.place_campaign("c", [request(n) for n in range(5)])
    batch.send(sms(0))
    assert sink.facts == [] and len(batch.pending) == 5
    assert batch.flush() > 0
    assert sink.facts and batch.pending == ()
    assert batch.flush() == 0

    sink2 = FakeSink()
    immediate = SimulatedDialer(sink2, contacts_for(5), seed=1, deliver="immediate")
    immediate.place_campaign("c", [request(n) for n in range(5)])
    immediate.send(sms(0))
    assert key(sink2.facts) == key(sink.facts)


def test_cancel_removes_a_request_not_yet_dialled():
    sink = FakeSink()
    dialer = SimulatedDialer(sink, contacts_for(3), seed=1)
    dialer.place_campaign("c", [request(n) for n in range(3)])
    dialer.cancel("case1:robocall:1")
    dialer.cancel("never-placed")  # no-op
    dialer.flush()
    assert dialer.calls_dialled == 2
    assert [(f.kind, f.detail) for f in sink.of("case1:robocall:1")] == [
        (FactKind.COMPLETED, "cancelled")
    ]
    dialer.cancel("case0:robocall:1")  # already dialled: nothing happens
    assert dialer.flush() == 0


def test_the_same_attempt_placed_twice_is_dialled_once():
    sink = FakeSink()
    dialer = SimulatedDialer(sink, contacts_for(2), seed=1)
    dialer.place_campaign("c", [request(0), request(1), request(0)])
    dialer.flush()
    dialer.place_campaign("c-again", [request(0)])
    dialer.flush()
    assert dialer.calls_dialled == 2


def test_duplicate_rate_redelivers_facts_and_the_sink_dedupes():
    sink = FakeSink()
    dialer = SimulatedDialer(sink, contacts_for(50), seed=2, duplicate_rate=1.0)
    dialer.place_campaign("c", [request(n) for n in range(50)])
    dialer.flush()
    assert sink.received == 2 * len(sink.facts)

    sink_half = FakeSink()
    half = SimulatedDialer(sink_half, contacts_for(50), seed=2, duplicate_rate=0.3)
    half.place_campaign("c", [request(n) for n in range(50)])
    half.flush()
    assert len(sink_half.facts) < sink_half.received < 2 * len(sink_half.facts)
    assert key(sink_half.facts) == key(sink.facts)


# --------------------------------------------------------------------- SMS


def test_sms_to_mobile_is_delivered_once_per_message_id():
    sink = FakeSink()
    dialer = SimulatedDialer(
        sink, contacts_for(2), DialerRates(sms_failure=0.0), seed=1, deliver="immediate"
    )
    dialer.send(sms(0))
    dialer.send(sms(0))
    dialer.send(sms(0, message_id="case0:sms:1"))
    assert dialer.sms_sent == ["case0:sms:1"]
    assert [(f.kind, f.attempt_id) for f in sink.facts] == [(FactKind.SMS_DELIVERED, "case0:sms:1")]
    assert sink.calls == 1


def test_sms_to_landline_m2m_or_missing_number_fails():
    phones = {tid(0): "020-1234567", tid(1): "097012345678", tid(2): None}
    sink = FakeSink()
    dialer = SimulatedDialer(sink, FakeContacts(phones), seed=1, deliver="immediate")
    for n in range(4):
        dialer.send(sms(n))
    assert [(f.kind, f.detail) for f in sink.facts] == [
        (FactKind.SMS_FAILED, "not_mobile"),
        (FactKind.SMS_FAILED, "not_mobile"),
        (FactKind.SMS_FAILED, "no_number"),
        (FactKind.SMS_FAILED, "no_number"),
    ]
    assert dialer.sms_sent == []


# ------------------------------------------------------- privacy and speed


def test_no_phone_number_in_logs(caplog):
    caplog.set_level(logging.DEBUG)
    phones = {tid(n): mobile(n) for n in range(20)}
    phones[tid(20)] = "06123"
    sink = FakeSink()
    dialer = SimulatedDialer(sink, FakeContacts(phones), seed=1)
    dialer.place_campaign("c", [request(n) for n in range(21)])
    dialer.flush()
    for n in range(21):
        dialer.send(sms(n))
    dialer.flush()
    assert caplog.records  # the dialer does log
    text = caplog.text
    for n in range(20):
        assert mobile(n)[1:] not in text and f"612{n:06d}" not in text
    assert "06123" not in text


def test_a_campaign_of_thousands_dials_each_call_once_with_one_final_fact():
    """Scale without a stopwatch: 5,000 requests are each dialled once and each ends in
    one final fact. How fast belongs to ``python -m benchmarks``, not to a test."""
    n_calls = 5000
    sink = FakeSink()
    dialer = SimulatedDialer(sink, contacts_for(n_calls), seed=9)
    dialer.place_campaign("big", [request(n) for n in range(n_calls)])
    dialer.flush()
    assert dialer.calls_dialled == n_calls
    per_attempt = Counter(f.attempt_id for f in sink.facts if f.kind == FactKind.COMPLETED)
    assert set(per_attempt) == {request(n).attempt_id for n in range(n_calls)}
    assert set(per_attempt.values()) == {1}
