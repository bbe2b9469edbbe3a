"""One validation layer for every entry point (CLI, policy file, web forms, JSON API).

Each check takes the field name and the raw value and either returns the clean value
or raises ``InvalidValue`` with one line naming the field and the value (shortened and
with control characters shown escaped, so a hostile value cannot mangle a terminal or
a log). Pure functions: no clock, no I/O; "today" is always passed in.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from domain.values import InvalidValue, Money

EARLIEST = date(1990, 1, 1)  # no tenancy, payment or run of this system predates it
LATEST = date(2099, 12, 31)  # a sane upper bound for any date typed by a person
TEXT_MAX = 200  # names, municipalities, transaction ids, free-text reasons
ADDRESS_MAX = 300
REASON_MAX = 1000

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# C0 and C1 control characters, DEL, and the Unicode line/paragraph separators and
# bidirectional overrides that change how a line is displayed
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def show(value: object, limit: int = 40) -> str:
    """A value as it may appear in an error line: repr, escaped, shortened."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        return repr(text[:limit]) + f"... ({len(text)} characters)"
    return repr(text)


def parse_date(text: object, field: str = "date", *, earliest: date = EARLIEST, latest: date = LATEST) -> date:
    """Strictly ``YYYY-MM-DD`` (ASCII digits), a real day, within [earliest, latest]."""
    if isinstance(text, date):
        return check_date(text, field, earliest=earliest, latest=latest)
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text.strip()):
        raise InvalidValue(f"{field}: {show(text)} is not a date like 2026-02-03 (YYYY-MM-DD)")
    try:
        d = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"{field}: {show(text)} is not a day of the calendar") from None
    return check_date(d, field, earliest=earliest, latest=latest)


def check_date(d: date, field: str = "date", *, earliest: date = EARLIEST, latest: date = LATEST) -> date:
    if d < earliest:
        raise InvalidValue(f"{field}: {d.isoformat()} is before {earliest.isoformat()}")
    if d > latest:
        raise InvalidValue(f"{field}: {d.isoformat()} is after {latest.isoformat()}")
    return d


def check_not_future(d: date, today: date, field: str = "date") -> date:
    """A fact that already happened (a payment, a contact) cannot be dated after today."""
    if d > today:
        raise InvalidValue(f"{field}: {d.isoformat()} is in the future (today is {today.isoformat()})")
    return d


def check_run_day(d: date, today: date, *, allow_future: bool = False, field: str = "date") -> date:
    """The daily run never runs ahead of the calendar unless asked to (simulations)."""
    check_date(d, field)
    if not allow_future and d > today:
        raise InvalidValue(f"{field}: {d.isoformat()} is after today ({today.isoformat()}); "
                           "a run ahead of the calendar needs --allow-future")
    return d


def parse_amount(text: object, field: str = "amount") -> int:
    """Euro cents from ``650.00``, ``650,00`` or ``650``: ASCII digits only."""
    if not isinstance(text, str) or not text.strip().isascii():
        raise InvalidValue(f"{field}: {show(text)} is not an amount like 650.00 or 650,00 (ASCII digits)")
    return Money.parse(text, field=field).cents


def check_text(value: object, field: str, *, max_len: int = TEXT_MAX, required: bool = True,
               multiline: bool = False) -> str:
    """A text field: not blank (when required), at most ``max_len`` characters, no
    control characters (a newline only where ``multiline``), NFC-normalised."""
    if not isinstance(value, str):
        raise InvalidValue(f"{field}: {show(value)} must be text")
    text = unicodedata.normalize("NFC", value.strip())
    if required and not text:
        raise InvalidValue(f"{field}: must not be empty")
    if len(text) > max_len:
        raise InvalidValue(f"{field}: {show(text)} is longer than {max_len} characters")
    bad = (_CONTROL_BUT_NEWLINE if multiline else _CONTROL).search(text)
    if bad:
        raise InvalidValue(f"{field}: {show(text)} contains a control character ({bad.group()!r})")
    return text


def check_optional_text(value: str | None, field: str, *, max_len: int = TEXT_MAX,
                        multiline: bool = False) -> str | None:
    if value is None:
        return None
    text = check_text(value, field, max_len=max_len, required=False, multiline=multiline)
    return text or None


def check_regex(pattern: object, field: str = "pattern") -> re.Pattern[str]:
    """A regular expression that compiles (and is not absurdly long)."""
    if not isinstance(pattern, str):
        raise InvalidValue(f"{field}: {show(pattern)} must be text")
    if len(pattern) > 500:
        raise InvalidValue(f"{field}: {show(pattern)} is longer than 500 characters")
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as e:
        raise InvalidValue(f"{field}: {show(pattern)} is not a valid regular expression ({e})") from None


def check_int(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"{field}: {show(value)} must be a whole number")
    if not low <= value <= high:
        raise InvalidValue(f"{field}: {value} must be between {low} and {high}")
    return value


def check_port(value: object, field: str = "port") -> int:
    return check_int(value, field, 1, 65535)


def check_choice(value: object, field: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidValue(f"{field}: {show(value)} is not one of {', '.join(choices)}")
    return str(value)


def staff_id(text: str) -> str:
    """A staff id as compared for four-eyes: trimmed, Unicode-normalised, case-folded."""
    return unicodedata.normalize("NFKC", text).strip().casefold()
