"""The simulation and the KPI report: scenario file, classic rules, determinism,
preventive versus classic, and the report of a simulated store."""

from __future__ import annotations

import json
import sqlite3
import tomllib
from datetime import date
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

from adapters.bootstrap import Settings, build
from adapters.cli.main import cli
from adapters.memory import FixedClock, RecordingLetters
from adapters.simulation import kpi, scenario
from application import daily_run
from domain import classic, playbook
from domain.arrears_case import ArrearsCase
from domain.policy import Policy
from domain.tenancy import Tenancy
from domain.values import SYSTEM, Actor, LetterKind, Period, Role, Track

RUN = ["--tenancies", "40", "--months", "3", "--start", "2026-01"]


def simulate(tmp_path: Path, name: str, *args: str) -> tuple[str, Path]:
    out = tmp_path / name
    r = CliRunner().invoke(cli, ["simulate", *RUN, "--out", str(out), "--json", *args])
    assert r.exit_code == 0, r.output
    return r.output, out


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return simulate(tmp_path_factory.mktemp("sim"), "both", "--seed", "1", "--strategy", "both")


# ------------------------------------------------------------------ scenario


def test_print_scenario_is_toml_with_a_source_or_assumption_for_every_key() -> None:
    r = CliRunner().invoke(cli, ["simulate", "--print-scenario"])
    assert r.exit_code == 0, r.output
    data = tomllib.loads(r.output)
    assert scenario.from_mapping(data) == scenario.defaults()
    lines = r.output.splitlines()
    for section, p in scenario.iter_params():
        assert p.key in data[section]
        i = lines.index(f"{p.key} = {scenario._toml_value(p.default)}")
        assert lines[i - 1].startswith("# "), p.key  # the comment above each key
    notes = [p.note for _, p in scenario.iter_params() if p.key != "strategy"]
    assert all(n.startswith(("source: ", "assumption: ")) for n in notes)


def test_a_bad_scenario_names_the_key(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    for body, key in (
        ("[finances]\nok_slip = 1.5\n", "finances.ok_slip"),
        ("[population]\nbogus = 1\n", "population.bogus"),
        ("[policy]\nrobocall_day = 40\n", "policy.robocall_day"),
        ("[telephony]\nanswered = 0.9\n", "telephony"),
    ):
        f.write_text(body)
        r = CliRunner().invoke(
            cli, ["simulate", "--scenario", str(f), "--out", str(tmp_path / "o")]
        )
        assert r.exit_code == 2, r.output
        assert key in r.output


# ------------------------------------------------------------- classic rules


def _tenancy_with_arrears(months: int, rent: int = 60000) -> tuple[Tenancy, ArrearsCase]:
    t = Tenancy.start("T1", rent, date(2026, 1, 1), by="test")
    p = Period(2026, 1)
    for i in range(months):
        t.charge_rent(period=p, cents=rent, source="erp", tx_id=f"c{i}", booked_on=p.first_day())
        p = p.next()
    case = ArrearsCase.open(
        tenancy_id=t.id,
        period="2026-01",
        seq=0,
        due_date=date(2026, 1, 1),
        opened_on=date(2026, 1, 2),
        amount_cents=rent,
        track=Track.STANDARD,
        reopens=None,
        rule="OPEN-CASE",
        inputs={},
    )
    return t, case


def test_classic_sends_letters_not_robocalls_and_the_playbook_dispatches_to_it() -> None:
    t, case = _tenancy_with_arrears(1)
    pol = Policy(strategy="classic")
    assert (
        classic.evaluate(case, t, date(2026, 1, 12), pol).actions == []
    )  # no robocall on the 12th
    assert [a.kind for a in playbook.evaluate(case, t, date(2026, 1, 12), Policy()).actions] == [
        "robocall"
    ]
    acts = playbook.evaluate(case, t, date(2026, 1, 15), pol).actions
    assert [(a.kind, a.rule) for a in acts] == [("letter", "CLASSIC-REMINDER-D14")]
    case.record_letter(
        kind=LetterKind.REMINDER,
        letter_id="letter:reminder",
        posted_on=date(2026, 1, 15),
        amount_cents=60000,
        checksum="x",
        rule="CLASSIC-REMINDER-D14",
        inputs={},
    )
    acts = classic.evaluate(case, t, date(2026, 2, 16), pol).actions
    assert ("letter", "CLASSIC-REMINDER-MONTHLY") in [(a.kind, a.rule) for a in acts]
    assert ("letter", "WIK-14") in [(a.kind, a.rule) for a in acts]
    assert not [a for a in acts if a.kind in ("task", "robocall", "sms", "signal")]


def test_classic_legal_action_needs_three_months_arrears_and_no_signal() -> None:
    t, case = _tenancy_with_arrears(3)
    case.record_letter(
        kind=LetterKind.FOURTEEN_DAY_LETTER,
        letter_id="letter:wik14",
        posted_on=date(2026, 2, 5),
        amount_cents=60000,
        checksum="x",
        rule="WIK-14",
        inputs={},
        costs_cents=9000,
        deadline=date(2026, 2, 23),
    )
    acts = classic.evaluate(case, t, date(2026, 3, 2), Policy(strategy="classic")).actions
    assert ("legal_eligible", "CLASSIC-EVICT-3M") in [(a.kind, a.rule) for a in acts]
    assert case.signal is None and not case.personal_attempts()
    # the playbook refuses the same case: no signal, no personal contact
    assert "legal_eligible" not in [
        a.kind for a in playbook.evaluate(case, t, date(2026, 3, 2), Policy()).actions
    ]


# ------------------------------------------------------------------- KPIs


def test_kpis_from_the_events_of_a_small_store() -> None:
    pol = Policy(post_rent_charges=True)
    from application.policy import load_policy

    pf = attrs.evolve(load_policy(None), policy=pol)
    app = build(
        Settings(db=":memory:"),
        clock=FixedClock(date(2026, 1, 1)),
        letters=RecordingLetters(),
        policy=pf,
    )
    letting = Actor(Role.LETTING, "l")
    for ref in ("A", "B"):
        app.start_tenancy(letting, ref, rent_cents=50000, start_date=date(2026, 1, 1))
    daily_run.run(app, date(2026, 1, 1), through=date(2026, 1, 2))  # charges; cases open on the 2nd
    app.pay(SYSTEM, "A", cents=50000, booked_on=date(2026, 1, 3), tx_id="p1")
    daily_run.run(app, date(2026, 1, 3), through=date(2026, 2, 1))
    # B goes to court: evictions are counted from the court events, not from the end reason
    case = app.get_case(app.get_tenancy("B").open_case_id)
    case.mark_legal_eligible(on=date(2026, 2, 2), rule="EVICT-ELIGIBLE", inputs={}, action_id="legal:eligible")
    case.decide_legal_action(by="team_lead:anna", reason="v1:sealed", on=date(2026, 2, 2))
    case.decide_legal_action(by="team_lead:bert", reason="v1:sealed", on=date(2026, 2, 2))
    for kind, kw in (("summons", {}), ("hearing", {}), ("judgment", {"outcome": "dissolved"}),
                     ("eviction_scheduled", {"scheduled_on": date(2026, 2, 10)})):
        case.record_court_event(kind=kind, on=date(2026, 2, 3), by="team_lead:anna", **kw)
    case.record_court_event(kind="evicted", on=date(2026, 2, 10), by="team_lead:anna")
    app.save_all([], [(case, date(2026, 2, 10), False)], on=date(2026, 2, 10))
    app.end_tenancy(letting, "B", on=date(2026, 2, 10), reason="eviction_arrears")
    doc = kpi.compute(app)
    jan, feb = doc["months"]
    assert (jan["month"], feb["month"]) == ("2026-01", "2026-02")
    assert (
        jan["arrears_cents"] == 50000 and jan["tenancies_in_arrears"] == 1 and jan["tenancies"] == 2
    )
    assert jan["arrears_pct"] == round(100 * 50000 / (2 * 12 * 50000), 4)
    assert jan["cases_opened"] == 2 and jan["cases_closed"] == 1
    assert jan["robocalls"] == 1 and jan["reminders"] == 1
    assert feb["evictions"] == 1 and feb["tenancies"] == 1
    assert feb["former_tenant_debt_cents"] == 100000  # B owed January and February
    assert feb["arrears_cents"] == 50000  # A did not pay February (due on the 1st)
    assert doc["totals"]["evictions"] == 1
    # every step costs its policy minutes: the reminder letter 5, the robocall 0 by default,
    # B's legal action (file, two decisions, court work) 240
    assert jan["reminders"] == 1 and feb["legal_actions"] == 1
    assert doc["totals"]["staff_minutes"] == pol.minutes_letter + pol.minutes_legal_action == 245


# ---------------------------------------------------------------- simulation


@pytest.mark.slow
def test_same_seed_same_kpi_json_and_another_seed_differs(
    tmp_path: Path, both: tuple[str, Path]
) -> None:
    again, _ = simulate(tmp_path, "again", "--seed", "1", "--strategy", "both")
    assert again == both[0]  # byte-identical
    assert "simulating" not in again  # no progress bar in a pipe
    other, _ = simulate(tmp_path, "other", "--seed", "2", "--strategy", "both")
    a, b = json.loads(both[0])["strategies"], json.loads(other)["strategies"]
    assert a != b
    assert a["preventive"]["months"] != b["preventive"]["months"]


@pytest.mark.slow
def test_preventive_and_classic_run_on_the_same_population(both: tuple[str, Path]) -> None:
    s = json.loads(both[0])["strategies"]
    prev, cl = s["preventive"]["totals"], s["classic"]["totals"]
    # classic: letters only; preventive: robocalls, personal contact, signals
    assert cl["robocalls"] == cl["sms"] == cl["signals"] == cl["home_visits"] == 0
    assert prev["robocalls"] > 0 and prev["phone_contacts"] > cl["phone_contacts"]
    # the same households: benefit days not moved make classic cases and reminders pile up
    assert cl["cases_opened"] >= prev["cases_opened"]
    assert cl["reminders"] > prev["reminders"]
    assert cl["fourteen_day_letters"] >= prev["fourteen_day_letters"]
    assert s["preventive"]["months"][0]["tenancies"] == s["classic"]["months"][0]["tenancies"] == 40
    out = both[1]
    for name in ("preventive", "classic"):
        con = sqlite3.connect(out / f"{name}.db")
        try:
            rows = con.execute("SELECT COUNT(*) FROM contact_directory").fetchone()[0]
        finally:
            con.close()
        assert rows == 40  # fake contact details went to the contact directory
    for f in (
        "kpis.json",
        "kpis.csv",
        "scenario.toml",
        "report.html",
        "arrears.png",
        "contacts.png",
        "staff_hours.png",
        "evictions.png",
    ):
        assert (out / f).stat().st_size > 0
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "<img" in html and "src='http" not in html


@pytest.mark.slow
def test_report_on_a_simulated_store_equals_the_simulation(
    both: tuple[str, Path], tmp_path: Path
) -> None:
    doc, out = json.loads(both[0]), both[1]
    for name in ("preventive", "classic"):
        r = CliRunner().invoke(cli, ["report", "--db", str(out / f"{name}.db"), "--json"])
        assert r.exit_code == 0, r.output
        assert json.loads(r.output) == doc["strategies"][name]
    r = CliRunner().invoke(
        cli,
        [
            "report",
            "--db",
            str(out / "classic.db"),
            "--from",
            "2026-02",
            "--to",
            "2026-02",
            "--chart",
            str(tmp_path / "k.svg"),
            "--html",
            str(tmp_path / "k.html"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "2026-02" in r.output and "2026-01" not in r.output
    assert (tmp_path / "k.svg").read_text().lstrip().startswith("<?xml")
    assert "data:image/png;base64," in (tmp_path / "k.html").read_text()


@pytest.mark.slow
def test_the_printed_scenario_loaded_back_gives_the_same_kpis(tmp_path: Path) -> None:
    f = tmp_path / "scenario.toml"
    f.write_text(CliRunner().invoke(cli, ["simulate", "--print-scenario"]).output)
    plain, _ = simulate(tmp_path, "plain", "--seed", "5", "--strategy", "preventive")
    loaded, _ = simulate(
        tmp_path, "loaded", "--seed", "5", "--strategy", "preventive", "--scenario", str(f)
    )
    assert plain == loaded
    # and a changed parameter changes the figures
    data = tomllib.loads(f.read_text())
    data["finances"]["ok_slip"] = 0.3
    f.write_text(scenario.to_toml(scenario.from_mapping(data)))
    changed, _ = simulate(
        tmp_path, "changed", "--seed", "5", "--strategy", "preventive", "--scenario", str(f)
    )
    assert json.loads(changed)["strategies"] != json.loads(plain)["strategies"]


def test_simulated_stores_pass_audit_verify_and_the_library_mapper_reads_every_event(tmp_path: Path) -> None:
    """Both strategies' stores, written in batches (tenancies started a day at a time, one
    transaction per simulated day), keep an intact hash chain and read models, and every
    event reads back through the library's own mapper."""
    from uuid import UUID

    from eventsourcing.persistence import (
        DatetimeAsISO,
        DecimalAsStr,
        JSONTranscoder,
        Mapper,
        StoredEvent,
        UUIDAsHex,
    )

    from application.transcoding import DateAsISO

    out = tmp_path / "sim"
    r = CliRunner().invoke(cli, ["simulate", "--tenancies", "30", "--months", "2", "--start", "2026-01",
                                 "--seed", "1", "--strategy", "both", "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    t = JSONTranscoder()
    for tr in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        t.register(tr)
    library = Mapper(transcoder=t)
    for name in ("preventive", "classic"):
        db = str(out / f"{name}.db")
        v = CliRunner().invoke(cli, ["--db", db, "--as", "auditor:aud", "audit", "verify"], catch_exceptions=False)
        assert v.exit_code == 0, v.output
        con = sqlite3.connect(db)
        try:
            rows = con.execute("SELECT originator_id, originator_version, topic, state FROM stored_events "
                               "ORDER BY rowid").fetchall()
        finally:
            con.close()
        topics = set()
        for oid, version, topic, state in rows:
            e = library.to_domain_event(StoredEvent(UUID(oid), version, topic, state))
            assert (e.originator_id, e.originator_version) == (UUID(oid), version)
            topics.add(type(e).__qualname__)
        assert {"Tenancy.Started", "Tenancy.RentCharged", "ArrearsCase.Opened"} <= topics
        assert ("Tenancy.IntakeAnswered" in topics) == (name == "preventive")
