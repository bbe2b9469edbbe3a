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
