"""Use cases that used to live in the CLI, now one application function each: the
retention rule of ``privacy due``, recording a vendor's results for the actor who runs
``telephony collect`` (not as the system), the outbox status, the daily run asked for
by hand, workbench accounts."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.bootstrap import Settings, build
from adapters.cli.main import cli
from adapters.memory import FixedClock, RecordingLetters, RecordingSignals
from adapters.telephony.vendor import VendorTelephony
from application import daily_run
from application.access import AccessDenied
from application.outbox import item_status, outbox_items
from application.ports import Contact
from application.privacy import erasure_due_since, retention_due
from domain.policy import Policy
from domain.values import Actor, InvalidValue, Period, Role

ADMIN = Actor(Role.ADMIN, "root")
OFFICER = Actor(Role.OFFICER, "olaf")
FEB_12 = date(2026, 2, 12)


@pytest.mark.parametrize(("ended_on", "balance", "expected"), [
    (None, 0, None),  # still running
    (date(2026, 3, 31), 65000, None),  # ended, still owes
    (date(2026, 3, 31), 0, date(2028, 3, 31)),  # ended and settled: 24 months on
    (date(2026, 3, 31), 500, date(2028, 3, 31)),  # within the tolerance counts as settled
    (date(2026, 3, 31), -2000, date(2028, 3, 31)),  # in credit
    (date(2026, 8, 31), 0, date(2028, 8, 31)),
])
def test_erasure_due_since(ended_on, balance, expected) -> None:  # type: ignore[no-untyped-def]
    assert erasure_due_since(ended_on, balance, Policy(tolerance_cents=500, retention_months_after_end=24)) == expected


def _tenancy(app, ref: str) -> None:  # type: ignore[no-untyped-def]
    app.start_tenancy(ADMIN, ref, rent_cents=65000, start_date=date(2026, 1, 1),
                      contact=Contact(tenancy_id=None, name="A. Tenant", phone="0612345678"))  # type: ignore[arg-type]
    app.charge_rent(ADMIN, ref, period=Period(2026, 2), cents=65000)


def test_retention_due_lists_ended_settled_not_erased_tenancies(tmp_path: Path) -> None:
    app = build(Settings(db=str(tmp_path / "v.db")), clock=FixedClock(date(2026, 3, 1)))
    for ref in ("T1", "T2", "T3", "T4"):
        _tenancy(app, ref)
    for ref in ("T1", "T3", "T4"):
        app.pay(ADMIN, ref, cents=65000, booked_on=date(2026, 2, 2), tx_id=f"P-{ref}")
    for ref in ("T1", "T2", "T3"):
        app.end_tenancy(ADMIN, ref, on=date(2026, 3, 31), reason="moved")
    app.erase_personal_data(ADMIN, "T3")  # erased already: not listed again
    due = retention_due(app, OFFICER, date(2028, 3, 31))
    assert [(d.ref, d.ended_on, d.due_since) for d in due] == [("T1", date(2026, 3, 31), date(2028, 3, 31))]
    assert retention_due(app, OFFICER, date(2028, 3, 30)) == []
    assert due[0].as_dict() == {"ref": "T1", "ended_on": "2026-03-31", "due_since": "2028-03-31"}


def test_retention_due_needs_the_read_right(tmp_path: Path) -> None:
    app = build(Settings(db=str(tmp_path / "v.db")), clock=FixedClock(date(2026, 3, 1)))
    app.access.map[Role.OFFICER] = frozenset()  # a policy that takes every right from officers
    with pytest.raises(AccessDenied):
        retention_due(app, OFFICER, date(2028, 3, 31))


def _vendor_landlord(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = build(Settings(db=str(tmp_path / "v.db"), out_dir=str(tmp_path / "out")), clock=FixedClock(date(2026, 2, 1)),
                letters=RecordingLetters(), signals=RecordingSignals())
    _tenancy(app, "T1")
    outbox = tmp_path / "out" / "calls" / "outbox"
    outbox.mkdir(parents=True)
    app.ports.telephony = VendorTelephony(outbox, app.store, app, clock=app.ports.clock)
    daily_run.run(app, date(2026, 2, 2), through=FEB_12)
    rows = list(csv.DictReader(io.StringIO(sorted(outbox.glob("campaign-*.csv"))[0].read_text()), delimiter=";"))
    inbox = tmp_path / "out" / "calls" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "results-1.csv").write_text("result_id;attempt_id;event;detail;occurred_at;duration_s\n"
                                         f"r2;{rows[0]['attempt_id']};chose_sms;1;2026-02-12T10:00:00+01:00;20\n")
    return app


@pytest.mark.parametrize("actor", ["team_lead:tessa", "admin:root"])
def test_collect_records_the_results_for_the_actor_who_runs_it(tmp_path: Path, monkeypatch, actor: str) -> None:  # type: ignore[no-untyped-def]
    """A policy that gives the team lead the right to record provider facts, and takes it
    from the system role: the CLI used to check the team lead (or, for the administrator,
    the system) and then write as the system, so the collect was refused halfway."""
    app = _vendor_landlord(tmp_path)
    policy = tmp_path / "policy.toml"
    policy.write_text('[permissions]\nteam_lead = ["read", "record_facts"]\nsystem = ["run_day", "read"]\n')
    monkeypatch.setenv("VANGNET_DB", str(tmp_path / "v.db"))
    monkeypatch.setenv("VANGNET_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("VANGNET_POLICY", str(policy))
    r = CliRunner().invoke(cli, ["--as", actor, "telephony", "collect"])
    assert r.exit_code == 0, r.output
    assert "results-1.csv: 1 results recorded" in r.output
    fresh = build(Settings(db=str(tmp_path / "v.db")), clock=FixedClock(FEB_12))
    case = fresh.get_case(fresh.get_tenancy("T1").open_case_id)
    assert [x["outcome"] for x in case.contacts] == ["chose_sms"]
    assert app is not None


def test_collect_is_refused_before_any_file_is_touched(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _vendor_landlord(tmp_path)
    monkeypatch.setenv("VANGNET_DB", str(tmp_path / "v.db"))
    monkeypatch.setenv("VANGNET_OUT", str(tmp_path / "out"))
    r = CliRunner().invoke(cli, ["--as", "officer:olaf", "telephony", "collect"])
    assert r.exit_code == 3 and "record_facts" in r.output
    assert (tmp_path / "out" / "calls" / "inbox" / "results-1.csv").exists()


@pytest.mark.parametrize(("row", "status"), [
    ({}, "pending"),
    ({"claimed_by": "p1"}, "claimed"),
    ({"claimed_by": "p1", "last_error": "refused"}, "failed"),
    ({"last_error": "refused", "sent_on": "2026-02-12"}, "sent"),
])
def test_outbox_item_status(row, status) -> None:  # type: ignore[no-untyped-def]
    assert item_status(row) == status


def test_outbox_items_with_age_for_a_reader(tmp_path: Path) -> None:
    app = build(Settings(db=str(tmp_path / "v.db"), out_dir=str(tmp_path / "out")),
                clock=FixedClock(date(2026, 2, 14)), letters=RecordingLetters(), signals=RecordingSignals())
    app.ports.telephony = None  # no adapter: the robocall of the 12th stays in the outbox, failed
    _tenancy(app, "T1")
    daily_run.run(app, date(2026, 2, 2), through=FEB_12)
    items = outbox_items(app, OFFICER)
    assert [(x.kind, x.status, x.age_days, x.sent_on) for x in items] == [("robocall", "failed", 2, None)]
    assert "no adapter" in (items[0].last_error or "")
    app.access.map[Role.OFFICER] = frozenset()
    with pytest.raises(AccessDenied):
        outbox_items(app, OFFICER)


def test_a_run_asked_for_by_hand_checks_the_right_before_the_date(tmp_path: Path) -> None:
    app = build(Settings(db=str(tmp_path / "v.db")), clock=FixedClock(date(2026, 2, 1)))
    with pytest.raises(AccessDenied):
        daily_run.run_requested(app, OFFICER, date(2026, 2, 3))  # refused for the actor first
    with pytest.raises(InvalidValue, match="date"):
        daily_run.run_requested(app, ADMIN, date(2026, 2, 3))
    reports = daily_run.run_requested(app, ADMIN, date(2026, 2, 3), allow_future=True)
    assert reports[-1].day == date(2026, 2, 3)


def test_workbench_accounts_are_the_administrators(tmp_path: Path) -> None:
    from application.workbench import check_manages_users, has_users, list_users

    app = build(Settings(db=str(tmp_path / "v.db")), clock=FixedClock(date(2026, 2, 1)))
    assert not has_users(app) and list_users(app, Actor(Role.AUDITOR, "ada")) == []
    with pytest.raises(AccessDenied):
        list_users(app, OFFICER)
    with pytest.raises(AccessDenied, match="only the local administrator"):
        check_manages_users(Actor(Role.TEAM_LEAD, "tessa"))
    check_manages_users(ADMIN)
