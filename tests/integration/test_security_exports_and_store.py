"""Personal data at rest and in exports: the contact directory and the sealing keys are
encrypted with VANGNET_CIPHER_KEY (checked on the database file's bytes), and every CSV
the project writes is safe to open in a spreadsheet."""

from __future__ import annotations

import base64
import csv
import io
from datetime import date
from pathlib import Path
from uuid import UUID

import attrs

from adapters.bootstrap import Settings, build
from adapters.memory import FixedClock
from adapters.signals import FileSignals
from adapters.simulation import render
from adapters.telephony.vendor import _csv_bytes
from application.csv_safe import is_safe
from application.ports import Contact, ContactAttemptSummary, SignalRequest
from domain.values import Actor, Role

LETTING = Actor(Role.LETTING, "lotte")
AUDITOR = Actor(Role.AUDITOR, "aud")
ADMIN = Actor(Role.ADMIN, "admin")
T3 = UUID("33333333-3333-4333-8333-333333333333")
TODAY = date(2026, 4, 2)

KEY = base64.b64encode(bytes(range(32))).decode()
HOSTILE = "-1+cmd|' /C calc'!A0"


class Directory:
    def __init__(self, contacts: dict[UUID, Contact]) -> None:
        self.contacts = contacts

    def get(self, tenancy_id: UUID) -> Contact | None:
        return self.contacts.get(tenancy_id)


def signal(tenancy_id: UUID) -> SignalRequest:
    return SignalRequest(
        signal_id=f"sig-{tenancy_id.hex[:4]}-1", case_id=UUID(int=9), tenancy_id=tenancy_id,
        tenancy_ref=f"HO-{tenancy_id.hex[:4]}", amount_cents=136_234, origin_date=date(2026, 3, 1),
        signal_date=date(2026, 4, 1), contact_attempts=(ContactAttemptSummary("phone", False, date(2026, 3, 3)),),
    )


def _cells(text: str, delimiter: str = ";") -> list[str]:
    return [c for row in csv.reader(io.StringIO(text), delimiter=delimiter) for c in row]


def test_contact_directory_and_sealing_keys_are_encrypted_in_the_database_file(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    app = build(Settings(db=str(db), cipher_key=KEY, out_dir=str(tmp_path / "out")), clock=FixedClock(date(2026, 2, 1)))
    contact = Contact(tenancy_id=None, name="Johanna Verschuur", phone="+31612345678",  # type: ignore[arg-type]
                      address="Dorpsstraat 17\n7811 AB Emmen", iban="NL91ABNA0417164300", municipality="Emmen")
    tid = app.start_tenancy(LETTING, "T1", rent_cents=65000, start_date=date(2026, 1, 1), contact=contact)
    app.update_contact(LETTING, "T1", Contact(tenancy_id=None, phone="+31687654321",  # type: ignore[arg-type]
                                              address="Brink 4\n7811 AC Emmen"))
    assert [h["phone"] for h in app.store.contact_history(tid)] == ["+31687654321"]
    key = app.store.key(tid)
    assert key is not None and len(key) == 32
    got = app.store.contact(tid)
    assert got is not None and (got.name, got.iban, got.address) == (contact.name, contact.iban, "Brink 4\n7811 AC Emmen")
    app.close()
    raw = db.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("v.db-*"))
    for secret in (b"Verschuur", b"612345678", b"687654321", b"NL91ABNA", b"Dorpsstraat", b"Brink", b"Emmen"):
        assert secret not in raw, secret
    assert key not in raw
    # reopened with the key: readable again
    again = build(Settings(db=str(db), cipher_key=KEY, out_dir=str(tmp_path / "out")), clock=FixedClock(date(2026, 2, 1)))
    assert again.store.contact(tid).name == "Johanna Verschuur"  # type: ignore[union-attr]
    assert again.store.key(tid) == key


def test_without_a_key_the_directory_stays_plain_as_the_readme_says(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    app = build(Settings(db=str(db), out_dir=str(tmp_path / "out")), clock=FixedClock(date(2026, 2, 1)))
    app.start_tenancy(LETTING, "T1", rent_cents=65000, start_date=date(2026, 1, 1),
                      contact=Contact(tenancy_id=None, name="Johanna Verschuur"))  # type: ignore[arg-type]
    app.close()
    assert b"Verschuur" in db.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("v.db-*"))


# ----------------------------------------------------------------------- CSV


def test_signal_csv_neutralises_formulas_in_names_addresses_and_municipalities(tmp_path: Path) -> None:
    contacts = {T3: Contact(T3, name=HOSTILE, phone="0524-111222", address="+1+SUM(1+1)",
                            municipality="@SUM(A1)")}
    signals = FileSignals(tmp_path / "signals", Directory(contacts), fmt="csv")
    signals.send(signal(T3))
    report = signals.export(today=TODAY)
    text = report.files[0].read_text("utf-8") if report.files else ""
    cells = [c for f in (tmp_path / "signals").rglob("*.csv") for c in _cells(f.read_text("utf-8"))]
    assert cells and all(is_safe(c) for c in cells), [c for c in cells if not is_safe(c)]
    assert "'" + HOSTILE in cells or "'" + HOSTILE in text


def test_kpi_csv_cells_are_safe() -> None:
    month = {f: -1 for f in render.CSV_FIELDS if not f.startswith("referrals_")}
    month["referrals_by_partner"] = {f.removeprefix("referrals_"): 0 for f in render.CSV_FIELDS
                                     if f.startswith("referrals_")}
    kpis = {"=cmd|' /C calc'!A0": {"months": [month]}}
    text = render.csv_text(kpis)  # type: ignore[arg-type]
    assert all(is_safe(c) for c in _cells(text, ","))
    assert "'=cmd" in text


def test_call_list_cells_are_safe() -> None:
    data = _csv_bytes(["attempt_id", "phone"], [["@SUM(A1)", "+31612345678"], ["\t=1", "-1+2"]])
    cells = _cells(data.decode())
    assert all(is_safe(c) for c in cells)
    assert "+31612345678" in cells  # a plain number stays as it is


def test_every_csv_writer_uses_the_shared_helper() -> None:
    """A new CSV writer that forgets the rule fails here (writers of files others open)."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for folder in ("adapters", "application"):
        for p in (root / folder).rglob("*.py"):
            src = p.read_text("utf-8")
            if ("csv.writer(" in src or "DictWriter(" in src) and "safe_row" not in src and "safe_cell" not in src:
                offenders.append(str(p.relative_to(root)))
    assert offenders == []



def test_audit_csv_export_is_safe_and_still_imports(tmp_path: Path) -> None:
    """Encrypted states are base64, which may start with "+" (1 in 64): such a cell gets
    the apostrophe, and the import takes it off again (byte-identical events)."""
    from application import audit

    settings = Settings(db=str(tmp_path / "a.db"), cipher_key=KEY, out_dir=str(tmp_path / "out"))
    app = build(settings, clock=FixedClock(date(2026, 2, 1)))
    text = ""
    for n in range(1000):  # until some state starts with "+" (about 64 events on average)
        app.start_tenancy(LETTING, f"T{n}", rent_cents=65000 + n, start_date=date(2026, 1, 1))
        if n % 20 == 19:
            buf = io.BytesIO()
            audit.export_events(app, AUDITOR, buf, fmt="csv")
            text = buf.getvalue().decode()
            if "'+" in text:
                break
    cells = _cells(text, ",")
    assert any(c.startswith("'+") for c in cells)
    assert all(is_safe(c) for c in cells)
    copy = build(attrs.evolve(settings, db=str(tmp_path / "b.db")), clock=FixedClock(date(2026, 2, 1)))
    audit.import_events(copy, ADMIN, audit.read_export(io.BufferedReader(io.BytesIO(text.encode()))))
    assert audit.verify(copy, AUDITOR).ok
    assert copy.store.count_events() == app.store.count_events()
