"""``vangnet calibrate`` round trip: simulate with known parameters, calibrate from the
simulated store, recover each directly observable parameter within its 95% interval;
a deliberately different scenario moves the fit (and the observables) with it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.cli.main import cli
from adapters.simulation import scenario as scenario_mod

RUN = ["--tenancies", "300", "--months", "12", "--seed", "5", "--strategy", "preventive", "--start", "2026-01"]
OTHER = """
[telephony]
press_1 = 0.2
press_2 = 0.5
no_input = 0.3
[conversation]
promise_kept_ok = 0.3
promise_kept_strained = 0.1
promise_kept_crisis = 0.02
"""


def _simulate_and_calibrate(tmp: Path, scenario_text: str | None) -> tuple[dict, str, dict]:
    args = ["simulate", *RUN, "--out", str(tmp / "sim"), "--json"]
    if scenario_text is not None:
        (tmp / "scenario.toml").write_text(scenario_text, encoding="utf-8")
        args += ["--scenario", str(tmp / "scenario.toml")]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    out = tmp / "fitted.toml"
    r = CliRunner().invoke(cli, ["calibrate", "--db", str(tmp / "sim" / "preventive.db"), "--out", str(out),
                                 "--min-n", "20", "--json"])
    assert r.exit_code == 0, r.output
    truth = scenario_mod.load(tmp / "scenario.toml" if scenario_text else None).as_dict()
    return json.loads(r.output), out.read_text(encoding="utf-8"), truth


@pytest.fixture(scope="module")
def default_fit(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, dict]:
    return _simulate_and_calibrate(tmp_path_factory.mktemp("default"), None)


@pytest.fixture(scope="module")
def other_fit(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, dict]:
    return _simulate_and_calibrate(tmp_path_factory.mktemp("other"), OTHER)


@pytest.mark.parametrize("which", ["default_fit", "other_fit"])
def test_each_fitted_parameter_covers_the_scenarios_true_value(which: str, request: pytest.FixtureRequest) -> None:
    summary, _text, truth = request.getfixturevalue(which)
    assert set(summary["fitted"]) == {"telephony.press_1", "telephony.press_2", "telephony.no_input"}
    for key, v in summary["fitted"].items():
        section, name = key.split(".")
        assert v["low"] <= truth[section][name] <= v["high"], (key, v, truth[section][name])
        assert v["n"] >= 20


def test_the_written_scenario_loads_and_carries_values_intervals_and_counts(default_fit: tuple) -> None:
    summary, text, _truth = default_fit
    data = tomllib.loads(text)
    assert data["telephony"]["press_1"] == summary["fitted"]["telephony.press_1"]["value"]
    scenario_mod.from_mapping(data)  # a valid scenario: simulate --scenario accepts it
    assert "# FITTED from the store:" in text and "95% CI" in text and "n=" in text
    assert "# observed promise_kept:" in text
    assert "Not fitted, kept from the defaults" in text and "#   finances.ok_slip" in text
    for kind in ("robocall", "sms", "reminder", "phone"):
        assert summary["observed"][f"cured_within_14_days_after.{kind}"]["n"] > 0, kind


def test_a_different_scenario_moves_the_fit(default_fit: tuple, other_fit: tuple) -> None:
    a, b = default_fit[0], other_fit[0]
    pa, pb = a["fitted"]["telephony.press_1"], b["fitted"]["telephony.press_1"]
    assert pb["high"] < pa["low"]  # fewer SMS choices: intervals apart
    ka, kb = a["observed"]["promise_kept"], b["observed"]["promise_kept"]
    assert kb["high"] < ka["low"]  # promises broken far more often: the observable moves
