"""Bank statements as banks really send them, through the CLI and a store: facts that
arrive late (the tenancy is created after the money came in), twice (the same file
again, a file of several statements) or for several accounts at once. One bank entry
is booked once, whichever way it is booked first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.cli.main import cli
from tests.bank_files import (
    ACCOUNT_A,
    ACCOUNT_B,
    PAYER_IBAN,
    PAYER_NAME,
    Item,
    Stmt,
    camt_file,
    chain,
)


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.stdout, r.stderr


def ok(*args: str) -> str:
    code, out, err = run(*args)
    assert code == 0, out + err
    return out


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VANGNET_DB", str(tmp_path / "v.db"))
    monkeypatch.setenv("VANGNET_OUT", str(tmp_path / "out"))
    monkeypatch.delenv("VANGNET_ACTOR", raising=False)
    monkeypatch.delenv("VANGNET_POLICY", raising=False)
    ok("tenancy", "start", "T1", "--rent", "650.00", "--start", "2024-01-01")
    return tmp_path


def write(store: Path, name: str, data: bytes) -> str:
    path = store / name
    path.write_bytes(data)
    return str(path)


def balance(ref: str) -> str:
    return json.loads(ok("tenancy", "show", ref, "--json"))["balance"]


def suspense(*flags: str) -> list[dict]:
    return json.loads(ok("ledger", "suspense", "--json", *flags))


def import_json(path: str, *flags: str) -> dict:
    return json.loads(ok("ledger", "import-camt", path, "--json", *flags))


# ------------------------------------------------------------- 1. late tenancy


def test_a_credit_for_a_tenancy_created_later_is_booked_once(store: Path) -> None:
    f = write(store, "may.xml", camt_file(Stmt("S1", [Item(5_000, ref="T9", bank_ref="B-1")], seq=1)))
    assert import_json(f)["suspense"] == 1
    ok("tenancy", "start", "T9", "--rent", "500.00", "--start", "2024-01-01")

    again = import_json(f)  # the tenancy exists now: offered, never booked silently
    assert again["imported"] == {} and again["suspense"] == 0
    [item] = suspense()
    assert item["status"] == "open" and item["suggestion"] == {"tenancy": "T9", "by": "structured_ref"}
    assert balance("T9") == "0.00"

    ok("ledger", "suspense", "--assign", item["item_id"], "T9")
    assert balance("T9") == "-50.00"
    import_json(f)  # and once more after the assignment
    code, _, err = run("ledger", "suspense", "--assign", item["item_id"], "T9")
    assert code == 2 and "already assigned to T9" in err
    assert balance("T9") == "-50.00"  # one 50.00 credit, booked once (was -100.00)


# ------------------------------------------------- 2. assignment then re-import


def test_a_reimport_keeps_an_assignment_its_actor_and_its_tenancy(store: Path) -> None:
    f = write(store, "may.xml", camt_file(Stmt("S1", [Item(5_000, ref="NOPE")], seq=1)))
    import_json(f)
    [item] = suspense()
    ok("--as", "officer:anna", "ledger", "suspense", "--assign", item["item_id"], "T1")
    import_json(f)
    assert suspense() == []
    [kept] = suspense("--all")
    assert (kept["status"], kept["tenancy"], kept["decided_by"]) == ("assigned", "T1", "officer:anna")
    assert balance("T1") == "-50.00"


def test_assignment_needs_the_suspense_permission_not_record_contact(store: Path) -> None:
    f = write(store, "may.xml", camt_file(Stmt("S1", [Item(5_000, ref="NOPE")], seq=1)))
    import_json(f)
    [item] = suspense()
    code, _, err = run("--as", "letting:lars", "ledger", "suspense", "--assign", item["item_id"], "T1")
    assert code == 3 and "assign_suspense" in err
    assert balance("T1") == "0.00"


# ------------------------------------------------------ 3. unknown reference


def test_an_unknown_reference_goes_to_suspense_and_the_rest_of_the_file_lands(store: Path) -> None:
    f = write(store, "may.xml", camt_file(Stmt("S1", [
        Item(65_000, ustrd="HUUR T1 mei"),
        Item(5_000, ustrd=f"HUUR T404 {PAYER_NAME}"),
    ], seq=1)))
    report = import_json(f, "--pattern", r"HUUR (?P<ref>T\d+)")
    assert report["imported"] == {"PAYMENT": 1} and report["suspense"] == 1
    assert balance("T1") == "-650.00"
    [item] = suspense()
    assert "T404" in item["reason"] and "unknown" in item["reason"]
    assert (item["amount"], item["booked_on"]) == ("50.00", "2024-05-13")
    # the payer is shown masked, never in full
    assert item["counterparty"] and PAYER_IBAN not in item["counterparty"]
    assert PAYER_NAME not in json.dumps(item)
    text = ok("ledger", "suspense")
    assert "50.00" in text and "2024-05-13" in text and "T404" in text and PAYER_IBAN not in text


def test_a_refused_file_says_why_in_camt_terms_and_as_json(store: Path) -> None:
    f = write(store, "broken.xml", camt_file(Stmt("S1", [Item(5_000, ref="T1")], closing=1)))
    code, out, err = run("ledger", "import-camt", f, "--json")
    assert code == 2
    error = json.loads(out)
    assert error["refused"] is True and "S1" in error["error"] and "CLBD" in error["error"]
    code, out, err = run("ledger", "import-camt", f)
    assert code == 2 and "S1" in err and "Traceback" not in err
    fine = write(store, "fine.xml", camt_file(Stmt("S1", [Item(5_000, ref="T1")])))
    code, out, _ = run("--as", "letting:lars", "ledger", "import-camt", fine, "--json")
    assert code == 3 and "import_ledger" in json.loads(out)["error"]
    notice = write(store, "notice.xml", camt_file(Stmt("N1"), version="08", kind="camt.054"))
    code, out, _ = run("ledger", "import-camt", notice, "--json")
    assert code == 2 and "camt.054 debit/credit notification" in json.loads(out)["error"]


# --------------------------------------------------------- 4. several accounts


def test_one_file_with_statements_of_two_accounts_lands(store: Path) -> None:
    a = chain("A", [Item(65_000, ref="T1", bank_ref="A-1")], [Item(1_000, ref="NOPE", bank_ref="A-2")],
              account=ACCOUNT_A, opening=763_908)
    b = chain("B", [Item(2_000, ref="NOPE", bank_ref="B-1")], [Item(3_000, ref="NOPE", bank_ref="B-2")],
              account=ACCOUNT_B, opening=0)
    f = write(store, "export.xml", camt_file(a[0], b[0], a[1], b[1]))
    report = import_json(f)
    assert report["statements"] == ["A-1", "B-1", "A-2", "B-2"]
    assert report["imported"] == {"PAYMENT": 1} and report["suspense"] == 3
    assert balance("T1") == "-650.00"
    assert {i["account"] for i in suspense()} == {"NL91...4300 EUR", "NL20...4567 EUR"}


def test_two_accounts_imported_one_after_the_other_each_follow_on(store: Path) -> None:
    a = chain("A", [Item(65_000, ref="T1")], [Item(100, ref="NOPE")], account=ACCOUNT_A, opening=763_908)
    b = chain("B", [Item(2_000, ref="NOPE")], account=ACCOUNT_B, opening=0)
    import_json(write(store, "a1.xml", camt_file(a[0])))
    import_json(write(store, "b1.xml", camt_file(b[0])))
    import_json(write(store, "a2.xml", camt_file(a[1])))
    b_next = Stmt("B-2", [Item(300, ref="NOPE")], opening=b[0].closing_cents, seq=2, account=ACCOUNT_B)
    import_json(write(store, "b2.xml", camt_file(b_next)))


def test_a_gap_names_the_account_and_the_statements(store: Path) -> None:
    a = chain("A", [Item(65_000, ref="T1")], account=ACCOUNT_A, opening=0)
    import_json(write(store, "a1.xml", camt_file(a[0])))
    gap = Stmt("A-3", [Item(100, ref="T1")], opening=65_000, seq=3, account=ACCOUNT_A)
    code, out, _ = run("ledger", "import-camt", write(store, "a3.xml", camt_file(gap)), "--json")
    assert code == 2
    message = json.loads(out)["error"]
    assert "A-3" in message and "A-1" in message and "NL91...4300" in message
    assert ACCOUNT_A not in message
    wrong = Stmt("A-2", [Item(100, ref="T1")], opening=1, seq=2, account=ACCOUNT_A)
    code, _, err = run("ledger", "import-camt", write(store, "a2.xml", camt_file(wrong)))
    assert code == 2 and "A-2" in err and "A-1" in err and "opening balance" in err


def test_a_gap_inside_one_file_is_refused_and_nothing_lands(store: Path) -> None:
    s1 = Stmt("A-1", [Item(65_000, ref="T1")], opening=0, seq=1)
    s2 = Stmt("A-2", [Item(100, ref="T1")], opening=7, seq=2)
    code, _, err = run("ledger", "import-camt", write(store, "two.xml", camt_file(s1, s2)))
    assert code == 2 and "A-2" in err and "A-1" in err
    assert balance("T1") == "0.00"


# ---------------------------------------------- 5. multi-statement re-import


def test_a_file_of_several_statements_reimports_as_a_no_op(store: Path) -> None:
    statements = chain("S", [Item(10_000, ref="T1")], [Item(20_000, ref="T1")], [Item(300, ref="NOPE")])
    f = write(store, "three.xml", camt_file(*statements))
    first = import_json(f)
    assert first["imported"] == {"PAYMENT": 2} and first["suspense"] == 1
    again = import_json(f)
    assert again["imported"] == {} and again["suspense"] == 0 and again["already_booked"] == 2
    assert balance("T1") == "-300.00"
    assert len(suspense()) == 1
    # and a next statement still follows on from the last one of the file
    nxt = Stmt("S-4", [Item(100, ref="T1")], opening=statements[-1].closing_cents, seq=4)
    assert import_json(write(store, "four.xml", camt_file(nxt)))["imported"] == {"PAYMENT": 1}


# ------------------------------------------------------------- split, not rent


def test_a_suspense_item_is_split_over_tenancies_or_marked_not_rent(store: Path) -> None:
    ok("tenancy", "start", "T2", "--rent", "500.00", "--start", "2024-01-01")
    f = write(store, "may.xml", camt_file(Stmt("S1", [Item(10_000, ref="X1"), Item(2_500, ref="X2")], seq=1)))
    import_json(f)
    first, second = suspense()
    code, _, err = run("ledger", "suspense", "--split", first["item_id"], "T1=60.00,T2=30.00")
    assert code == 2 and "100.00" in err  # the parts must add up to the item
    ok("--as", "officer:anna", "ledger", "suspense", "--split", first["item_id"], "T1=60.00,T2=40.00")
    assert (balance("T1"), balance("T2")) == ("-60.00", "-40.00")
    ok("--as", "officer:anna", "ledger", "suspense", "--not-rent", second["item_id"], "refund")
    assert suspense() == []
    done = {i["item_id"]: i for i in suspense("--all")}
    assert done[second["item_id"]]["status"] == "not_rent" and done[second["item_id"]]["decision"] == "refund"
    assert done[first["item_id"]]["status"] == "split"
    import_json(f)
    assert (balance("T1"), balance("T2")) == ("-60.00", "-40.00")
    code, _, err = run("ledger", "suspense", "--assign", second["item_id"], "T1")
    assert code == 2 and "not rent" in err


def test_a_statement_of_an_account_that_is_not_a_rent_account_goes_to_suspense(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = store / "policy.toml"
    policy.write_text(f'[ledger]\ncamt_accounts = ["{ACCOUNT_A}"]\n')
    monkeypatch.setenv("VANGNET_POLICY", str(policy))
    f = write(store, "both.xml", camt_file(Stmt("A-1", [Item(100, ref="T1")], account=ACCOUNT_A),
                                           Stmt("B-1", [Item(200, ref="T1")], account=ACCOUNT_B)))
    report = import_json(f)
    assert report["imported"] == {"PAYMENT": 1} and report["suspense"] == 1
    [item] = suspense()
    assert item["amount"] == "2.00" and "unknown account NL20...4567 EUR" in item["reason"]
    assert item["suggestion"] == {"tenancy": "T1", "by": "structured_ref"}  # the officer decides


def test_a_bank_reference_reused_for_another_entry_does_not_hide_it(store: Path) -> None:
    """Some banks number entries per statement: reference 1 of today is not reference 1 of
    yesterday. Both are booked, and each re-import still books nothing."""
    day1, day2 = chain("S", [Item(10_000, ref="T1", bank_ref="1")],
                       [Item(20_000, ref="T1", bank_ref="1", booked="2024-05-14"),
                        Item(300, ref="T1", bank_ref="2", booked="2024-05-14")])
    f1, f2 = write(store, "d1.xml", camt_file(day1)), write(store, "d2.xml", camt_file(day2))
    assert import_json(f1)["imported"] == {"PAYMENT": 1}
    assert import_json(f2)["imported"] == {"PAYMENT": 2}
    assert balance("T1") == "-303.00"
    both = write(store, "both.xml", camt_file(day1, day2))
    assert import_json(both)["imported"] == {} and import_json(f2)["imported"] == {}
    assert balance("T1") == "-303.00"
