"""Wet incassokosten (art. 6:96 lid 6 BW): the cost scale and the 14-day deadline.

Scale (Besluit vergoeding voor buitengerechtelijke incassokosten, Stb. 2012, 141):
15% of the first EUR 2,500; 10% of the next 2,500; 5% of the next 5,000; 1% of the
next 190,000; 0.5% above that; minimum EUR 40, maximum EUR 6,775. Rule id ``WIK-SCALE``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.policy import Policy

MINIMUM_CENTS = 40_00
MAXIMUM_CENTS = 6_775_00

# (band width in cents or None for the rest, rate in basis points of 1/10000)
_BANDS: tuple[tuple[int | None, int], ...] = (
    (2_500_00, 1500),
    (2_500_00, 1000),
    (5_000_00, 500),
    (190_000_00, 100),
    (None, 50),
)

PRESUMED_RECEIPT_DAYS = 2
PAYMENT_TERM_DAYS = 14


def collection_costs_cents(principal_cents: int, *, vat_rate_percent: int = 0) -> int:
    """The WIK collection costs for a principal, in cents (exact, rounded half up per band sum).

    ``vat_rate_percent`` is added only when the landlord cannot reclaim VAT.
    """
    if principal_cents <= 0:
        raise ValueError(f"principal: {principal_cents} cents is not a positive amount")
    remaining = principal_cents
    # accumulate in 1/10000 cent units to stay exact
    total = 0
    for width, rate in _BANDS:
        part = remaining if width is None else min(remaining, width)
        total += part * rate
        remaining -= part
        if remaining <= 0:
            break
    cents = (total + 5000) // 10000
    cents = max(MINIMUM_CENTS, min(MAXIMUM_CENTS, cents))
    if vat_rate_percent:
        cents = cents + (cents * vat_rate_percent + 50) // 100
    return cents


def presumed_receipt(posted_on: date, *, receipt_days: int = PRESUMED_RECEIPT_DAYS) -> date:
    return posted_on + timedelta(days=receipt_days)


def payment_deadline(
    posted_on: date,
    *,
    receipt_days: int = PRESUMED_RECEIPT_DAYS,
    term_days: int = PAYMENT_TERM_DAYS,
) -> date:
    """The last day to pay (rule ``WIK-14``).

    PLAYBOOK.md: "a deadline 14 days after the day after presumed receipt
    (receipt = posting + 2 days)". So: posted D, presumed receipt D+2, the day
    after receipt D+3, deadline D+3+14 = D+17. A deadline on a Saturday, Sunday or
    public holiday moves to the next business day (Algemene termijnenwet), so the
    term is never shorter than the law allows (a short term means no costs are due).
    """
    from domain.calendar import on_or_next_business_day

    day_after_receipt = presumed_receipt(posted_on, receipt_days=receipt_days) + timedelta(days=1)
    return on_or_next_business_day(day_after_receipt + timedelta(days=term_days))


# --------------------------------------------------- the policy's WIK terms
# The one source of the WIK numbers is the policy (``[playbook] wik_*``): the rules
# that decide the 14-day letter and the letters adapter that prints it both ask here.


def letter_costs(principal_cents: int, policy: Policy) -> int:
    """The collection costs a 14-day letter on ``principal_cents`` states."""
    return collection_costs_cents(principal_cents, vat_rate_percent=policy.wik_vat_percent)


def letter_receipt(posted_on: date, policy: Policy) -> date:
    """The presumed receipt of a letter posted on ``posted_on``."""
    return presumed_receipt(posted_on, receipt_days=policy.wik_receipt_days)


def letter_deadline(posted_on: date, policy: Policy) -> date:
    """The deadline of a 14-day letter posted on ``posted_on`` under ``policy``."""
    return payment_deadline(posted_on, receipt_days=policy.wik_receipt_days, term_days=policy.wik_term_days)
