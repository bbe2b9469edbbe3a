"""The risk score on a simulated store: its held-out AUC is above chance with its
interval, it is off by default, and when on it only breaks ties in the worklist."""

from __future__ import annotations

import json
from datetime import date
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


# ---------------------------------------------------------------- the trained model is kept


class CountingLearner:
    """The scikit-learn learner, counting its trainings."""

    fits = 0

    def __init__(self) -> None:
        from adapters.risk import SklearnRisk

        self.inner = SklearnRisk()

    def fit(self, x, y):  # type: ignore[no-untyped-def]
        CountingLearner.fits += 1
        self.inner.fit(x, y)

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)


def _copy_store(store: Path, tmp_path: Path) -> Path:
    import shutil

    for suffix in ("", "-wal", "-shm"):
        src = Path(str(store) + suffix)
        if src.exists():
            shutil.copy(src, tmp_path / (store.name + suffix))
    return tmp_path / store.name


def _app_on(store: Path, tmp_path: Path, policy_text: str = "risk_enabled = true\n"):  # type: ignore[no-untyped-def]
    from adapters.bootstrap import Settings, build
    from adapters.memory import FixedClock
    from application.policy import load_policy

    pf = load_policy(_policy(tmp_path, policy_text))
    return build(Settings(db=str(store), out_dir=str(tmp_path / "out")), policy=pf, clock=FixedClock(DAY))


DAY = date(2026, 11, 2)  # after the run: the tasks still open, with ties in track and days late


def test_a_second_worklist_call_does_not_retrain_and_a_new_event_does(store: Path, tmp_path: Path) -> None:
    from application import workbench
    from application.risk import RiskScorer
    from domain.values import SYSTEM, Actor, Role

    app = _app_on(_copy_store(store, tmp_path), tmp_path)
    officer = Actor(Role.OFFICER, "o1")
    CountingLearner.fits = 0
    scorer = RiskScorer(CountingLearner)
    first = workbench.ranked_worklist(app, officer, DAY, scorer, limit=1000)
    assert first and all(r["risk"] is not None for r in first)
    assert CountingLearner.fits == 1 and scorer.fits == 1
    again = workbench.ranked_worklist(app, officer, DAY, scorer, limit=1000)
    assert again == first and CountingLearner.fits == 1  # same store position, day and policy: no refit
    workbench.ranked_worklist(app, officer, DAY, scorer, limit=2, offset=2)  # another page: still no refit
    assert CountingLearner.fits == 1
    app.pay(SYSTEM, first[0]["ref"], cents=100, booked_on=DAY, tx_id="RISK-CACHE-1")  # a new event
    workbench.ranked_worklist(app, officer, DAY, scorer, limit=1000)
    assert CountingLearner.fits == 2
    workbench.ranked_worklist(app, officer, DAY.replace(day=3), scorer, limit=1000)  # another day
    assert CountingLearner.fits == 3
    app.policy = __import__("attrs").evolve(app.policy, risk_min_months=3)  # another policy
    workbench.ranked_worklist(app, officer, DAY.replace(day=3), scorer, limit=1000)
    assert CountingLearner.fits == 4


def test_pages_of_the_ranked_worklist_are_cuts_of_the_one_long_list(store: Path, tmp_path: Path) -> None:
    from adapters.risk import SklearnRisk
    from application import workbench
    from application.risk import RiskScorer
    from domain.values import Actor, Role

    app = _app_on(store, tmp_path)
    officer, scorer = Actor(Role.OFFICER, "o1"), RiskScorer(SklearnRisk)
    whole = workbench.ranked_worklist(app, officer, DAY, scorer, limit=1000)
    keys = [(r["priority"], r["days_late"]) for r in whole]
    assert len(whole) >= 6 and len(set(keys)) < len(keys)  # ties for the score to break
    pages = [workbench.ranked_worklist(app, officer, DAY, scorer, limit=2, offset=k) for k in range(0, len(whole), 2)]
    assert [r["task_id"] for p in pages for r in p] == [r["task_id"] for r in whole]
    assert scorer.fits == 1


def test_the_web_worklist_and_api_use_the_cli_order_with_the_risk_score(store: Path, tmp_path: Path) -> None:
    import re

    from fastapi.testclient import TestClient

    from adapters.web import accounts
    from adapters.web.app import WebSettings, create_app

    copy = _copy_store(store, tmp_path)
    app = _app_on(copy, tmp_path)
    accounts.add_user(app.store, "olaf", "officer", "correct horse battery", on=DAY)
    r = CliRunner().invoke(cli, ["--db", str(copy), "--policy", _policy(tmp_path, "risk_enabled = true\n"),
                                 "worklist", "--json", "--date", DAY.isoformat()])
    assert r.exit_code == 0, r.output
    cli_rows = json.loads(r.output)
    assert cli_rows and all(r["risk"] is not None for r in cli_rows)
    web = create_app(app, WebSettings(secret_key="k" * 48))
    c = TestClient(web, base_url="https://testserver")
    r = c.post("/api/v1/session", json={"name": "olaf", "password": "correct horse battery"})
    assert r.status_code == 200, r.text
    api = c.get("/api/v1/worklist", params={"date": DAY.isoformat(), "limit": 1000}).json()
    assert [x["task_id"] for x in api] == [x["task_id"] for x in cli_rows]
    assert [x["risk"] for x in api] == [x["risk"] for x in cli_rows]
    assert web.state.risk.fits == 1
    # the page shows the score beside the tasks, in the same order (the store's day is the clock's)
    page = c.get("/worklist").text
    assert ">Risico<" in page and "nooit voor een stap" in page
    refs = re.findall(r'<td>(H\d{5}(?:-\d+)?)</td>', page)
    assert refs == [x["ref"] for x in cli_rows][: len(refs)] and len(refs) == min(50, len(cli_rows))


def test_sealed_intake_answers_never_change_a_tenancys_features(fast) -> None:  # type: ignore[no-untyped-def]
    """Two tenants alike in everything the store shows unsealed, one in debt counselling with
    a garnishment and court-ordered administration, the other with none: the same features."""
    from application.risk import dataset, histories
    from domain.risk import features_on
    from domain.values import IntakeAnswers, Period
    from tests.story import LETTING, SYSTEM, tenant

    app = fast
    for ref, sensitive in (("R1", True), ("R2", False)):
        tenant(app, ref)
        app.record_intake(LETTING, ref, IntakeAnswers(sensitive, sensitive, sensitive, 5, sensitive),
                          on=date(2026, 1, 1))
        for m in range(1, 8):
            app.charge_rent(SYSTEM, ref, period=Period(2026, m), cents=65000)
            if m % 3:
                app.pay(SYSTEM, ref, cents=65000, booked_on=date(2026, m, 20), tx_id=f"{ref}-{m}")
    hs = histories(app)
    rows = dataset(hs, app.policy)
    by_tenancy = [[x for _p, x, _y in dataset({tid: h}, app.policy)] for tid, h in hs.items()]
    assert len(by_tenancy) == 2 and by_tenancy[0] == by_tenancy[1] and rows
    a, b = (features_on(h, date(2026, 8, 1), robocall_day=12, days_after_due_when_late=7, tolerance_cents=0)
            for h in hs.values())
    assert a == b
