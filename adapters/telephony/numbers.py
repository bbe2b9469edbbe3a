"""Phone numbers: normalise to E.164 and decide what a number may be used for.

Phone numbers are personal data. Nothing in this module puts a number (or any
part of one) into an exception message or a log line: :class:`InvalidNumber`
carries no digits, and callers say which tenancy the number belongs to.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

__all__ = [
    "InvalidNumber",
    "can_call",
    "can_sms",
    "is_mobile",
    "mask",
    "normalise",
    "redact",
]

_MAX_RAW = 64  # longer input is not a phone number, whatever it contains
_DIGIT_RUN = re.compile(r"\+?\d{9,}")


class InvalidNumber(ValueError):
    """A phone number that cannot be used. Never carries the number itself.

    Callers add context without the digits, e.g.
    ``f"the contact number of tenancy {tenancy_id} is not a valid number"``.
    """

    def __init__(self, reason: str = "not a valid phone number") -> None:
        super().__init__(reason)
        self.reason = reason


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > _MAX_RAW:
        raise InvalidNumber()
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        # the library's message is digit-free, but keep our own wording and no chain
        raise InvalidNumber() from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber()
    return number


def normalise(raw: str, region: str = "NL") -> str:
    """``raw`` as E.164 (``+31612345678``), or raise :class:`InvalidNumber`.

    Accepts the usual ways people write Dutch numbers (``06-12345678``,
    ``+31 6 1234 5678``, ``0031612345678``); numbers without a country code are
    read in ``region``.
    """
    return phonenumbers.format_number(_parse(raw, region), PhoneNumberFormat.E164)


def _is_nl_m2m(e164: str) -> bool:
    # 097: machine-to-machine numbers (smart meters, alarm panels). The number
    # plan calls them mobile, but they are never for calling or texting a person.
    return e164.startswith("+3197")


def is_mobile(e164: str) -> bool:
    """A mobile number a person carries: NL ``+316...``, elsewhere type MOBILE.

    Dutch ``097`` (M2M) and ``066`` (pager) numbers are not mobile here.
    """
    try:
        number = _parse(e164, "NL")
    except InvalidNumber:
        return False
    formatted = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if number.country_code == 31:
        return formatted.startswith("+316") and not formatted.startswith("+3166")
    return phonenumbers.number_type(number) in (
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def can_sms(e164: str, *, allow_foreign: bool = False) -> bool:
    """May an SMS be sent to this number?

    Only mobile numbers, and by default only Dutch ones (``+316...``), as the
    formats say; ``allow_foreign=True`` also accepts foreign mobile numbers.
    """
    if not is_mobile(e164):
        return False
    return allow_foreign or e164.strip().startswith("+316")


_NOT_CALLABLE = frozenset(
    {
        PhoneNumberType.PREMIUM_RATE,
        PhoneNumberType.SHARED_COST,
        PhoneNumberType.PAGER,
    }
)


def can_call(e164: str) -> bool:
    """May a robocall be placed to this number? Valid, not M2M, not premium/pager."""
    try:
        number = _parse(e164, "NL")
    except InvalidNumber:
        return False
    formatted = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if _is_nl_m2m(formatted):
        return False
    return phonenumbers.number_type(number) not in _NOT_CALLABLE


def mask(e164: str | None) -> str:
    """A display form without the digits that identify anybody (``+31 6 ****``)."""
    if not e164:
        return "<none>"
    return e164[:3] + " ****" if e164.startswith("+") else "****"


def redact(text: str, region: str = "NL") -> str:
    """``text`` with anything that looks like a phone number replaced.

    For values quoted in error reports that come from outside (vendor files):
    they might hold a number where an id was expected.
    """
    if not isinstance(text, str):
        text = str(text)
    out = []
    last = 0
    try:
        matches = list(phonenumbers.PhoneNumberMatcher(text, region))
    except Exception:  # pragma: no cover - the matcher is lenient by design
        matches = []
    for m in matches:
        out.append(text[last : m.start])
        out.append("<phone number>")
        last = m.end
    out.append(text[last:])
    result = "".join(out)
    # long digit runs the matcher does not call valid are still not for logs
    return _DIGIT_RUN.sub("<digits>", result)
