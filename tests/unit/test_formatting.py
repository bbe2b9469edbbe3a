"""Money is formatted in one place (``domain.values``): plain for views, JSON and files,
Dutch for letters, SMS, the court dossier and error messages. Every formatter of the
project is that one function, so they agree on negatives, zero, cents and thousands.
Dutch dates (month names) have one place too (``application.dutch``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from domain.values import Money, format_cents, format_euro, format_nl

# cents, plain, Dutch
ROWS = [
    (0, "0.00", "0,00"),
    (5, "0.05", "0,05"),
    (-5, "-0.05", "-0,05"),
    (99, "0.99", "0,99"),
    (-99, "-0.99", "-0,99"),
    (100, "1.00", "1,00"),
    (-150, "-1.50", "-1,50"),
    (65_000, "650.00", "650,00"),
    (-65_000, "-650.00", "-650,00"),
    (123_456, "1234.56", "1.234,56"),
    (-123_456, "-1234.56", "-1.234,56"),
    (100_000_000, "1000000.00", "1.000.000,00"),
    (-123_456_789, "-1234567.89", "-1.234.567,89"),
]


@pytest.mark.parametrize(("cents", "plain", "dutch"), ROWS)
def test_plain_and_dutch_notation(cents, plain, dutch):
    assert format_cents(cents) == plain
    assert str(Money(cents)) == plain
    assert format_cents(cents, decimal=",") == plain.replace(".", ",")
    assert format_nl(cents) == dutch
    assert format_euro(cents) == f"€ {dutch}"
    assert format_euro(cents, symbol="EUR") == f"EUR {dutch}"


@pytest.mark.parametrize("bad", [1.5, Decimal("1.50"), "150", True, None])
def test_only_whole_cents_are_formatted(bad):
    with pytest.raises(TypeError, match="whole number of cents"):
        format_cents(bad)


def _adapters_formatters():
    from adapters.audit.dossier import euro as dossier_euro
    from adapters.csv_ledger.parser import _euros as ledger_error_amount
    from adapters.letters import euro as letter_euro
    from adapters.signals.files import amount_text as signal_amount
    from adapters.telephony.sms_text import format_amount as sms_amount
    from application.views import eur as view_eur

    return [
        pytest.param(view_eur, "plain", id="views"),
        pytest.param(signal_amount, "plain", id="signal-export-json"),
        pytest.param(lambda c: signal_amount(c, decimal=","), "plain-comma", id="signal-export-csv"),
        pytest.param(ledger_error_amount, "dutch", id="ledger-csv-messages"),
        pytest.param(letter_euro, "euro", id="letters"),
        pytest.param(sms_amount, "euro", id="sms"),
        pytest.param(dossier_euro, "euro", id="court-dossier"),
    ]


@pytest.mark.parametrize(("formatter", "style"), _adapters_formatters())
@pytest.mark.parametrize(("cents", "plain", "dutch"), ROWS)
def test_every_formatter_of_the_project_agrees(formatter, style, cents, plain, dutch):
    """The signal export and the ledger CSV messages printed ``-150`` as ``-2.50`` and
    ``-2,50`` (floor division of a negative amount) before they used the one formatter."""
    expected = {
        "plain": plain,
        "plain-comma": plain.replace(".", ","),
        "dutch": dutch,
        "euro": f"€ {dutch}",
    }[style]
    assert formatter(cents) == expected


@pytest.mark.parametrize(("text", "expected"), [("1234.56", "€ 1.234,56"), ("-0.05", "€ -0,05"),
                                                 ("-12.5", "€ -12,50"), ("", ""), (None, "")])
def test_the_dossier_also_takes_the_views_plain_text(text, expected):
    from adapters.audit.dossier import euro

    assert euro(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 1, 1), "1 januari 2026"),
        (date(2026, 3, 14), "14 maart 2026"),
        (date(2026, 12, 31), "31 december 2026"),
        ("2026-05-09", "9 mei 2026"),
        ("2026-08-17T10:00:00+02:00", "17 augustus 2026"),
        (datetime(2026, 10, 3, 23, 0), "3 oktober 2026"),
        (None, ""),
        ("", ""),
    ],
)
def test_dutch_dates_in_letters_and_the_dossier(value, expected):
    from adapters.audit.dossier import nl_date
    from application.dutch import dutch_date, dutch_date_of

    assert dutch_date_of(value) == nl_date(value) == expected
    if isinstance(value, date):
        assert dutch_date(value) == expected


def test_weekday_and_period():
    from application.dutch import dutch_date, dutch_period

    assert dutch_date(date(2026, 4, 28), weekday=True) == "dinsdag 28 april 2026"
    assert dutch_period("2026-02") == "februari 2026"
    assert dutch_period("2026-13") == "2026-13"  # not a month: returned as given


@pytest.mark.parametrize(
    ("text", "latin"),
    [
        ("Gemeente ’s-Hertogenbosch", "Gemeente 's-Hertogenbosch"),  # the dossier printed "?s-Hertogenbosch"
        ("“Vangnet” – € 650,00", '"Vangnet" - EUR 650,00'),
        ("Eëndracht, Ålesund", "Eëndracht, Ålesund"),  # latin-1 already
        ("Dvořák", "Dvorák"),  # simplified where latin-1 has no such letter
        ("☎", "?"),
    ],
)
def test_pdf_text_without_dejavu_is_the_same_for_letters_and_the_dossier(text, latin):
    from adapters.pdf_text import latin1

    assert latin1(text) == latin
    latin.encode("latin-1")
