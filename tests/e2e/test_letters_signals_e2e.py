"""A case run through the playbook to the 14-day letter leaves in the outbox a correct
reminder and 14-day letter (PDF and HTML) and one signal record in the municipality's
export, each exactly once; an incomplete letter configuration writes nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from adapters.cli.main import cli
from tests.e2e.cli_story import POLICY, invoke, landlord_folder, start_tenant


@pytest.fixture()
def landlord(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = landlord_folder(tmp_path, monkeypatch)
    start_tenant("T1")
    invoke("tenancy", "charge", "T1", "--period", "2026-02", "--amount", "650.00")
    return folder


def test_the_playbook_leaves_each_letter_and_the_signal_exactly_once(landlord: Path) -> None:
    invoke("day", "run", "--date", "2026-02-02", "--through", "2026-02-20")
    case_id = json.loads(invoke("case", "list", "--json"))[0]["case_id"]
    invoke("case", "contact", case_id, "--channel", "phone", "--outcome", "no_answer", "--date", "2026-02-20")
    invoke("day", "run", "--date", "2026-02-21", "--through", "2026-03-20")
    invoke("day", "run", "--date", "2026-03-20")  # again: nothing new

    letters = json.loads(invoke("letters", "outbox", "--json", "--verify"))
    assert sorted(x["kind"] for x in letters) == ["fourteen_day_letter", "reminder"]
    assert all(x["status"] == "ok" for x in letters)
    wik = next(x for x in letters if x["kind"] == "fourteen_day_letter")
    # D = 1 Feb; D + 35 = 8 March, a Sunday: posted Monday 9 March; 9 + 2 + 1 + 14 = 26 March
    assert wik["deadline"] == "2026-03-26"
    folder = landlord / "out" / "letters" / "2026-03-09"
    html = (folder / f"{wik['letter_id']}.html").read_text()
    assert "26 maart 2026" in html and "650,00" in html and "97,50" in html  # costs: 15% of 650.00
    pdf_text = "".join(p.extract_text() for p in PdfReader(folder / f"{wik['letter_id']}.pdf").pages)
    assert "650,00" in pdf_text

    report = json.loads(invoke("signals", "export", "--json"))
    assert len(report["exported"]) == 1 and report["by_municipality"] == {"Emmen": 1}
    (batch,) = (landlord / "out" / "signals" / "Emmen").glob("signals-*.json")
    record = json.loads(batch.read_text())
    record = record["signalen"][0] if isinstance(record, dict) and "signalen" in record else record
    assert "Huur" in json.dumps(record) and "J. Jansen" in json.dumps(record)
    again = json.loads(invoke("signals", "export", "--json"))
    assert again["exported"] == [] and again["files"] == []


def test_an_incomplete_letter_configuration_writes_nothing_and_says_which_key(
    landlord: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = landlord / "broken.toml"
    broken.write_text(POLICY.replace('landlord_iban = "NL91ABNA0417164300"\n', ""))
    monkeypatch.setenv("VANGNET_POLICY", str(broken))
    r = CliRunner().invoke(cli, ["day", "run", "--date", "2026-02-02", "--through", "2026-02-16"])
    # an invalid [letters] table stops the command at load, as one clear error (exit 2)
    assert r.exit_code == 2
    assert "letters.landlord_iban" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (landlord / "out" / "letters").exists() or not any((landlord / "out" / "letters").rglob("*.html"))
    monkeypatch.delenv("VANGNET_POLICY")
    assert json.loads(invoke("letters", "outbox", "--json")) == []


def test_a_longer_wik_term_in_the_policy_gives_valid_14_day_letters(
    landlord: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The WIK numbers live in the policy only: with ``[playbook] wik_term_days = 21``
    the rules and the letters adapter agree, so every 14-day letter is written (the
    adapter used to recompute a 14-day deadline from its own keys and refuse them all)."""
    from domain import wik
    from domain.policy import Policy

    longer = landlord / "longer.toml"
    longer.write_text("[playbook]\nwik_term_days = 21\n" + POLICY)
    monkeypatch.setenv("VANGNET_POLICY", str(longer))
    for ref in ("T2", "T3"):
        start_tenant(ref, name="A. de Vries", address="Hoofdstraat 2, 7811 AA Emmen", phone="0612345679")
    for ref, period in (("T2", "2026-03"), ("T3", "2026-04")):
        invoke("tenancy", "charge", ref, "--period", period, "--amount", "650.00")
    r = CliRunner().invoke(cli, ["day", "run", "--date", "2026-02-02", "--through", "2026-06-15"])
    assert r.exit_code == 0, r.output
    assert "error" not in r.stderr

    letters = json.loads(invoke("letters", "outbox", "--json", "--verify"))
    wik_letters = [x for x in letters if x["kind"] == "fourteen_day_letter"]
    assert len(wik_letters) == 3 and all(x["status"] == "ok" for x in letters)
    policy = Policy(wik_term_days=21)
    for x in wik_letters:
        posted = date.fromisoformat(x["date"])
        assert x["deadline"] == wik.letter_deadline(posted, policy).isoformat()
        html = (landlord / "out" / "letters" / x["date"] / f"{x['letter_id']}.html").read_text()
        assert "21 dagen" in html


def test_a_wik_key_left_in_the_letters_section_is_named(landlord: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = landlord / "old.toml"
    old.write_text(POLICY.replace("[letters]\n", "[letters]\nterm_days = 21\n"))
    monkeypatch.setenv("VANGNET_POLICY", str(old))
    r = CliRunner().invoke(cli, ["day", "run", "--date", "2026-02-02", "--through", "2026-03-20"])
    assert r.exit_code == 2  # refused when the policy is read: nothing runs on a wrong configuration
    assert "letters.term_days: no longer a letters key" in r.stderr and "playbook.wik_term_days" in r.stderr
    assert not (landlord / "out" / "letters").exists()
