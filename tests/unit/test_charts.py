"""Charts a team lead reads without being misled: axes from zero, whole counts, a caption."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.simulation import render


def _month(i: int, pct: float, evictions: int) -> dict[str, Any]:
    return {
        "month": f"2026-{i:02d}",
        "arrears_pct": pct,
        "robocalls": 2,
        "sms": 1,
        "phone_contacts": 1,
        "home_visits": 0,
        "reminders": 1,
        "staff_hours": 0.4,
        "evictions": evictions,
        "legal_actions": evictions,
    }


def _kpis() -> render.Kpis:
    # arrears between 0.3 and 0.6 %: an axis starting at 0.3 would triple the visible gap
    return {
        "preventive": {"months": [_month(i, 0.30 + 0.01 * i, 0) for i in range(1, 7)]},
        "classic": {"months": [_month(i, 0.45 + 0.02 * i, i % 2) for i in range(1, 7)]},
    }


@pytest.fixture()
def axes() -> Any:
    plt = render._plt()
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.mark.parametrize("chart", render.CHARTS)
def test_every_chart_starts_its_value_axis_at_zero(axes: Any, chart: str) -> None:
    render._draw(axes, _kpis(), chart)
    assert axes.get_ylim()[0] == 0


@pytest.mark.parametrize("chart", sorted(render.COUNT_CHARTS))
def test_count_charts_have_whole_number_ticks(axes: Any, chart: str) -> None:
    render._draw(axes, _kpis(), chart)
    ticks = [t for t in axes.get_yticks() if axes.get_ylim()[0] <= t <= axes.get_ylim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)


def test_the_caption_is_drawn_under_the_chart() -> None:
    with_caption = render.chart_bytes(_kpis(), "arrears", "svg", caption="scenario S, seed 7")
    assert b"seed 7" in with_caption
    assert b"seed 7" not in render.chart_bytes(_kpis(), "arrears", "svg")
