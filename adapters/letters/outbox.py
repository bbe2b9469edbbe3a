"""``FileLetters``: the ``Letters`` port as a print outbox on disk.

Layout::

    <outbox>/<posted_on yyyy-mm-dd>/<letter_id>.html|.pdf|.txt
    <outbox>/<posted_on yyyy-mm-dd>/manifest.json

Every file is written atomically (temporary file, fsync, ``os.replace``); the
manifest (letter id, kind, case and tenancy ids, files with sha256 checksums, no
personal data) is rewritten atomically after each letter. Sending the same letter
id again with identical content changes nothing and returns the same receipt;
different content for a known letter id is refused. One writer per outbox at a time.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from adapters.files import atomic_write
from application.dutch import dutch_date, euro
from application.ports import (
    Contact,
    ContactDirectory,
    LetterReceipt,
    LetterRefused,
    LetterRequest,
)
from domain import wik
from domain.policy import Policy
from domain.values import InvalidValue, LetterKind, Period

from . import render
from .config import LetterConfig, check_config_complete

FORMATS = ("html", "pdf", "txt")
MANIFEST = "manifest.json"
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_DAY_DIR = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_stem(letter_id: str) -> str:
    """The file name (without extension) for a letter id; unsafe ids get a hashed stem."""
    if _SAFE_ID.fullmatch(letter_id):
        return letter_id
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", letter_id).strip("._-")[:80] or "letter"
    return f"{slug}-{sha256(letter_id.encode())[:12]}"


def _read_manifest(day_dir: Path) -> dict[str, Any]:
    path = day_dir / MANIFEST
    if not path.exists():
        return {"date": day_dir.name, "letters": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LetterRefused(f"outbox manifest {path} cannot be read: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("letters"), list):
        raise LetterRefused(f"outbox manifest {path} is not a Vangnet letter manifest")
    return data


def _dump(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _day_dirs(outbox: Path) -> list[Path]:
    if not outbox.is_dir():
        return []
    return sorted(p for p in outbox.iterdir() if p.is_dir() and _DAY_DIR.fullmatch(p.name))


class FileLetters:
    """Implements :class:`application.ports.Letters` by writing a print outbox."""

    def __init__(
        self,
        outbox: Path,
        config: LetterConfig,
        contacts: ContactDirectory,
        formats: Sequence[str] = FORMATS,
        *,
        pdf_font: str | None = "auto",
        policy: Policy | None = None,
    ) -> None:
        formats = tuple(formats)
        unknown = [f for f in formats if f not in FORMATS]
        if not formats or unknown or len(set(formats)) != len(formats):
            raise ValueError(
                f"letter formats: {formats!r}; choose one or more of {', '.join(FORMATS)}"
            )
        self.outbox = Path(outbox)
        self.config = config
        self.policy = policy if policy is not None else Policy()  # the WIK numbers' one source
        self.contacts = contacts
        self.formats = formats
        self.pdf_font = pdf_font
        self._index: dict[str, tuple[str, str]] | None = None  # letter id -> (date, checksum)

    # ------------------------------------------------------------------ public

    def preflight(self) -> None:
        """Raise :class:`LetterRefused` when the configuration is incomplete (run before a batch)."""
        check_config_complete(self.config)

    def render(self, letter: LetterRequest) -> dict[str, bytes]:
        """The letter's files as bytes by format, after every check; writes nothing."""
        html, text = self._render_text_forms(letter)
        out: dict[str, bytes] = {}
        if "html" in self.formats:
            out["html"] = html.encode("utf-8")
        if "pdf" in self.formats:
            out["pdf"] = self._pdf(letter, html)
        if "txt" in self.formats:
            out["txt"] = text.encode("utf-8")
        return out

    def send(self, letter: LetterRequest) -> LetterReceipt:
        html, text = self._render_text_forms(letter)
        checksum = sha256(self._primary(html, text))
        receipt = LetterReceipt(letter_id=letter.letter_id, checksum=checksum)
        day = letter.posted_on.isoformat()
        day_dir = self.outbox / day
        manifest = _read_manifest(day_dir)
        index = self._load_index()
        for entry in manifest["letters"]:
            index[entry["letter_id"]] = (day, entry["checksum"])

        known = index.get(letter.letter_id)
        if known is not None:
            if known == (day, checksum):
                return receipt
            raise LetterRefused(
                f"letter {letter.letter_id}: already in the outbox of {known[0]} with different "
                "content; a changed letter needs a new letter id"
            )

        stem = file_stem(letter.letter_id)
        texts = {"html": html.encode("utf-8"), "txt": text.encode("utf-8")}
        self._check_leftovers(letter.letter_id, stem, day_dir, texts)

        files: dict[str, bytes] = {}
        for fmt in self.formats:
            files[fmt] = self._pdf(letter, html) if fmt == "pdf" else texts[fmt]
        for fmt, data in files.items():
            atomic_write(day_dir / f"{stem}.{fmt}", data)

        entry = {
            "letter_id": letter.letter_id,
            "kind": str(letter.kind),
            "case_id": str(letter.case_id),
            "tenancy_id": str(letter.tenancy_id),
            "posted_on": day,
            "channel": receipt.channel,
            "checksum": checksum,
            "files": {
                fmt: {"name": f"{stem}.{fmt}", "sha256": sha256(data)}
                for fmt, data in files.items()
            },
        }
        if letter.kind == LetterKind.FOURTEEN_DAY_LETTER:
            entry["deadline"] = letter.deadline.isoformat() if letter.deadline else None
        letters = [e for e in manifest["letters"] if e.get("letter_id") != letter.letter_id]
        letters.append(entry)
        letters.sort(key=lambda e: e["letter_id"])
        atomic_write(day_dir / MANIFEST, _dump({"date": day, "letters": letters}))
        index[letter.letter_id] = (day, checksum)
        return receipt

    # ----------------------------------------------------------------- helpers

    def _primary(self, html: str, text: str) -> bytes:
        """What the receipt checksum covers: the HTML, or the text when only text is written."""
        if "html" in self.formats or "txt" not in self.formats:
            return html.encode("utf-8")
        return text.encode("utf-8")

    def _render_text_forms(self, letter: LetterRequest) -> tuple[str, str]:
        self.preflight()
        self._check_request(letter)
        contact = self._contact(letter)
        ctx = render.context(letter, self.config, contact, self.policy)
        kind = str(LetterKind(letter.kind))
        return render.render_html(kind, ctx), render.render_text(kind, ctx)

    def _pdf(self, letter: LetterRequest, html: str) -> bytes:
        title = f"{render.TITLES[LetterKind(letter.kind)]} {letter.letter_id}"
        return render.render_pdf(
            html,
            title=title,
            author=self.config.landlord_name,
            posted_on=letter.posted_on,
            font=self.pdf_font,
        )

    def _contact(self, letter: LetterRequest) -> Contact:
        contact = self.contacts.get(letter.tenancy_id)
        if contact is None:
            raise LetterRefused(
                f"letter {letter.letter_id}: no contact details for tenancy {letter.tenancy_id}"
            )
        missing = [
            what
            for what, value in (("name", contact.name), ("postal address", contact.address))
            if not (value or "").strip()
        ]
        if missing:
            raise LetterRefused(
                f"letter {letter.letter_id}: the contact details of tenancy {letter.tenancy_id} "
                f"lack a {' and a '.join(missing)}"
            )
        return contact

    def _check_request(self, letter: LetterRequest) -> None:
        lid = letter.letter_id

        def refuse(why: str) -> LetterRefused:
            return LetterRefused(f"letter {lid}: {why}")

        if not isinstance(lid, str) or not lid.strip() or len(lid) > 200 or _CONTROL.search(lid):
            raise LetterRefused(f"letter id {lid!r} is not a usable id")
        try:
            kind = LetterKind(letter.kind)
        except ValueError:
            kinds = ", ".join(k.value for k in LetterKind)
            raise refuse(f"unknown kind {letter.kind!r} (one of {kinds})") from None
        if not isinstance(letter.posted_on, date) or isinstance(letter.posted_on, datetime):
            raise refuse("posted_on must be a date")
        if not isinstance(letter.tenancy_id, UUID):
            raise refuse("tenancy_id must be a UUID")
        if not letter.tenancy_ref or not str(letter.tenancy_ref).strip():
            raise refuse("no tenancy reference")
        if not letter.payment_reference or not str(letter.payment_reference).strip():
            raise refuse("no payment reference")
        if not letter.arrears:
            raise refuse("no arrears per period")
        seen = set()
        for item in letter.arrears:
            try:
                Period.parse(item.period)
            except InvalidValue as exc:
                raise refuse(str(exc)) from None
            if item.period in seen:
                raise refuse(f"period {item.period} appears twice")
            seen.add(item.period)
            if isinstance(item.cents, bool) or not isinstance(item.cents, int) or item.cents <= 0:
                raise refuse(
                    f"period {item.period}: {item.cents!r} is not a positive amount in cents"
                )
        total = letter.total_cents
        if isinstance(total, bool) or not isinstance(total, int) or total <= 0:
            raise refuse(f"total {total!r} is not a positive amount in cents")
        if sum(p.cents for p in letter.arrears) != total:
            raise refuse(
                f"the periods add up to {euro(sum(p.cents for p in letter.arrears))}, "
                f"not the total {euro(total)}"
            )
        if kind == LetterKind.FOURTEEN_DAY_LETTER:
            self._check_wik(letter, refuse)

    def _check_wik(self, letter: LetterRequest, refuse) -> None:
        """The costs and deadline the letter states are the domain's under the policy."""
        pol = self.policy
        expected_costs = wik.letter_costs(letter.total_cents, pol)
        if letter.costs_cents is None:
            raise refuse(
                "the collection costs are unknown; a 14-day letter must state them "
                f"(WIK scale on {euro(letter.total_cents)}: {euro(expected_costs)})"
            )
        if letter.costs_cents != expected_costs:
            raise refuse(
                f"collection costs {euro(letter.costs_cents)} differ from the WIK scale: "
                f"{euro(expected_costs)} on {euro(letter.total_cents)}"
                f" (VAT {pol.wik_vat_percent}%, playbook.wik_vat_percent)"
            )
        expected_deadline = wik.letter_deadline(letter.posted_on, pol)
        if letter.deadline is None:
            raise refuse(
                f"no payment deadline; posted {letter.posted_on} it is {expected_deadline}"
            )
        if letter.deadline != expected_deadline:
            raise refuse(
                f"deadline {letter.deadline} ({dutch_date(letter.deadline)}) is wrong: posted on "
                f"{letter.posted_on} with receipt after {pol.wik_receipt_days} days and a "
                f"{pol.wik_term_days}-day term (playbook.wik_*) it is {expected_deadline}; a wrong "
                "deadline means no collection costs are due"
            )

    def _load_index(self) -> dict[str, tuple[str, str]]:
        if self._index is None:
            index: dict[str, tuple[str, str]] = {}
            for day_dir in _day_dirs(self.outbox):
                for entry in _read_manifest(day_dir)["letters"]:
                    index[entry["letter_id"]] = (day_dir.name, entry["checksum"])
            self._index = index
        return self._index

    def _check_leftovers(
        self, letter_id: str, stem: str, day_dir: Path, texts: dict[str, bytes]
    ) -> None:
        """Files of this letter without a manifest entry: left by an interrupted send.

        Identical HTML/text is completed; a different one, or files under another
        date, is refused rather than overwritten.
        """
        for other in _day_dirs(self.outbox):
            if other == day_dir:
                continue
            if any((other / f"{stem}.{fmt}").exists() for fmt in FORMATS):
                raise LetterRefused(
                    f"letter {letter_id}: files for this id already exist in the outbox of "
                    f"{other.name}; a changed letter needs a new letter id"
                )
        for fmt in ("html", "txt"):
            path = day_dir / f"{stem}.{fmt}"
            if path.exists() and sha256(path.read_bytes()) != sha256(texts[fmt]):
                raise LetterRefused(
                    f"letter {letter_id}: {path} exists with different content and is not in "
                    "the manifest (an interrupted earlier send?); check and remove it first"
                )


def list_outbox(outbox: Path, on: date | None = None, *, verify: bool = False) -> list[dict]:
    """The letters in the outbox (all dates, or the posting date ``on``), from the manifests.

    Each row: date, letter_id, kind, case_id, tenancy_id, checksum, files
    (format -> path). With ``verify=True`` also ``status``: ``ok``, or which files
    are missing or changed since they were written.
    """
    outbox = Path(outbox)
    days = [outbox / on.isoformat()] if on is not None else _day_dirs(outbox)
    rows: list[dict] = []
    for day_dir in days:
        if not (day_dir / MANIFEST).exists():
            continue
        for entry in _read_manifest(day_dir)["letters"]:
            files = {fmt: str(day_dir / f["name"]) for fmt, f in entry.get("files", {}).items()}
            row = {
                "date": day_dir.name,
                "letter_id": entry["letter_id"],
                "kind": entry.get("kind"),
                "case_id": entry.get("case_id"),
                "tenancy_id": entry.get("tenancy_id"),
                "checksum": entry.get("checksum"),
                "files": files,
            }
            if "deadline" in entry:
                row["deadline"] = entry["deadline"]
            if verify:
                row["status"] = _verify(day_dir, entry.get("files", {}).items())
            rows.append(row)
    return rows


def _verify(day_dir: Path, files: Iterable[tuple[str, dict]]) -> str:
    problems = []
    for fmt, f in files:
        path = day_dir / f["name"]
        if not path.exists():
            problems.append(f"missing {fmt}")
        elif sha256(path.read_bytes()) != f.get("sha256"):
            problems.append(f"changed {fmt}")
    return "ok" if not problems else ", ".join(problems)
