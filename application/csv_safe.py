"""CSV cells that are safe to open in a spreadsheet (CSV/formula injection).

The one helper every CSV writer of the project uses (signal batches, call lists,
rejects files, KPI tables, the audit export...). The OWASP rule: a text cell starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula; it gets a leading apostrophe, which the
spreadsheet shows as text. A cell that is wholly a plain number (``-12.50``,
``+31612345678``) cannot be a formula and is kept as it is, so amounts and phone
numbers stay machine-readable; ``-1+cmd|' /C calc'!A0`` or ``+1+SUM(1+1)`` is not a
plain number and is neutralised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?", re.ASCII)


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell a spreadsheet will not evaluate."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(TRIGGERS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]


def is_safe(text: str) -> bool:
    """True when a cell as written cannot be taken for a formula (for tests and checks)."""
    return not text.startswith(TRIGGERS) or bool(_PLAIN_NUMBER.fullmatch(text))
