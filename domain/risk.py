"""Risk-score features: pure rules over one tenancy's own history.

The question the score answers: will this tenancy still be unpaid on the robocall
day of a month? For each rent period the features are computed only from what was
known before that period's due date (no look-ahead), and the label is whether the
balance exceeded the tolerance on that month's robocall day.

Features (all named, none from sealed answers: intake answers, notes and budget
details are sealed and never read here):

- ``arrears_months_12``: of the previous 12 charged periods, how many were still
  unpaid on their robocall day;
- ``days_late_last_month``: days from the previous period's due date until the
  balance was back within the tolerance (the gap to this due date if it never was);
- ``arrears_at_due_eur``: balance carried into this due date (EUR, before this charge);
- ``due_vs_income_day``: days between the agreed due day and the due day proposed at
  intake to match the income (0 when none was proposed; the proposal is the only
  unsealed trace of the benefit pay day);
- ``promises_broken``: payment promises checked as not kept before this due date;
- ``arrangements_broken`` / ``arrangements_agreed``: arrangement history before it;
- ``months_known``: charged periods before this one (history depth, at most 12).
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta

import attrs

FEATURES: tuple[str, ...] = (
    "arrears_months_12",
    "days_late_last_month",
    "arrears_at_due_eur",
    "due_vs_income_day",
    "promises_broken",
    "arrangements_broken",
    "arrangements_agreed",
    "months_known",
)


@attrs.define
class History:
    """One tenancy's ledger and case history, in business dates."""

    due_day: int = 1
    proposed_due_day: int | None = None
    charges: list[tuple[str, date, int]] = attrs.Factory(list)  # (period, due date, cents)
    moves: list[tuple[date, int]] = attrs.Factory(list)  # (booked on, +cents owed / -cents paid)
    promises: list[tuple[date, bool]] = attrs.Factory(list)  # (checked on, kept)
    arrangements_agreed: list[date] = attrs.Factory(list)
    arrangements_broken: list[date] = attrs.Factory(list)
    ended_on: date | None = None

    def balance(self, on: date, *, before: bool = False) -> int:
        """Cents owed at the end of ``on`` (or at its start, ``before``)."""
        owed = sum(c for _, due, c in self.charges if (due < on if before else due <= on))
        owed += sum(c for d, c in self.moves if (d < on if before else d <= on))
        return owed


def robocall_date(due: date, robocall_day: int, days_after_due_when_late: int) -> date:
    """The robocall day of the month a rent falls due: the policy's day, or a week
    (the policy's days) after a due date on or after it."""
    if due.day < robocall_day:
        return due.replace(day=robocall_day)
    return due + timedelta(days=days_after_due_when_late)


def _cleared_on(h: History, due: date, until: date, tolerance: int) -> date:
    """First day from ``due`` on which the balance was within the tolerance (``until`` if none)."""
    if h.balance(due) <= tolerance:
        return due
    days = sorted({d for d, _ in h.moves if due < d < until})
    for d in days:
        if h.balance(d) <= tolerance:
            return d
    return until


def period_rows(
    h: History, *, robocall_day: int, days_after_due_when_late: int, tolerance_cents: int,
    until: date | None = None,
) -> list[tuple[str, date, dict[str, float], bool | None]]:
    """(period, due date, features, label) for each charged period; the label is None
    when the robocall day lies after ``until`` (not yet known)."""
    charges = sorted(h.charges, key=lambda c: c[1])
    out: list[tuple[str, date, dict[str, float], bool | None]] = []
    labels: list[bool | None] = []
    promise_days = sorted(d for d, kept in h.promises if not kept)
    agreed = sorted(h.arrangements_agreed)
    broken = sorted(h.arrangements_broken)
    for i, (period, due, _cents) in enumerate(charges):
        rc = robocall_date(due, robocall_day, days_after_due_when_late)
        label: bool | None = None
        if until is None or rc <= until:
            label = h.balance(rc) > tolerance_cents
        prev12 = [x for x in labels[-12:] if x is not None]
        if i > 0:
            prev_due = charges[i - 1][1]
            days_late = (_cleared_on(h, prev_due, due, tolerance_cents) - prev_due).days
        else:
            days_late = 0
        feats = {
            "arrears_months_12": float(sum(prev12)),
            "days_late_last_month": float(days_late),
            "arrears_at_due_eur": h.balance(due, before=True) / 100,
            "due_vs_income_day": float(abs(h.due_day - h.proposed_due_day)) if h.proposed_due_day else 0.0,
            "promises_broken": float(bisect_right(promise_days, due - timedelta(days=1))),
            "arrangements_broken": float(bisect_right(broken, due - timedelta(days=1))),
            "arrangements_agreed": float(bisect_right(agreed, due - timedelta(days=1))),
            "months_known": float(min(i, 12)),
        }
        out.append((period, due, feats, label))
        labels.append(label)
    return out


def next_due(h: History, day: date) -> date:
    """The due date of the month of ``day`` under the tenancy's due day."""
    import calendar

    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=min(h.due_day, last))


def features_on(h: History, day: date, *, robocall_day: int, days_after_due_when_late: int,
                tolerance_cents: int) -> dict[str, float]:
    """Features for the period falling due in the month of ``day`` (charged or not yet)."""
    due = next_due(h, day)
    period = f"{due.year:04d}-{due.month:02d}"
    extra = History(due_day=h.due_day, proposed_due_day=h.proposed_due_day,
                    charges=[c for c in h.charges if c[0] != period] + [(period, due, 0)],
                    moves=h.moves, promises=h.promises, arrangements_agreed=h.arrangements_agreed,
                    arrangements_broken=h.arrangements_broken)
    rows = period_rows(extra, robocall_day=robocall_day, days_after_due_when_late=days_after_due_when_late,
                       tolerance_cents=tolerance_cents, until=due)
    for p, _, feats, _ in rows:
        if p == period:
            return feats
    raise AssertionError("the period was added")  # pragma: no cover
