"""Bank return reason codes act (ISO 20022 external return reason codes).

A returned direct debit or reversed payment carries a reason code; the policy maps
each code to what the playbook does with it:

- ``stop_contact`` (default for MD07, debtor deceased): no call, SMS, letter, signal,
  costs, bailiff or legal step for the tenancy any more; an officer task to contact
  the estate instead (rule RET-DECEASED).
- ``new_bank_details`` (default for AC04 closed account, AC06 blocked account): an
  officer task to ask the tenant for new bank details (rule RET-BANK-DETAILS); the
  rhythm of the case goes on.
- ``normal`` (default for AM04 insufficient funds, MS02 refused by the debtor, MD06
  refund request, and any code the policy does not name): the normal rhythm.

Pure rules: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from domain.calendar import on_or_next_business_day
from domain.ledger_index import remembered
from domain.tenancy import Tenancy

STOP_CONTACT = "stop_contact"
NEW_BANK_DETAILS = "new_bank_details"
NORMAL = "normal"
RETURN_ACTIONS = (STOP_CONTACT, NEW_BANK_DETAILS, NORMAL)

DEFAULT_RETURN_CODES: dict[str, str] = {
    "MD07": STOP_CONTACT,
    "AC04": NEW_BANK_DETAILS,
    "AC06": NEW_BANK_DETAILS,
    "AM04": NORMAL,
    "MS02": NORMAL,
    "MD06": NORMAL,
}


def return_action(code: str, codes: dict[str, str]) -> str:
    return codes.get(code.strip().upper(), NORMAL)


def reversals(tenancy: Tenancy, day: date) -> list[tuple[str, dict[str, Any]]]:
    """Reversals booked by ``day`` (key, facts), oldest first (remembered per state of
    the ledger: do not change the list)."""
    return remembered(tenancy, ("reversals", day), lambda: _reversals(tenancy, day))


def _reversals(tenancy: Tenancy, day: date) -> list[tuple[str, dict[str, Any]]]:
    rows = [(k, tx) for k, tx in tenancy.transactions.items() if tx["kind"] == "REVERSAL" and tx["booked_on"] <= day]
    return sorted(rows, key=lambda kv: (kv[1]["booked_on"], kv[0]))


def contact_stopped(tenancy: Tenancy, day: date, codes: dict[str, str]) -> tuple[str, dict[str, Any]] | None:
    """The first reversal whose code stops all contact (a death is for good), if any."""
    for key, tx in reversals(tenancy, day):
        if return_action(tx.get("reason_code", ""), codes) == STOP_CONTACT:
            return key, tx
    return None


AddFn = Callable[..., None]


def return_code_rules(case: Any, tenancy: Tenancy, day: date, codes: dict[str, str], add: AddFn) -> bool:
    """Add the tasks the return codes ask for. True: all contact stops (the caller takes
    no other step for the case)."""
    stopped = contact_stopped(tenancy, day, codes)
    if stopped is not None:
        key, tx = stopped
        add("task", "RET-DECEASED", "task:estate", {"reversal": key, "reason_code": tx["reason_code"],
                                                   "booked_on": tx["booked_on"]},
            task_kind="estate", due_on=on_or_next_business_day(day))
        return True
    since = tenancy.last_case_closed_on
    for key, tx in reversals(tenancy, day):
        if since is not None and tx["booked_on"] <= since:
            continue  # a return of an earlier episode was that case's to act on
        if return_action(tx.get("reason_code", ""), codes) == NEW_BANK_DETAILS:
            add("task", "RET-BANK-DETAILS", f"task:bank_details:{key}",
                {"reversal": key, "reason_code": tx["reason_code"], "booked_on": tx["booked_on"]},
                task_kind="new_bank_details", due_on=on_or_next_business_day(max(day, tx["booked_on"])))
    return False
