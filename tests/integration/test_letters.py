"""Letters adapter: reminder and WIK 14-day letter in an outbox (HTML, PDF, text)."""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import date
from pathlib import Path
from uuid import UUID

import attrs
import pypdf
import pytest

from adapters.letters import (
    FileLetters,
    LetterConfig,
    LetterConfigError,
    dutch_date,
    euro,
    list_outbox,
)
from application.ports import Contact, LetterRefused, LetterRequest, PeriodAmount
from domain import wik
from domain.policy import Policy

TENANCY = UUID("7c2f0a52-52f4-4d3e-9d4a-8f1f2b6f1a01")
CASE = UUID("0b8e1c1e-3b7e-4e55-a0a4-5d3d1f0c2a02")

CONFIG = {
    "landlord_name": "Woonstichting De Vang",
    "landlord_address": "Postbus 12\n7800 AA Emmen",
    "landlord_iban": "NL91ABNA0417164300",
    "payment_phone": "0591 - 123 456 (maandag tot en met vrijdag)",
    "sender_name": "Team Huurincasso",
    "debt_help_municipality": "Gemeente Emmen, team Geldzaken: bel 14 0591",
    "debt_help_welfare": "Welzijnsorganisatie Sedna: 0591 - 111 222",
    "debt_help_gkb": "Gemeentelijke Kredietbank Drenthe: 0592 - 333 444",
    "debt_help_budget_coach": "Budgetcoach via de wijkteams: 0591 - 555 666",
    "debt_help_schuldhulpmaatje": "Schuldhulpmaatje Emmen: www.schuldhulpmaatje.nl",
    "objection_phone": "0591 - 123 999",
    "objection_email": "bezwaar@devang.example",
    "objection_address": "Postbus 12, 7800 AA Emmen",
}


class Directory:
    def __init__(self, *contacts: Contact) -> None:
        self.contacts = {c.tenancy_id: c for c in contacts}

    def get(self, tenancy_id: UUID) -> Contact | None:
        return self.contacts.get(tenancy_id)


TENANT = Contact(
    TENANCY,
    name="Mevrouw Ö. Çelik-de Vries",
    address="Hoofdstraat 1, 7811 AB Emmen",
    phone="0612345678",
    municipality="Emmen",
)


@pytest.fixture
def config() -> LetterConfig:
    return LetterConfig.from_mapping({"letters": CONFIG})


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "outbox"


def letters(outbox: Path, config: LetterConfig, *, formats=("html", "txt"), **kw) -> FileLetters:
    return FileLetters(outbox, config, Directory(TENANT), formats=formats, **kw)


def split(total_cents: int) -> tuple[PeriodAmount, ...]:
    half = total_cents // 2
    return (PeriodAmount("2026-01", half), PeriodAmount("2026-02", total_cents - half))


def wik_letter(
    total_cents: int = 300_000, posted_on: date = date(2026, 3, 6), **kw
) -> LetterRequest:
    fields = dict(
        letter_id=f"wik-{total_cents}-{posted_on}",
        kind="fourteen_day_letter",
        case_id=CASE,
        tenancy_id=TENANCY,
        tenancy_ref="HO-000123",
        posted_on=posted_on,
        arrears=split(total_cents),
        total_cents=total_cents,
        payment_reference="RF18 5390 0754 7034",
        costs_cents=wik.collection_costs_cents(total_cents),
        deadline=wik.payment_deadline(posted_on),
    )
    fields.update(kw)
    return LetterRequest(**fields)


def reminder(**kw) -> LetterRequest:
    fields = dict(
        letter_id="rem-1",
        kind="reminder",
        case_id=CASE,
        tenancy_id=TENANCY,
        tenancy_ref="HO-000123",
        posted_on=date(2026, 3, 13),
        arrears=(PeriodAmount("2026-02", 65_000), PeriodAmount("2026-03", 71_234)),
        total_cents=136_234,
        payment_reference="RF18 5390 0754 7034",
        offers_signal=True,
    )
    fields.update(kw)
    return LetterRequest(**fields)


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []


def read(outbox: Path, letter: LetterRequest, ext: str) -> str:
    return (outbox / letter.posted_on.isoformat() / f"{letter.letter_id}.{ext}").read_text("utf-8")


def plain(text: str) -> str:
    """Text without HTML tags, whitespace collapsed, entities kept."""
    return " ".join(re.sub(r"<[^>]+>", " ", text).split()).replace(" .", ".").replace(" ,", ",")


# ------------------------------------------------------------ WIK 14-day letter


@pytest.mark.parametrize(
    ("total_cents", "costs_cents", "amount_text", "costs_text"),
    [
        (30_000, 4_500, "€ 300,00", "€ 45,00"),
        (300_000, 42_500, "€ 3.000,00", "€ 425,00"),
        (1_200_000, 89_500, "€ 12.000,00", "€ 895,00"),
    ],
)
def test_fourteen_day_letter_states_amount_and_exact_costs(
    outbox, config, total_cents, costs_cents, amount_text, costs_text
):
    letter = wik_letter(total_cents, costs_cents=costs_cents)
    letters(outbox, config).send(letter)
    for ext in ("html", "txt"):
        text = plain(read(outbox, letter, ext))
        assert amount_text in text
        assert f"incassokosten van {costs_text}" in text
        assert euro(total_cents + costs_cents) in text
        assert "gerechtsdeurwaarder" in text  # the consequences
        assert "dag na ontvangst" in text


@pytest.mark.parametrize(
    ("posted_on", "deadline", "deadline_text"),
    [
        # posted on a Friday: delivered Saturday, no post Sunday or Monday, receipt Tuesday
        # 10 March, +1 +14 -> Wednesday 25 March
        (date(2026, 3, 6), date(2026, 3, 25), "25 maart 2026"),
        # posted on a Wednesday: receipt Friday 6 March, +15 is Saturday 21 March -> Monday 23 March
        (date(2026, 3, 4), date(2026, 3, 23), "23 maart 2026"),
        # posted Friday 10 April: receipt Tuesday 14 April -> Wednesday 29 April
        (date(2026, 4, 10), date(2026, 4, 29), "29 april 2026"),
    ],
)
def test_fourteen_day_letter_deadline_in_dutch(outbox, config, posted_on, deadline, deadline_text):
    assert wik.payment_deadline(posted_on) == deadline
    letter = wik_letter(posted_on=posted_on)
    letters(outbox, config).send(letter)
    for ext in ("html", "txt"):
        text = plain(read(outbox, letter, ext))
        assert f"uiterlijk op {deadline_text} op onze rekening" in text
        assert dutch_date(posted_on) in text
    if posted_on == date(2026, 4, 10):
        assert "27 april" not in read(outbox, letter, "txt")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"deadline": date(2026, 3, 20)}, "deadline 2026-03-20"),  # D+14: too short
        ({"deadline": None}, "no payment deadline"),
        ({"costs_cents": None}, "collection costs are unknown"),
        ({"costs_cents": 40_000}, "differ from the WIK scale"),
    ],
)
def test_wrong_deadline_or_costs_refused_and_nothing_written(outbox, config, change, message):
    with pytest.raises(LetterRefused, match=message):
        letters(outbox, config).send(wik_letter(**change))
    assert files_under(outbox) == []


def test_costs_include_vat_when_the_policy_says_so(outbox, config):
    with_vat = Policy(wik_vat_percent=21)
    with pytest.raises(LetterRefused, match="VAT 21%"):
        letters(outbox, config, policy=with_vat).send(wik_letter(30_000))  # 45.00 without VAT
    letter = wik_letter(30_000, costs_cents=5_445)
    letters(outbox, config, policy=with_vat).send(letter)
    text = " ".join(read(outbox, letter, "txt").split())
    assert "incassokosten van € 54,45 betalen (inclusief 21% btw)" in text


def test_deadline_follows_the_policys_term(outbox, config):
    longer = Policy(wik_receipt_days=3, wik_term_days=21)
    posted = date(2026, 3, 6)
    expected = wik.letter_deadline(posted, longer)
    assert expected == wik.payment_deadline(posted, receipt_days=3, term_days=21)
    with pytest.raises(LetterRefused, match="deadline"):
        letters(outbox, config, policy=longer).send(wik_letter(posted_on=posted))
    letter = wik_letter(posted_on=posted, deadline=expected)
    letters(outbox, config, policy=longer).send(letter)
    assert dutch_date(expected) in read(outbox, letter, "txt")
    assert "21 dagen" in read(outbox, letter, "txt")


# ------------------------------------------------------------------ reminder


def test_reminder_content(outbox, config):
    letter = reminder()
    letters(outbox, config).send(letter)
    for ext in ("html", "txt"):
        text = read(outbox, letter, ext)
        assert "februari 2026" in text and "€ 650,00" in text
        assert "maart 2026" in text and "€ 712,34" in text
        assert "€ 1.362,34" in text
        assert "NL91 ABNA 0417 1643 00" in text
        assert "RF18 5390 0754 7034" in text
        for key in (
            "debt_help_municipality",
            "debt_help_welfare",
            "debt_help_gkb",
            "debt_help_budget_coach",
            "debt_help_schuldhulpmaatje",
            "payment_phone",
            "objection_phone",
            "objection_email",
        ):
            assert CONFIG[key] in text, key
        assert "Postbus 12, 7800 AA Emmen" in text
        assert "Wilt u niet dat wij uw gegevens doorgeven?" in text
        assert TENANT.name in text and "Hoofdstraat 1" in text and "7811 AB Emmen" in text


def test_reminder_without_offer_has_no_objection_section(outbox, config):
    letter = reminder(offers_signal=False)
    letters(outbox, config).send(letter)
    text = read(outbox, letter, "txt")
    assert CONFIG["debt_help_municipality"] in text
    assert "Wilt u niet dat wij uw gegevens doorgeven?" not in text
    assert CONFIG["objection_email"] not in text


def test_html_is_escaped(outbox, config):
    odd = attrs.evolve(TENANT, name="<script>alert(1)</script> & Zn")
    letter = reminder()
    FileLetters(outbox, config, Directory(odd), formats=("html",)).send(letter)
    html = read(outbox, letter, "html")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "&amp; Zn" in html


def test_periods_must_add_up_to_total(outbox, config):
    with pytest.raises(LetterRefused, match="add up"):
        letters(outbox, config).send(reminder(total_cents=100_000))
    assert files_under(outbox) == []


# -------------------------------------------------------------- configuration


def test_missing_configuration_value_names_the_key():
    incomplete = {k: v for k, v in CONFIG.items() if k != "landlord_iban"}
    with pytest.raises(LetterConfigError, match=r"letters\.landlord_iban: missing"):
        LetterConfig.from_mapping({"letters": incomplete})


def test_configuration_problems_each_name_their_key():
    bad = dict(CONFIG, landlord_iban="NL91ABNA0417164301", payment_phone=" ", typo_key="x")
    for key in ("objection_phone", "objection_email", "objection_address"):
        bad.pop(key)
    with pytest.raises(LetterConfigError) as err:
        LetterConfig.from_mapping(bad)
    message = str(err.value)
    assert "letters.landlord_iban: not a valid IBAN" in message
    assert "letters.payment_phone: missing (required)" in message
    assert "letters.typo_key: unknown key" in message
    assert "letters.objection_phone" in message


def test_partner_lines_are_optional_and_iban_is_normalised():
    minimal = {
        k: v
        for k, v in CONFIG.items()
        if not k.startswith("debt_help_") or k.endswith("municipality")
    }
    cfg = LetterConfig.from_mapping(dict(minimal, landlord_iban="nl91 abna 0417 1643 00"))
    assert cfg.landlord_iban == "NL91ABNA0417164300"
    assert cfg.debt_help_lines() == [CONFIG["debt_help_municipality"]]


@pytest.mark.parametrize(("key", "moved_to"), [("term_days", "playbook.wik_term_days"),
                                               ("receipt_days", "playbook.wik_receipt_days"),
                                               ("wik_vat_percent", "playbook.wik_vat_percent")])
def test_a_wik_number_in_the_letters_section_is_refused_naming_where_it_lives(key, moved_to):
    with pytest.raises(LetterConfigError) as err:
        LetterConfig.from_mapping(dict(CONFIG, **{key: 21}))
    assert f"letters.{key}: no longer a letters key" in str(err.value) and moved_to in str(err.value)


def test_incomplete_configuration_stops_before_any_letter(outbox, config):
    broken = attrs.evolve(config, payment_phone=" ")
    fl = letters(outbox, broken)
    with pytest.raises(LetterRefused, match=r"letters\.payment_phone"):
        fl.preflight()
    with pytest.raises(LetterRefused, match=r"letters\.payment_phone"):
        fl.send(reminder())
    assert files_under(outbox) == []


# ------------------------------------------------------------------- contacts


def test_missing_contact_refused_naming_the_tenancy(outbox, config):
    fl = FileLetters(outbox, config, Directory())
    with pytest.raises(LetterRefused, match=str(TENANCY)):
        fl.send(reminder())
    no_address = attrs.evolve(TENANT, address=None)
    with pytest.raises(LetterRefused, match="postal address") as err:
        FileLetters(outbox, config, Directory(no_address)).send(reminder())
    assert TENANT.name not in str(err.value)
    assert files_under(outbox) == []


def test_contact_is_read_at_render_time(outbox, config):
    directory = Directory(TENANT)
    fl = FileLetters(outbox, config, directory, formats=("txt",))
    directory.contacts[TENANCY] = attrs.evolve(TENANT, address="Nieuwe Weg 9, 7812 CD Emmen")
    letter = reminder()
    fl.send(letter)
    assert "Nieuwe Weg 9" in read(outbox, letter, "txt")


# ------------------------------------------------------------------------ PDF


def pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_pdf_opens_and_states_the_amounts(outbox, config):
    letter = wik_letter(300_000)
    letters(outbox, config, formats=("html", "pdf", "txt")).send(letter)
    text = pdf_text(outbox / "2026-03-06" / f"{letter.letter_id}.pdf")
    assert "€ 3.000,00" in text
    assert "€ 425,00" in text
    assert "25 maart 2026" in text
    assert "Çelik" in text


def test_pdf_with_core_font_writes_eur(outbox, config):
    letter = reminder()
    letters(outbox, config, formats=("pdf",), pdf_font=None).send(letter)
    text = pdf_text(outbox / "2026-03-13" / "rem-1.pdf")
    assert "EUR 1.362,34" in text
    assert "Çelik" in text  # latin-1 letters survive


# ---------------------------------------------------------- outbox, idempotency


def test_files_manifest_and_receipt(outbox, config):
    letter = wik_letter()
    receipt = letters(outbox, config, formats=("html", "pdf", "txt")).send(letter)
    day = outbox / "2026-03-06"
    html = (day / f"{letter.letter_id}.html").read_bytes()
    assert receipt.letter_id == letter.letter_id
    assert receipt.checksum == hashlib.sha256(html).hexdigest()
    manifest = json.loads((day / "manifest.json").read_text("utf-8"))
    (entry,) = manifest["letters"]
    assert entry["tenancy_id"] == str(TENANCY) and entry["kind"] == "fourteen_day_letter"
    for ext in ("html", "pdf", "txt"):
        data = (day / entry["files"][ext]["name"]).read_bytes()
        assert entry["files"][ext]["sha256"] == hashlib.sha256(data).hexdigest()
    raw = (day / "manifest.json").read_text("utf-8")
    assert TENANT.name not in raw and "Hoofdstraat" not in raw  # no personal data
    assert [p.name for p in day.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_resend_identical_is_a_no_op(outbox, config):
    letter = wik_letter()
    first = letters(outbox, config, formats=("html", "pdf", "txt")).send(letter)
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files_under(outbox)}
    again = letters(outbox, config, formats=("html", "pdf", "txt")).send(letter)  # fresh instance
    assert again == first
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files_under(outbox)} == before


def test_same_id_with_different_content_refused(outbox, config):
    fl = letters(outbox, config)
    fl.send(reminder())
    before = {p: p.read_bytes() for p in files_under(outbox)}
    changed = reminder(arrears=(PeriodAmount("2026-02", 65_000),), total_cents=65_000)
    with pytest.raises(LetterRefused, match="different content"):
        fl.send(changed)
    with pytest.raises(LetterRefused, match="different content"):
        letters(outbox, config).send(reminder(posted_on=date(2026, 3, 16)))  # another day
    assert {p: p.read_bytes() for p in files_under(outbox)} == before


def test_interrupted_send_is_completed(outbox, config):
    letter = reminder()
    first = letters(outbox, config).send(letter)
    manifest = outbox / "2026-03-13" / "manifest.json"
    manifest.unlink()  # as if the process died before the manifest was written
    assert letters(outbox, config).send(letter) == first
    assert [e["letter_id"] for e in json.loads(manifest.read_text())["letters"]] == ["rem-1"]

    manifest.unlink()
    (outbox / "2026-03-13" / "rem-1.txt").write_text("iets anders", "utf-8")
    with pytest.raises(LetterRefused, match="not in the manifest"):
        letters(outbox, config).send(letter)


def test_list_outbox(outbox, config):
    fl = letters(outbox, config)
    fl.send(reminder())
    fl.send(wik_letter())
    rows = list_outbox(outbox)
    assert [(r["date"], r["letter_id"], r["kind"]) for r in rows] == [
        ("2026-03-06", "wik-300000-2026-03-06", "fourteen_day_letter"),
        ("2026-03-13", "rem-1", "reminder"),
    ]
    assert [r["letter_id"] for r in list_outbox(outbox, on=date(2026, 3, 13))] == ["rem-1"]
    assert list_outbox(outbox, on=date(2026, 1, 1)) == []
    assert rows[0]["deadline"] == "2026-03-25"
    Path(rows[1]["files"]["txt"]).write_text("gewijzigd", "utf-8")
    status = {r["letter_id"]: r["status"] for r in list_outbox(outbox, verify=True)}
    assert status == {"wik-300000-2026-03-06": "ok", "rem-1": "changed txt"}


def test_unsafe_letter_id_gets_a_safe_file_name(outbox, config):
    letter = reminder(letter_id="case/1:reminder")
    letters(outbox, config).send(letter)
    (row,) = list_outbox(outbox)
    assert row["letter_id"] == "case/1:reminder"
    assert all(Path(f).parent == outbox / "2026-03-13" for f in row["files"].values())


def test_unknown_kind_refused(outbox, config):
    with pytest.raises(LetterRefused, match="unknown kind"):
        letters(outbox, config).send(reminder(kind="summons"))
    assert files_under(outbox) == []


def test_formats_validated(outbox, config):
    with pytest.raises(ValueError, match="docx"):
        FileLetters(outbox, config, Directory(), formats=("docx",))
