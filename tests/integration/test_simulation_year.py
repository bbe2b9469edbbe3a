"""The Dutch year and a real starting point in the simulation: an existing arrears stock
whose cases the playbook has already taken to their stage, seasonality (holiday allowance
in May, the rent increase on 1 July, December costs) applied and shown, and a run across
the year boundary reported year on year."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from adapters.bootstrap import Settings, build
from adapters.cli.main import cli
from adapters.simulation import kpi


def _simulate(tmp_path: Path, name: str, scenario_text: str, *run: str) -> dict[str, Any]:
    sc = tmp_path / f"{name}.toml"
    sc.write_text(scenario_text, encoding="utf-8")
    r = CliRunner().invoke(cli, ["simulate", *run, "--scenario", str(sc), "--out", str(tmp_path / name), "--json"])
    assert r.exit_code == 0, r.output
    return dict(json.loads(r.output))


def _month(doc: dict[str, Any], strategy: str, month: str) -> dict[str, Any]:
    return next(m for m in doc["strategies"][strategy]["months"] if m["month"] == month)


# ------------------------------------------------------------------ seasonality

SEASON_RUN = ("--tenancies", "300", "--months", "4", "--start", "2026-04", "--seed", "2", "--strategy", "classic")


def test_holiday_allowance_and_the_rent_increase_move_the_months_they_belong_to(tmp_path: Path) -> None:
    off = _simulate(tmp_path, "off", "", *SEASON_RUN)
    on = _simulate(tmp_path, "on", "[season]\nmay_miss_factor = 0.3\njuly_miss_factor = 2.5\n", *SEASON_RUN)
    assert "season" not in off  # off by default: nothing moves, nothing is shown
    assert on["season"] == {"2026-05": {"miss_factor": 0.3, "why": "holiday allowance"},
                            "2026-07": {"miss_factor": 2.5, "why": "rent increase"}}
    assert _month(on, "classic", "2026-04") == _month(off, "classic", "2026-04")  # April as it was
    may_on, may_off = _month(on, "classic", "2026-05"), _month(off, "classic", "2026-05")
    assert may_on["cases_opened"] < may_off["cases_opened"]  # fewer missed due dates in May
    jul_on, jul_off = _month(on, "classic", "2026-07"), _month(off, "classic", "2026-07")
    assert jul_on["cases_opened"] > jul_off["cases_opened"]  # more in July
    assert jul_on["tenancies_in_arrears"] > jul_off["tenancies_in_arrears"]


def test_a_season_factor_must_be_a_number() -> None:
    from adapters.simulation import scenario

    try:
        scenario.from_mapping({"season": {"december_miss_factor": "high"}})
    except scenario.ScenarioError as e:
        assert "season.december_miss_factor" in str(e)
    else:
        raise AssertionError("accepted a text factor")


# ------------------------------------------------------------------ arrears stock

STOCK_RUN = ("--tenancies", "200", "--months", "2", "--start", "2026-06", "--seed", "4", "--strategy", "both")
STOCK = "[stock]\nshare_in_arrears = 0.1\nage_months_weights = [0.4, 0.3, 0.2, 0.1]\n"


def test_an_existing_arrears_stock_starts_the_run_in_arrears_with_its_cases_under_way(tmp_path: Path) -> None:
    clean = _simulate(tmp_path, "clean", "", *STOCK_RUN)
    doc = _simulate(tmp_path, "stock", STOCK, *STOCK_RUN)
    for strategy in ("preventive", "classic"):
        first, first_clean = _month(doc, strategy, "2026-06"), _month(clean, strategy, "2026-06")
        assert first["tenancies"] == first_clean["tenancies"] == 200  # the same homes
        assert first["tenancies_in_arrears"] >= first_clean["tenancies_in_arrears"] + 10
        assert first["arrears_cents"] > 2 * first_clean["arrears_cents"]
        app = build(Settings(db=str(tmp_path / "stock" / f"{strategy}.db"), out_dir=str(tmp_path / "o")))
        before = date(2026, 5, 31)
        started, letters, cases = _history_before(app, before)
        assert 12 <= len(started) <= 30  # about 10% of 200 homes started earlier
        months_owed = {}
        for tid, (start, rent) in started.items():
            t = app.get_tenancy_by_id(tid)
            owed = t.arrears_cents(as_of=before)
            months_owed[tid] = owed // rent
            age = (2026 - start.year) * 12 + 6 - start.month
            assert owed == age * rent  # nothing paid before the run: arrears as old as the tenancy
        assert set(months_owed.values()) >= {1, 2, 3}
        assert len(cases) == len(started)  # each has its case, opened before the run
        assert letters  # and the playbook's letters of those months were sent
        # the run's KPIs start with the run: no step before June is counted
        assert [m["month"] for m in doc["strategies"][strategy]["months"]] == ["2026-06", "2026-07"]


def _history_before(app: Any, before: date) -> tuple[dict[Any, tuple[date, int]], list[Any], set[Any]]:
    started: dict[Any, tuple[date, int]] = {}
    letters, cases = [], set()
    for _, e in kpi.stream(app):
        name = type(e).__qualname__
        if name == "Tenancy.Started" and e.start_date <= before:
            started[e.originator_id] = (e.start_date, e.rent_cents)
        elif name == "ArrearsCase.Opened" and e.opened_on <= before:
            cases.add(e.tenancy_id)
        elif name == "ArrearsCase.LetterSent" and e.posted_on <= before:
            letters.append(e)
    return started, letters, cases
