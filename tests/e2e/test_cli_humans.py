"""The CLI as an officer uses it: tenancy references instead of case UUIDs, names and
amounts in lists, the whole case readable, contact details that can be changed, and the
README's dates working whatever the wall clock says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from adapters.cli.main import cli


@pytest.fixture
def store(tmp_path: Path) -> Path:
    db = tmp_path / "v.db"
    run = CliRunner().invoke
    for args in (
        ["tenancy", "start", "T1", "--rent", "650.00", "--start", "2026-01-01", "--name", "J. Jansen",
         "--phone", "0612345678"],
        ["tenancy", "intake", "T1", "--debt-counselling", "yes", "--garnishment", "no",
         "--financial-administration", "no", "--date", "2026-01-01"],
        ["tenancy", "start", "T2", "--rent", "720.00", "--start", "2026-01-01", "--name", "P. Bakker"],
        ["tenancy", "charge", "T1", "--period", "2026-02", "--amount", "650.00"],
        ["tenancy", "charge", "T2", "--period", "2026-02", "--amount", "720.00"],
        ["day", "run", "--date", "2026-02-01", "--through", "2026-02-06"],
    ):
        r = run(cli, ["--db", str(db), "--out", str(tmp_path / "out"), *args])
        assert r.exit_code == 0, (args, r.output)
    return db


def vn(store: Path, *args: str, actor: str | None = None) -> object:
    pre = ["--db", str(store), "--out", str(store.parent / "out")] + (["--as", actor] if actor else [])
    return CliRunner().invoke(cli, [*pre, *args])


@pytest.mark.parametrize("wall_clock", ["2025-11-03", "2026-12-01"])
def test_readme_dates_run_as_written_on_the_stores_day(store, wall_clock):
    """The store was run up to 6 February 2026: without --date a command acts on that day,
    whether the wall clock is earlier or later."""
    with freeze_time(wall_clock):
        r = vn(store, "case", "contact", "T1", "--channel", "phone", "--outcome", "reached",
               "--promise-date", "2026-02-20")
        assert r.exit_code == 0, r.output
        r = vn(store, "case", "arrange", "T1", "--instalments", "3", "--first-date", "2026-03-01")
        assert r.exit_code == 0, r.output
    view = json.loads(vn(store, "case", "show", "T1", "--json").output)
    assert view["contacts"][-1]["on"] == "2026-02-06"
    assert view["promises"][-1]["pay_by"] == "2026-02-20"
    assert [i["due_on"] for i in view["arrangements"][0]["instalments"]] == ["2026-03-01", "2026-04-01", "2026-05-01"]


def test_case_commands_take_a_reference_or_a_unique_prefix(store):
    case_id = json.loads(vn(store, "case", "show", "T1", "--json").output)["case_id"]
    assert json.loads(vn(store, "case", "show", case_id[:8], "--json").output)["case_id"] == case_id
    r = vn(store, "case", "show", "T404")
    assert r.exit_code == 2
    assert "neither a case id, a unique case-id prefix nor a tenancy reference" in r.output


def test_case_show_prints_what_json_has(store):
    vn(store, "case", "contact", "T1", "--channel", "phone", "--outcome", "reached", "--promise-date", "2026-02-20")
    vn(store, "case", "arrange", "T1", "--instalments", "2", "--first-date", "2026-03-01")
    vn(store, "case", "refer", "T1", "--partner", "gkb", "--consent", "yes")
    out = vn(store, "case", "show", "T1").output
    assert "arrangement 1         active" in out and "2026-03-01 325.00, 2026-04-01 325.00" in out
    assert "pay by 2026-02-20" in out
    assert "gkb 2026-02-06" in out and "consent yes" in out
    assert "PREV-PHONE-D1" in out and "phone      reached" in out


def test_worklist_and_case_list_show_name_amount_and_days_late(store):
    out = vn(store, "worklist", actor="officer:olaf").output
    line = next(x for x in out.splitlines() if "T1" in x)
    assert "J. Jansen" in line and "650.00" in line and "5d" in line and "PREV-PHONE-D1" in line
    out = vn(store, "case", "list", "--open", actor="officer:olaf").output
    assert "J. Jansen" in out and "P. Bakker" in out and "720.00" in out
    out = vn(store, "case", "list", "--open", actor="auditor:anne").output
    assert "J. Jansen" not in out and "650.00" in out  # an auditor sees no names


def test_update_contact_keeps_history_and_lets_the_fix_contact_task_be_done(store):
    r = vn(store, "tenancy", "update-contact", "T2", "--phone", "06 1234 5670", actor="officer:olaf")
    assert r.exit_code == 0, r.output
    from adapters.bootstrap import Settings, build
    from domain.tenancy import tenancy_id_for

    app = build(Settings(db=str(store), out_dir=str(store.parent / "out")))
    assert app.store.contact(tenancy_id_for("T2")).phone == "+31612345670"
    assert app.store.contact(tenancy_id_for("T2")).name == "P. Bakker"  # left out: kept
    history = app.store.contact_history(tenancy_id_for("T2"))
    assert [(h["by"], h["phone"], h["changed_on"]) for h in history] == [("officer:olaf", "+31612345670", "2026-02-06")]
    r = vn(store, "tenancy", "update-contact", "T2", "--phone", "12", actor="officer:olaf")
    assert r.exit_code == 2 and "phone: the given number is not a valid phone number" in r.output
    r = vn(store, "tenancy", "update-contact", "T2", "--phone", "0612345671", actor="auditor:anne")
    assert r.exit_code == 3


def test_audit_export_has_a_default_format(store, tmp_path):
    r = vn(store, "audit", "export", "--out", str(tmp_path / "all.jsonl"))
    assert r.exit_code == 0, r.output
    first = (tmp_path / "all.jsonl").read_text().splitlines()[0]
    assert json.loads(first)


def test_a_closed_pipe_ends_quietly(store):
    from datetime import date

    from adapters.bootstrap import Settings, build
    from application import daily_run
    from application.ledger_types import LedgerLine
    from domain.values import Actor, LedgerKind, Role

    app = build(Settings(db=str(store), out_dir=str(store.parent / "out")))
    for n in range(300):  # a long case list, printed line by line
        app.start_tenancy(Actor(Role.LETTING, "lisa"), f"P{n:04d}", rent_cents=65000, start_date=date(2026, 1, 1))
    app.import_ledger(Actor(Role.SYSTEM, "erp"), [
        LedgerLine(line=n + 1, transaction_id=f"P{n:04d}/rent-2026-02", tenancy_ref=f"P{n:04d}",
                   booking_date=date(2026, 2, 1), kind=LedgerKind.CHARGE, cents=65000, period="2026-02")
        for n in range(300)], source="erp")
    daily_run.run(app, date(2026, 2, 7))
    env = {**os.environ, "VANGNET_DB": str(store), "VANGNET_OUT": str(store.parent / "out")}
    p = subprocess.run(f"'{sys.executable}' -m adapters.cli case list | head -n 1", shell=True,
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.stdout.startswith("case ")
    assert p.stderr == ""


def test_user_add_reads_the_password_and_only_the_administrator_manages_users(store):
    r = CliRunner().invoke(cli, ["--db", str(store), "user", "add", "olaf", "--role", "officer",
                                 "--password-stdin"], input="correct horse battery\n")
    assert r.exit_code == 0, r.output
    assert "olaf" in vn(store, "user", "list").output
    r = CliRunner().invoke(cli, ["--db", str(store), "--as", "team_lead:tess", "user", "add", "eve", "--role",
                                 "team_lead", "--password-stdin"], input="correct horse battery\n")
    assert r.exit_code == 3


def test_vangnet_serve_answers_and_sends_unsigned_visitors_to_sign_in(store):
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "VANGNET_DB": str(store), "VANGNET_OUT": str(store.parent / "out")}
    proc = subprocess.Popen([sys.executable, "-m", "adapters.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        page = None
        deadline = time.monotonic() + 90  # starting the server can take long on a loaded machine
        while page is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/worklist", timeout=2)
            except OSError:
                time.sleep(0.1)
        assert page is not None and page.status == 200
        assert page.url.endswith("/login?next=/worklist")
        body = page.read().decode()
        assert '<html lang="nl">' in body and "Aanmelden" in body
        api = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5)
        assert "/api/v1/worklist" in json.loads(api.read())["paths"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "no users yet" in proc.stderr.read()
