"""``FileSignals``: the ``MunicipalSignal`` port as a drop folder with batch exports.

``send`` records a *pending* signal without personal data::

    <outbox>/pending/<signal_id>.json      ids, amount, dates, contact attempts

``export`` writes one batch file per municipality with the fields municipalities keep
(VNG DDAS vroegsignalering: amount, origin date, signal date, partner type "Huur",
contact attempts) plus the tenant's contact details, read from the contact directory
at export time::

    <out>/<municipality>/signals-<yyyy-mm-dd>-<n>.json|csv

and then moves each exported record to ``<outbox>/exported/``.

Lifecycle (PLAYBOOK 5): a pending signal is re-checked at export by the application's
``recheck`` (arrears and conditions as of the export day): cleared or withdrawn ones
are dropped (``<outbox>/dropped/``) and never sent, one with a pending promise or
under the threshold is held, the rest go with the arrears of the export day. When the
arrears of an exported signal are cleared (``resolved``) or a late fact withdraws it
(``withdrawn``), ``update`` queues one message for the same municipality, exported in
the same batch format with its ``status``; an update is exported once. Crash safety: a
journal ``<outbox>/journal/<batch>.json`` (signal ids and the batch path) is written
before the batch file and removed after the moves; a re-run finishes an interrupted
export from the journal instead of exporting again. A signal is exported once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs

from adapters.files import atomic_write
from application.csv_safe import safe_row
from application.ports import Contact, ContactDirectory, SignalRequest, SignalUpdate
from domain.values import format_cents

PARTNER_TYPE = "Huur"
STATUS_TEXT = {"new": "nieuw", "resolved": "opgelost", "withdrawn": "ingetrokken"}
FORMAT_ID = "vangnet-vroegsignaal-1"
UNKNOWN = "unknown"
PERSONAL_CHANNELS = frozenset({"phone", "home_visit"})
# DDAS EnumContactsoort
CONTACT_KIND = {
    "phone": "Telefoon",
    "home_visit": "Huisbezoek",
    "letter": "Brief",
    "sms": "SMS/Whatsapp",
    "robocall": "Overige",
}
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_BATCH = re.compile(r"signals-(\d{4}-\d{2}-\d{2})-(\d+)\.(json|csv)")


class SignalRefused(Exception):
    """The signal adapter refuses a signal (bad request, or a known id with other content)."""


@attrs.frozen
class ExportReport:
    """What an export did. Ids only, no personal data."""

    files: tuple[Path, ...] = ()
    exported: tuple[str, ...] = ()  # signal ids written to a batch file by this run
    by_municipality: dict[str, int] = attrs.field(factory=dict)
    unknown_municipality: tuple[str, ...] = ()  # exported under "unknown": route by hand
    missing_contact: tuple[str, ...] = ()  # no contact details: kept pending
    objected: tuple[str, ...] = ()  # tenant objected: not exported, kept pending
    recovered: tuple[str, ...] = ()  # finished from an interrupted earlier export
    pending_left: int = 0  # pending records not exported by this run
    held: tuple[str, ...] = ()  # re-checked at export: held (a promise pending, under the threshold)
    dropped: tuple[str, ...] = ()  # re-checked at export: cleared or withdrawn, never sent
    updates: tuple[str, ...] = ()  # resolved / withdrawn messages exported by this run

    @property
    def changed(self) -> bool:
        return bool(self.files or self.recovered)


# ----------------------------------------------------------------------- helpers


def _dump(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _file_name(signal_id: str) -> str:
    if _SAFE_ID.fullmatch(signal_id):
        return f"{signal_id}.json"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", signal_id).strip("._-")[:80] or "signal"
    return f"{slug}-{hashlib.sha256(signal_id.encode()).hexdigest()[:12]}.json"


def municipality_dir(name: str) -> str:
    """A folder name for a municipality: letters, digits, ``-`` and ``_`` (``'s-Hertogenbosch`` ok)."""
    slug = re.sub(r"\s+", "-", name.strip())
    slug = re.sub(r"[^\w'.-]", "", slug).strip(".-")
    return slug or UNKNOWN


def amount_text(cents: int, *, decimal: str = ".") -> str:
    return format_cents(cents, decimal=decimal)


def pending_record(signal: SignalRequest) -> dict[str, Any]:
    """The stored form of a signal request: ids, amount, dates and attempts only."""
    return {
        "signal_id": signal.signal_id,
        "case_id": str(signal.case_id),
        "tenancy_id": str(signal.tenancy_id),
        "tenancy_ref": signal.tenancy_ref,
        "amount_cents": signal.amount_cents,
        "origin_date": signal.origin_date.isoformat(),
        "signal_date": signal.signal_date.isoformat(),
        "contact_attempts": [
            {"channel": a.channel, "reached": bool(a.reached), "on": a.on.isoformat()}
            for a in signal.contact_attempts
        ],
    }


def _check(signal: SignalRequest) -> None:
    sid = signal.signal_id

    def refuse(why: str) -> SignalRefused:
        return SignalRefused(f"signal {sid}: {why}")

    if (
        not isinstance(sid, str)
        or not sid.strip()
        or len(sid) > 200
        or re.search(r"[\x00-\x1f]", sid)
    ):
        raise SignalRefused(f"signal id {sid!r} is not a usable id")
    if not isinstance(signal.tenancy_id, UUID) or not isinstance(signal.case_id, UUID):
        raise refuse("case_id and tenancy_id must be UUIDs")
    cents = signal.amount_cents
    if isinstance(cents, bool) or not isinstance(cents, int) or cents <= 0:
        raise refuse(f"amount {cents!r} is not a positive amount in cents")
    if signal.origin_date > signal.signal_date:
        raise refuse(
            f"origin date {signal.origin_date} is after the signal date {signal.signal_date}"
        )
    for a in signal.contact_attempts:
        if a.channel not in CONTACT_KIND:
            raise refuse(f"unknown contact attempt channel {a.channel!r}")
    if not any(a.channel in PERSONAL_CHANNELS for a in signal.contact_attempts):
        raise refuse(
            "no personal contact attempt (phone or home visit); the law (BGS) requires one "
            "before a signal"
        )


# --------------------------------------------------------------------- adapter


class FileSignals:
    """Implements :class:`application.ports.MunicipalSignal` with files."""

    def __init__(
        self,
        outbox: Path,
        contacts: ContactDirectory,
        fmt: str = "json",
        *,
        is_objected: Callable[[UUID], bool] | None = None,
        partner_name: str | None = None,
        recheck: Callable[[dict[str, Any]], tuple[str, int | None, str]] | None = None,
        durable: bool = True,
    ) -> None:
        if fmt not in ("json", "csv"):
            raise ValueError(f"signal export format: {fmt!r}; choose json or csv")
        self.outbox = Path(outbox)
        # False for a simulation's outputs only: files written without fsync (adapters.files)
        self.durable = durable
        self.contacts = contacts
        self.fmt = fmt
        self.is_objected = is_objected
        self.partner_name = partner_name
        self.recheck = recheck  # record -> ("export", amount, "") | ("hold", None, why) | ("drop", None, why)

    @property
    def pending_dir(self) -> Path:
        return self.outbox / "pending"

    @property
    def exported_dir(self) -> Path:
        return self.outbox / "exported"

    @property
    def journal_dir(self) -> Path:
        return self.outbox / "journal"

    @property
    def dropped_dir(self) -> Path:
        return self.outbox / "dropped"

    # ---------------------------------------------------------------- update

    def update(self, update: SignalUpdate) -> None:
        """What follows a signal. Not yet exported: it is dropped, the municipality never
        hears of it. Exported: one ``resolved`` or ``withdrawn`` message is queued."""
        name = _file_name(update.signal_id)
        pending, exported = self.pending_dir / name, self.exported_dir / name
        if pending.exists() and not exported.exists():
            record = _load(pending)
            record.update(dropped_on=update.on.isoformat(), status=update.status, rule=update.rule)
            atomic_write(self.dropped_dir / name, _dump(record), durable=self.durable)
            pending.unlink()
            return
        if not exported.exists():
            return  # never sent (dropped before): nothing to tell
        uname = _file_name(f"{update.signal_id}.{update.status}")
        if (self.exported_dir / uname).exists() or (self.pending_dir / uname).exists():
            return  # once
        original = _load(exported)
        record = {k: original[k] for k in ("signal_id", "case_id", "tenancy_id", "tenancy_ref",
                                           "origin_date", "signal_date", "contact_attempts")}
        record.update(kind="update", status=update.status, update_date=update.on.isoformat(),
                      amount_cents=update.amount_cents, rule=update.rule,
                      municipality=original.get("municipality"))
        atomic_write(self.pending_dir / uname, _dump(record), durable=self.durable)

    # ------------------------------------------------------------------- send

    def send(self, signal: SignalRequest) -> None:
        """Record a pending signal. The same id with identical content again is a no-op."""
        _check(signal)
        record = pending_record(signal)
        name = _file_name(signal.signal_id)
        for folder in (self.exported_dir, self.pending_dir):
            path = folder / name
            if path.exists():
                known = _load(path)
                stored = {k: known.get(k) for k in record}
                if stored == record:
                    return
                raise SignalRefused(
                    f"signal {signal.signal_id}: already recorded ({folder.name}) with different "
                    "content; a changed signal needs a new signal id"
                )
        atomic_write(self.pending_dir / name, _dump(record), durable=self.durable)

    # ----------------------------------------------------------------- export

    def export(
        self,
        municipality: str | None = None,
        out: Path | None = None,
        *,
        today: date,
    ) -> ExportReport:
        """Write the pending signals (of one municipality, or all) as batch files.

        Contact details come from the directory now. A signal without any contact
        details stays pending; one without a municipality goes to the ``unknown``
        group (reported); a tenant for whom ``is_objected`` says yes is skipped and
        reported. Re-running changes nothing.
        """
        out_dir = Path(out) if out is not None else self.outbox
        recovered = self._recover()
        wanted = municipality.strip().casefold() if municipality else None

        groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        names: dict[str, str] = {}  # folder -> municipality as written
        unknown: list[str] = []
        missing: list[str] = []
        objected: list[str] = []
        held: list[str] = []
        dropped: list[str] = []
        updates: list[str] = []
        left = 0
        for path in sorted(self.pending_dir.glob("*.json")) if self.pending_dir.is_dir() else []:
            record = _load(path)
            sid = record["signal_id"]
            if (self.exported_dir / path.name).exists():  # moved, pending not yet removed
                path.unlink()
                recovered.append(sid)
                continue
            tenancy_id = UUID(record["tenancy_id"])
            contact = self.contacts.get(tenancy_id)
            town = ((contact.municipality if contact else None) or "").strip()
            is_update = record.get("kind") == "update"
            if is_update and record.get("municipality"):
                town = record["municipality"]  # the municipality that had the signal
            group = town if town else UNKNOWN
            if wanted is not None and group.casefold() != wanted:
                left += 1
                continue
            if is_update:
                row = self._export_row(record, contact or Contact(tenancy_id), group)
                folder = municipality_dir(group)
                names.setdefault(folder, group)
                groups.setdefault(folder, []).append((path.name, row))
                updates.append(sid)
                continue
            if self.recheck is not None:
                verdict, amount, why = self.recheck(record)
                if verdict == "drop":
                    record.update(dropped_on=today.isoformat(), status="dropped", reason=why)
                    atomic_write(self.dropped_dir / path.name, _dump(record),
                                 durable=self.durable)
                    path.unlink()
                    dropped.append(sid)
                    continue
                if verdict == "hold":
                    held.append(sid)
                    left += 1
                    continue
                if amount is not None:
                    record["amount_cents"] = amount  # the arrears of the export day
            if self.is_objected is not None and self.is_objected(tenancy_id):
                objected.append(sid)
                left += 1
                continue
            if contact is None or not any(
                (v or "").strip() for v in (contact.name, contact.address, contact.phone)
            ):
                missing.append(sid)
                left += 1
                continue
            if not town:
                unknown.append(sid)
            row = self._export_row(record, contact, group)
            folder = municipality_dir(group)
            names.setdefault(folder, group)
            groups.setdefault(folder, []).append((path.name, row))

        files: list[Path] = []
        exported: list[str] = []
        by_municipality: dict[str, int] = {}
        for folder, items in sorted(groups.items()):
            target_dir = out_dir / folder
            batch = target_dir / self._next_batch_name(target_dir, today)
            ids = [row["signaal_id"] for _, row in items]
            journal = self.journal_dir / f"{folder}-{batch.stem}.json"
            atomic_write(
                journal,
                _dump(
                    {
                        "batch": str(batch.resolve()),
                        "exported_on": today.isoformat(),
                        "municipality": names[folder],
                        "signals": [
                            {"file": n, "signal_id": row["signaal_id"]} for n, row in items
                        ],
                    }
                ),
            )
            atomic_write(batch, self._batch_bytes(names[folder], today, [r for _, r in items]),
                         durable=self.durable)
            self._finish(journal)
            files.append(batch)
            exported.extend(ids)
            by_municipality[names[folder]] = len(ids)

        return ExportReport(
            files=tuple(files),
            exported=tuple(exported),
            by_municipality=by_municipality,
            unknown_municipality=tuple(unknown),
            missing_contact=tuple(missing),
            objected=tuple(objected),
            recovered=tuple(recovered),
            pending_left=left,
            held=tuple(held),
            dropped=tuple(dropped),
            updates=tuple(updates),
        )

    # -------------------------------------------------------- export helpers

    def _export_row(self, record: dict[str, Any], contact, group: str) -> dict[str, Any]:
        cents = int(record["amount_cents"])
        row: dict[str, Any] = {
            "signaal_id": record["signal_id"],
            "referentie": record["tenancy_ref"],
            "signaalpartner_type": PARTNER_TYPE,
            "bedrag": amount_text(cents),
            "bedrag_centen": cents,
            "ontstaansdatum": record["origin_date"],
            "signaaldatum": record["signal_date"],
            "gemeente": group,
            "client": {
                "naam": (contact.name or "").strip(),
                "adres": (contact.address or "").strip(),
                "telefoonnummer": (contact.phone or "").strip(),
            },
            "contactpogingen": [
                {
                    "soort": CONTACT_KIND.get(a["channel"], "Overige"),
                    "bereikt": bool(a["reached"]),
                    "datum": a["on"],
                }
                for a in record["contact_attempts"]
            ],
        }
        if self.partner_name:
            row["signaalpartner_naam"] = self.partner_name
        row["status"] = STATUS_TEXT.get(record.get("status", "new"), "nieuw")
        if record.get("update_date"):
            row["statusdatum"] = record["update_date"]
        return row

    def _next_batch_name(self, folder: Path, today: date) -> str:
        day = today.isoformat()
        taken = [0]
        if folder.is_dir():
            for p in folder.iterdir():
                m = _BATCH.fullmatch(p.name)
                if m and m.group(1) == day:
                    taken.append(int(m.group(2)))
        return f"signals-{day}-{max(taken) + 1}.{self.fmt}"

    def _batch_bytes(self, municipality: str, today: date, rows: list[dict[str, Any]]) -> bytes:
        if self.fmt == "json":
            return _dump(
                {
                    "format": FORMAT_ID,
                    "gemeente": municipality,
                    "aangemaakt_op": today.isoformat(),
                    "aantal": len(rows),
                    "signalen": rows,
                }
            )
        width = max([1, *(len(r["contactpogingen"]) for r in rows)])
        header = [
            "signaal_id",
            "referentie",
            "signaalpartner_type",
            *(["signaalpartner_naam"] if self.partner_name else []),
            "bedrag",
            "ontstaansdatum",
            "signaaldatum",
            "gemeente",
            "naam",
            "adres",
            "telefoonnummer",
            "status",
            "statusdatum",
        ]
        for i in range(1, width + 1):
            header += [
                f"contactpoging_{i}_soort",
                f"contactpoging_{i}_bereikt",
                f"contactpoging_{i}_datum",
            ]
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        for r in rows:
            line = [
                r["signaal_id"],
                r["referentie"],
                r["signaalpartner_type"],
                *([r.get("signaalpartner_naam", "")] if self.partner_name else []),
                r["bedrag"].replace(".", ","),
                r["ontstaansdatum"],
                r["signaaldatum"],
                r["gemeente"],
                r["client"]["naam"],
                r["client"]["adres"].replace("\n", ", "),
                r["client"]["telefoonnummer"],
                r["status"],
                r.get("statusdatum", ""),
            ]
            attempts = r["contactpogingen"]
            for i in range(width):
                if i < len(attempts):
                    a = attempts[i]
                    line += [a["soort"], "ja" if a["bereikt"] else "nee", a["datum"]]
                else:
                    line += ["", "", ""]
            writer.writerow(safe_row(line))
        return buf.getvalue().encode("utf-8")

    def _finish(self, journal: Path) -> list[str]:
        """Move the journal's signals from pending to exported, then drop the journal.

        Returns the ids that still had to be moved.
        """
        entry = _load(journal)
        moved = []
        for item in entry["signals"]:
            pending = self.pending_dir / item["file"]
            exported = self.exported_dir / item["file"]
            if not pending.exists():
                continue
            if not exported.exists():
                record = _load(pending)
                record.update(
                    exported_on=entry["exported_on"],
                    batch=entry["batch"],
                    municipality=entry["municipality"],
                )
                atomic_write(exported, _dump(record), durable=self.durable)
            pending.unlink()
            moved.append(item["signal_id"])
        journal.unlink()
        return moved

    def _recover(self) -> list[str]:
        """Finish exports interrupted after their journal was written."""
        recovered: list[str] = []
        if not self.journal_dir.is_dir():
            return recovered
        for journal in sorted(self.journal_dir.glob("*.json")):
            entry = _load(journal)
            batch = Path(entry["batch"])
            if batch.exists() and _batch_has(batch, [s["signal_id"] for s in entry["signals"]]):
                recovered.extend(self._finish(journal))
            else:  # crashed before the batch file was in place: export again normally
                journal.unlink()
        return recovered


def _batch_has(batch: Path, ids: list[str]) -> bool:
    text = batch.read_text(encoding="utf-8")
    return all(sid in text for sid in ids)


def list_signals(outbox: Path) -> list[dict[str, Any]]:
    """Pending and exported signal records (no personal data), oldest signal date first."""
    outbox = Path(outbox)
    rows: list[dict[str, Any]] = []
    for status in ("pending", "exported"):
        folder = outbox / status
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.json")):
            record = _load(path)
            if status == "pending" and (outbox / "exported" / path.name).exists():
                continue
            record["status"] = status
            rows.append(record)
    rows.sort(key=lambda r: (r.get("signal_date", ""), r.get("signal_id", "")))
    return rows
