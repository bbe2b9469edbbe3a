"""Evictions in the simulation come from the court road recorded on the case: the summons
the day after the filing, the hearing and the judgment on the hearing day, the eviction
date, and then the eviction carried out (the tenancy ends) or prevented because the
tenant paid in full. No tenancy ends for arrears without its recorded road."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from adapters.bootstrap import Settings, build
from adapters.cli.main import cli
from adapters.simulation import kpi

# a stock of old arrears, team leads who always file and a judge who always dissolves:
# the road to eviction is walked within a four-month run
SCENARIO = """
[stock]
share_in_arrears = 0.25
age_months_weights = [0, 0, 1, 1]
crisis_share = 0.8
[team_leads]
decide_legal_action = 1.0
[court]
hearing_days_min = 20
hearing_days_max = 30
evict_if_arrears = 1.0
evict_otherwise = 1.0
eviction_days_after_judgment = 14
"""
RUN = ["--tenancies", "100", "--months", "4", "--start", "2026-03", "--strategy", "both", "--seed", "3"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("court")
    sc = out / "court.toml"
    sc.write_text(SCENARIO, encoding="utf-8")
    r = CliRunner().invoke(cli, ["simulate", *RUN, "--scenario", str(sc), "--out", str(out / "sim"), "--json"])
    assert r.exit_code == 0, r.output
    return out / "sim", json.loads(r.output)


def _road(store: Path) -> tuple[dict[Any, list[tuple[str, date, Any]]], dict[Any, date], dict[Any, Any],
                                dict[Any, date]]:
    app = build(Settings(db=str(store), out_dir=str(store.parent / "o")))
    court: dict[Any, list[tuple[str, date, Any]]] = {}
    filed: dict[Any, date] = {}
    deciders: dict[Any, set[str]] = {}
    tenancy_of: dict[Any, Any] = {}
    evicted_tenancies: dict[Any, date] = {}
    for _, e in kpi.stream(app):
        name = type(e).__qualname__
        if name == "ArrearsCase.Opened":
            tenancy_of[e.originator_id] = e.tenancy_id
        elif name == "ArrearsCase.LegalActionDecided":
            who = deciders.setdefault(e.originator_id, set())
            who.add(e.by)
            if len(who) == 2:
                filed.setdefault(e.originator_id, e.on)
        elif name == "ArrearsCase.CourtEventRecorded":
            court.setdefault(e.originator_id, []).append((e.kind, e.on, e.scheduled_on))
        elif name == "Tenancy.Ended" and e.reason == "eviction_arrears":
            evicted_tenancies[e.originator_id] = e.on
    return court, filed, tenancy_of, evicted_tenancies


@pytest.mark.parametrize("strategy", ["preventive", "classic"])
def test_every_eviction_is_the_end_of_its_recorded_court_road(run: tuple[Path, dict[str, Any]], strategy: str) -> None:
    out, doc = run
    court, filed, tenancy_of, ended = _road(out / f"{strategy}.db")
    assert court and ended
    evicted: dict[Any, date] = {}
    for cid, road in court.items():
        kinds = [k for k, _, _ in road]
        days = {k: d for k, d, _ in road}
        assert kinds[0] == "summons" and days["summons"] > filed[cid]  # served after the filing
        if "hearing" in days:
            assert days["hearing"] > days["summons"]  # the hearing weeks later, not on the summons day
        if "evicted" in days:
            assert kinds[-4:] == ["hearing", "judgment", "eviction_scheduled", "evicted"]
            scheduled = road[kinds.index("eviction_scheduled")][2]
            assert days["evicted"] >= scheduled
            evicted[tenancy_of[cid]] = days["evicted"]
        if "eviction_prevented" in days:
            assert tenancy_of[cid] not in ended  # paid in full: the tenant stays
    assert evicted == ended  # a tenancy ends for arrears exactly when its road records the eviction
    in_run = sum(1 for d in evicted.values() if d >= date(2026, 3, 1))
    assert doc["strategies"][strategy]["totals"]["evictions"] == in_run


def test_a_tenant_who_pays_in_full_before_the_date_is_not_evicted(run: tuple[Path, dict[str, Any]]) -> None:
    out, doc = run
    prevented = sum(doc["strategies"][s]["totals"]["evictions_prevented"] for s in ("preventive", "classic"))
    assert prevented > 0
