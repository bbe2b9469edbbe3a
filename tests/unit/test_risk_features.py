"""Risk-score features: only what was known before the due date; the label is the
balance on the month's robocall day."""

from __future__ import annotations

from datetime import date

import pytest

from domain.risk import History, features_on, period_rows, robocall_date

KW = {"robocall_day": 12, "days_after_due_when_late": 7, "tolerance_cents": 0}


def _h(payments: list[tuple[date, int]], **kw: object) -> History:
    return History(due_day=1, charges=[("2026-01", date(2026, 1, 1), 500_00), ("2026-02", date(2026, 2, 1), 500_00),
                                       ("2026-03", date(2026, 3, 1), 500_00)],
                   moves=[(d, -c) for d, c in payments], **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("due", "want"),
    [(date(2026, 1, 1), date(2026, 1, 12)), (date(2026, 1, 12), date(2026, 1, 19)), (date(2026, 1, 20), date(2026, 1, 27))],
)
def test_the_robocall_day_is_the_12th_or_a_week_after_a_later_due_date(due: date, want: date) -> None:
    assert robocall_date(due, 12, 7) == want


def test_a_tenant_who_pays_on_the_20th_is_unpaid_on_the_robocall_day_and_20_days_late() -> None:
    h = _h([(date(2026, 1, 20), 500_00), (date(2026, 2, 20), 500_00), (date(2026, 3, 1), 500_00)])
    rows = period_rows(h, **KW)
    assert [r[3] for r in rows] == [True, True, False]
    feb, mar = rows[1][2], rows[2][2]
    assert feb["days_late_last_month"] == 19 and feb["arrears_months_12"] == 1
    assert mar["days_late_last_month"] == 19 and mar["arrears_months_12"] == 2
    assert mar["arrears_at_due_eur"] == 0


def test_features_never_look_past_the_due_date() -> None:
    early = _h([(date(2026, 1, 1), 500_00)])
    late = _h([(date(2026, 1, 1), 500_00), (date(2026, 3, 5), 99_00)])  # a payment after March's due date
    assert period_rows(early, **KW)[2][2] == period_rows(late, **KW)[2][2]


def test_unpaid_arrears_carry_into_the_next_due_date_and_broken_promises_count() -> None:
    h = _h([], promises=[(date(2026, 1, 25), False), (date(2026, 2, 20), True)])
    mar = period_rows(h, **KW)[2][2]
    assert mar["arrears_at_due_eur"] == 1000.0
    assert mar["days_late_last_month"] == 28  # never cleared: the gap to this due date
    assert mar["promises_broken"] == 1


def test_a_label_after_the_cut_off_day_is_unknown() -> None:
    rows = period_rows(_h([]), **KW, until=date(2026, 2, 11))
    assert [r[3] for r in rows] == [True, None, None]


def test_features_on_a_day_describe_that_months_due_date() -> None:
    h = _h([(date(2026, 1, 20), 500_00), (date(2026, 2, 20), 500_00)], proposed_due_day=25)
    f = features_on(h, date(2026, 4, 3), **KW)
    assert f["arrears_months_12"] == 3 and f["due_vs_income_day"] == 24 and f["months_known"] == 3
