"""The simulated dialer: determinism, rates, batching, cancellation, duplicates, scale.
What every telephony adapter promises (number checks, business days, SMS, privacy)
is in tests/contracts/test_telephony_contract.py."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import time
from zoneinfo import ZoneInfo

import pytest

from adapters.telephony.simulated import DialerRates, SimulatedDialer
from application.ports import FactKind, TelephonyFact
from tests.telephony_fakes import FakeContacts, FakeSink, mobile, request, sms, tid


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


# ------------------------------------------------------------------- scale


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
