"""`vangnet simulate --runs N --workers W`: N seeds in parallel processes, each the
same as its own single run, summarised with means and 95% intervals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.cli.main import cli

RUN = ["--tenancies", "30", "--months", "2", "--start", "2026-01", "--strategy", "both"]


def test_three_seeds_on_two_workers_report_what_the_single_runs_report(tmp_path: Path) -> None:
    r = CliRunner().invoke(
        cli, ["simulate", *RUN, "--seed", "5", "--runs", "3", "--workers", "2", "--out", str(tmp_path / "m"), "--json"]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["seeds"] == [5, 6, 7] and doc["run"]["workers"] == 2
    for seed in (5, 6, 7):
        assert (tmp_path / "m" / "runs" / f"seed-{seed}" / "preventive.db").exists()
        one = CliRunner().invoke(
            cli, ["simulate", *RUN, "--seed", str(seed), "--out", str(tmp_path / f"s{seed}"), "--json"]
        )
        assert one.exit_code == 0, one.output
        single = json.loads(one.output)["strategies"]
        for name in ("preventive", "classic"):
            assert doc["per_seed"][str(seed)][name] == single[name]["totals"]
    robo = [doc["per_seed"][str(s)]["preventive"]["robocalls"] for s in (5, 6, 7)]
    assert doc["strategies"]["preventive"]["robocalls"]["mean"] == round(sum(robo) / 3, 4)
    assert "robocalls" in doc["difference_preventive_minus_classic"]
    assert json.loads((tmp_path / "m" / "runs.json").read_text()) == doc
    # per month, each strategy's mean over the runs with its 95% interval: the bands of the charts
    singles = {s: json.loads((tmp_path / f"s{s}" / "kpis.json").read_text()) for s in (5, 6, 7)}
    for name in ("preventive", "classic"):
        band = doc["bands"][name]["arrears_pct"]
        assert [p["month"] for p in band] == ["2026-01", "2026-02"]
        for i, p in enumerate(band):
            values = [singles[s]["strategies"][name]["months"][i]["arrears_pct"] for s in (5, 6, 7)]
            assert p["mean"] == round(sum(values) / 3, 4) and p["n"] == 3
            assert p["ci95"][0] <= p["mean"] <= p["ci95"][1]
    page = (tmp_path / "m" / "report.html").read_text(encoding="utf-8")
    assert page.count("with 95% bands' src='data:image/png;base64,") == 4 and "95% interval" in page
    assert "(noise)" in page or "distinguishable" in page or "preventive - classic" in page


def test_the_band_charts_shade_each_strategys_interval() -> None:
    from adapters.simulation import render

    def series(lo: float, hi: float) -> list[dict[str, object]]:
        return [{"month": m, "mean": (lo + hi) / 2, "ci95": [lo, hi], "n": 3} for m in ("2026-01", "2026-02")]

    keys = ("arrears_pct", "tenancies_in_arrears", "cases_opened", "staff_hours", "evictions_cumulative",
            "legal_actions_cumulative")
    bands = {n: {k: series(1.0, 3.0) for k in keys} for n in ("preventive", "classic")}
    plt = render._plt()
    for chart, (_, _, drawn, _) in render.BAND_CHARTS.items():
        fig, ax = plt.subplots()
        render.draw_bands(ax, bands, chart)
        assert len(ax.collections) == 2 * len(drawn)  # one shaded band per strategy and KPI
        assert ax.get_ylim()[0] == 0  # read from zero
        plt.close(fig)


def test_runs_refuse_a_single_db(tmp_path: Path) -> None:
    r = CliRunner().invoke(
        cli, ["simulate", *RUN, "--runs", "2", "--db", str(tmp_path / "x.db"), "--out", str(tmp_path / "o")]
    )
    assert r.exit_code == 2
    assert "--runs writes one store per run" in r.output


@pytest.mark.slow  # starts a Dask cluster; runs only where the optional 'dask' extra is installed
def test_the_same_runs_on_a_dask_cluster_give_the_same_figures(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="the optional 'dask' extra is not installed")
    args = ["simulate", *RUN, "--runs", "2", "--workers", "2", "--json"]
    local = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "l")])
    dask = CliRunner().invoke(cli, [*args, "--executor", "dask", "--out", str(tmp_path / "d")])
    assert local.exit_code == 0 and dask.exit_code == 0, (local.output, dask.output)
    a, b = json.loads(local.output), json.loads(dask.output)
    assert a["per_seed"] == b["per_seed"] and a["strategies"] == b["strategies"]
