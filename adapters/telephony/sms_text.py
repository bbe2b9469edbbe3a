"""The payment-details SMS: Dutch text, GSM-7/UCS-2 segment counting, sender id.

Segment rules (3GPP TS 23.038 / 23.040):

* GSM-7: a text made only of characters of the GSM 03.38 default alphabet and
  its extension table. Basic characters take one septet, extension characters
  (``€ [ ] { } \\ ~ ^ |`` and form feed) take two (escape + character). One
  segment holds 160 septets; a multipart message holds 153 a segment, and an
  escape pair is never split over two segments.
* UCS-2: any other character (``ë``, ``ï``, emoji...) switches the whole text to
  UCS-2: 70 UTF-16 code units in one segment, 67 a segment when multipart; a
  surrogate pair is never split.
"""

from __future__ import annotations

import re

from domain.values import format_euro

__all__ = [
    "GSM7",
    "InvalidSenderId",
    "SmsTooLong",
    "UCS2",
    "check_segments",
    "format_amount",
    "format_iban",
    "segments",
    "sms_text",
    "validate_sender_id",
]

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 default alphabet (without the escape character 0x1B itself)
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# GSM 03.38 extension table: each takes an escape septet plus itself
_GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

_SINGLE = {GSM7: 160, UCS2: 70}
_MULTI = {GSM7: 153, UCS2: 67}


class SmsTooLong(ValueError):
    """The text needs more segments than allowed."""


class InvalidSenderId(ValueError):
    """An alphanumeric sender id that networks would reject or rewrite."""


def _units(text: str) -> tuple[str, list[int]]:
    """Encoding and the size of each character in that encoding's units."""
    if all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in text):
        return GSM7, [2 if c in _GSM_EXTENSION else 1 for c in text]
    return UCS2, [2 if ord(c) > 0xFFFF else 1 for c in text]


def segments(text: str) -> tuple[str, int]:
    """``(encoding, number of segments)`` of ``text``: ``("GSM-7", 1)``...

    An empty text is ``("GSM-7", 0)``: there is nothing to send.
    """
    encoding, sizes = _units(text)
    total = sum(sizes)
    if total == 0:
        return encoding, 0
    if total <= _SINGLE[encoding]:
        return encoding, 1
    limit = _MULTI[encoding]
    count, used = 1, 0
    for size in sizes:  # characters are never split over two segments
        if used + size > limit:
            count += 1
            used = 0
        used += size
    return encoding, count


def check_segments(text: str, max_segments: int = 2) -> tuple[str, int]:
    """:func:`segments`, raising :class:`SmsTooLong` above ``max_segments``."""
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    encoding, count = segments(text)
    if count > max_segments:
        raise SmsTooLong(
            f"the SMS needs {count} {encoding} segments, at most {max_segments} allowed"
        )
    return encoding, count


def format_amount(cents: int) -> str:
    """Dutch notation: ``€ 650,00``, ``€ 1.234,56`` (the domain's :func:`format_euro`)."""
    return format_euro(cents)


def format_iban(iban: str) -> str:
    """Validated IBAN in groups of four: ``NL91 ABNA 0417 1643 00``."""
    from schwifty import IBAN  # validated with the maintained package

    try:
        value = IBAN(iban)
    except Exception:
        raise ValueError("the landlord IBAN is not a valid IBAN") from None
    return value.formatted


_REFERENCE = re.compile(r"^[A-Za-z0-9 ./-]{1,35}$")


def sms_text(
    amount_cents: int,
    iban: str,
    reference: str,
    landlord_name: str,
    *,
    max_segments: int = 2,
) -> str:
    """The SMS with the payment details, in Dutch.

    Contains the amount, the landlord's IBAN and the payment reference. Raises
    :class:`SmsTooLong` when it would need more than ``max_segments`` segments
    (a long landlord name, or one with a non-GSM character such as ``ë``, can
    push it over).
    """
    if amount_cents <= 0:
        raise ValueError("the SMS amount must be positive")
    name = " ".join(landlord_name.split())
    if not name:
        raise ValueError("the landlord name is empty")
    if not _REFERENCE.match(reference or ""):
        raise ValueError("the payment reference must be 1-35 letters, digits, spaces or ./-")
    text = (
        f"{name}: u kunt het openstaande bedrag van {format_amount(amount_cents)} "
        f"overmaken naar {format_iban(iban)} t.n.v. {name} "
        f"o.v.v. {reference}. Lukt betalen niet? Neem contact met ons op, "
        f"dan zoeken we samen een oplossing."
    )
    check_segments(text, max_segments)
    return text


_SENDER_ID = re.compile(r"^[A-Za-z0-9]{1,11}$")


def validate_sender_id(sender_id: str) -> str:
    """An alphanumeric sender id: 1-11 letters/digits with at least one letter.

    (An all-digit sender is a phone number, not an alphanumeric sender id.)
    """
    if not isinstance(sender_id, str) or not _SENDER_ID.match(sender_id):
        raise InvalidSenderId("a sender id is 1 to 11 letters or digits (A-Z, a-z, 0-9)")
    if sender_id.isdigit():
        raise InvalidSenderId("a sender id needs at least one letter")
    return sender_id
