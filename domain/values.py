"""Value objects of the preventive rent-arrears playbook.

Money is exact (integer euro cents); dates are ``datetime.date``. Events store
primitives (ints, strs, dates), so these classes are a convenience for rules and
commands, never a stored format.
"""

from __future__ import annotations

import calendar
import operator
import re
from datetime import date
from enum import StrEnum

import attrs


class InvalidValue(ValueError):
    """A value that cannot be what it claims to be (amount, period, day...)."""


_AMOUNT = re.compile(r"^(?P<euros>[0-9]{1,9})(?:[.,](?P<cents>[0-9]{2}))?$", re.ASCII)


@attrs.frozen(order=True)
class Money:
    """An amount in euro cents. Positive, zero or negative."""

    cents: int

    @classmethod
    def parse(cls, text: str, *, field: str = "amount") -> Money:
        """Parse ``650.00``, ``650,00`` or ``650``; refuse floats-as-text and signs."""
        value = text.strip() if isinstance(text, str) else text
        m = _AMOUNT.match(value) if isinstance(value, str) else None
        if not m:
            raise InvalidValue(
                f"{field}: {text!r} is not an amount like 650.00 or 650,00"
            )
        cents = int(m.group("euros")) * 100 + int(m.group("cents") or 0)
        return cls(cents)

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    def __add__(self, other: Money) -> Money:
        return Money(self.cents + other.cents)

    def __sub__(self, other: Money) -> Money:
        return Money(self.cents - other.cents)

    def __neg__(self) -> Money:
        return Money(-self.cents)

    def __str__(self) -> str:
        return format_cents(self.cents)


def format_cents(cents: int, *, decimal: str = ".", thousands: str = "") -> str:
    """Cents as euros, the one money formatting of the project.

    Plain (views, JSON, exports): ``-123456`` -> ``-1234.56``; ``decimal=","`` for Dutch
    files; ``thousands="."`` groups the euros (``-1.234,56``, see :func:`format_nl`).
    The sign stands before the digits; the cents are always two digits.
    """
    try:
        if isinstance(cents, bool):
            raise TypeError
        c = operator.index(cents)  # int, or an integer type such as numpy's; never a float
    except TypeError:
        raise TypeError(f"amount: {cents!r} is not a whole number of cents") from None
    sign = "-" if c < 0 else ""
    euros, rest = divmod(abs(c), 100)
    whole = f"{euros:,}".replace(",", thousands)
    return f"{sign}{whole}{decimal}{rest:02d}"


def format_nl(cents: int) -> str:
    """Dutch notation without a currency sign: ``123456`` -> ``1.234,56``."""
    return format_cents(cents, decimal=",", thousands=".")


def format_euro(cents: int, *, symbol: str = "€") -> str:
    """Dutch notation with the currency sign: ``-4500`` -> ``€ -45,00``; ``symbol="EUR"``
    for fonts without the euro sign."""
    return f"{symbol} {format_nl(cents)}"


@attrs.frozen(order=True)
class Period:
    """A rent period (a calendar month)."""

    year: int
    month: int

    def __attrs_post_init__(self) -> None:
        if not (1 <= self.month <= 12) or not (1900 <= self.year <= 9999):
            raise InvalidValue(f"period: {self.year}-{self.month:02d} is not a month")

    @classmethod
    def parse(cls, text: str, *, field: str = "period") -> Period:
        got = _PARSED.get(text) if isinstance(text, str) else None
        if got is not None:  # an import names the same few months on every line
            return got
        m = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text.strip()) if isinstance(text, str) else None
        if not m:
            raise InvalidValue(f"{field}: {text!r} is not a period like 2026-02")
        try:
            got = cls(int(m.group(1)), int(m.group(2)))
        except InvalidValue:
            raise InvalidValue(f"{field}: {text!r} is not a month") from None
        if len(_PARSED) > 50_000:
            _PARSED.clear()
        _PARSED[text] = got
        return got

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Period:
        return Period(self.year - (1 if self.month == 1 else 0), 12 if self.month == 1 else self.month - 1)

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def due_date(self, due_day: int) -> date:
        """The due date in this month; a due day of 29-31 falls on the last day of a short month."""
        key = (self.year, self.month, due_day)
        got = _DUE_DATES.get(key)
        if got is None:
            last = calendar.monthrange(self.year, self.month)[1]
            got = date(self.year, self.month, min(due_day, last))
            if len(_DUE_DATES) > 50_000:
                _DUE_DATES.clear()
            _DUE_DATES[key] = got
        return got

    def __str__(self) -> str:
        key = (self.year, self.month)
        text = _PERIOD_TEXT.get(key)
        if text is None:
            text = f"{self.year:04d}-{self.month:02d}"
            if len(_PERIOD_TEXT) > 50_000:
                _PERIOD_TEXT.clear()
            _PERIOD_TEXT[key] = text
        return text


# remembered answers of the pure functions above (every rent charge asks both)
_DUE_DATES: dict[tuple[int, int, int], date] = {}
_PERIOD_TEXT: dict[tuple[int, int], str] = {}
_PARSED: dict[str, Period] = {}  # Period.parse of valid texts


def check_day_of_month(day: int, *, field: str = "due_day", high: int = 31) -> int:
    if not isinstance(day, int) or isinstance(day, bool) or not (1 <= day <= high):
        raise InvalidValue(f"{field}: {day!r} is not a day of the month (1-{high})")
    return day


# reasons a tenancy ends that are codes, not free text (any other reason is sealed)
END_REASON_CODES = frozenset({
    "eviction_arrears", "eviction_other", "notice_tenant", "notice_landlord", "moved", "exchange", "final_account",
})


class Track(StrEnum):
    PREVENTION = "prevention"
    WORRY = "worry"
    STANDARD = "standard"


class Channel(StrEnum):
    PHONE = "phone"
    HOME_VISIT = "home_visit"
    ROBOCALL = "robocall"
    SMS = "sms"
    LETTER = "letter"


PERSONAL_CHANNELS = frozenset({Channel.PHONE, Channel.HOME_VISIT})


class Outcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    NOT_HOME = "not_home"
    REFUSED = "refused"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    CHOSE_SMS = "chose_sms"
    CHOSE_TRANSFER = "chose_transfer"
    NO_INPUT = "no_input"
    INVALID_NUMBER = "invalid_number"
    NOT_DIALLED = "not_dialled"
    OPTED_OUT = "opted_out"
    FAILED = "failed"
    SENT = "sent"
    DELIVERED = "delivered"


OFFICER_OUTCOMES = frozenset({Outcome.REACHED, Outcome.NO_ANSWER, Outcome.NOT_HOME, Outcome.REFUSED})


class Partner(StrEnum):
    WELFARE = "welfare"
    GKB = "gkb"
    BUDGET_COACH = "budget_coach"
    SCHULDHULPMAATJE = "schuldhulpmaatje"


class Representative(StrEnum):
    """Who acts for the tenant in money matters and receives the landlord's letters
    (``domain.addressees``): a court-appointed protection administrator
    (beschermingsbewindvoerder) or a debt counsellor (schuldhulpverlener)."""

    ADMINISTRATOR = "administrator"
    COUNSELLOR = "counsellor"


class LetterKind(StrEnum):
    REMINDER = "reminder"
    FOURTEEN_DAY_LETTER = "fourteen_day_letter"
    ARRANGEMENT_CONFIRMATION = "arrangement_confirmation"  # the instalment plan in writing
    ARRANGEMENT_BROKEN = "arrangement_broken"  # the arrangement ended: what now


class LedgerKind(StrEnum):
    CHARGE = "CHARGE"
    PAYMENT = "PAYMENT"
    REVERSAL = "REVERSAL"
    CREDIT = "CREDIT"


class TaskKind(StrEnum):
    PHONE = "phone"
    HOME_VISIT = "home_visit"
    PROMISE_FOLLOW_UP = "promise_follow_up"
    INSTALMENT_FOLLOW_UP = "instalment_follow_up"
    FIX_CONTACT_DETAILS = "fix_contact_details"
    CALL_BACK = "call_back"
    APPROVE_BAILIFF = "approve_bailiff"
    REVIEW_LEGAL_ACTION = "review_legal_action"
    APOLOGISE_LETTER = "apologise_letter"  # a letter sent in error (a late fact)
    PROPOSE_DUE_DAY = "propose_due_day"  # a stable late-payment pattern
    ESTATE = "estate"  # the tenant died (bank return MD07): contact the estate, nothing else
    NEW_BANK_DETAILS = "new_bank_details"  # account closed or blocked (AC04, AC06)
    PROGRAMME_CURRENT_RENT = "programme_current_rent"  # in a debt-help programme, current rent unpaid
    PROGRAMME_ENDED = "programme_ended"  # the programme ended, failed or lapsed: contact, then resume
    BAILIFF_HOLD = "bailiff_hold"  # a programme began after the bailiff hand-over: tell the bailiff to hold
    RECORD_HOUSEHOLD = "record_household"  # before legal action: children, care, social services
    INVOLVE_SOCIAL_SERVICES = "involve_social_services"  # restraint with children: social services first


class Role(StrEnum):
    OFFICER = "officer"
    TEAM_LEAD = "team_lead"
    LETTING = "letting"
    AUDITOR = "auditor"
    SYSTEM = "system"
    ADMIN = "admin"


@attrs.frozen
class Actor:
    """Who runs a command: a role and a staff id (or ``system``)."""

    role: Role
    id: str

    @classmethod
    def parse(cls, text: str) -> Actor:
        role, sep, ident = (text or "").partition(":")
        try:
            r = Role(role.strip())
        except ValueError:
            roles = ", ".join(x.value for x in Role)
            raise InvalidValue(f"actor: {text!r} must be ROLE:ID with ROLE one of {roles}") from None
        if not sep or not re.fullmatch(r"[A-Za-z0-9._@-]{1,64}", ident.strip()):
            raise InvalidValue(f"actor: {text!r} must be ROLE:ID (ID: letters, digits, . _ @ -)")
        return cls(r, ident.strip())

    def __str__(self) -> str:
        return f"{self.role.value}:{self.id}"


SYSTEM = Actor(Role.SYSTEM, "vangnet")


@attrs.frozen
class IntakeAnswers:
    """The signal questions asked at the start of every tenancy, as given."""

    debt_counselling: bool
    garnishment: bool
    financial_administration: bool
    benefit_pay_day: int | None = None
    consent_partners: bool = False

    def __attrs_post_init__(self) -> None:
        if self.benefit_pay_day is not None:
            check_day_of_month(self.benefit_pay_day, field="benefit_pay_day", high=28)

    def profile_reasons(self) -> list[str]:
        reasons = []
        if self.debt_counselling:
            reasons.append("debt_counselling")
        if self.garnishment:
            reasons.append("garnishment")
        if self.financial_administration:
            reasons.append("financial_administration")
        return reasons

    def proposed_due_day(self, current_due_day: int) -> int | None:
        """A benefit paid after the due day proposes the pay day as the due day."""
        if self.benefit_pay_day is not None and self.benefit_pay_day > current_due_day:
            return self.benefit_pay_day
        return None

    def as_dict(self) -> dict[str, object]:
        return attrs.asdict(self)


@attrs.frozen
class Instalment:
    due_on: date
    cents: int
