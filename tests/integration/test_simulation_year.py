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
    line = "Season (factor on the chance of missing the due date): 2026-05 holiday allowance x0.3, 2026-07 rent increase x2.5."
    assert line in (tmp_path / "on" / "report.html").read_text(encoding="utf-8")


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
    # calibrate reads the stock a run starting from this store would begin with
    out = tmp_path / "fitted.toml"
    r = CliRunner().invoke(cli, ["calibrate", "--db", str(tmp_path / "stock" / "classic.db"), "--to", "2026-07-31",
                                 "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    obs = json.loads(r.output)["observed"]
    july = _month(doc, "classic", "2026-07")
    share = obs["arrears_stock.share_in_arrears"]
    assert share["n"] == july["tenancies"] and share["value"] == round(july["tenancies_in_arrears"] / july["tenancies"], 4)
    assert share["low"] < share["value"] < share["high"]
    ages = [v for k, v in obs.items() if k.startswith("arrears_stock.age_months.")]
    assert len(ages) == 4 and abs(sum(a["value"] for a in ages) - 1) < 1e-3
    text = out.read_text(encoding="utf-8")
    assert "# observed arrears_stock.share_in_arrears:" in text.split("share_in_arrears = ")[0].rsplit("[stock]", 1)[-1]


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


# ------------------------------------------------------------------ year on year


def _rows(first_year: int, months: int, **per_month: Any) -> list[dict[str, Any]]:
    rows = []
    for i in range(months):
        y, m = first_year + i // 12, i % 12 + 1
        row: dict[str, Any] = {"month": f"{y:04d}-{m:02d}"}
        for key in (*kpi.YOY_STOCKS, *kpi.YOY_FLOWS):
            f = per_month.get(key)
            row[key] = f(y, m) if f else 0
        rows.append(row)
    return rows


def test_year_on_year_compares_stocks_at_the_end_and_flows_over_the_same_months() -> None:
    assert kpi.year_on_year(_rows(2026, 12)) is None  # one year: nothing to compare with
    rows = _rows(2025, 14, arrears_cents=lambda y, m: 100_000 if y == 2025 else 70_000,
                 cases_opened=lambda y, m: 10 if y == 2025 else 6, evictions=lambda y, m: 1 if y == 2025 else 0,
                 staff_hours=lambda y, m: 1.25)
    yoy = kpi.year_on_year(rows)
    assert yoy is not None
    assert yoy["this_year"] == ["2026-01", "2026-02"] and yoy["last_year"] == ["2025-01", "2025-02"]
    assert yoy["stocks_at"] == ["2026-02", "2025-02"]
    k = yoy["kpis"]
    assert k["arrears_cents"] == {"this_year": 70_000, "last_year": 100_000, "change": -30_000, "change_pct": -30.0}
    assert k["cases_opened"] == {"this_year": 12, "last_year": 20, "change": -8, "change_pct": -40.0}
    assert k["evictions"] == {"this_year": 0, "last_year": 2, "change": -2, "change_pct": -100.0}
    assert k["staff_hours"]["this_year"] == k["staff_hours"]["last_year"] == 2.5
    assert k["legal_actions"]["change_pct"] is None  # nothing last year: no percentage
    full = kpi.year_on_year(_rows(2025, 24, cases_opened=lambda y, m: m))
    assert full is not None and full["this_year"] == ["2026-01", "2026-12"]
    assert full["kpis"]["cases_opened"]["this_year"] == full["kpis"]["cases_opened"]["last_year"] == 78


YEARS_RUN = ("--tenancies", "80", "--months", "14", "--start", "2026-01", "--seed", "5", "--strategy", "classic")


def test_report_and_simulate_show_this_year_against_last_year(tmp_path: Path) -> None:
    doc = _simulate(tmp_path, "years", STOCK, *YEARS_RUN)
    yoy = doc["strategies"]["classic"]["year_on_year"]
    assert yoy["this_year"] == ["2027-01", "2027-02"] and yoy["stocks_at"] == ["2027-02", "2026-02"]
    assert (tmp_path / "years" / "kpis-year-on-year.csv").read_text(encoding="utf-8").startswith(
        "strategy,kpi,kind,this_year,last_year,change,change_pct\nclassic,arrears_cents,stock,")
    assert "classic: year on year" in (tmp_path / "years" / "report.html").read_text(encoding="utf-8")
    store = str(tmp_path / "years" / "classic.db")
    r = CliRunner().invoke(cli, ["report", "--db", store, "--from", "2026-01", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["year_on_year"] == yoy  # the store's own report says the same
    csv_file, html_file = tmp_path / "k.csv", tmp_path / "k.html"
    r = CliRunner().invoke(cli, ["report", "--db", store, "--from", "2026-01", "--csv", str(csv_file),
                                 "--html", str(html_file)])
    assert r.exit_code == 0, r.output
    assert "store: year on year, flows 2027-01..2027-02 against 2026-01..2026-02" in r.output
    assert "evictions for arrears" in r.output and "this year" in r.output
    assert (tmp_path / "k-year-on-year.csv").read_text(encoding="utf-8").count("\nstore,") == len(yoy["kpis"])
    assert "store: year on year" in html_file.read_text(encoding="utf-8")
    short = CliRunner().invoke(cli, ["report", "--db", store, "--from", "2026-06", "--json"])
    assert "year_on_year" not in json.loads(short.output)  # nine months: no year to compare with
