"""The attack run of the security review, replayed on the CLI: roles on every command
(the daily run included), no claimable admin, four-eyes by two real people, hostile
values refused in one line with exit 2 and never a traceback."""

from __future__ import annotations

import json
import os
import pwd
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from freezegun import freeze_time

from adapters.cli.main import cli

TODAY = "2026-03-01"


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VANGNET_DB", str(tmp_path / "v.db"))
    monkeypatch.setenv("VANGNET_OUT", str(tmp_path / "out"))
    for var in ("VANGNET_ACTOR", "VANGNET_POLICY", "VANGNET_CIPHER_KEY", "VANGNET_DEBUG"):
        monkeypatch.delenv(var, raising=False)
    with freeze_time(TODAY):
        ok(invoke("tenancy", "start", "T1", "--rent", "650.00", "--start", "2026-01-01", "--name", "J. Jansen"))
        yield tmp_path


def invoke(*args: str, actor: str | None = None) -> Result:
    env = {"VANGNET_ACTOR": actor} if actor else {}
    return CliRunner().invoke(cli, list(args), env=env)


def ok(r: Result) -> Result:
    assert r.exit_code == 0, r.output
    return r


def refused(r: Result, code: int, *needles: str) -> Result:
    assert r.exit_code == code, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert "Traceback" not in r.output and "internal error" not in r.output, r.output
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.output
    for n in needles:
        assert n in r.output, (n, r.output)
    return r


def meta(db: Path, key: str) -> str | None:
    con = sqlite3.connect(db)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    finally:
        con.close()
    return row[0] if row else None


# --------------------------------------------------------------------- access


@pytest.mark.parametrize("actor", ["auditor:aud", "officer:olga", "letting:lisa"])
def test_only_system_and_team_leads_run_the_day(env: Path, actor: str) -> None:
    with freeze_time(TODAY):
        refused(invoke("day", "run", "--date", "2026-02-02", actor=actor), 3, "run_day")
    assert meta(env / "v.db", "last_run_day") is None


@pytest.mark.parametrize("actor", ["system:cron", "team_lead:anna"])
def test_the_run_record_names_its_actor(env: Path, actor: str) -> None:
    with freeze_time(TODAY):
        r = ok(invoke("day", "run", "--date", "2026-02-02", "--json", actor=actor))
    assert json.loads(r.stdout)[0]["actor"] == actor
    assert meta(env / "v.db", "run:2026-02-02") == actor


def test_admin_is_the_documented_single_user_default_and_a_policy_disables_it(env: Path) -> None:
    assert "admin" in ok(invoke("--help")).output
    policy = env / "multi.toml"
    policy.write_text("[access]\nadmin = false\n")
    with freeze_time(TODAY):
        refused(invoke("--policy", str(policy), "privacy", "erase", "T1", "--yes", actor="admin:mallory"), 3,
                "admin role is disabled")
        refused(invoke("--policy", str(policy), "privacy", "erase", "T1", "--yes"), 3, "admin role is disabled")
        shown = ok(invoke("tenancy", "show", "T1", "--json", actor="auditor:aud"))
    assert json.loads(shown.stdout)["erased"] is False


def test_multi_user_actor_comes_from_the_account_never_from_a_free_option(env: Path) -> None:
    me = pwd.getpwuid(os.getuid()).pw_name
    policy = env / "multi.toml"
    policy.write_text(f'[access]\nmode = "multi-user"\n[access.users]\n"{me}" = ["officer"]\n')
    with freeze_time(TODAY):
        refused(invoke("--policy", str(policy), "day", "run", "--date", "2026-02-02"), 3, "run_day")
        refused(invoke("--policy", str(policy), "day", "run", "--date", "2026-02-02", actor="system:cron"), 3,
                "may not act as 'cron'")
        refused(invoke("--policy", str(policy), "case", "list", actor=f"team_lead:{me}"), 3,
                "does not have the role team_lead")
        refused(invoke("--policy", str(policy), "privacy", "erase", "T1", "--yes", actor=f"admin:{me}"), 3)
        ok(invoke("--policy", str(policy), "case", "list"))


def test_decide_legal_action_cannot_be_made_in_another_persons_name(env: Path) -> None:
    with freeze_time(TODAY):
        refused(invoke("case", "decide-legal-action", "C1", "--by", "anna", "--reason", "x"), 2, "by: 'anna'")
        refused(invoke("case", "decide-legal-action", "C1", "--by", "bob", "--reason", "x", actor="team_lead:anna"),
                2, "by: 'bob'")


# ---------------------------------------------------------------------- input


HOSTILE: list[tuple[list[str], str]] = [
    (["day", "run", "--date", "2099-01-01"], "--allow-future"),
    (["day", "run", "--date", "2026-02-01", "--through", "2099-01-01"], "through"),
    (["tenancy", "pay", "T1", "--amount", "650.00", "--date", "2099-01-01", "--tx", "P1"], "future"),
    (["tenancy", "pay", "T1", "--amount", "650.00", "--date", "2026-03-02", "--tx", "P1"], "future"),
    (["tenancy", "pay", "T1", "--amount", "٦٥٠", "--date", "2026-02-01", "--tx", "P1"], "'٦٥٠'"),
    (["tenancy", "pay", "T1", "--amount", "650.00", "--date", "20260201", "--tx", "P1"], "'20260201'"),
    (["tenancy", "pay", "T1", "--amount", "650.00", "--date", "2026-W05-1", "--tx", "P1"], "'2026-W05-1'"),
    (["tenancy", "start", "OLD", "--rent", "650.00", "--start", "0001-01-01"], "0001-01-01"),
    (["tenancy", "start", "T2", "--rent", "650.00", "--start", "2026-01-01", "--name", "x" * 100_000], "name"),
    (["tenancy", "start", "T2", "--rent", "650.00", "--start", "2026-01-01", "--name", "\x1b[31mJ\x1b[0m"], "name"),
    (["tenancy", "start", "T2", "--rent", "650.00", "--start", "2026-01-01", "--name", "J.\nJansen"], "name"),
    (["tenancy", "start", "T2", "--rent", "650.00", "--start", "2026-01-01", "--municipality", "E\rmmen"],
     "municipality"),
    (["tenancy", "start", "T2", "--rent", "650.00", "--start", "2026-01-01", "--address", "A" * 1000], "address"),
    (["tenancy", "end", "T1", "--date", "2025-12-31", "--reason", "moved"], "before the start"),
    (["tenancy", "end", "T1", "--date", "2026-02-01", "--reason", ""], "reason"),
    (["tenancy", "end", "T1", "--date", "2026-02-01", "--reason", "   "], "reason"),
    (["tenancy", "raise-worry", "T1", "--reason", ""], "reason"),
    (["tenancy", "agree-due-day", "T1", "--day", "5", "--reason", "\x07"], "reason"),
    (["tenancy", "charge", "T1", "--period", "２０２６-02", "--amount", "650.00"], "period"),
    (["case", "decide-legal-action", "C1", "--reason", ""], "reason"),
    (["case", "arrange", "C1", "--instalments", "3", "--first-date", "0001-01-01"], "0001-01-01"),
    (["case", "contact", "C1", "--channel", "phone", "--outcome", "reached", "--promise-date", "2026-13-01"],
     "2026-13-01"),
    (["ledger", "import-camt", "MISSING.xml", "--pattern", "(unclosed"], "pattern: '(unclosed'"),
    (["telephony", "serve", "--port", "99999"], "99999"),
    (["worklist", "--date", "1900-01-01"], "1900-01-01"),
    (["privacy", "due", "--date", "2026-02-31"], "2026-02-31"),
    (["signals", "export", "--municipality", "\x1b]0;pwned\x07"], ""),
    (["audit", "case", "C1", "--as-of", "not-a-time"], ""),
    (["--as", "team_lead:" + "a" * 10_000, "case", "list"], "actor"),
    (["--as", "team_lead:anna\nsystem:x", "case", "list"], "actor"),
    (["--db", "postgresql://", "case", "list"], "db"),
    (["report", "--from", "0001-01"], ""),
    (["simulate", "--tenancies", "0"], ""),
    (["simulate", "--start", "0001-13"], ""),
    (["audit", "verify", "--anchor", "nonsense"], ""),
]


@pytest.mark.parametrize(("args", "needle"), HOSTILE, ids=[" ".join(a)[:60] for a, _ in HOSTILE])
def test_hostile_values_are_refused_in_one_line_exit_2_without_traceback(env: Path, args: list[str],
                                                                         needle: str) -> None:
    with freeze_time(TODAY):
        before = (env / "v.db").read_bytes()
        r = invoke(*args)
        assert r.exit_code in (2, 3), r.output
        refused(r, r.exit_code, needle)
    assert meta(env / "v.db", "last_run_day") is None
    assert (env / "v.db").read_bytes() == before or args[0] in ("day", "report", "simulate", "audit")


def test_an_invalid_camt_pattern_in_the_policy_is_one_line(env: Path) -> None:
    policy = env / "p.toml"
    policy.write_text('[ledger]\ncamt_pattern = "(unclosed"\n')
    statement = env / "s.xml"
    statement.write_text("<x/>")
    with freeze_time(TODAY):
        refused(invoke("--policy", str(policy), "policy", "show"), 2, "ledger.camt_pattern: '(unclosed'")
        refused(invoke("--policy", str(policy), "case", "list"), 2, "ledger.camt_pattern")


@pytest.mark.parametrize(("policy", "needle"), [
    ("[playbook]\nsignal_days = 10000000000\n", "playbook.signal_days"),
    ("[playbook]\ncalling_window_start = \"20:00\"\ncalling_window_end = \"09:00\"\n", "calling_window_end"),
    ("[playbook]\nstrategy = \"bogus\"\n", "playbook.strategy"),
    ("[playbook]\ndefault_due_day = 0\n", "playbook.default_due_day"),
    ("[playbook]\nlegal_months_of_rent = 0\n", "playbook.legal_months_of_rent"),
    ("[letters]\nwik_vat_percent = 500\n", "letters."),
    ("[letters]\nlandlord_name = \"X\"\n", "letters."),
    ("[access]\nmode = \"anarchy\"\n", "access.mode"),
])
def test_policy_errors_stop_every_command_at_load(env: Path, policy: str, needle: str) -> None:
    p = env / "p.toml"
    p.write_text(policy)
    with freeze_time(TODAY):
        refused(invoke("--policy", str(p), "policy", "show"), 2, needle)
        refused(invoke("--policy", str(p), "day", "run", "--date", "2026-02-02", actor="system:cron"), 2, needle)
    assert meta(env / "v.db", "last_run_day") is None


def test_commands_without_the_store_check_their_actor_too(env: Path) -> None:
    policy = env / "p.toml"
    policy.write_text('[access]\nadmin = false\n')
    with freeze_time(TODAY):
        refused(invoke("--policy", str(policy), "policy", "show"), 3, "admin role is disabled")
        refused(invoke("--policy", str(policy), "simulate", "--tenancies", "5", "--months", "1",
                       "--out", str(env / "sim")), 3, "admin role is disabled")
        refused(invoke("--policy", str(policy), "user", "list", actor="officer:olga"), 3, "audit")
        ok(invoke("--policy", str(policy), "policy", "show", actor="auditor:aud"))
    assert not (env / "sim").exists()
