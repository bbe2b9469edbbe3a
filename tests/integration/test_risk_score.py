"""The risk score on a simulated store: its held-out AUC is above chance with its
interval, it is off by default, and when on it only breaks ties in the worklist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.cli.main import cli

RUN = ["--tenancies", "200", "--months", "10", "--seed", "3", "--strategy", "preventive", "--start", "2026-01"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("risk")
    r = CliRunner().invoke(cli, ["simulate", *RUN, "--out", str(out / "sim"), "--json"])
    assert r.exit_code == 0, r.output
    return out / "sim" / "preventive.db"


def _policy(tmp_path: Path, text: str) -> str:
    p = tmp_path / "policy.toml"
    p.write_text("[playbook]\n" + text, encoding="utf-8")
    return str(p)


def test_report_shows_a_held_out_auc_above_chance_with_its_interval(store: Path, tmp_path: Path) -> None:
    plot = tmp_path / "calibration.png"
    r = CliRunner().invoke(cli, ["report", "--db", str(store), "--risk", "--risk-plot", str(plot), "--json"])
    assert r.exit_code == 0, r.output
    ev = json.loads(r.output)["risk"]
    assert ev["test_months"] == ["2026-08", "2026-10"]  # the last three months are never trained on
    assert ev["auc_low"] > 0.5 and ev["auc_low"] <= ev["auc"] <= ev["auc_high"]
    assert set(ev["coefficients"]) == set(ev["features"]) and "days_late_last_month" in ev["features"]
    assert sum(b["n"] for b in ev["calibration"]) == ev["n_test"]
    assert plot.read_bytes()[:4] == b"\x89PNG"
    text = CliRunner().invoke(cli, ["report", "--db", str(store), "--risk"]).output
    assert "held-out AUC" in text and "95% bootstrap interval" in text


def test_report_says_when_the_history_is_too_short(store: Path, tmp_path: Path) -> None:
    pol = _policy(tmp_path, "risk_min_months = 24\n")
    r = CliRunner().invoke(cli, ["--policy", pol, "report", "--db", str(store), "--risk"])
    assert r.exit_code == 0, r.output
    assert "risk score: not evaluated" in r.output and "risk_min_months" in r.output


def _worklist(store: Path, *extra: str) -> list[dict]:
    r = CliRunner().invoke(cli, ["--db", str(store), *extra, "worklist", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_the_score_is_off_by_default_and_only_breaks_ties_when_on(store: Path, tmp_path: Path) -> None:
    off = _worklist(store)
    assert off and all(r["risk"] is None for r in off)
    on = _worklist(store, "--policy", _policy(tmp_path, "risk_enabled = true\n"))
    assert sorted(r["task_id"] for r in on) == sorted(r["task_id"] for r in off)  # no step added or dropped
    assert all(0 <= r["risk"] <= 1 for r in on)
    keys = [(r["priority"], -r["days_late"]) for r in on]
    assert keys == sorted(keys)  # track and days late still decide
    for a, b in zip(on, on[1:], strict=False):
        if (a["priority"], a["days_late"]) == (b["priority"], b["days_late"]):
            assert a["risk"] >= b["risk"]
    human = CliRunner().invoke(cli, ["--db", str(store), "--policy", _policy(tmp_path, "risk_enabled = true\n"),
                                     "worklist"])
    assert "risk" in human.output.splitlines()[0] and "breaks ties only" in human.output


def test_not_enough_history_keeps_the_score_off_even_when_enabled(store: Path, tmp_path: Path) -> None:
    rows = _worklist(store, "--policy", _policy(tmp_path, "risk_enabled = true\nrisk_min_months = 24\n"))
    assert rows and all(r["risk"] is None for r in rows)
