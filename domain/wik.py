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
# Letters are not delivered on Sundays and Mondays (PostNL), nor on public holidays.
NO_DELIVERY_WEEKDAYS: frozenset[int] = frozenset({6, 0})
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_weekdays(text: str) -> frozenset[int]:
    """``"sun,mon"`` -> {6, 0}; an empty text means post is delivered every day."""
    out: set[int] = set()
    for part in text.split(","):
        name = part.strip().lower()[:3]
        if not name:
            continue
        if name not in WEEKDAY_NAMES:
            raise ValueError(f"{part.strip()!r} is not a weekday (mon, tue, wed, thu, fri, sat, sun)")
        out.add(WEEKDAY_NAMES.index(name))
    if len(out) == 7:
        raise ValueError("post must be delivered on at least one weekday")
    return frozenset(out)


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


def is_delivery_day(day: date, no_delivery: frozenset[int] = NO_DELIVERY_WEEKDAYS) -> bool:
    from domain.calendar import is_holiday

    return day.weekday() not in no_delivery and not is_holiday(day)


def presumed_receipt(
    posted_on: date,
    *,
    receipt_days: int = PRESUMED_RECEIPT_DAYS,
    no_delivery: frozenset[int] = NO_DELIVERY_WEEKDAYS,
) -> date:
    """The presumed day of receipt: ``receipt_days`` postal delivery days after posting
    (rule ``WIK-RECEIPT``). A delivery day is a day that is not in ``no_delivery``
    (default Sunday and Monday) and not a public holiday of the legal calendar."""
    day = posted_on
    for _ in range(receipt_days):
        day += timedelta(days=1)
        while not is_delivery_day(day, no_delivery):
            day += timedelta(days=1)
    return day


def payment_deadline(
    posted_on: date,
    *,
    receipt_days: int = PRESUMED_RECEIPT_DAYS,
    term_days: int = PAYMENT_TERM_DAYS,
    no_delivery: frozenset[int] = NO_DELIVERY_WEEKDAYS,
) -> date:
    """The last day to pay (rule ``WIK-14``); the only deadline function: the letter
    states it and the costs check reads the deadline the letter stated.

    Presumed receipt R counts ``receipt_days`` postal delivery days from posting; the
    deadline is ``term_days`` days after the day after receipt (R + 1 + 14, one day
    more than the legal minimum of 14 days counted from the day after receipt, so a
    stated deadline is never too short). A deadline on a Saturday, Sunday or general
    holiday of the Algemene termijnenwet (5 May every year) moves to the next day that
    is none (art. 1).
    """
    from domain.calendar import is_term_end_day

    day_after_receipt = presumed_receipt(posted_on, receipt_days=receipt_days,
                                         no_delivery=no_delivery) + timedelta(days=1)
    deadline = day_after_receipt + timedelta(days=term_days)
    while not is_term_end_day(deadline):
        deadline += timedelta(days=1)
    return deadline


def letter_deadline(posted_on: date, policy: Policy) -> date:
    """The deadline of a 14-day letter posted on ``posted_on`` under ``policy``."""
    return payment_deadline(posted_on, receipt_days=policy.wik_receipt_days, term_days=policy.wik_term_days,
                            no_delivery=parse_weekdays(policy.wik_no_delivery_weekdays))


# The one source of the WIK numbers is the policy (``[playbook] wik_*``): the rules
# that decide the 14-day letter and the letters adapter that prints it both ask here.


def letter_costs(principal_cents: int, policy: Policy) -> int:
    """The collection costs a 14-day letter on ``principal_cents`` states."""
    return collection_costs_cents(principal_cents, vat_rate_percent=policy.wik_vat_percent)


def letter_receipt(posted_on: date, policy: Policy) -> date:
    """The presumed receipt of a letter posted on ``posted_on``."""
    return presumed_receipt(posted_on, receipt_days=policy.wik_receipt_days,
                            no_delivery=parse_weekdays(policy.wik_no_delivery_weekdays))
