"""Many runs: the mean and 95% interval of each KPI, and the paired difference."""

from __future__ import annotations

import pytest

from adapters.simulation.runs import Interval, summarise, t95


@pytest.mark.parametrize(
    "df,want",
    [(1, 12.706), (2, 4.303), (9, 2.262), (30, 2.042), (40, 2.021), (60, 2.000), (120, 1.980), (1000, 1.962)],
)
def test_t_quantiles(df: int, want: float) -> None:
    assert t95(df) == pytest.approx(want, abs=0.002)


@pytest.mark.parametrize(
    "values,mean,low,high",
    [
        ([10.0], 10.0, 10.0, 10.0),  # one run: no spread, no interval
        ([1.0, 2.0, 3.0], 2.0, 2.0 - 4.303 / 3**0.5, 2.0 + 4.303 / 3**0.5),
        ([5.0, 5.0, 5.0, 5.0], 5.0, 5.0, 5.0),
    ],
)
def test_interval_of_the_mean(values: list[float], mean: float, low: float, high: float) -> None:
    iv = Interval.of(values)
    assert (iv.mean, iv.low, iv.high) == pytest.approx((mean, low, high), abs=1e-3)


def test_the_paired_difference_says_when_it_is_noise() -> None:
    per_seed = {
        1: {"preventive": {"robocalls": 10, "cases_opened": 5}, "classic": {"robocalls": 0, "cases_opened": 6}},
        2: {"preventive": {"robocalls": 12, "cases_opened": 7}, "classic": {"robocalls": 0, "cases_opened": 6}},
        3: {"preventive": {"robocalls": 11, "cases_opened": 6}, "classic": {"robocalls": 0, "cases_opened": 5}},
    }
    doc = summarise(per_seed)
    assert doc["strategies"]["preventive"]["robocalls"]["mean"] == 11.0
    diff = doc["difference_preventive_minus_classic"]
    assert diff["robocalls"]["distinguishable"] is True
    assert diff["cases_opened"]["mean"] == pytest.approx(1 / 3, abs=1e-3)
    assert diff["cases_opened"]["distinguishable"] is False
