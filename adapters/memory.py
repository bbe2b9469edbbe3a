"""In-memory outbound adapters that record what was asked: for tests, and as the
default where no real adapter is configured. They never hold personal data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time

import attrs

from application.ports import (
    CallRequest,
    LetterReceipt,
    LetterRequest,
    SignalRequest,
    SignalUpdate,
    SmsRequest,
)


@attrs.define
class FixedClock:
    """A clock that says what it is told; tests move it day by day."""

    day: date

    def today(self) -> date:
        return self.day

    def now(self) -> datetime:
        return datetime.combine(self.day, time(12, 0), tzinfo=UTC)

    def advance(self, days: int = 1) -> None:
        from datetime import timedelta

        self.day = self.day + timedelta(days=days)


@attrs.define
class RecordingTelephony:
    campaigns: list[tuple[str, list[CallRequest]]] = attrs.Factory(list)
    cancelled: list[str] = attrs.Factory(list)

    def place_campaign(self, campaign_id: str, requests: Sequence[CallRequest]) -> None:
        self.campaigns.append((campaign_id, list(requests)))

    def cancel(self, attempt_id: str) -> None:
        self.cancelled.append(attempt_id)

    @property
    def calls(self) -> list[CallRequest]:
        return [r for _, reqs in self.campaigns for r in reqs]


@attrs.define
class RecordingSms:
    sent: dict[str, SmsRequest] = attrs.Factory(dict)

    def send(self, message: SmsRequest) -> None:
        self.sent.setdefault(message.message_id, message)


@attrs.define
class RecordingLetters:
    sent: dict[str, LetterRequest] = attrs.Factory(dict)

    def send(self, letter: LetterRequest) -> LetterReceipt:
        self.sent.setdefault(letter.letter_id, letter)
        body = json.dumps(attrs.asdict(letter), sort_keys=True, default=str).encode()
        return LetterReceipt(letter.letter_id, hashlib.sha256(body).hexdigest(), channel="recorded")


@attrs.define
class RecordingSignals:
    sent: dict[str, SignalRequest] = attrs.Factory(dict)

    updates: dict[str, SignalUpdate] = attrs.Factory(dict)

    def send(self, signal: SignalRequest) -> None:
        self.sent.setdefault(signal.signal_id, signal)

    def update(self, update: SignalUpdate) -> None:
        self.updates.setdefault(update.update_id, update)
