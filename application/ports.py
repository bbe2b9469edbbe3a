"""Ports: what the application needs from the outside world.

Adapters implement these protocols; the application never imports an adapter.
Requests carry ids (tenancy id, case id, deterministic attempt/message/letter ids),
never personal data: an adapter that needs a phone number, a name or an address
asks the :class:`ContactDirectory` at delivery time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from enum import StrEnum
from typing import Protocol, runtime_checkable
from uuid import UUID

import attrs

# --------------------------------------------------------------------------- clock


class Clock(Protocol):
    def today(self) -> date: ...

    def now(self) -> datetime: ...


# ------------------------------------------------------------- contact directory


@attrs.frozen
class RepresentativeContact:
    """Who acts for the tenant (``domain.values.Representative``: a protection
    administrator or a debt counsellor): personal data, in the contact directory only."""

    role: str
    name: str
    address: str
    organisation: str | None = None


@attrs.frozen
class Contact:
    """Personal data of a tenant. Lives only in the contact directory."""

    tenancy_id: UUID
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    iban: str | None = None
    municipality: str | None = None
    representatives: tuple[RepresentativeContact, ...] = ()

    def representative(self, role: str) -> RepresentativeContact | None:
        return next((r for r in self.representatives if r.role == role), None)


class ContactDirectory(Protocol):
    def get(self, tenancy_id: UUID) -> Contact | None: ...


# --------------------------------------------------------------------- telephony


@attrs.frozen
class CallRequest:
    """One automated call of a robocall campaign."""

    attempt_id: str  # deterministic: case, rule, attempt number
    case_id: UUID
    tenancy_id: UUID
    script: str  # e.g. "robocall-nl-v1": no amount, no "achterstand"
    on: date
    window_start: time
    window_end: time


@attrs.frozen
class SmsRequest:
    """An SMS with the payment details (amount, landlord IBAN, reference)."""

    message_id: str  # deterministic, idempotent
    case_id: UUID
    tenancy_id: UUID
    amount_cents: int
    payment_reference: str
    on: date


class Telephony(Protocol):
    def place_campaign(self, campaign_id: str, requests: Sequence[CallRequest]) -> None: ...

    def cancel(self, attempt_id: str) -> None: ...


class Sms(Protocol):
    def send(self, message: SmsRequest) -> None: ...


class FactKind(StrEnum):
    """What a telephony provider tells us happened (see FORMATS.md)."""

    NOT_DIALLED = "not_dialled"  # detail: invalid_number|opted_out|outside_window|no_number
    ANSWERED_HUMAN = "answered_human"
    ANSWERED_MACHINE = "answered_machine"
    VOICEMAIL = "voicemail"
    CHOSE_SMS = "chose_sms"  # pressed 1
    CHOSE_TRANSFER = "chose_transfer"  # pressed 2
    OPTED_OUT = "opted_out"
    NO_INPUT = "no_input"
    TRANSFERRED = "transferred"  # detail: connected|no_agent
    COMPLETED = "completed"  # detail: answered|voicemail|no_answer|busy|invalid_number|failed|cancelled
    SMS_DELIVERED = "sms_delivered"
    SMS_FAILED = "sms_failed"
    SMS_STOP = "sms_stop"


@attrs.frozen
class TelephonyFact:
    provider_id: str  # the provider's id of this fact; deduplication key
    attempt_id: str  # CallRequest.attempt_id or SmsRequest.message_id
    kind: FactKind
    occurred_at: datetime
    detail: str = ""
    duration_s: int | None = None


class FactSink(Protocol):
    """Where adapters deliver facts; the application records each once."""

    def record_facts(self, facts: Sequence[TelephonyFact]) -> int: ...


# ----------------------------------------------------------------------- letters


@attrs.frozen
class PeriodAmount:
    period: str  # yyyy-mm
    cents: int


@attrs.frozen
class LetterRequest:
    letter_id: str  # deterministic
    kind: str  # domain.values.LetterKind value
    case_id: UUID
    tenancy_id: UUID
    tenancy_ref: str
    posted_on: date
    arrears: tuple[PeriodAmount, ...]
    total_cents: int
    payment_reference: str
    costs_cents: int | None = None  # WIK letter: the cost amount from the legal scale
    deadline: date | None = None  # WIK letter: 14 days after the day after presumed receipt
    offers_signal: bool = False  # reminder: offer to pass details to the municipality
    reminder_posted_on: date | None = None  # WIK letter: the reminder it follows (posted earlier)
    instalments: tuple[tuple[date, int], ...] = ()  # arrangement letters: the plan (due date, cents)
    # who it is addressed to and who gets a copy, as roles (domain.addressees): the adapter
    # reads their names and addresses from the contact directory when it renders
    addressee: str = "tenant"
    copies: tuple[str, ...] = ()


@attrs.frozen
class LetterReceipt:
    letter_id: str
    checksum: str  # sha256 of the rendered content
    channel: str = "post"


class LetterRefused(Exception):
    """The letter adapter refuses to send (wrong deadline, missing configuration)."""


class Letters(Protocol):
    def send(self, letter: LetterRequest) -> LetterReceipt: ...


# -------------------------------------------------------------- municipal signal


@attrs.frozen
class ContactAttemptSummary:
    channel: str  # phone | home_visit
    reached: bool
    on: date


@attrs.frozen
class SignalRequest:
    signal_id: str  # deterministic
    case_id: UUID
    tenancy_id: UUID
    tenancy_ref: str
    amount_cents: int
    origin_date: date  # first unpaid due date
    signal_date: date
    contact_attempts: tuple[ContactAttemptSummary, ...]


@attrs.frozen
class SignalUpdate:
    """What follows a signal (PLAYBOOK 5): ``resolved`` when the arrears are cleared,
    ``withdrawn`` when the facts as booked show it should not have been sent."""

    update_id: str  # deterministic
    signal_id: str
    case_id: UUID
    tenancy_id: UUID
    tenancy_ref: str
    status: str  # resolved | withdrawn
    on: date
    rule: str
    amount_cents: int  # arrears on ``on`` (0 when cleared)


class MunicipalSignal(Protocol):
    def send(self, signal: SignalRequest) -> None: ...

    def update(self, update: SignalUpdate) -> None: ...


# ----------------------------------------------------------------------- tasks


@runtime_checkable
class TaskNotifier(Protocol):
    """Optional: told when an officer task is created (a front-end may push it)."""

    def task_created(self, case_id: UUID, task_id: str, kind: str, due_on: date) -> None: ...
