"""Municipal signal adapter: pending records, DDAS-like batch export, exactly once."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from uuid import UUID

import attrs
import pytest

from adapters.signals import FileSignals, SignalRefused, list_signals
from adapters.signals import files as signal_files
from application.ports import Contact, ContactAttemptSummary, SignalRequest

T1 = UUID("11111111-1111-4111-8111-111111111111")
T2 = UUID("22222222-2222-4222-8222-222222222222")
T3 = UUID("33333333-3333-4333-8333-333333333333")
CASE = UUID("99999999-9999-4999-8999-999999999999")
TODAY = date(2026, 4, 2)

CONTACTS = {
    T1: Contact(
        T1,
        name="Anna de Boer",
        phone="+31612345678",
        address="Hoofdstraat 1, 7811 AB Emmen",
        iban="NL91ABNA0417164300",
        municipality="Emmen",
    ),
    T2: Contact(
        T2,
        name="Bram Smit",
        phone="0591-654321",
        address="Kerkweg 2, 7812 CD Emmen",
        municipality="Emmen",
    ),
    T3: Contact(
        T3,
        name="Cor Jansen",
        phone="0524-111222",
        address="Markt 3, 7741 AA Coevorden",
        municipality="Coevorden",
    ),
}


class Directory:
    def __init__(self, contacts: dict[UUID, Contact]) -> None:
        self.contacts = dict(contacts)

    def get(self, tenancy_id: UUID) -> Contact | None:
        return self.contacts.get(tenancy_id)


def signal(tenancy_id: UUID = T1, n: int = 1, **kw) -> SignalRequest:
    fields = dict(
        signal_id=f"sig-{tenancy_id.hex[:4]}-{n}",
        case_id=CASE,
        tenancy_id=tenancy_id,
        tenancy_ref=f"HO-{tenancy_id.hex[:4]}",
        amount_cents=136_234,
        origin_date=date(2026, 3, 1),
        signal_date=date(2026, 4, 1),
        contact_attempts=(
            ContactAttemptSummary("phone", False, date(2026, 3, 3)),
            ContactAttemptSummary("home_visit", True, date(2026, 3, 9)),
        ),
    )
    fields.update(kw)
    return SignalRequest(**fields)


@pytest.fixture
def directory() -> Directory:
    return Directory(CONTACTS)


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "signals"


def all_files(path: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def load_batch(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


# ----------------------------------------------------------------------- send


def test_pending_record_has_no_personal_data(outbox, directory):
    FileSignals(outbox, directory).send(signal(T1))
    (path,) = (outbox / "pending").iterdir()
    raw = path.read_text("utf-8")
    record = json.loads(raw)
    assert record["tenancy_id"] == str(T1)
    assert record["amount_cents"] == 136_234
    assert record["origin_date"] == "2026-03-01" and record["signal_date"] == "2026-04-01"
    assert record["contact_attempts"][1] == {
        "channel": "home_visit",
        "reached": True,
        "on": "2026-03-09",
    }
    for value in ("Anna", "Boer", "612345678", "Hoofdstraat", "7811", "NL91", "Emmen"):
        assert value not in raw


def test_send_is_idempotent_and_refuses_changed_content(outbox, directory):
    signals = FileSignals(outbox, directory)
    signals.send(signal(T1))
    before = all_files(outbox)
    signals.send(signal(T1))
    assert all_files(outbox) == before
    with pytest.raises(SignalRefused, match="different content"):
        signals.send(signal(T1, amount_cents=1))
    assert all_files(outbox) == before


def test_signal_needs_a_personal_contact_attempt(outbox, directory):
    robocall_only = signal(
        contact_attempts=(ContactAttemptSummary("robocall", True, date(2026, 3, 12)),)
    )
    with pytest.raises(SignalRefused, match="personal contact"):
        FileSignals(outbox, directory).send(robocall_only)
    assert not outbox.exists() or all_files(outbox) == {}


# --------------------------------------------------------------------- export


def test_export_groups_by_municipality_with_ddas_fields(outbox, directory):
    signals = FileSignals(outbox, directory)
    for t in (T1, T2, T3):
        signals.send(signal(t))
    report = signals.export(today=TODAY)

    assert report.by_municipality == {"Coevorden": 1, "Emmen": 2}
    assert sorted(p.relative_to(outbox).as_posix() for p in report.files) == [
        "Coevorden/signals-2026-04-02-1.json",
        "Emmen/signals-2026-04-02-1.json",
    ]
    emmen = load_batch(outbox / "Emmen" / "signals-2026-04-02-1.json")
    assert emmen["gemeente"] == "Emmen" and emmen["aantal"] == 2
    first = next(r for r in emmen["signalen"] if r["referentie"] == f"HO-{T1.hex[:4]}")
    assert first["signaalpartner_type"] == "Huur"
    assert first["bedrag"] == "1362.34" and first["bedrag_centen"] == 136_234
    assert first["ontstaansdatum"] == "2026-03-01"
    assert first["signaaldatum"] == "2026-04-01"
    assert first["contactpogingen"] == [
        {"soort": "Telefoon", "bereikt": False, "datum": "2026-03-03"},
        {"soort": "Huisbezoek", "bereikt": True, "datum": "2026-03-09"},
    ]
    assert first["client"] == {
        "naam": "Anna de Boer",
        "adres": "Hoofdstraat 1, 7811 AB Emmen",
        "telefoonnummer": "+31612345678",
    }
    assert (
        "NL91" not in (outbox / "Emmen" / "signals-2026-04-02-1.json").read_text()
    )  # only what is needed
    assert list((outbox / "pending").iterdir()) == []
    assert len(list((outbox / "exported").iterdir())) == 3


def test_contact_details_are_read_at_export_time(outbox, directory):
    signals = FileSignals(outbox, directory)
    signals.send(signal(T1))
    directory.contacts[T1] = attrs.evolve(CONTACTS[T1], phone="+31687654321")
    report = signals.export(today=TODAY)
    (row,) = load_batch(report.files[0])["signalen"]
    assert row["client"]["telefoonnummer"] == "+31687654321"


def test_second_export_writes_nothing(outbox, directory):
    signals = FileSignals(outbox, directory)
    for t in (T1, T3):
        signals.send(signal(t))
    signals.export(today=TODAY)
    before = all_files(outbox)
    again = signals.export(today=TODAY)
    assert again.files == () and again.exported == () and not again.changed
    signals.send(signal(T1))  # the application repeating an earlier send
    assert FileSignals(outbox, directory).export(today=TODAY).files == ()
    assert all_files(outbox) == before


def test_new_signals_get_the_next_batch_number(outbox, directory):
    signals = FileSignals(outbox, directory)
    signals.send(signal(T1, 1))
    signals.export(today=TODAY)
    signals.send(signal(T1, 2))
    report = signals.export(today=TODAY)
    assert [p.name for p in report.files] == ["signals-2026-04-02-2.json"]
    assert report.exported == (f"sig-{T1.hex[:4]}-2",)


def test_export_one_municipality_to_another_folder(outbox, directory, tmp_path):
    signals = FileSignals(outbox, directory)
    for t in (T1, T2, T3):
        signals.send(signal(t))
    report = signals.export("coevorden", out=tmp_path / "drop", today=TODAY)
    assert report.files == (tmp_path / "drop" / "Coevorden" / "signals-2026-04-02-1.json",)
    assert report.pending_left == 2
    assert len(list((outbox / "pending").iterdir())) == 2


def test_objected_tenant_gets_no_record(outbox, directory):
    signals = FileSignals(outbox, directory, is_objected=lambda tenancy_id: tenancy_id == T2)
    for t in (T1, T2):
        signals.send(signal(t))
    report = signals.export(today=TODAY)
    assert report.objected == (f"sig-{T2.hex[:4]}-1",)
    (row,) = load_batch(report.files[0])["signalen"]
    assert row["client"]["naam"] == "Anna de Boer"
    text = "".join(p.read_text() for p in report.files)
    assert "Bram" not in text and str(T2.hex[:4]) not in text


def test_missing_municipality_goes_to_unknown_and_is_reported(outbox, directory):
    directory.contacts[T2] = attrs.evolve(CONTACTS[T2], municipality=None)
    signals = FileSignals(outbox, directory)
    signals.send(signal(T2))
    report = signals.export(today=TODAY)
    assert report.unknown_municipality == (f"sig-{T2.hex[:4]}-1",)
    assert report.files == (outbox / "unknown" / "signals-2026-04-02-1.json",)


def test_missing_contact_stays_pending(outbox, directory):
    del directory.contacts[T3]
    signals = FileSignals(outbox, directory)
    signals.send(signal(T3))
    report = signals.export(today=TODAY)
    assert report.files == () and report.missing_contact == (f"sig-{T3.hex[:4]}-1",)
    assert len(list((outbox / "pending").iterdir())) == 1


def test_csv_export(outbox, directory):
    signals = FileSignals(outbox, directory, fmt="csv")
    signals.send(signal(T3))
    report = signals.export(today=TODAY)
    assert report.files[0].name == "signals-2026-04-02-1.csv"
    rows = list(csv.DictReader(io.StringIO(report.files[0].read_text("utf-8")), delimiter=";"))
    assert rows == [
        {
            "signaal_id": f"sig-{T3.hex[:4]}-1",
            "referentie": f"HO-{T3.hex[:4]}",
            "signaalpartner_type": "Huur",
            "bedrag": "1362,34",
            "ontstaansdatum": "2026-03-01",
            "signaaldatum": "2026-04-01",
            "gemeente": "Coevorden",
            "naam": "Cor Jansen",
            "adres": "Markt 3, 7741 AA Coevorden",
            "telefoonnummer": "0524-111222",
            "status": "nieuw",  # a new signal; "opgelost" / "ingetrokken" follow it
            "statusdatum": "",
            "contactpoging_1_soort": "Telefoon",
            "contactpoging_1_bereikt": "nee",
            "contactpoging_1_datum": "2026-03-03",
            "contactpoging_2_soort": "Huisbezoek",
            "contactpoging_2_bereikt": "ja",
            "contactpoging_2_datum": "2026-03-09",
        }
    ]


# -------------------------------------------------------------- crash safety


def test_crash_after_batch_before_move_does_not_export_twice(outbox, directory, monkeypatch):
    signals = FileSignals(outbox, directory)
    signals.send(signal(T1))
    signals.send(signal(T2))

    def crash(self, journal):
        raise RuntimeError("power cut")

    monkeypatch.setattr(FileSignals, "_finish", crash)
    with pytest.raises(RuntimeError):
        signals.export(today=TODAY)
    monkeypatch.undo()
    assert len(list((outbox / "pending").iterdir())) == 2  # not moved yet

    report = FileSignals(outbox, directory).export(today=TODAY)
    assert report.files == ()
    assert sorted(report.recovered) == [f"sig-{T1.hex[:4]}-1", f"sig-{T2.hex[:4]}-1"]
    assert [p.name for p in (outbox / "Emmen").iterdir()] == ["signals-2026-04-02-1.json"]
    assert list((outbox / "pending").iterdir()) == []
    assert list((outbox / "journal").iterdir()) == []


def test_crash_before_batch_is_written_exports_on_rerun(outbox, directory, monkeypatch):
    signals = FileSignals(outbox, directory)
    signals.send(signal(T1))
    real = signal_files.atomic_write

    def fail_on_batch(path, data, **kw):
        if path.name.startswith("signals-"):
            raise RuntimeError("disk full")
        real(path, data, **kw)

    monkeypatch.setattr(signal_files, "atomic_write", fail_on_batch)
    with pytest.raises(RuntimeError):
        signals.export(today=TODAY)
    monkeypatch.undo()
    report = signals.export(today=TODAY)
    assert report.exported == (f"sig-{T1.hex[:4]}-1",)
    assert [p.name for p in (outbox / "Emmen").iterdir()] == ["signals-2026-04-02-1.json"]


def test_list_signals(outbox, directory):
    signals = FileSignals(outbox, directory)
    signals.send(signal(T1))
    signals.export(today=TODAY)
    signals.send(signal(T3))
    rows = list_signals(outbox)
    assert [(r["signal_id"], r["status"]) for r in rows] == [
        (f"sig-{T1.hex[:4]}-1", "exported"),
        (f"sig-{T3.hex[:4]}-1", "pending"),
    ]
    assert rows[0]["exported_on"] == "2026-04-02"
    assert "Anna" not in json.dumps(rows)
