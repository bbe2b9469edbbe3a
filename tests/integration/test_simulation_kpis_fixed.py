"""The KPIs of a fixed seed do not move when the simulation gets faster.

``tests/fixtures/kpis-seed1-300x6-both.json`` is the KPI JSON of
``vangnet simulate --tenancies 300 --months 6 --seed 1 --strategy both --start 2026-01``
recorded from the simulation before its speed work (batched saves, WAL stores,
aggregates kept in memory, the strategies in parallel processes). Any change of the
numbers is a change of behaviour: only an intended rule or scenario change may
regenerate the fixture, in a commit that says why.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from adapters.cli.main import cli

FIXTURE = Path(__file__).parent.parent / "fixtures" / "kpis-seed1-300x6-both.json"
RUN = ["--tenancies", "300", "--months", "6", "--seed", "1", "--strategy", "both", "--start", "2026-01"]


def test_a_fixed_seed_gives_the_recorded_kpis_for_both_strategies(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["simulate", *RUN, "--out", str(tmp_path / "sim"), "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    want = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert got["run"] == want["run"]
    for name in ("preventive", "classic"):
        assert got["strategies"][name]["totals"] == want["strategies"][name]["totals"], name
        assert got["strategies"][name]["months"] == want["strategies"][name]["months"], name
