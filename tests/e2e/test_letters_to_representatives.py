"""Letters to whoever acts for the tenant (LETTER-ADDRESSEE), through the CLI: with a
protection administrator (beschermingsbewindvoerder) recorded, the reminder and the
14-day letter are addressed to the administrator with a copy to the tenant; their name
and address come from the contact directory when the letter is written and never
appear in an event; after the role ends, letters go to the tenant again; erasure
removes the administrator's details with the rest."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.cli.main import cli
from tests.e2e.test_letters_signals_e2e import POLICY

ADMIN_NAME = "Mr. P. Bewindsma"
ADMIN_ORG = "Bewindvoering Noord B.V."
ADMIN_ADDRESS = "Postbus 77, 9400 AB Assen"


def invoke(*args: str) -> str:
    r = CliRunner().invoke(cli, list(args))
    assert r.exit_code == 0, r.output
    return r.stdout


@pytest.fixture()
def landlord(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    monkeypatch.setenv("VANGNET_DB", str(tmp_path / "v.db"))
    monkeypatch.setenv("VANGNET_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("VANGNET_POLICY", str(policy))
    monkeypatch.delenv("VANGNET_ACTOR", raising=False)
    invoke("tenancy", "start", "T1", "--rent", "650.00", "--start", "2026-01-01", "--name", "J. Jansen",
           "--address", "Hoofdstraat 1, 7811 AA Emmen", "--phone", "0612345678", "--municipality", "Emmen")
    invoke("tenancy", "charge", "T1", "--period", "2026-02", "--amount", "650.00")
    invoke("tenancy", "charge", "T1", "--period", "2026-03", "--amount", "650.00")
    return tmp_path


def _events(db: Path) -> bytes:
    with sqlite3.connect(db) as c:
        tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        table = next(t for t in tables if t.endswith("events") and "snapshot" not in t)
        return b"".join(bytes(r[0]) for r in c.execute(f"SELECT state FROM {table}"))


def test_letters_go_to_the_administrator_with_a_copy_to_the_tenant(landlord: Path) -> None:
    out = invoke("tenancy", "representative", "T1", "--role", "administrator", "--name", ADMIN_NAME,
                 "--organisation", ADMIN_ORG, "--address", ADMIN_ADDRESS, "--date", "2026-01-15")
    assert "administrator recorded for T1" in out
    invoke("day", "run", "--date", "2026-02-02", "--through", "2026-02-20")
    letters = json.loads(invoke("letters", "outbox", "--json", "--verify"))
    (reminder,) = [x for x in letters if x["kind"] == "reminder"]
    assert reminder["status"] == "ok"
    folder = landlord / "out" / "letters" / reminder["date"]
    main = (folder / f"{reminder['letter_id']}.txt").read_text()
    head = main.split("Datum:")[0]
    assert ADMIN_NAME in head and ADMIN_ORG in head and "Postbus 77" in head and "J. Jansen" not in head
    assert "U ontvangt deze brief als beschermingsbewindvoerder van huurder J. Jansen" in main
    assert "Afschrift aan: huurder J. Jansen" in main
    copy = (folder / f"{reminder['letter_id']}.copy-tenant.txt").read_text()
    assert "AFSCHRIFT" in copy and copy.index("AFSCHRIFT") < copy.index("Hoofdstraat 1")
    assert "Hoofdstraat 1" in copy.split("Datum:")[0] and f"brief aan beschermingsbewindvoerder {ADMIN_NAME}" in copy
    assert (folder / f"{reminder['letter_id']}.copy-tenant.pdf").exists()
    manifest = json.loads((folder / "manifest.json").read_text())
    entry = next(e for e in manifest["letters"] if e["letter_id"] == reminder["letter_id"])
    assert entry["addressee"] == "administrator" and entry["copies"] == ["tenant"]
    assert ADMIN_NAME not in json.dumps(manifest)
    # the dossier knows who it went to (roles only); no event holds the administrator's details
    case_id = json.loads(invoke("case", "list", "--json"))[0]["case_id"]
    view = json.loads(invoke("case", "show", case_id, "--json"))
    step = next(s for s in view["steps"] if s["rule"] == "REMINDER-D14")
    assert step["inputs"]["addressed_to"] == "administrator" and step["inputs"]["copies"] == ["tenant"]
    invoke("audit", "dossier", case_id, "--out", str(landlord / "dossier.html"))
    dossier = (landlord / "dossier.html").read_text()
    assert "geadresseerd aan de beschermingsbewindvoerder, afschrift aan huurder" in dossier
    raw = _events(landlord / "v.db")
    for secret in (ADMIN_NAME, ADMIN_ORG, "Postbus 77"):
        assert secret.encode() not in raw

    # the bewind ends: the 14-day letter goes to the tenant again, without a copy
    invoke("tenancy", "representative", "T1", "--role", "administrator", "--end", "--date", "2026-03-01")
    invoke("day", "run", "--date", "2026-02-21", "--through", "2026-03-12")
    letters = json.loads(invoke("letters", "outbox", "--json"))
    (wik,) = [x for x in letters if x["kind"] == "fourteen_day_letter"]
    wik_text = (landlord / "out" / "letters" / wik["date"] / f"{wik['letter_id']}.txt").read_text()
    assert "J. Jansen" in wik_text.split("Datum:")[0] and ADMIN_NAME not in wik_text
    assert not list((landlord / "out" / "letters" / wik["date"]).glob("*.copy-*"))


def test_a_counsellor_is_the_addressee_and_erasure_removes_their_details(landlord: Path) -> None:
    invoke("tenancy", "representative", "T1", "--role", "counsellor", "--name", "A. Hulp",
           "--organisation", "GKB Drenthe", "--address", "Postbus 9, 9400 AA Assen", "--date", "2026-01-20")
    invoke("day", "run", "--date", "2026-02-02", "--through", "2026-02-20")
    (reminder,) = [x for x in json.loads(invoke("letters", "outbox", "--json")) if x["kind"] == "reminder"]
    text = (landlord / "out" / "letters" / reminder["date"] / f"{reminder['letter_id']}.txt").read_text()
    assert "A. Hulp" in text.split("Datum:")[0] and "schuldhulpverlener van huurder J. Jansen" in text
    with sqlite3.connect(landlord / "v.db") as c:
        assert c.execute("SELECT COUNT(*) FROM representatives").fetchone()[0] == 1
    invoke("privacy", "erase", "T1", "--yes")
    with sqlite3.connect(landlord / "v.db") as c:
        assert c.execute("SELECT COUNT(*) FROM representatives").fetchone()[0] == 0


def test_a_representative_needs_a_name_and_an_address(landlord: Path) -> None:
    r = CliRunner().invoke(cli, ["tenancy", "representative", "T1", "--role", "administrator", "--name", "X"])
    assert r.exit_code != 0 and "--address" in r.output
    r = CliRunner().invoke(cli, ["tenancy", "representative", "T1", "--role", "counsellor", "--end"])
    assert r.exit_code != 0 and "no counsellor recorded" in r.output
