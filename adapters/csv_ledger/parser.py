"""The format layer of the ledger CSV import (FORMATS.md, "Ledger CSV").

Pure: bytes in, validated :class:`LedgerLine` values and :class:`LineError`
values out. Everything that needs the store (the tenancy exists, the tenancy had
started, a reversed payment that is not in this file, a known id with other
content) is left to the caller.

Decisions taken here:

* Encoding: UTF-8 with or without BOM by default; cp1252 only when asked. Never
  guessed. UTF-16/32, NUL bytes and invalid UTF-8 refuse the whole file.
* Columns: ``transaction_id``, ``tenancy_id``, ``booking_date``, ``kind`` and
  ``amount`` must be present; the other known columns may be absent (absent
  means empty). Unknown, duplicated or wrongly-cased column names are errors.
* Whitespace around a value is ignored; fully blank rows (also ``;;;;``) are
  skipped and not counted.
* ``reason_code``: one of the ISO 20022 return reasons ``[A-Z]{2}[0-9]{2}``
  (AM04, MD06, AC04, MD07, MS02, MS03, AM05, MD01, ...) or a SEPA R-transaction
  code without digits (CNOR, DNOR, CUST, DUPL, FOCR, FRAD, TECH).
* ``reason_code`` and ``reverses_transaction_id`` are for REVERSAL rows only.
* A REVERSAL whose payment is in the same file must come after that payment
  (same tenancy, not larger, not reversed twice, not booked before it). A
  reference not found in the file is passed on for the store layer.
* The IBAN is only validated (schwifty); it is never kept and never echoed in
  full: error values show it masked (``NL91************00``).
* File-level errors use line 0 (or the line where the problem was found) and
  the column ``(file)``; header errors line 1 and the column concerned or
  ``(header)``; row-shape errors the column ``(row)``.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from schwifty import IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)

from application.ledger_types import LedgerLine, LineError
from domain.values import LedgerKind, format_nl

__all__ = ["COLUMNS", "REQUIRED_COLUMNS", "parse_ledger_csv"]

REQUIRED_COLUMNS = ("transaction_id", "tenancy_id", "booking_date", "kind", "amount")
OPTIONAL_COLUMNS = (
    "period",
    "description",
    "counterparty_iban",
    "reason_code",
    "reverses_transaction_id",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

FILE = "(file)"
HEADER = "(header)"
ROW = "(row)"

MAX_DESCRIPTION = 140
MAX_ID = 64
KNOWN_REASON_CODES = {
    "AM04": "insufficient funds",
    "MD06": "refund requested by debtor",
    "AC04": "account closed",
    "MD07": "debtor deceased",
    "MS02": "refused by debtor",
    "MS03": "reason not specified",
    "AM05": "duplicate collection",
    "MD01": "no mandate",
}
_SEPA_LETTER_CODES = frozenset({"CNOR", "DNOR", "CUST", "DUPL", "FOCR", "FRAD", "TECH"})

_KINDS = {k.value: k for k in LedgerKind}
_KIND_LIST = "CHARGE, PAYMENT, REVERSAL or CREDIT"
_CHARGE = LedgerKind.CHARGE
_PAYMENT = LedgerKind.PAYMENT
_REVERSAL = LedgerKind.REVERSAL

_ID = re.compile(r"[A-Za-z0-9._/-]{1,64}").fullmatch
_SCIENTIFIC = re.compile(r"[0-9](?:[.,][0-9]+)?[eE]\+[0-9]+").fullmatch
_DATE = re.compile(r"([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})").fullmatch
_SERIAL = re.compile(r"([0-9]{1,6})(?:[.,][0-9]+)?").fullmatch
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[T ].*)?").fullmatch
_SHORT_YEAR = re.compile(r"[0-9]{1,2}-[0-9]{1,2}-[0-9]{2}").fullmatch
_OTHER_SEP = re.compile(r"[0-9]{1,2}([/. ])[0-9]{1,2}\1[0-9]{2,4}").fullmatch
_WITH_TIME = re.compile(r"([0-9]{1,2}-[0-9]{1,2}-[0-9]{4})[ T][0-9]{1,2}:[0-9]{2}.*").fullmatch
_AMOUNT = re.compile(r"([0-9]{1,9}),([0-9]{2})").fullmatch
_PERIOD = re.compile(r"([0-9]{4})-([0-9]{2})").fullmatch
_REASON = re.compile(r"[A-Z]{2}[0-9]{2}").fullmatch
# Control characters inside a field: C0 (tab, CR, LF included), DEL, C1.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# C1 controls (U+0080-U+009F) in UTF-8; cp1252 has no C1 controls (its undefined
# bytes fail to decode). A false hit only turns on the per-field check.
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]").search
# Bytes that are not control characters (nor CR/LF): deleting them leaves the
# suspicious bytes, which makes the whole-file check a fast C loop.
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 0x20 or b == 0x7F) or b in (0x0A, 0x0D))
_CONTROL_NAMES = {"\t": "TAB", "\n": "line feed", "\r": "carriage return", "\x00": "NUL"}

_UTF8_NAMES = {"utf-8", "utf8", "utf-8-sig"}
_CP1252_NAMES = {"cp1252", "windows-1252", "win-1252"}
_UTF8_BOM = b"\xef\xbb\xbf"
_EXCEL_EPOCH = date(1899, 12, 30)
_HEADER_HINT = ";".join(COLUMNS)


def parse_ledger_csv(
    data: bytes, *, encoding: str = "utf-8", today: date
) -> tuple[list[LedgerLine], list[LineError], int]:
    """Returns (valid lines, errors, rows_read). Pure: no store access.

    ``rows_read`` counts the data rows (not the header, not blank rows).
    Every error found is reported; valid lines are returned even when there are
    errors (the caller decides; the import is all-or-nothing by default).
    """
    text, error = _decode(data, encoding)
    if error is not None:
        return [], [error], 0
    assert text is not None
    if not text or text.isspace():
        return (
            [],
            [LineError(0, FILE, "", "the file is empty: expected a header row and data rows")],
            0,
        )

    # Fast whole-file check; the per-field check only runs when this finds something.
    has_control = bool(data.translate(None, _NOT_CONTROL)) or (
        not data.isascii() and _C1_UTF8(data) is not None
    )

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"', strict=True)
    errors: list[LineError] = []

    # -- header ---------------------------------------------------------------
    header: list[str] | None = None
    header_line = 0
    try:
        for record in reader:
            if record and any(f.strip() for f in record):
                header = record
                header_line = reader.line_num
                break
    except csv.Error as exc:
        return (
            [],
            [LineError(reader.line_num, HEADER, "", f"the header row is not valid CSV ({exc})")],
            0,
        )
    if header is None:
        return (
            [],
            [LineError(0, FILE, "", "the file is empty: expected a header row and data rows")],
            0,
        )

    index, header_errors = _read_header(header, header_line)
    if header_errors:
        return [], header_errors, _count_rows(reader)

    ncols = len(header)
    pad = any(index[c] is None for c in OPTIONAL_COLUMNS)
    # Every required column is present now; an absent optional column reads the
    # "" appended to each row (index ncols).
    at = {c: ncols if i is None else i for c, i in index.items()}
    i_tid, i_ten, i_date, i_kind, i_amount = (at[c] for c in REQUIRED_COLUMNS)
    i_period, i_desc, i_iban, i_reason, i_rev = (at[c] for c in OPTIONAL_COLUMNS)
    names = list(header) + [""]  # column name by field index (for control errors)
    for name, i in at.items():
        names[i] = name

    lines: list[LedgerLine] = []
    append_line = lines.append
    add_error = errors.append
    seen: dict[str, int] = {}  # transaction_id -> first line
    by_id: dict[str, LedgerLine] = {}  # valid lines of this file
    reversed_on: dict[str, int] = {}  # reversed transaction_id -> line of the reversal
    pending_refs: list[tuple[int, str]] = []  # reversals whose payment is not (yet) seen
    dates: dict[str, date | str] = {}
    amounts: dict[str, int | str] = {}
    periods: dict[str, str] = {}  # text -> "" if valid, else the reason
    ibans: dict[str, str] = {}  # IBAN text -> "" if valid, else the reason
    kinds = _KINDS
    rows_read = 0
    prev_end = header_line

    while True:
        try:
            for row in reader:
                line = prev_end + 1
                prev_end = end = reader.line_num
                if not any(row):
                    continue  # a blank line, or an empty row such as ";;;;"
                rows_read += 1
                if len(row) != ncols:
                    add_error(_field_count_error(line, len(row), ncols))
                    continue
                if pad:
                    row.append("")
                ok = True
                if has_control or end != line:
                    ok = _check_controls(row, names, line, i_iban, add_error)

                tid = row[i_tid].strip()
                if _ID(tid) is None:
                    add_error(LineError(line, "transaction_id", _shown(tid), _id_reason(tid)))
                    ok = False
                else:
                    first = seen.get(tid)
                    if first is None:
                        seen[tid] = line
                    else:
                        add_error(
                            LineError(
                                line,
                                "transaction_id",
                                tid,
                                f"duplicate transaction_id in this file: already used on line {first}",
                            )
                        )
                        ok = False

                tenancy = row[i_ten].strip()
                if (
                    not tenancy
                    or len(tenancy) > MAX_ID
                    or ("+" in tenancy and _SCIENTIFIC(tenancy) is not None)
                ):
                    add_error(
                        LineError(line, "tenancy_id", _shown(tenancy), _tenancy_reason(tenancy))
                    )
                    ok = False

                text_date = row[i_date].strip()
                booked = dates.get(text_date)
                if booked is None:
                    booked = dates[text_date] = _parse_date(text_date, today)
                if type(booked) is str:
                    add_error(LineError(line, "booking_date", _shown(text_date), booked))
                    ok = False

                text_kind = row[i_kind].strip()
                kind = kinds.get(text_kind)
                if kind is None:
                    add_error(LineError(line, "kind", _shown(text_kind), _kind_reason(text_kind)))
                    ok = False

                text_amount = row[i_amount].strip()
                cents = amounts.get(text_amount)
                if cents is None:
                    cents = amounts[text_amount] = _parse_amount(text_amount)
                if type(cents) is str:
                    add_error(LineError(line, "amount", _shown(text_amount), cents))
                    ok = False

                period: str | None = row[i_period].strip()
                if period:
                    period_error = periods.get(period)
                    if period_error is None:
                        period_error = periods[period] = _period_reason(period) or ""
                    if period_error:
                        add_error(LineError(line, "period", _shown(period), period_error))
                        ok = False
                else:
                    period = None
                    if kind is _CHARGE:
                        add_error(
                            LineError(
                                line,
                                "period",
                                "",
                                "period is required for a CHARGE (yyyy-mm, e.g. 2024-05)",
                            )
                        )
                        ok = False

                description = row[i_desc].strip()
                if len(description) > MAX_DESCRIPTION:
                    add_error(
                        LineError(
                            line,
                            "description",
                            _shown(description),
                            f"description is {len(description)} characters long; at most {MAX_DESCRIPTION} are allowed",
                        )
                    )
                    ok = False

                iban = row[i_iban]
                has_iban = False
                if iban:
                    iban = iban.strip()
                    if iban:
                        has_iban = True
                        # Tenants pay from the same account every month: validate
                        # each distinct IBAN once (the cache dies with this call).
                        iban_error = ibans.get(iban)
                        if iban_error is None:
                            iban_error = ibans[iban] = _iban_reason(iban) or ""
                        if iban_error:
                            add_error(
                                LineError(line, "counterparty_iban", _mask_iban(iban), iban_error)
                            )
                            ok = False

                reason = row[i_reason].strip() or None
                reverses = row[i_rev].strip() or None
                if kind is _REVERSAL:
                    if reason is None:
                        add_error(
                            LineError(
                                line,
                                "reason_code",
                                "",
                                "reason_code is required for a REVERSAL (ISO return reason such as AM04 or MD06)",
                            )
                        )
                        ok = False
                    elif _REASON(reason) is None and reason not in _SEPA_LETTER_CODES:
                        add_error(
                            LineError(
                                line, "reason_code", _shown(reason), _reason_code_reason(reason)
                            )
                        )
                        ok = False
                    if reverses is None:
                        add_error(
                            LineError(
                                line,
                                "reverses_transaction_id",
                                "",
                                "reverses_transaction_id is required for a REVERSAL: the transaction_id of the payment it reverses",
                            )
                        )
                        ok = False
                    elif _ID(reverses) is None:
                        add_error(
                            LineError(
                                line,
                                "reverses_transaction_id",
                                _shown(reverses),
                                _id_reason(reverses),
                            )
                        )
                        ok = False
                    elif reverses == tid:
                        add_error(
                            LineError(
                                line,
                                "reverses_transaction_id",
                                reverses,
                                "a REVERSAL cannot reverse itself: give the transaction_id of the payment",
                            )
                        )
                        ok = False
                    elif ok:
                        ref_error = _reversal_reason(
                            reverses,
                            tenancy,
                            cents,  # type: ignore[arg-type]  # ok: parsed
                            booked,  # type: ignore[arg-type]  # ok: parsed
                            by_id.get(reverses),
                            reversed_on.get(reverses),
                        )
                        if ref_error is not None:
                            add_error(
                                LineError(line, "reverses_transaction_id", reverses, ref_error)
                            )
                            ok = False
                        else:
                            reversed_on[reverses] = line
                            if reverses not in by_id:
                                pending_refs.append((line, reverses))
                elif kind is not None:
                    if reason is not None:
                        add_error(
                            LineError(
                                line,
                                "reason_code",
                                _shown(reason),
                                f"reason_code is only for a REVERSAL, not for a {kind.value}",
                            )
                        )
                        ok = False
                    if reverses is not None:
                        add_error(
                            LineError(
                                line,
                                "reverses_transaction_id",
                                _shown(reverses),
                                f"reverses_transaction_id is only for a REVERSAL, not for a {kind.value}"
                                " (should kind be REVERSAL?)",
                            )
                        )
                        ok = False

                if ok:
                    ledger_line = LedgerLine(
                        line,
                        tid,
                        tenancy,
                        booked,  # type: ignore[arg-type]  # ok: a date
                        kind,  # type: ignore[arg-type]  # ok: a LedgerKind
                        cents,  # type: ignore[arg-type]  # ok: an int
                        period,
                        description,
                        has_iban,
                        reason,
                        reverses,
                    )
                    append_line(ledger_line)
                    by_id[tid] = ledger_line
            break
        except csv.Error as exc:
            line = prev_end + 1
            prev_end = reader.line_num
            rows_read += 1
            add_error(LineError(line, ROW, "", _csv_error_reason(exc, line, prev_end)))

    if rows_read == 0:
        errors.append(
            LineError(
                header_line,
                FILE,
                "",
                "the file has a header row but no data rows: nothing to import",
            )
        )

    # A reversal listed before the payment it reverses (same file): say so,
    # rather than letting the store call the payment unknown.
    if pending_refs:
        dropped: set[int] = set()
        for line, ref in pending_refs:
            payment = by_id.get(ref)
            if payment is not None and payment.line > line:
                errors.append(
                    LineError(
                        line,
                        "reverses_transaction_id",
                        ref,
                        f"the transaction {ref} it reverses comes later in this file"
                        f" (line {payment.line}); a reversal must come after its payment",
                    )
                )
                dropped.add(line)
        if dropped:
            lines = [x for x in lines if x.line not in dropped]
        errors.sort(key=_line_of)

    return lines, errors, rows_read


# -- decoding -------------------------------------------------------------------


def _decode(data: bytes, encoding: str) -> tuple[str | None, LineError | None]:
    name = encoding.strip().lower().replace("_", "-")
    if name not in _UTF8_NAMES and name not in _CP1252_NAMES:
        return None, LineError(
            0, FILE, encoding, "unsupported encoding: use utf-8 (the default) or cp1252"
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, LineError(
            0,
            FILE,
            data[:2].hex(" ").upper(),
            "the file is UTF-16 (byte-order mark found): export it as UTF-8 (in Excel: 'CSV UTF-8')",
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        if data.count(b"\x00") * 4 >= len(data):
            return None, LineError(
                0,
                FILE,
                "",
                "the file looks like UTF-16 (every other byte is NUL): export it as UTF-8 (in Excel: 'CSV UTF-8')",
            )
        line = data.count(b"\n", 0, nul) + 1
        return None, LineError(
            line,
            _column_at(data, nul),
            "\\x00",
            "NUL byte (0x00) found: this is not a text CSV file (a binary file, or a damaged export)",
        )

    if name in _UTF8_NAMES:
        try:
            return data.decode("utf-8-sig"), None
        except UnicodeDecodeError as exc:
            bad = data[exc.start : exc.end]
            line = data.count(b"\n", 0, exc.start) + 1
            affected = sum(1 for raw in data.splitlines() if not _is_utf8(raw))
            hint = ""
            if len(bad) == 1:
                try:
                    hint = f" (would be {bad.decode('cp1252')!r} in cp1252/Windows-1252)"
                except UnicodeDecodeError:
                    pass
            return None, LineError(
                line,
                _column_at(data, exc.start),
                "".join(f"\\x{b:02x}" for b in bad),
                f"the file is not valid UTF-8: byte {bad.hex(' ').upper()}{hint}"
                f" on this line ({affected} line(s) affected). Export the file as UTF-8,"
                " or import it with encoding cp1252 if that is what the system writes",
            )

    # cp1252, as the caller asked.
    if data.startswith(_UTF8_BOM):
        return None, LineError(
            0,
            FILE,
            "EF BB BF",
            "cp1252 was requested but the file starts with a UTF-8 byte-order mark: import it as UTF-8",
        )
    if not data.isascii() and _is_utf8(data):
        first = re.search(rb"[\x80-\xff]", data)
        pos = first.start() if first else 0
        return None, LineError(
            data.count(b"\n", 0, pos) + 1,
            _column_at(data, pos),
            "",
            "cp1252 was requested but the file is UTF-8 (its accented letters are UTF-8"
            " sequences): importing it as cp1252 would corrupt the text; import it as UTF-8",
        )
    try:
        return data.decode("cp1252"), None
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.end]
        return None, LineError(
            data.count(b"\n", 0, exc.start) + 1,
            _column_at(data, exc.start),
            "".join(f"\\x{b:02x}" for b in bad),
            f"byte {bad.hex(' ').upper()} is not a cp1252 character: is the file really cp1252?",
        )


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _column_at(data: bytes, pos: int) -> str:
    """The column name at byte ``pos`` (error path only), or ``(file)``."""
    try:
        first_line = data[: data.find(b"\n")] if b"\n" in data else data
        header = next(
            csv.reader([first_line.decode("utf-8-sig", "replace").rstrip("\r")], delimiter=";")
        )
        start = data.rfind(b"\n", 0, pos) + 1
        if start == 0:
            return HEADER
        prefix = data[start:pos].decode("utf-8", "replace").replace("\x00", "")
        fields = next(csv.reader([prefix], delimiter=";"), [""])
        index = max(len(fields), 1) - 1
        name = header[index].strip() if index < len(header) else ""
        return name if name in COLUMNS else FILE
    except (csv.Error, StopIteration, IndexError):
        return FILE


# -- header --------------------------------------------------------------------


def _read_header(header: list[str], line: int) -> tuple[dict[str, int | None], list[LineError]]:
    errors: list[LineError] = []
    index: dict[str, int | None] = dict.fromkeys(COLUMNS)
    if len(header) == 1:
        only = header[0]
        for sep, label in ((",", "',' (comma)"), ("\t", "a tab")):
            if sep in only:
                return index, [
                    LineError(
                        line,
                        HEADER,
                        _shown(only.replace("\t", "\\t")),
                        f"the separator is {label}, not ';' (semicolon): export the file"
                        " with ';' as the separator",
                    )
                ]
    names = [h.strip() for h in header]
    if not any(n.lower() in index for n in names):
        return index, [
            LineError(
                line,
                HEADER,
                _shown(";".join(names)),
                f"the first line must be the header row with the column names ({_HEADER_HINT})",
            )
        ]
    for i, name in enumerate(names):
        if name in index:
            earlier = index[name]
            if earlier is not None:
                errors.append(
                    LineError(
                        line,
                        name,
                        name,
                        f"duplicated column: {name!r} is also column {earlier + 1}",
                    )
                )
            else:
                index[name] = i
        elif name.lower() in index:
            errors.append(
                LineError(line, name, name, f"column names are lower case: write {name.lower()!r}")
            )
        elif not name:
            errors.append(
                LineError(
                    line, HEADER, "", f"column {i + 1} has no name (a ';' too many at the end?)"
                )
            )
        else:
            errors.append(
                LineError(
                    line,
                    _shown(name),
                    _shown(name),
                    f"unknown column {name!r}; the columns are: {', '.join(COLUMNS)}",
                )
            )
    for name in REQUIRED_COLUMNS:
        if index[name] is None and not any(n.lower() == name for n in names):
            errors.append(
                LineError(line, name, "", f"required column {name!r} is missing from the header")
            )
    return index, errors


def _count_rows(reader: Iterator[list[str]]) -> int:
    count = 0
    while True:
        try:
            for row in reader:
                if row and any(f.strip() for f in row):
                    count += 1
            return count
        except csv.Error:
            count += 1


# -- per value (error paths and cached parses) -------------------------------------


def _line_of(error: LineError) -> int:
    return error.line


def _shown(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _mask_iban(value: str) -> str:
    compact = "".join(value.split())
    if len(compact) <= 6:
        return "*" * len(compact)
    return compact[:4] + "*" * (len(compact) - 6) + compact[-2:]


def _field_count_error(line: int, found: int, expected: int) -> LineError:
    if found > expected:
        why = (
            f"{found} fields instead of {expected}: a ';' inside a value that is not"
            ' between double quotes ("...")?'
        )
    else:
        why = f"{found} fields instead of {expected}: a missing ';' or a cut-off row?"
    return LineError(line, ROW, f"{found} fields", why)


def _csv_error_reason(exc: csv.Error, line: int, end: int) -> str:
    where = f"lines {line}-{end}" if end > line else "this line"
    return f'not valid CSV on {where} ({exc}): a stray or unbalanced double quote (")?'


def _escape(m: re.Match[str]) -> str:
    return f"\\x{ord(m.group()):02x}"


def _check_controls(
    row: list[str],
    names: list[str],
    line: int,
    i_iban: int,
    add_error: Callable[[LineError], None],
) -> bool:
    ok = True
    for i, value in enumerate(row):
        found = _CONTROL.search(value)
        if found is None:
            continue
        char = found.group()
        code = f"U+{ord(char):04X}"
        name = _CONTROL_NAMES.get(char)
        label = f"{name}, {code}" if name else code
        if char in "\r\n":
            why = (
                f"contains a line break ({label}) inside the value; a value must be on one line"
                ' (or a double quote (") is not closed)'
            )
        else:
            why = f"contains a control character ({label}); remove it"
        shown = _mask_iban(value) if i == i_iban else _shown(_CONTROL.sub(_escape, value))
        add_error(LineError(line, names[i] or f"column {i + 1}", shown, why))
        row[i] = _CONTROL.sub("", value)  # judge the rest of the value on its own
        ok = False
    return ok


def _id_reason(value: str) -> str:
    if not value:
        return "a transaction id is required (1-64 characters: letters, digits, . _ / -)"
    if _SCIENTIFIC(value) is not None:
        return (
            "looks like a number that Excel turned into scientific notation (e.g. 1,23457E+11);"
            " the original id is lost: re-export with the column formatted as text"
        )
    if len(value) > MAX_ID:
        return f"too long: {len(value)} characters, at most {MAX_ID}"
    bad = sorted({c for c in value if not _ID(c)})
    return f"may only contain letters, digits and . _ / - (found {' '.join(repr(c) for c in bad)})"


def _tenancy_reason(value: str) -> str:
    if not value:
        return "tenancy_id is required"
    if _SCIENTIFIC(value) is not None:
        return (
            "looks like a number that Excel turned into scientific notation (e.g. 1,23457E+11);"
            " the original id is lost: re-export with the column formatted as text"
        )
    return f"too long: {len(value)} characters, at most {MAX_ID}"


def _kind_reason(value: str) -> str:
    if not value:
        return f"kind is required: {_KIND_LIST}"
    upper = value.upper()
    if upper in _KINDS:
        return f"kind must be written in capitals: {upper}"
    return f"unknown kind; it must be one of {_KIND_LIST}"


def _parse_date(value: str, today: date) -> date | str:
    m = _DATE(value)
    if m is not None:
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        if not 1 <= month <= 12:
            return (
                f"not a real date: there is no month {month} (the format is dd-mm-yyyy, day first)"
            )
        if year < 1900:
            return f"not a plausible date: year {year}"
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            return f"not a real date: {calendar.month_name[month]} {year} has {last} days"
        booked = date(year, month, day)
        if booked > today:
            return f"booking date in the future (today is {today:%d-%m-%Y})"
        return booked
    if not value:
        return "booking_date is required (dd-mm-yyyy, e.g. 13-05-2024)"
    m = _SERIAL(value)
    if m is not None:
        serial = int(m[1])
        hint = ""
        if 1 <= serial <= 2958465:
            hint = f", which would be {_EXCEL_EPOCH + timedelta(days=serial):%d-%m-%Y}"
        return (
            f"looks like an Excel serial date number{hint}: format the column as a date"
            " dd-mm-yyyy (e.g. 13-05-2024) before exporting"
        )
    if len(value) == 8 and value.isdigit():
        return "a date without separators: write it as dd-mm-yyyy, e.g. 13-05-2024"
    if _ISO_DATE(value) is not None:
        return "ISO date (yyyy-mm-dd): write it as dd-mm-yyyy, e.g. 13-05-2024"
    if _SHORT_YEAR(value) is not None:
        return "two-digit year: write the year in full, dd-mm-yyyy (e.g. 13-05-2024)"
    m = _OTHER_SEP(value)
    if m is not None:
        return f"uses {m[1]!r} between day, month and year: use '-', dd-mm-yyyy (e.g. 13-05-2024)"
    m = _WITH_TIME(value)
    if m is not None:
        return f"contains a time: give the date only, dd-mm-yyyy (e.g. {m[1]})"
    return "not a date like dd-mm-yyyy (e.g. 13-05-2024)"


_NEGATIVE = re.compile(r"-.*|.*-|\(.*\)").fullmatch
_CURRENCY = re.compile(r".*(?:€|\$|£|EUR|eur|Eur).*").fullmatch
_DOT_THOUSANDS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]*)?").fullmatch
_SPACE_THOUSANDS = re.compile(r"[0-9]{1,3}(?:[ \u00a0\u202f'][0-9]{3})+(?:,[0-9]*)?").fullmatch
_ENGLISH = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]+").fullmatch
_DECIMAL_POINT = re.compile(r"[0-9]+\.[0-9]+").fullmatch
_DECIMALS = re.compile(r"[0-9]+,([0-9]+)").fullmatch
_INTEGER = re.compile(r"[0-9]+").fullmatch


def _parse_amount(value: str) -> int | str:
    m = _AMOUNT(value)
    if m is not None:
        cents = int(m[1]) * 100 + int(m[2])
        if cents == 0:
            return "amount must be greater than 0,00 (a zero row has nothing to book)"
        return cents
    if not value:
        return "amount is required (decimal comma, 2 decimals, e.g. 650,00)"
    if _CURRENCY(value) is not None:
        return "no currency sign allowed: write only the number, e.g. 12,00"
    if _NEGATIVE(value) is not None:
        return (
            "negative amount: amounts are always positive, the sign comes from kind"
            " (use REVERSAL or CREDIT for money going back)"
        )
    if value.startswith("+"):
        return "no sign allowed: write only the number, e.g. 12,00"
    if _DOT_THOUSANDS(value) is not None:
        return f"no thousands separator allowed: write {value.replace('.', '')}"
    if _SPACE_THOUSANDS(value) is not None:
        return "no thousands separator allowed: write the number without spaces, e.g. 1234,56"
    if _ENGLISH(value) is not None:
        return (
            "English number format (',' for thousands, '.' for decimals): write it with a"
            f" decimal comma and no thousands separator, {value.replace(',', '').replace('.', ',')}"
        )
    if _DECIMAL_POINT(value) is not None:
        return f"decimal point instead of a decimal comma: write {value.replace('.', ',')}"
    m = _DECIMALS(value)
    if m is not None:
        n = len(m[1])
        if n > 2:
            return (
                f"{n} decimals: exactly 2 are required (and if ',' is meant as a thousands"
                " separator: no thousands separator is allowed)"
            )
        if n == 0:
            return f"no decimals after the comma: write {value}00"
        if n == 1:
            return f"1 decimal: exactly 2 are required, write {value}0"
        return "amount too large (more than 999999999,99)"
    if _INTEGER(value) is not None:
        return f"no decimals: write {value},00 (decimal comma, exactly 2 decimals)"
    return "not an amount like 650,00 (digits, a decimal comma and exactly 2 decimals)"


def _period_reason(value: str) -> str | None:
    m = _PERIOD(value)
    if m is not None:
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            return f"not a period: there is no month {month} (yyyy-mm, e.g. 2024-05)"
        if year < 1900:
            return f"not a plausible period: year {year}"
        return None
    if re.fullmatch(r"[0-9]{1,2}-[0-9]{4}", value):
        return "month first: write the period as yyyy-mm, e.g. 2024-05"
    if re.fullmatch(r"[0-9]{4}-[0-9]", value):
        return f"write the month with two digits: {value[:5]}0{value[5:]}"
    if _DATE(value) or _ISO_DATE(value):
        return "a date, not a period: write the month as yyyy-mm, e.g. 2024-05"
    return "not a period like 2024-05 (yyyy-mm)"


def _iban_reason(value: str) -> str | None:
    try:
        IBAN(value)
    except InvalidChecksumDigits:
        return "not a valid IBAN: the check digits do not match (a typo?)"
    except InvalidLength:
        return "not a valid IBAN: wrong length for its country"
    except InvalidCountryCode:
        return "not a valid IBAN: unknown country code"
    except (SchwiftyException, ValueError):
        return "not a valid IBAN"
    return None


def _reason_code_reason(value: str) -> str:
    upper = value.upper()
    if upper != value and (_REASON(upper) or upper in _SEPA_LETTER_CODES):
        return f"reason_code must be written in capitals: {upper}"
    known = ", ".join(f"{c} ({d})" for c, d in KNOWN_REASON_CODES.items())
    return f"not an ISO return reason code; expected e.g. {known}"


def _reversal_reason(
    ref: str,
    tenancy: str,
    cents: int,
    booked: date,
    original: LedgerLine | None,
    reversed_line: int | None,
) -> str | None:
    if reversed_line is not None:
        return f"payment {ref} is already reversed on line {reversed_line}; a payment can be reversed once"
    if original is None:
        return None  # not in this file: the store layer checks it
    if original.kind is not _PAYMENT:
        return (
            f"{ref} (line {original.line}) is a {original.kind.value}, not a PAYMENT;"
            " only payments can be reversed"
        )
    if original.tenancy_ref != tenancy:
        return (
            f"payment {ref} (line {original.line}) belongs to tenancy {original.tenancy_ref},"
            f" not to {tenancy}"
        )
    if cents > original.cents:
        return (
            f"the reversal ({_euros(cents)}) is larger than payment {ref} ({_euros(original.cents)},"
            f" line {original.line})"
        )
    if booked < original.booking_date:
        return (
            f"booked before the payment it reverses ({ref}, {original.booking_date:%d-%m-%Y},"
            f" line {original.line})"
        )
    return None


def _euros(cents: int) -> str:
    return format_nl(cents)
