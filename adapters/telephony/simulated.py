"""A simulated robocall dialer and SMS gateway, for stories, demos and load tests.

Outcomes are random but reproducible: every call's randomness comes from a hash
of ``(seed, attempt_id)`` (and every SMS's from ``(seed, message_id)``), so the
same seed gives the same facts whatever the order or batching of the requests.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Literal

import attrs

from application.ports import (
    CallRequest,
    Clock,
    ContactDirectory,
    FactKind,
    FactSink,
    SmsRequest,
    TelephonyFact,
)
from domain.calendar import is_business_day

from ._common import OUTSIDE_WINDOW, normalise_opt_out, resolve_number, telephony_fact
from .window import AMSTERDAM, window_bounds

__all__ = ["DialerRates", "SimulatedDialer"]

log = logging.getLogger(__name__)

_TOLERANCE = 1e-9


def _probability(instance: object, attribute: attrs.Attribute, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{attribute.name} must be a number between 0 and 1")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be between 0 and 1, not {value}")


@attrs.frozen
class DialerRates:
    """How often each outcome happens.

    Call outcomes (``answered``, ``voicemail``, ``no_answer``, ``busy``,
    ``invalid_number``) are the probabilities of what happens when a call is
    dialled and must sum to 1. Key choices (``press_1``, ``press_2``,
    ``no_input``) are conditional on a human answering and must sum to 1.
    ``transfer_connected``: an officer picks up after "press 2".
    ``sms_failure``/``sms_stop``: an SMS is not delivered / is answered with STOP.
    """

    answered: float = attrs.field(default=0.55, validator=_probability)
    voicemail: float = attrs.field(default=0.15, validator=_probability)
    no_answer: float = attrs.field(default=0.20, validator=_probability)
    busy: float = attrs.field(default=0.05, validator=_probability)
    invalid_number: float = attrs.field(default=0.05, validator=_probability)
    press_1: float = attrs.field(default=0.50, validator=_probability)
    press_2: float = attrs.field(default=0.20, validator=_probability)
    no_input: float = attrs.field(default=0.30, validator=_probability)
    transfer_connected: float = attrs.field(default=0.90, validator=_probability)
    sms_failure: float = attrs.field(default=0.02, validator=_probability)
    sms_stop: float = attrs.field(default=0.0, validator=_probability)

    def __attrs_post_init__(self) -> None:
        outcomes = self.answered + self.voicemail + self.no_answer + self.busy
        outcomes += self.invalid_number
        if abs(outcomes - 1.0) > _TOLERANCE:
            raise ValueError(
                "answered + voicemail + no_answer + busy + invalid_number must sum to 1, "
                f"not {outcomes:.6f}"
            )
        choices = self.press_1 + self.press_2 + self.no_input
        if abs(choices - 1.0) > _TOLERANCE:
            raise ValueError(f"press_1 + press_2 + no_input must sum to 1, not {choices:.6f}")


def _rng(seed: int, kind: str, key: str) -> random.Random:
    digest = hashlib.blake2b(f"{seed}\x1f{kind}\x1f{key}".encode(), digest_size=16).digest()
    return random.Random(int.from_bytes(digest, "big"))


class SimulatedDialer:
    """Implements :class:`~application.ports.Telephony` and :class:`~application.ports.Sms`.

    ``deliver="batch"`` (default) holds requests and facts until :meth:`flush`, so
    the caller decides when results arrive; ``deliver="immediate"`` dials and
    delivers on :meth:`place_campaign` / :meth:`send`. ``duplicate_rate`` delivers
    that share of facts twice (same provider id), as real providers sometimes do.
    ``opt_out`` holds phone numbers (any notation) and/or tenancy ids.
    """

    def __init__(
        self,
        sink: FactSink,
        contacts: ContactDirectory,
        rates: DialerRates | None = None,
        seed: int = 0,
        opt_out: set[str] | frozenset[str] = frozenset(),
        *,
        deliver: Literal["batch", "immediate"] = "batch",
        duplicate_rate: float = 0.0,
        clock: Clock | None = None,
        allow_foreign_sms: bool = False,
    ) -> None:
        if deliver not in ("batch", "immediate"):
            raise ValueError("deliver must be 'batch' or 'immediate'")
        if not 0.0 <= duplicate_rate <= 1.0:
            raise ValueError("duplicate_rate must be between 0 and 1")
        self.sink = sink
        self.contacts = contacts
        self.rates = rates if rates is not None else DialerRates()
        self.seed = seed
        self.opt_out = normalise_opt_out(opt_out)
        self.deliver = deliver
        self.duplicate_rate = duplicate_rate
        self.clock = clock
        self.allow_foreign_sms = allow_foreign_sms
        self._pending: dict[str, CallRequest] = {}
        self._seen_attempts: set[str] = set()
        self._seen_messages: set[str] = set()
        self._held: list[TelephonyFact] = []
        self.calls_dialled = 0
        self.sms_sent: list[str] = []  # message ids actually sent, in order

    # ------------------------------------------------------------------ Telephony

    def place_campaign(self, campaign_id: str, requests: Sequence[CallRequest]) -> None:
        new = 0
        for request in requests:
            if request.attempt_id in self._seen_attempts:
                continue  # placing the same attempt twice dials once
            self._seen_attempts.add(request.attempt_id)
            self._pending[request.attempt_id] = request
            new += 1
        log.debug("campaign %s: %d new call requests", campaign_id, new)
        if self.deliver == "immediate":
            self.flush()

    def cancel(self, attempt_id: str) -> None:
        """Remove a request that has not been dialled yet (no-op otherwise)."""
        request = self._pending.pop(attempt_id, None)
        if request is None:
            return
        at = self.clock.now() if self.clock is not None else self._window(request)[0]
        self._emit(
            [
                TelephonyFact(
                    provider_id=f"sim-{attempt_id}-cancelled",
                    attempt_id=attempt_id,
                    kind=FactKind.COMPLETED,
                    occurred_at=at,
                    detail="cancelled",
                    duration_s=0,
                )
            ]
        )

    @property
    def pending(self) -> tuple[str, ...]:
        """Attempt ids placed but not dialled yet."""
        return tuple(self._pending)

    def flush(self) -> int:
        """Dial every pending request and deliver every held fact to the sink.

        Returns what the sink returned (facts newly recorded), 0 if nothing was held.
        """
        requests = list(self._pending.values())
        self._pending.clear()
        facts = list(self._held)
        self._held.clear()
        for request in requests:
            facts.extend(self._dial(request))
        if not facts:
            return 0
        facts.sort(key=lambda f: (f.occurred_at, f.attempt_id, f.provider_id))
        return self.sink.record_facts(facts)

    # ------------------------------------------------------------------------ Sms

    def send(self, message: SmsRequest) -> None:
        if message.message_id in self._seen_messages:
            return  # the same message twice is sent once
        self._seen_messages.add(message.message_id)
        rng = _rng(self.seed, "sms", message.message_id)
        at = self._sms_time(message, rng)
        mid = message.message_id
        _, reason = resolve_number(
            self.contacts,
            message.tenancy_id,
            self.opt_out,
            purpose="sms",
            allow_foreign_sms=self.allow_foreign_sms,
        )
        if reason is not None:
            facts = [telephony_fact(f"sim-{mid}-0", mid, FactKind.SMS_FAILED, at, reason)]
        else:
            self.sms_sent.append(mid)
            if rng.random() < self.rates.sms_failure:
                facts = [telephony_fact(f"sim-{mid}-0", mid, FactKind.SMS_FAILED, at, "undeliverable")]
            else:
                facts = [telephony_fact(f"sim-{mid}-0", mid, FactKind.SMS_DELIVERED, at)]
                if rng.random() < self.rates.sms_stop:
                    later = at + timedelta(minutes=rng.randint(1, 120))
                    facts.append(telephony_fact(f"sim-{mid}-1", mid, FactKind.SMS_STOP, later))
        self._emit(self._with_duplicates(facts, rng))

    # ------------------------------------------------------------------ internals

    def _emit(self, facts: list[TelephonyFact]) -> None:
        if self.deliver == "immediate":
            if facts:
                self.sink.record_facts(facts)
        else:
            self._held.extend(facts)

    @staticmethod
    def _window(request: CallRequest) -> tuple[datetime, datetime]:
        try:
            return window_bounds(request.on, request.window_start, request.window_end)
        except ValueError:
            start = datetime.combine(request.on, time(0), tzinfo=AMSTERDAM)
            return start, start

    def _sms_time(self, message: SmsRequest, rng: random.Random) -> datetime:
        if self.clock is not None:
            return self.clock.now() + timedelta(seconds=rng.randint(2, 60))
        base = datetime.combine(message.on, time(12, 0), tzinfo=AMSTERDAM)
        return base + timedelta(seconds=rng.randint(0, 4 * 3600))

    def _with_duplicates(
        self, facts: list[TelephonyFact], rng: random.Random
    ) -> list[TelephonyFact]:
        if self.duplicate_rate <= 0.0:
            return facts
        dupes = [f for f in facts if rng.random() < self.duplicate_rate]
        return facts + dupes

    def _dial(self, request: CallRequest) -> list[TelephonyFact]:
        aid = request.attempt_id
        rng = _rng(self.seed, "call", aid)
        start, end = self._window(request)
        n = 0

        def fact(kind: FactKind, at: datetime, detail: str = "", duration: int | None = None):
            nonlocal n
            f = telephony_fact(f"sim-{aid}-{n}", aid, kind, at, detail, duration)
            n += 1
            return f

        if end <= start or not is_business_day(request.on):
            return [fact(FactKind.NOT_DIALLED, start, OUTSIDE_WINDOW)]
        _, reason = resolve_number(self.contacts, request.tenancy_id, self.opt_out)
        if reason is not None:
            return [fact(FactKind.NOT_DIALLED, start, reason)]

        self.calls_dialled += 1
        span = max(0, int((end - start).total_seconds()) - 600)
        t0 = start + timedelta(seconds=rng.randint(0, span))
        r = self.rates
        roll = rng.random()
        facts: list[TelephonyFact] = []
        if roll < r.answered:
            ring = rng.randint(3, 20)
            answered_at = t0 + timedelta(seconds=ring)
            facts.append(fact(FactKind.ANSWERED_HUMAN, answered_at))
            listen = rng.randint(12, 25)
            chose_at = answered_at + timedelta(seconds=listen)
            choice = rng.random()
            if choice < r.press_1:
                facts.append(fact(FactKind.CHOSE_SMS, chose_at, "1"))
                talk = listen + 6
            elif choice < r.press_1 + r.press_2:
                facts.append(fact(FactKind.CHOSE_TRANSFER, chose_at, "2"))
                if rng.random() < r.transfer_connected:
                    conversation = rng.randint(60, 900)
                    facts.append(
                        fact(FactKind.TRANSFERRED, chose_at + timedelta(seconds=15), "connected")
                    )
                    talk = listen + 15 + conversation
                else:
                    facts.append(
                        fact(FactKind.TRANSFERRED, chose_at + timedelta(seconds=35), "no_agent")
                    )
                    talk = listen + 45
            else:
                facts.append(fact(FactKind.NO_INPUT, chose_at + timedelta(seconds=6)))
                talk = listen + 12
            facts.append(
                fact(FactKind.COMPLETED, answered_at + timedelta(seconds=talk), "answered", talk)
            )
        elif roll < r.answered + r.voicemail:
            ring = rng.randint(15, 30)
            vm_at = t0 + timedelta(seconds=ring)
            facts.append(fact(FactKind.VOICEMAIL, vm_at))
            length = rng.randint(15, 40)
            facts.append(
                fact(FactKind.COMPLETED, vm_at + timedelta(seconds=length), "voicemail", length)
            )
        elif roll < r.answered + r.voicemail + r.no_answer:
            facts.append(fact(FactKind.COMPLETED, t0 + timedelta(seconds=30), "no_answer", 0))
        elif roll < r.answered + r.voicemail + r.no_answer + r.busy:
            facts.append(fact(FactKind.COMPLETED, t0 + timedelta(seconds=2), "busy", 0))
        else:
            facts.append(fact(FactKind.COMPLETED, t0 + timedelta(seconds=1), "invalid_number", 0))
        return self._with_duplicates(facts, rng)
