"""Phone numbers, SMS text and segments, sender id, robocall script, calling window."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from adapters.telephony import script as script_module
from adapters.telephony.numbers import (
    InvalidNumber,
    can_call,
    can_sms,
    is_mobile,
    normalise,
    redact,
)
from adapters.telephony.script import ROBOCALL_SCRIPT_NL
from adapters.telephony.sms_text import (
    InvalidSenderId,
    SmsTooLong,
    check_segments,
    segments,
    sms_text,
    validate_sender_id,
)
from adapters.telephony.window import in_calling_window

AMS = ZoneInfo("Europe/Amsterdam")
IBAN = "NL91ABNA0417164300"

# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    "raw",
    [
        "0612345678",
        "06-12345678",
        "06 1234 5678",
        "+31 6 1234 5678",
        "0031612345678",
        "+31612345678",
    ],
)
def test_dutch_mobile_notations_normalise_to_e164(raw):
    assert normalise(raw) == "+31612345678"


def test_landline_and_foreign_numbers_normalise():
    assert normalise("020-1234567") == "+31201234567"
    assert normalise("+32 470 12 34 56") == "+32470123456"


@pytest.mark.parametrize(
    "raw", ["", "   ", "abc", "06123", "+316123456789", "0" * 80, "06-1234567x"]
)
def test_invalid_numbers_raise_without_digits_in_the_message(raw):
    with pytest.raises(InvalidNumber) as exc:
        normalise(raw)
    message = str(exc.value)
    assert not re.search(r"\d", message)
    # no chained library exception that could carry the input along
    assert exc.value.__cause__ is None
    assert exc.value.__context__ is None or exc.value.__suppress_context__


def test_only_person_mobiles_are_mobile():
    assert is_mobile("+31612345678")
    assert not is_mobile("+3197012345678")  # M2M, although the number plan says mobile
    assert not is_mobile("+31201234567")  # landline
    assert not is_mobile("+31661234567")  # pager
    assert not is_mobile("not a number")


def test_097_m2m_numbers_are_refused_for_sms_and_calls():
    assert normalise("097012345678") == "+3197012345678"
    assert not can_sms("+3197012345678")
    assert not can_call("+3197012345678")


def test_landline_is_refused_for_sms_but_may_be_called():
    assert not can_sms("+31201234567")
    assert can_call("+31201234567")
    assert can_sms("+31612345678")


def test_foreign_mobile_only_when_allowed():
    assert is_mobile("+32470123456")
    assert not can_sms("+32470123456")
    assert can_sms("+32470123456", allow_foreign=True)


def test_premium_numbers_are_not_called():
    assert not can_call(normalise("0900 1234567"))


def test_redact_hides_numbers_but_keeps_timestamps():
    text = redact("call 06-12345678 or 0031612345678 at 2026-04-20T10:00:00+02:00")
    assert "12345678" not in text
    assert "2026-04-20T10:00:00+02:00" in text


# -------------------------------------------------------------- segments


def test_plain_text_is_gsm7_with_160_per_segment():
    assert segments("a" * 160) == ("GSM-7", 1)
    assert segments("a" * 161) == ("GSM-7", 2)
    assert segments("a" * 306) == ("GSM-7", 2)
    assert segments("a" * 307) == ("GSM-7", 3)
    assert segments("") == ("GSM-7", 0)


def test_euro_sign_is_gsm7_but_takes_two_septets():
    assert segments("€") == ("GSM-7", 1)
    assert segments("€" * 80) == ("GSM-7", 1)  # 160 septets
    assert segments("€" * 81) == ("GSM-7", 2)  # 162 septets
    assert segments("a" * 159 + "€") == ("GSM-7", 2)  # 161 septets
    for c in "[]{}\\~^|":
        assert segments("a" * 159 + c) == ("GSM-7", 2), c


def test_escape_pair_is_never_split_over_segments():
    # 306 septets would fit in two segments of 153, but the € cannot straddle them
    assert segments("a" * 152 + "€" + "a" * 152) == ("GSM-7", 3)
    assert segments("a" * 151 + "€" + "a" * 153) == ("GSM-7", 2)


def test_e_diaeresis_forces_ucs2_with_70_and_67():
    assert segments("ë") == ("UCS-2", 1)
    assert segments("ë" + "a" * 69) == ("UCS-2", 1)
    assert segments("ë" + "a" * 70) == ("UCS-2", 2)
    assert segments("ë" + "a" * 133) == ("UCS-2", 2)
    assert segments("ë" + "a" * 134) == ("UCS-2", 3)
    # é and è are in the GSM alphabet, ë is not
    assert segments("café crème")[0] == "GSM-7"


def test_max_segments_check():
    assert check_segments("a" * 306, 2) == ("GSM-7", 2)
    with pytest.raises(SmsTooLong):
        check_segments("a" * 307, 2)
    with pytest.raises(SmsTooLong):
        check_segments("a" * 161, 1)


def test_sms_text_has_amount_iban_and_reference_within_two_segments():
    text = sms_text(65000, IBAN, "HUUR-2026-04-0042", "Woonconcept")
    assert "€ 650,00" in text
    assert "NL91 ABNA 0417 1643 00" in text
    assert "HUUR-2026-04-0042" in text
    assert "Woonconcept" in text
    encoding, count = segments(text)
    assert encoding == "GSM-7" and count <= 2


def test_sms_text_refuses_what_would_not_fit_or_is_wrong():
    with pytest.raises(SmsTooLong):  # ë forces UCS-2: 134 characters in two segments
        sms_text(65000, IBAN, "HUUR-2026-04-0042", "Woningstichting Eëndracht")
    assert sms_text(65000, IBAN, "R1", "Eëndracht", max_segments=4)
    with pytest.raises(ValueError):
        sms_text(65000, "NL00ABNA0000000000", "R1", "Woonconcept")
    with pytest.raises(ValueError):
        sms_text(0, IBAN, "R1", "Woonconcept")


def test_sender_id_at_most_11_alphanumerics():
    assert validate_sender_id("Woonconcept") == "Woonconcept"
    assert validate_sender_id("WC2026") == "WC2026"
    for bad in ["Woonconcept1", "Woon concept", "Wóonconcept", "", "123456", "Woon-con"]:
        with pytest.raises(InvalidSenderId):
            validate_sender_id(bad)


# ------------------------------------------------------------------ script

_ALL_SPOKEN = [
    v for k, v in vars(script_module).items() if k.endswith("_NL") and isinstance(v, str)
]


def test_robocall_script_says_no_amount_and_not_achterstand():
    assert ROBOCALL_SCRIPT_NL in _ALL_SPOKEN and len(_ALL_SPOKEN) >= 5
    for text in _ALL_SPOKEN:
        lowered = text.lower()
        assert "achterst" not in lowered  # achterstand, achterstallig
        assert "€" not in text and "euro" not in lowered
        assert "bedrag" not in lowered
        assert set(re.findall(r"\d+", text)) <= {"1", "2"}, text
    assert "Toets 1" in ROBOCALL_SCRIPT_NL and "Toets 2" in ROBOCALL_SCRIPT_NL
    assert script_module.script_text("robocall-nl-v1") == ROBOCALL_SCRIPT_NL


# ------------------------------------------------------------------ window

NINE, FIVE = time(9, 0), time(17, 0)


def ams(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def test_calling_window_on_a_business_day():
    assert in_calling_window(ams(2026, 4, 20, 10, 0), NINE, FIVE)  # Monday
    assert in_calling_window(ams(2026, 4, 20, 9, 0), NINE, FIVE)
    assert not in_calling_window(ams(2026, 4, 20, 8, 59), NINE, FIVE)
    assert not in_calling_window(ams(2026, 4, 20, 17, 0), NINE, FIVE)  # end exclusive
    assert not in_calling_window(ams(2026, 4, 20, 21, 30), NINE, FIVE)


def test_no_calls_at_weekends_or_on_kings_day():
    assert not in_calling_window(ams(2026, 4, 25, 10, 0), NINE, FIVE)  # Saturday
    assert not in_calling_window(ams(2026, 4, 26, 10, 0), NINE, FIVE)  # Sunday
    assert not in_calling_window(ams(2026, 4, 27, 10, 0), NINE, FIVE)  # King's Day (Monday)
    assert in_calling_window(ams(2026, 4, 28, 10, 0), NINE, FIVE)


def test_window_is_amsterdam_time_across_dst():
    # 08:30 UTC is 10:30 in summer (CEST) and 09:30 in winter (CET)
    assert in_calling_window(datetime(2026, 4, 20, 8, 30, tzinfo=UTC), time(10), FIVE)
    assert not in_calling_window(datetime(2026, 1, 5, 8, 30, tzinfo=UTC), time(10), FIVE)
    # 16:30 UTC on a Friday in summer is 18:30 Amsterdam: outside
    assert not in_calling_window(datetime(2026, 4, 24, 16, 30, tzinfo=UTC), NINE, FIVE)
    # 23:30 UTC on Sunday is already Monday 01:30 Amsterdam
    assert in_calling_window(datetime(2026, 4, 19, 23, 30, tzinfo=UTC), time(1), time(2))


def test_naive_moments_and_empty_windows_are_refused():
    with pytest.raises(ValueError):
        in_calling_window(datetime(2026, 4, 20, 10, 0), NINE, FIVE)
    with pytest.raises(ValueError):
        in_calling_window(ams(2026, 4, 20, 10, 0), FIVE, NINE)
