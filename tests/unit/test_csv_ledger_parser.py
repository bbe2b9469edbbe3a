"""The format layer of the ledger CSV import (FORMATS.md, "Ledger CSV").

Every refused input of FORMATS.md that can be judged without the store has a
test here; each writes a real file in ``tmp_path`` and checks that the error
names the line, the column, the value and a readable reason.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from adapters.csv_ledger.parser import parse_ledger_csv
from application.ledger_types import LedgerLine, LineError
from domain.values import LedgerKind

TODAY = date(2026, 6, 1)
HEADER = (
    "transaction_id;tenancy_id;booking_date;kind;amount;period;description;"
    "counterparty_iban;reason_code;reverses_transaction_id"
)
GOOD_IBAN = "NL91ABNA0417164300"
BAD_IBAN = "NL91ABNA0417164301"  # one digit off: the check digits no longer match

CHARGE = "C1;00123;01-05-2024;CHARGE;650,00;2024-05;Huur mei 2024;;;"
PAYMENT = f"P1;00123;13-05-2024;PAYMENT;650,00;;Betaling huur;{GOOD_IBAN};;"


def write(tmp_path: Path, content: bytes | str, name: str = "ledger.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def parse(
    tmp_path: Path, content: bytes | str, **kwargs: str
) -> tuple[list[LedgerLine], list[LineError], int]:
    return parse_ledger_csv(write(tmp_path, content).read_bytes(), today=TODAY, **kwargs)


def rows(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def only_error(errors: list[LineError], line: int, column: str) -> LineError:
    found = [e for e in errors if e.line == line and e.column == column]
    assert len(found) == 1, f"expected one error at line {line}, column {column}: {errors}"
    return found[0]


def assert_refused(
    errors: list[LineError], line: int, column: str, value: str, *words: str
) -> LineError:
    error = only_error(errors, line, column)
    assert error.value == value, error
    for word in words:
        assert word.lower() in error.reason.lower(), error
    assert len(error.reason) > 20, error  # a sentence, not a code
    return error


# -- encoding ------------------------------------------------------------------


def test_refuses_cp1252_bytes_as_invalid_utf8(tmp_path):
    data = rows(CHARGE.replace("Huur mei", "Huur café")).encode("cp1252")
    lines, errors, _ = parse(tmp_path, data)
    assert lines == []
    error = assert_refused(errors, 2, "description", "\\xe9", "not valid UTF-8", "cp1252")
    assert "'é'" in error.reason


def test_refuses_utf16_with_byte_order_mark(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(CHARGE).encode("utf-16"))
    assert lines == []
    assert_refused(errors, 0, "(file)", "FF FE", "UTF-16", "UTF-8")


def test_refuses_utf16_without_byte_order_mark(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(CHARGE).encode("utf-16-le"))
    assert lines == []
    assert_refused(errors, 0, "(file)", "", "UTF-16")


def test_refuses_nul_bytes(tmp_path):
    data = rows(PAYMENT, CHARGE.replace("Huur", "Hu\x00ur")).encode()
    lines, errors, _ = parse(tmp_path, data)
    assert lines == []
    assert_refused(errors, 3, "description", "\\x00", "NUL")


def test_refuses_utf8_when_cp1252_was_requested(tmp_path):
    data = rows(CHARGE.replace("Huur mei", "Huur café")).encode("utf-8")
    lines, errors, _ = parse(tmp_path, data, encoding="cp1252")
    assert lines == []
    assert_refused(errors, 2, "description", "", "cp1252", "UTF-8", "corrupt")


# -- file and header -------------------------------------------------------------


def test_refuses_an_empty_file(tmp_path):
    lines, errors, rows_read = parse(tmp_path, b"")
    assert (lines, rows_read) == ([], 0)
    assert_refused(errors, 0, "(file)", "", "empty")


def test_refuses_a_file_with_only_blank_lines_and_a_bom(tmp_path):
    lines, errors, _ = parse(tmp_path, b"\xef\xbb\xbf\r\n\r\n")
    assert lines == []
    assert_refused(errors, 0, "(file)", "", "empty")


def test_refuses_a_header_only_file(tmp_path):
    lines, errors, rows_read = parse(tmp_path, HEADER + "\r\n")
    assert (lines, rows_read) == ([], 0)
    assert_refused(errors, 1, "(file)", "", "header", "no data rows")


@pytest.mark.parametrize(("separator", "said"), [(",", "comma"), ("\t", "tab")])
def test_refuses_another_separator(tmp_path, separator, said):
    content = rows(CHARGE, header=HEADER).replace(";", separator)
    lines, errors, _ = parse(tmp_path, content)
    assert lines == []
    error = only_error(errors, 1, "(header)")
    assert error.value.startswith("transaction_id")
    assert said in error.reason and "';'" in error.reason, error


def test_refuses_a_missing_required_column(tmp_path):
    header = HEADER.replace("kind;", "")
    lines, errors, _ = parse(
        tmp_path, rows("C1;00123;01-05-2024;650,00;2024-05;;;;", header=header)
    )
    assert lines == []
    assert_refused(errors, 1, "kind", "", "required column", "missing")


def test_refuses_an_unknown_column(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(CHARGE + ";x", header=HEADER + ";btw"))
    assert lines == []
    assert_refused(errors, 1, "btw", "btw", "unknown column", "transaction_id")


def test_refuses_a_duplicated_column(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(CHARGE + ";650,00", header=HEADER + ";amount"))
    assert lines == []
    assert_refused(errors, 1, "amount", "amount", "duplicated column", "column 5")


def test_refuses_upper_case_column_names(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(CHARGE, header=HEADER.replace("kind", "Kind")))
    assert lines == []
    assert_refused(errors, 1, "Kind", "Kind", "lower case", "'kind'")


def test_refuses_a_file_without_header_row(tmp_path):
    lines, errors, _ = parse(tmp_path, "\n".join([CHARGE, PAYMENT]) + "\n")
    assert lines == []
    assert_refused(errors, 1, "(header)", CHARGE, "header row", "transaction_id;tenancy_id")


def test_refuses_wrong_field_count_from_an_unquoted_separator(tmp_path):
    bad = "C2;00123;01-06-2024;CHARGE;650,00;2024-06;Huur; juni;;;"
    lines, errors, rows_read = parse(tmp_path, rows(CHARGE, bad))
    assert [x.transaction_id for x in lines] == ["C1"]
    assert rows_read == 2
    assert_refused(errors, 3, "(row)", "11 fields", "instead of 10", "';'", "quotes")


def test_refuses_an_unbalanced_quote(tmp_path):
    bad = 'C2;00123;01-06-2024;CHARGE;650,00;2024-06;"Huur" juni;;;'
    lines, errors, _ = parse(tmp_path, rows(bad, CHARGE))
    assert [x.transaction_id for x in lines] == ["C1"]
    assert_refused(errors, 2, "(row)", "", "not valid CSV", "double quote")


# -- transaction_id and tenancy_id ----------------------------------------------------


def test_refuses_a_duplicate_transaction_id_in_the_file(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(CHARGE, PAYMENT, CHARGE.replace("650,00", "700,00")))
    assert [x.transaction_id for x in lines] == ["C1", "P1"]
    assert_refused(errors, 4, "transaction_id", "C1", "duplicate", "line 2")


def test_refuses_excel_scientific_notation_ids(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(CHARGE.replace("C1;", '"1,23457E+11";')))
    assert lines == []
    assert_refused(
        errors, 2, "transaction_id", "1,23457E+11", "Excel", "scientific notation", "text"
    )


def test_refuses_excel_scientific_notation_tenancy_ids(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(CHARGE.replace(";00123;", ";1,23457E+11;")))
    assert lines == []
    assert_refused(errors, 2, "tenancy_id", "1,23457E+11", "Excel", "scientific notation")


def test_refuses_ids_with_other_characters_or_too_long(tmp_path):
    long_id = "X" * 65
    content = rows(CHARGE.replace("C1;", "C 1;"), CHARGE.replace("C1;", long_id + ";"))
    lines, errors, _ = parse(tmp_path, content)
    assert lines == []
    assert_refused(errors, 2, "transaction_id", "C 1", "letters, digits", "' '")
    assert_refused(errors, 3, "transaction_id", long_id, "65 characters", "at most 64")


def test_keeps_leading_zeros_of_the_tenancy_id(tmp_path):
    # Excel turning 00123 into 123 cannot be seen in the file: the store layer
    # reports "123" as an unknown tenancy. The parser must keep the text exactly.
    lines, errors, _ = parse(tmp_path, rows(CHARGE, PAYMENT.replace("00123", "123")))
    assert errors == []
    assert [x.tenancy_ref for x in lines] == ["00123", "123"]


# -- booking_date -------------------------------------------------------------------


def test_refuses_excel_serial_dates(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT.replace("13-05-2024", "45425")))
    assert lines == []
    assert_refused(
        errors, 2, "booking_date", "45425", "Excel serial date", "13-05-2024", "dd-mm-yyyy"
    )


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("2024-05-13", "ISO date"),
        ("13-05-24", "two-digit year"),
        ("13/05/2024", "'/'"),
        ("13.05.2024", "'.'"),
        ("13-05-2024 00:00", "time"),
        ("13 mei 2024", "dd-mm-yyyy"),
        ("", "required"),
    ],
)
def test_refuses_malformed_dates(tmp_path, value, said):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT.replace("13-05-2024", value)))
    assert lines == []
    assert_refused(errors, 2, "booking_date", value, said, "dd-mm-yyyy")


@pytest.mark.parametrize(
    ("value", "said"),
    [("31-02-2024", "February 2024 has 29 days"), ("12-13-2024", "no month 13")],
)
def test_refuses_impossible_dates(tmp_path, value, said):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT.replace("13-05-2024", value)))
    assert lines == []
    assert_refused(errors, 2, "booking_date", value, "not a real date", said)


def test_refuses_future_dates(tmp_path):
    content = rows(
        PAYMENT.replace("13-05-2024", "01-06-2026"), CHARGE.replace("01-05-2024", "02-06-2026")
    )
    lines, errors, _ = parse(tmp_path, content)
    assert [x.booking_date for x in lines] == [TODAY]  # today itself is fine
    assert_refused(errors, 3, "booking_date", "02-06-2026", "future", "01-06-2026")


# -- kind ---------------------------------------------------------------------------


def test_refuses_an_unknown_kind(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT.replace("PAYMENT", "DEBIT")))
    assert lines == []
    assert_refused(
        errors, 2, "kind", "DEBIT", "unknown kind", "CHARGE, PAYMENT, REVERSAL or CREDIT"
    )


def test_refuses_a_lower_case_kind(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT.replace("PAYMENT", "payment")))
    assert lines == []
    assert_refused(errors, 2, "kind", "payment", "capitals", "PAYMENT")


# -- amount ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("1.234,56", "thousands separator"),
        ("12.50", "decimal comma"),
        ("€ 12,00", "currency sign"),
        ("EUR 12,00", "currency sign"),
        ("12,345", "3 decimals"),
        ("12,5", "exactly 2"),
        ("12", "12,00"),
        ("1,234.56", "English number format"),
        ("", "required"),
        ("0,00", "greater than 0"),
        ("-5,00", "negative"),
        ("5,00-", "negative"),
        ("twaalf", "not an amount"),
    ],
)
def test_refuses_bad_amounts(tmp_path, value, said):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT.replace("650,00", value)))
    assert lines == []
    assert_refused(errors, 2, "amount", value, said)


# -- period, description, control characters ---------------------------------------------


def test_refuses_a_charge_without_period(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(CHARGE.replace("2024-05", ""), PAYMENT))
    assert [x.transaction_id for x in lines] == ["P1"]  # other kinds need no period
    assert_refused(errors, 2, "period", "", "required for a CHARGE", "yyyy-mm")


@pytest.mark.parametrize(
    ("value", "said"), [("05-2024", "month first"), ("2024-13", "no month 13"), ("mei", "yyyy-mm")]
)
def test_refuses_a_malformed_period(tmp_path, value, said):
    lines, errors, _ = parse(tmp_path, rows(CHARGE.replace("2024-05", value)))
    assert lines == []
    assert_refused(errors, 2, "period", value, said)


def test_refuses_an_over_long_description(tmp_path):
    text = "x" * 141
    lines, errors, _ = parse(
        tmp_path,
        rows(
            CHARGE.replace("Huur mei 2024", "x" * 140),
            CHARGE.replace("C1", "C2").replace("Huur mei 2024", text),
        ),
    )
    assert [x.transaction_id for x in lines] == ["C1"]  # 140 is the limit, not over it
    error = only_error(errors, 3, "description")
    assert (
        error.value.startswith("xxxx")
        and "141 characters" in error.reason
        and "140" in error.reason
    )


@pytest.mark.parametrize(
    ("raw", "shown", "said"),
    [
        ('"Huur\tmei"', "Huur\\x09mei", "TAB"),
        ("Huur\x07mei", "Huur\\x07mei", "U+0007"),
        ("Huur\x85mei", "Huur\\x85mei", "U+0085"),
        ('"Huur\r\nmei"', "Huur\\x0d\\x0amei", "line break"),
    ],
)
def test_refuses_control_characters(tmp_path, raw, shown, said):
    lines, errors, _ = parse(tmp_path, rows(CHARGE.replace("Huur mei 2024", raw), PAYMENT))
    assert [x.transaction_id for x in lines] == ["P1"]
    assert_refused(errors, 2, "description", shown, said)
    # physical line numbers stay right after a value that spans two lines
    assert all(e.line == 2 for e in errors)
    assert lines[0].line == (4 if "\n" in raw else 3)


def test_refuses_control_characters_in_an_id(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(CHARGE.replace("C1;", "C\x0b1;")))
    assert lines == []
    assert_refused(errors, 2, "transaction_id", "C\\x0b1", "control character")


# -- counterparty_iban ---------------------------------------------------------------------


def test_refuses_an_iban_with_a_bad_checksum_without_echoing_it(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT.replace(GOOD_IBAN, BAD_IBAN)))
    assert lines == []
    error = assert_refused(
        errors, 2, "counterparty_iban", "NL91************01", "IBAN", "check digits"
    )
    assert BAD_IBAN not in str(error) and "0417164301" not in str(error)


def test_masks_the_iban_in_every_error(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT.replace(GOOD_IBAN, "NL91ABNA\x0c0417164300")))
    assert lines == []
    error = only_error(errors, 2, "counterparty_iban")
    assert "0417164300" not in str(error) and error.value.startswith("NL91")


def test_accepts_an_iban_in_groups_and_never_keeps_it(tmp_path):
    lines, errors, _ = parse(
        tmp_path, rows(PAYMENT.replace(GOOD_IBAN, "NL91 ABNA 0417 1643 00"), CHARGE)
    )
    assert errors == []
    assert [x.has_counterparty_iban for x in lines] == [True, False]
    assert "0417" not in repr(lines)


# -- reversals ----------------------------------------------------------------------------


def reversal(tid="R1", tenancy="00123", amount="650,00", reason="AM04", ref="P1", day="20-05-2024"):
    return f"{tid};{tenancy};{day};REVERSAL;{amount};;Storno;;{reason};{ref}"


def test_refuses_a_reversal_without_reason_code(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT, reversal(reason="")))
    assert [x.transaction_id for x in lines] == ["P1"]
    assert_refused(errors, 3, "reason_code", "", "required for a REVERSAL", "AM04")


def test_refuses_an_unknown_or_lower_case_reason_code(tmp_path):
    content = rows(PAYMENT, reversal(reason="am04"), reversal(tid="R2", reason="BROKE", ref="P0"))
    lines, errors, _ = parse(tmp_path, content)
    assert [x.transaction_id for x in lines] == ["P1"]
    assert_refused(errors, 3, "reason_code", "am04", "capitals", "AM04")
    assert_refused(errors, 4, "reason_code", "BROKE", "ISO return reason", "MD06")


def test_refuses_a_reversal_without_reference(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT, reversal(ref="")))
    assert [x.transaction_id for x in lines] == ["P1"]
    assert_refused(errors, 3, "reverses_transaction_id", "", "required for a REVERSAL", "payment")


def test_refuses_a_reversal_of_another_tenancys_payment(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT, reversal(tenancy="00999")))
    assert [x.transaction_id for x in lines] == ["P1"]
    assert_refused(
        errors,
        3,
        "reverses_transaction_id",
        "P1",
        "belongs to tenancy 00123",
        "not to 00999",
        "line 2",
    )


def test_refuses_a_reversal_larger_than_the_payment(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT, reversal(amount="650,01")))
    assert [x.transaction_id for x in lines] == ["P1"]
    assert_refused(
        errors, 3, "reverses_transaction_id", "P1", "larger", "650,01", "650,00", "line 2"
    )


def test_refuses_reversing_a_payment_twice(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT, reversal(), reversal(tid="R2")))
    assert [x.transaction_id for x in lines] == ["P1", "R1"]
    assert_refused(errors, 4, "reverses_transaction_id", "P1", "already reversed", "line 3")


def test_refuses_reversing_a_store_payment_twice_in_one_file(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(reversal(ref="OLD-1"), reversal(tid="R2", ref="OLD-1")))
    assert [x.transaction_id for x in lines] == ["R1"]
    assert_refused(errors, 3, "reverses_transaction_id", "OLD-1", "already reversed", "line 2")


def test_refuses_reversing_a_charge(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(CHARGE, reversal(ref="C1")))
    assert [x.transaction_id for x in lines] == ["C1"]
    assert_refused(errors, 3, "reverses_transaction_id", "C1", "CHARGE", "not a PAYMENT")


def test_refuses_a_reversal_listed_before_its_payment(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(reversal(), PAYMENT))
    assert [x.transaction_id for x in lines] == ["P1"]
    assert_refused(errors, 2, "reverses_transaction_id", "P1", "later in this file", "line 3")


def test_refuses_a_reversal_booked_before_its_payment(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT, reversal(day="12-05-2024")))
    assert [x.transaction_id for x in lines] == ["P1"]
    assert_refused(errors, 3, "reverses_transaction_id", "P1", "booked before", "13-05-2024")


def test_refuses_reversal_fields_on_other_kinds(tmp_path):
    content = rows(PAYMENT[:-2] + ";AM04;", CHARGE + "P0")
    lines, errors, _ = parse(tmp_path, content)
    assert lines == []
    assert_refused(errors, 2, "reason_code", "AM04", "only for a REVERSAL", "PAYMENT")
    assert_refused(errors, 3, "reverses_transaction_id", "P0", "only for a REVERSAL", "CHARGE")


def test_passes_a_reversal_of_a_payment_not_in_the_file_to_the_store(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(reversal(ref="OLD-7", reason="MD06")))
    assert errors == []
    assert lines[0].reverses_transaction_id == "OLD-7" and lines[0].reason_code == "MD06"


# -- every error is collected ------------------------------------------------------------


def test_collects_every_error_of_every_row(tmp_path):
    content = rows(
        "C1;00123;2024-05-01;charge;650.00;;;;;",
        PAYMENT,
        "P2;00123;13-05-2024;PAYMENT;-1,00;;;;;",
    )
    lines, errors, rows_read = parse(tmp_path, content)
    assert rows_read == 3
    assert [x.transaction_id for x in lines] == ["P1"]
    assert [(e.line, e.column) for e in errors] == [
        (2, "booking_date"),
        (2, "kind"),
        (2, "amount"),
        (4, "amount"),
    ]
    assert str(errors[0]).startswith("line 2, column booking_date, value '2024-05-01': ")


# -- happy paths -----------------------------------------------------------------------------


def test_reads_a_valid_file_into_ledger_lines(tmp_path):
    content = rows(
        CHARGE,
        PAYMENT,
        reversal(amount="100,00", reason="MD06"),
        "K1;00123;21-5-2024;CREDIT;12,34;;Kwijtschelding;;;",
    )
    lines, errors, rows_read = parse(tmp_path, content)
    assert errors == [] and rows_read == 4
    assert lines == [
        LedgerLine(
            2, "C1", "00123", date(2024, 5, 1), LedgerKind.CHARGE, 65000, "2024-05", "Huur mei 2024"
        ),
        LedgerLine(
            3,
            "P1",
            "00123",
            date(2024, 5, 13),
            LedgerKind.PAYMENT,
            65000,
            None,
            "Betaling huur",
            True,
        ),
        LedgerLine(
            4,
            "R1",
            "00123",
            date(2024, 5, 20),
            LedgerKind.REVERSAL,
            10000,
            None,
            "Storno",
            False,
            "MD06",
            "P1",
        ),
        LedgerLine(
            5, "K1", "00123", date(2024, 5, 21), LedgerKind.CREDIT, 1234, None, "Kwijtschelding"
        ),
    ]


def test_reads_utf8_with_bom_and_crlf(tmp_path):
    data = ("\ufeff" + rows(CHARGE.replace("Huur mei", "Huur café"), PAYMENT)).replace("\n", "\r\n")
    lines, errors, rows_read = parse(tmp_path, data.encode("utf-8"))
    assert errors == [] and rows_read == 2
    assert [x.description for x in lines] == ["Huur café 2024", "Betaling huur"]
    assert [x.line for x in lines] == [2, 3]


def test_reads_cp1252_when_told(tmp_path):
    data = rows(CHARGE.replace("Huur mei", "Huur café €")).encode("cp1252")
    lines, errors, _ = parse(tmp_path, data, encoding="cp1252")
    assert errors == []
    assert lines[0].description == "Huur café € 2024"


def test_reads_short_day_and_month(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT.replace("13-05-2024", "3-5-2024")))
    assert errors == []
    assert lines[0].booking_date == date(2024, 5, 3)


def test_reads_a_file_without_optional_columns(tmp_path):
    header = "booking_date;transaction_id;kind;tenancy_id;amount"
    content = rows(
        "13-05-2024;P1;PAYMENT;00123;650,00", "14-05-2024;P2;CREDIT;00123;1,00", header=header
    )
    lines, errors, _ = parse(tmp_path, content)
    assert errors == []
    assert [(x.transaction_id, x.kind, x.cents, x.period, x.description) for x in lines] == [
        ("P1", LedgerKind.PAYMENT, 65000, None, ""),
        ("P2", LedgerKind.CREDIT, 100, None, ""),
    ]


def test_reads_a_reversal_of_a_payment_earlier_in_the_file(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(PAYMENT, CHARGE, reversal(amount="650,00")))
    assert errors == []
    assert lines[-1].kind is LedgerKind.REVERSAL
    assert (lines[-1].reverses_transaction_id, lines[-1].reason_code, lines[-1].cents) == (
        "P1",
        "AM04",
        65000,
    )


def test_skips_blank_lines_and_empty_rows_and_trims_spaces(tmp_path):
    content = (
        HEADER
        + "\n\n"
        + CHARGE.replace("650,00", " 650,00 ")
        + "\n;;;;;;;;;\n\n"
        + PAYMENT
        + "\n\n"
    )
    lines, errors, rows_read = parse(tmp_path, content)
    assert errors == [] and rows_read == 2
    assert [(x.line, x.cents) for x in lines] == [(3, 65000), (6, 65000)]


def test_quoted_values_may_hold_the_separator_and_quotes(tmp_path):
    lines, errors, _ = parse(
        tmp_path, rows(CHARGE.replace("Huur mei 2024", '"Huur; mei ""2024"""'))
    )
    assert errors == []
    assert lines[0].description == 'Huur; mei "2024"'


def test_refuses_a_reversal_of_itself(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(reversal(tid="R1", ref="R1")))
    assert lines == []
    assert_refused(errors, 2, "reverses_transaction_id", "R1", "cannot reverse itself")


def test_refuses_an_unsupported_encoding_name(tmp_path):
    lines, errors, _ = parse(tmp_path, rows(CHARGE), encoding="latin-1")
    assert lines == []
    assert_refused(errors, 0, "(file)", "latin-1", "unsupported encoding", "cp1252")
