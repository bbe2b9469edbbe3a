"""Bounded waits and messages that never get lost, through the CLI.

* A command blocked by another writer stops after the busy timeout with one line
  and exit code 75 (SQLite and PostgreSQL), instead of waiting without end.
* In the ``record`` and ``vendor`` telephony modes an SMS reaches an adapter (a
  file) or stays pending: never marked sent and lost. ``vangnet outbox`` lists what
  has not been delivered, with its age.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.bootstrap import Settings, build
from adapters.cli.main import cli
from adapters.memory import FixedClock
from application import daily_run
from application.ports import Contact
from application.store import Upsert
from domain.values import Actor, Period, Role
from tests.conftest import _pg_connect

ADMIN = Actor(Role.ADMIN, "root")


def invoke(db: str, tmp_path: Path, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    base = {"VANGNET_DB": db, "VANGNET_OUT": str(tmp_path / "out"), "VANGNET_BUSY_TIMEOUT": "1"}
    return CliRunner().invoke(cli, list(args), env={**base, **(env or {})})


def test_a_command_blocked_by_another_sqlite_writer_says_busy_with_exit_75(tmp_path: Path) -> None:
    db = str(tmp_path / "v.db")
    r = invoke(db, tmp_path, "tenancy", "start", "T1", "--rent", "650.00", "--start", "2026-01-01")
    assert r.exit_code == 0, r.output
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another import or daily run writing
    try:
        r = invoke(db, tmp_path, "tenancy", "pay", "T1", "--amount", "650,00", "--date", "2026-01-03", "--tx", "B1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.exit_code == 75, r.output
    assert r.output.strip().splitlines()[-1] == ("error: the store is busy: another import or daily run holds it; "
                                                 "try again")
    r = invoke(db, tmp_path, "tenancy", "pay", "T1", "--amount", "650,00", "--date", "2026-01-03", "--tx", "B1")
    assert r.exit_code == 0, r.output  # once free, the same command works


@pytest.mark.postgres
def test_a_command_blocked_by_another_postgres_writer_says_busy_with_exit_75(pg_db: str, tmp_path: Path) -> None:
    r = invoke(pg_db, tmp_path, "tenancy", "start", "T1", "--rent", "650.00", "--start", "2026-01-01")
    assert r.exit_code == 0, r.output
    holder = _pg_connect(pg_db)
    holder.autocommit = False
    holder.execute("LOCK TABLE vangnet_events IN EXCLUSIVE MODE")  # what a writing import holds
    try:
        r = invoke(pg_db, tmp_path, "tenancy", "pay", "T1", "--amount", "650,00", "--date", "2026-01-03",
                   "--tx", "B1")
    finally:
        holder.rollback()
        holder.close()
    assert r.exit_code == 75, r.output
    assert "the store is busy: another import or daily run holds it; try again" in r.output


def _landlord(tmp_path: Path, mode: str) -> tuple[str, Path]:
    db = str(tmp_path / "v.db")
    policy = tmp_path / "policy.toml"
    lines = ["[telephony]", f'mode = "{mode}"']
    if mode == "vendor":
        lines += [f'outbox = "{tmp_path / "drop"}"', 'landlord_name = "Woonstichting"',
                  'landlord_iban = "NL91ABNA0417164300"']
    policy.write_text("\n".join(lines) + "\n")
    return db, policy


def _queue_sms(db: str, policy: Path, tmp_path: Path, phone: str) -> tuple[str, str]:
    from application.policy import load_policy

    app = build(Settings(db=db, out_dir=str(tmp_path / "out"), policy_path=str(policy)),
                clock=FixedClock(date(2026, 2, 12)), policy=load_policy(str(policy)))
    app.start_tenancy(ADMIN, "T1", rent_cents=65000, start_date=date(2026, 1, 1),
                      contact=Contact(tenancy_id=None, name="A. Tenant", phone=phone))  # type: ignore[arg-type]
    app.charge_rent(ADMIN, "T1", period=Period(2026, 2), cents=65000)
    t = app.get_tenancy("T1")
    item = f"{uuid.uuid4().hex}.sms-press-1"
    payload = {"case_id": str(uuid.uuid4()), "tenancy_id": str(t.id), "on": "2026-02-12",
               "amount_cents": 65000, "reference": "HUUR T1"}
    app.store.apply([Upsert("outbox", ("item_id",), {"item_id": item, "kind": "sms", "created_on": "2026-02-10",
                                                     "payload": json.dumps(payload), "sent_on": None})])
    daily_run.dispatch_outbox(app, date(2026, 2, 12))
    app.close()
    return item, str(t.id)


def test_record_mode_writes_the_sms_to_a_file_before_marking_it_sent(tmp_path: Path) -> None:
    db, policy = _landlord(tmp_path, "record")
    item, _ = _queue_sms(db, policy, tmp_path, "0612345678")
    recorded = tmp_path / "out" / "telephony" / "recorded" / "sms" / f"{item}.json"
    assert json.loads(recorded.read_text())["payment_reference"] == "HUUR T1"
    r = invoke(db, tmp_path, "--policy", str(policy), "outbox")
    assert r.exit_code == 0, r.output
    assert "every item reached an adapter" in r.output


def test_vendor_mode_drops_the_sms_in_the_vendor_folder(tmp_path: Path) -> None:
    db, policy = _landlord(tmp_path, "vendor")
    item, _ = _queue_sms(db, policy, tmp_path, "0612345678")
    rows = (tmp_path / "drop" / f"sms-{item}.csv").read_text().splitlines()
    assert rows[0] == "message_id;phone;text;date"
    assert rows[1].startswith(f"{item};+31612345678;Woonstichting: u kunt het openstaande bedrag van")


def test_an_sms_no_adapter_accepts_stays_pending_and_the_outbox_shows_it_with_its_age(tmp_path: Path) -> None:
    db, policy = _landlord(tmp_path, "vendor")
    policy.write_text(policy.read_text().replace('landlord_name = "Woonstichting"\n', ""))  # no SMS text possible
    item, _ = _queue_sms(db, policy, tmp_path, "0612345678")
    assert not (tmp_path / "drop" / f"sms-{item}.csv").exists()
    r = invoke(db, tmp_path, "--policy", str(policy), "outbox", "--json",
               env={"VANGNET_DB": db})
    assert r.exit_code == 0, r.output
    [row] = json.loads(r.output)
    assert row["item_id"] == item and row["status"] == "failed" and row["attempts"] == 1
    assert "landlord_name" in row["last_error"]
    assert row["age_days"] >= 2
