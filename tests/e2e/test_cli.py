"""The CLI as a landlord's staff use it: separate processes on one SQLite file, clear
one-line errors with exit code 2, the store unchanged after bad input."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.cli.main import cli


def vangnet(tmp_path: Path, *args: str, actor: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VANGNET_DB": str(tmp_path / "v.db"), "VANGNET_OUT": str(tmp_path / "out")}
    env.pop("VANGNET_ACTOR", None)
    if actor:
        env["VANGNET_ACTOR"] = actor
    return subprocess.run([sys.executable, "-m", "adapters.cli", *args], capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.mark.slow
def test_intake_then_show_in_a_new_process(tmp_path: Path) -> None:
    assert vangnet(tmp_path, "tenancy", "start", "T1", "--rent", "650.00", "--start", "2026-01-01").returncode == 0
    r = vangnet(tmp_path, "tenancy", "intake", "T1", "--debt-counselling", "yes", "--garnishment", "no",
                "--financial-administration", "no", "--benefit-pay-day", "5", "--consent-partners", "yes",
                actor="letting:lisa")
    assert r.returncode == 0, r.stderr
    assert "prevention profile assigned; proposed due day 5" in r.stdout
    shown = json.loads(vangnet(tmp_path, "tenancy", "show", "T1", "--json").stdout)
    assert shown["prevention_profile"] == {"active": True, "reasons": ["debt_counselling"]}
    assert shown["proposed_due_day"] == 5 and shown["due_day"] == 1
    r = vangnet(tmp_path, "tenancy", "show", "T1", actor="auditor:anne")
    assert r.returncode == 0 and "prevention profile: yes (debt_counselling)" in r.stdout


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VANGNET_DB", str(tmp_path / "v.db"))
    monkeypatch.setenv("VANGNET_OUT", str(tmp_path / "out"))
    monkeypatch.delenv("VANGNET_ACTOR", raising=False)
    r = CliRunner().invoke(cli, ["tenancy", "start", "T1", "--rent", "650,00", "--start", "2026-01-01"])
    assert r.exit_code == 0, r.output
    return tmp_path / "v.db"


def count(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return int(con.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])
    finally:
        con.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tenancy", "pay", "T1", "--amount", "12.5", "--date", "2026-02-03", "--tx", "X"], "'12.5'"),
        (["tenancy", "pay", "T1", "--amount", "€ 12,00", "--date", "2026-02-03", "--tx", "X"], "amount"),
        (["tenancy", "pay", "T1", "--amount", "12,00", "--date", "03-02-2026", "--tx", "X"], "'03-02-2026'"),
        (["tenancy", "pay", "T9", "--amount", "12,00", "--date", "2026-02-03", "--tx", "X"], "T9"),
        (["tenancy", "pay", "T1", "--amount", "12,00", "--date", "2025-12-03", "--tx", "X"], "before the tenancy"),
        (["tenancy", "start", "T1", "--rent", "650.00", "--start", "2026-01-01"], "already exists"),
        (["tenancy", "start", "T2", "--rent", "0,00", "--start", "2026-01-01"], "rent"),
        (["tenancy", "start", "T2", "--rent", "650.00", "--start", "2026-01-01", "--iban", "NL00BANK0123456789"], "iban"),
        (["tenancy", "agree-due-day", "T1", "--day", "32", "--reason", "x"], "32"),
        (["tenancy", "charge", "T1", "--period", "2026-13", "--amount", "650,00"], "2026-13"),
        (["case", "show", "not-a-case"], "not-a-case"),
        (["day", "run", "--date", "2026-02-30"], "2026-02-30"),
        (["--as", "wizard:merlin", "case", "list"], "wizard:merlin"),
        (["--db", "mysql://x/y", "case", "list"], "mysql://x/y"),
    ],
)
def test_bad_input_is_one_clear_line_exit_2_and_the_store_unchanged(store: Path, args: list[str], message: str) -> None:
    before = count(store)
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert "Traceback" not in r.output
    assert count(store) == before


def test_a_role_that_may_not_run_a_command_is_refused_and_nothing_is_recorded(store: Path) -> None:
    before = count(store)
    r = CliRunner().invoke(cli, ["--as", "auditor:anne", "tenancy", "start", "T2", "--rent", "650.00",
                                 "--start", "2026-01-01"])
    assert r.exit_code == 3 and "access denied" in r.output and "auditor" in r.output
    assert count(store) == before


def test_help_says_who_runs_without_an_actor() -> None:
    r = CliRunner().invoke(cli, ["--help"])
    assert "admin:<login name>" in r.output


def test_policy_show_and_an_invalid_policy_names_the_key(tmp_path: Path) -> None:
    good = tmp_path / "p.toml"
    good.write_text("[playbook]\ntolerance_cents = 500\nrobocall_day = 14\n")
    r = CliRunner().invoke(cli, ["--policy", str(good), "policy", "show", "--json"])
    assert r.exit_code == 0
    assert json.loads(r.stdout)["playbook"]["robocall_day"] == 14
    bad = tmp_path / "bad.toml"
    bad.write_text("[playbook]\nrobocal_day = 14\n")
    r = CliRunner().invoke(cli, ["--policy", str(bad), "policy", "show"])
    assert r.exit_code == 2 and "playbook.robocal_day: unknown key" in r.output
    bad.write_text("[playbook]\nsignal_days = \"thirty\"\n")
    r = CliRunner().invoke(cli, ["--policy", str(bad), "policy", "show"])
    assert r.exit_code == 2 and "playbook.signal_days" in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tenancy", "pay", "T1", "--amount", "12,00", "--date", "2026-02-03", "--tx", " "], "tx"),
        (["tenancy", "start", "T2", "--rent", "650.00", "--start", "2026-01-01", "--phone", "notaphone123"], "phone"),
        (["tenancy", "start", "T\nX", "--rent", "650.00", "--start", "2026-01-01"], "ref"),
    ],
)
def test_ids_and_numbers_are_checked_before_anything_is_stored(store: Path, args: list[str], message: str) -> None:
    before = count(store)
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2 and message in r.output and "notaphone123" not in r.output
    assert count(store) == before


def test_an_unwritable_output_is_one_clear_line(store: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["audit", "export", "--format", "jsonl", "--out", "/nonexistent/dir/x.jsonl"])
    assert r.exit_code == 2 and "Traceback" not in r.output and "/nonexistent" in r.output


@pytest.mark.parametrize(
    ("policy", "key"),
    [
        ('[permissions]\nwizard = ["read"]\n', "permissions.wizard"),
        ('[telephony]\nmode = "bogus"\n', "telephony.mode"),
    ],
)
def test_policy_sections_are_checked_when_the_file_is_loaded(tmp_path: Path, policy: str, key: str) -> None:
    f = tmp_path / "p.toml"
    f.write_text(policy)
    r = CliRunner().invoke(cli, ["--policy", str(f), "policy", "show"])
    assert r.exit_code == 2 and key in r.output
