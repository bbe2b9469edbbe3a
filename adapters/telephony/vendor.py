"""A call-list vendor, through drop folders.

Out: ``<campaign_id>.csv`` (``;``-separated: attempt_id, phone, script,
window_start, window_end, date) written atomically, then
``<campaign_id>.manifest.json`` with the row count and the CSV's sha256.
Cancellations go to ``cancellations.csv`` (attempt_id, cancelled_at).

Back: result files ``*.csv`` in an inbox (result_id, attempt_id, event, detail,
occurred_at, duration_s). A file is recorded all-or-nothing: one malformed row
and nothing of that file reaches the sink; the report names line, field and
value. Recorded files move to ``processed/`` and their checksum is remembered,
so the same file dropped again is not recorded twice; the sink deduplicates
single results by ``result_id``.

Phone numbers only ever appear in the call-list file itself: never in a log
line, an exception or a report (values quoted from result files are redacted).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import logging
import re
import shutil
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import attrs

from adapters.clock import SystemClock
from application.csv_safe import safe_row
from application.ports import (
    CallRequest,
    Clock,
    ContactDirectory,
    FactKind,
    FactSink,
    TelephonyFact,
)
from domain.calendar import is_business_day

from ._common import (
    OUTSIDE_WINDOW,
    atomic_write,
    normalise_opt_out,
    resolve_number,
)
from .numbers import redact

try:  # POSIX advisory locks for the read-modify-write of cancellations.csv
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "CALL_LIST_COLUMNS",
    "RESULT_COLUMNS",
    "CampaignConflict",
    "CollectReport",
    "RowError",
    "VendorTelephony",
    "collect",
    "parse_results",
]

log = logging.getLogger(__name__)

CALL_LIST_COLUMNS = ("attempt_id", "phone", "script", "window_start", "window_end", "date")
RESULT_COLUMNS = ("result_id", "attempt_id", "event", "detail", "occurred_at", "duration_s")
CANCELLATION_COLUMNS = ("attempt_id", "cancelled_at")
CANCELLATIONS_FILE = "cancellations.csv"
MANIFEST_FORMAT = "vangnet-call-list/1"

_CAMPAIGN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_ATTEMPT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_RESULT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")
_SCRIPT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_DURATION = re.compile(r"^[0-9]{1,6}$")
_FREE_DETAIL = re.compile(r"^(?:[a-z][a-z0-9_]{0,31}|[0-9]{1,4})?$")
_MAX_DURATION_S = 24 * 3600

DETAILS: dict[FactKind, frozenset[str]] = {
    FactKind.NOT_DIALLED: frozenset({"invalid_number", "opted_out", "outside_window", "no_number"}),
    FactKind.COMPLETED: frozenset(
        {"answered", "voicemail", "no_answer", "busy", "invalid_number", "failed", "cancelled"}
    ),
    FactKind.TRANSFERRED: frozenset({"connected", "no_agent"}),
}


class CampaignConflict(Exception):
    """A campaign id that was already placed with different content."""


def _csv_bytes(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", quotechar='"', lineterminator="\r\n")
    writer.writerow(safe_row(header))
    writer.writerows(safe_row(r) for r in rows)
    return buf.getvalue().encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a+b") as fh:
        if fcntl is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class VendorTelephony:
    """:class:`~application.ports.Telephony` through a call-list vendor's drop folder.

    ``outbox``: the folder the vendor picks call lists up from (must exist).
    ``sink``: where NOT_DIALLED facts (no number, invalid number, opted out, not a
    business day) go; without a sink they are kept in :attr:`not_dialled`.
    ``state_dir``: where placed campaigns are remembered (checksums only, no
    personal data), so re-placing a campaign the vendor has already picked up is
    still a no-op; default ``<outbox>/.vangnet-state``.
    """

    def __init__(
        self,
        outbox: Path,
        contacts: ContactDirectory,
        sink: FactSink | None = None,
        *,
        opt_out: set[str] | frozenset[str] = frozenset(),
        clock: Clock | None = None,
        state_dir: Path | None = None,
        file_mode: int = 0o600,
    ) -> None:
        self.outbox = Path(outbox)
        if not self.outbox.is_dir():
            raise ValueError(f"the vendor outbox {self.outbox} is not a folder")
        self.contacts = contacts
        self.sink = sink
        self.opt_out = normalise_opt_out(opt_out)
        self.clock = clock or SystemClock()
        self.state_dir = (
            Path(state_dir) if state_dir is not None else self.outbox / ".vangnet-state"
        )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.file_mode = file_mode
        self.not_dialled: list[TelephonyFact] = []

    # ------------------------------------------------------------------ Telephony

    def place_campaign(self, campaign_id: str, requests: Sequence[CallRequest]) -> None:
        """Write the call list and its manifest; deliver NOT_DIALLED facts.

        Idempotent: the same campaign id with the same content is a no-op (the
        facts are delivered again, the sink deduplicates them); with different
        content it raises :class:`CampaignConflict` and writes nothing. Per
        attempt too: a new campaign leaves out every attempt already in an earlier
        call list (remembered in ``state_dir/placed``, also for a list written by a
        process that stopped before recording it), so a tenant is never called
        twice for one attempt, whatever set of attempts a later dispatch groups.
        """
        if not isinstance(campaign_id, str) or not _CAMPAIGN_ID.match(campaign_id):
            raise ValueError(
                "a campaign id is 1-100 letters, digits, '.', '_' or '-', starting with a "
                "letter or digit"
            )
        if campaign_id.lower() == Path(CANCELLATIONS_FILE).stem:
            raise ValueError(f"{campaign_id!r} is reserved and cannot be a campaign id")
        for request in requests:
            if not _ATTEMPT_ID.match(request.attempt_id):
                raise ValueError(f"attempt id {request.attempt_id!r} is not usable in a call list")
            if not _SCRIPT_ID.match(request.script):
                raise ValueError(f"script id {request.script!r} is not usable in a call list")

        with _locked(self.state_dir / "place.lock"):  # two processes placing at once: one at a time
            self._place(campaign_id, requests)

    def _placed_dir(self) -> Path:
        return self.state_dir / "placed"

    def _mark_placed(self, attempt_ids: Sequence[str]) -> None:
        d = self._placed_dir()
        d.mkdir(parents=True, exist_ok=True)
        for a in attempt_ids:
            (d / a).touch()

    def _recover_unrecorded(self) -> None:
        """A call list written by a process that stopped before recording it (no
        ``.sha256`` record): its attempts are with the vendor all the same."""
        for csv_file in self.outbox.glob("*.csv"):
            if csv_file.name == CANCELLATIONS_FILE or (self.state_dir / f"{csv_file.stem}.sha256").exists():
                continue
            with contextlib.suppress(OSError, UnicodeDecodeError, csv.Error):
                rows = list(csv.reader(io.StringIO(csv_file.read_text(encoding="utf-8"), newline=""),
                                       delimiter=";"))
                self._mark_placed([r[0] for r in rows[1:] if r and _ATTEMPT_ID.match(r[0])])

    def _place(self, campaign_id: str, requests: Sequence[CallRequest]) -> None:
        csv_path = self.outbox / f"{campaign_id}.csv"
        record_path = self.state_dir / f"{campaign_id}.sha256"
        new_campaign = not record_path.exists() and not csv_path.exists()
        already: set[str] = set()
        if new_campaign:  # an attempt in an earlier call list is with the vendor: never in a second one
            self._recover_unrecorded()
            placed = self._placed_dir()
            already = {r.attempt_id for r in requests if (placed / r.attempt_id).exists()}
            if already:
                log.info("campaign %s: %d attempts already in an earlier call list, left out",
                         campaign_id, len(already))
        rows: list[list[str]] = []
        facts: list[TelephonyFact] = []
        seen: set[str] = set(already)
        now = self.clock.now()
        for request in requests:
            if request.attempt_id in seen:
                continue
            seen.add(request.attempt_id)
            reason: str | None
            if request.window_start >= request.window_end or not is_business_day(request.on):
                e164, reason = None, OUTSIDE_WINDOW
            else:
                e164, reason = resolve_number(self.contacts, request.tenancy_id, self.opt_out)
            if reason is not None or e164 is None:
                facts.append(
                    TelephonyFact(
                        provider_id=f"vendor-{request.attempt_id}-not_dialled",
                        attempt_id=request.attempt_id,
                        kind=FactKind.NOT_DIALLED,
                        occurred_at=now,
                        detail=reason or "no_number",
                    )
                )
                continue
            rows.append(
                [
                    request.attempt_id,
                    e164,
                    request.script,
                    request.window_start.strftime("%H:%M"),
                    request.window_end.strftime("%H:%M"),
                    request.on.isoformat(),
                ]
            )

        data = _csv_bytes(CALL_LIST_COLUMNS, rows)
        checksum = _sha256(data)
        manifest_path = self.outbox / f"{campaign_id}.manifest.json"
        manifest = {
            "format": MANIFEST_FORMAT,
            "campaign_id": campaign_id,
            "file": csv_path.name,
            "rows": len(rows),
            "sha256": checksum,
        }
        manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()

        previous: str | None = None
        if record_path.exists():
            previous = record_path.read_text().strip()
        elif csv_path.exists():  # state lost, the list still waiting in the outbox
            previous = _sha256(csv_path.read_bytes())
        if previous is not None and previous != checksum:
            raise CampaignConflict(
                f"campaign {campaign_id} was already placed with different content; "
                "use a new campaign id"
            )
        if previous is None and not rows and already:
            log.info("campaign %s: nothing to call, no list written", campaign_id)
        elif previous is None:
            atomic_write(csv_path, data, mode=self.file_mode)
            atomic_write(manifest_path, manifest_bytes, mode=self.file_mode)
            self._mark_placed([r[0] for r in rows])
            atomic_write(record_path, (checksum + "\n").encode(), mode=0o600)
            log.info(
                "campaign %s: %d calls written, %d not dialled",
                campaign_id,
                len(rows),
                len(facts),
            )
        else:
            if csv_path.exists() and not manifest_path.exists():
                # a crash between the list and its manifest: finish the job
                atomic_write(manifest_path, manifest_bytes, mode=self.file_mode)
            if not record_path.exists():
                self._mark_placed([r[0] for r in rows])
                atomic_write(record_path, (checksum + "\n").encode(), mode=0o600)
            log.info("campaign %s: already placed, nothing written", campaign_id)

        self.not_dialled = facts
        if facts and self.sink is not None:
            self.sink.record_facts(facts)

    def cancel(self, attempt_id: str) -> None:
        """Add ``attempt_id`` to ``cancellations.csv`` (once; atomic rewrite)."""
        if not isinstance(attempt_id, str) or not _ATTEMPT_ID.match(attempt_id):
            raise ValueError(f"attempt id {attempt_id!r} is not usable in a call list")
        path = self.outbox / CANCELLATIONS_FILE
        with _locked(self.state_dir / "cancellations.lock"):
            rows: list[list[str]] = []
            if path.exists():
                reader = csv.reader(
                    io.StringIO(path.read_text(encoding="utf-8"), newline=""), delimiter=";"
                )
                existing = [r for r in reader if r]
                rows = (
                    existing[1:]
                    if existing and existing[0] == list(CANCELLATION_COLUMNS)
                    else existing
                )
                if any(r and r[0] == attempt_id for r in rows):
                    return
            rows.append([attempt_id, self.clock.now().isoformat(timespec="seconds")])
            atomic_write(path, _csv_bytes(CANCELLATION_COLUMNS, rows), mode=self.file_mode)
        log.info("attempt %s: cancellation written", attempt_id)

    # -------------------------------------------------------------------- results

    def collect(
        self,
        inbox: Path,
        sink: FactSink | None = None,
        processed_dir: Path | None = None,
    ) -> CollectReport:
        """:func:`collect` with this adapter's sink by default."""
        target = sink if sink is not None else self.sink
        if target is None:
            raise ValueError("collect needs a sink")
        return collect(inbox, target, processed_dir)


# ---------------------------------------------------------------------- results


@attrs.frozen
class RowError:
    """One problem in a result file. ``value`` is redacted of phone numbers."""

    file: str
    line: int
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}, {self.field} {self.value!r}: {self.reason}"


@attrs.define
class CollectReport:
    """What :func:`collect` did with each result file."""

    recorded: dict[str, int] = attrs.Factory(dict)  # file -> facts read from it
    rejected: dict[str, list[RowError]] = attrs.Factory(dict)  # file -> errors
    duplicates: list[str] = attrs.Factory(list)  # files seen before, skipped
    facts_read: int = 0
    facts_recorded: int = 0  # as counted by the sink (new facts)

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def errors(self) -> list[RowError]:
        return [e for errs in self.rejected.values() for e in errs]

    def lines(self) -> list[str]:
        out = [f"{name}: {n} results recorded" for name, n in self.recorded.items()]
        out += [f"{name}: already processed, skipped" for name in self.duplicates]
        for name, errs in self.rejected.items():
            out.append(f"{name}: rejected, nothing recorded ({len(errs)} errors)")
            out += [f"  {e}" for e in errs]
        return out


def _shown(value: str) -> str:
    text = redact(value)
    return text if len(text) <= 80 else text[:77] + "..."


def parse_results(name: str, data: bytes) -> tuple[list[TelephonyFact], list[RowError]]:
    """Facts of one result file, or every error in it (then the facts are unusable)."""
    errors: list[RowError] = []

    def err(line: int, field: str, value: str, reason: str) -> None:
        errors.append(RowError(name, line, field, _shown(value), reason))

    if b"\x00" in data:
        err(1, "(file)", "", "contains NUL bytes (UTF-16 or binary?); expected UTF-8 text")
        return [], errors
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        err(line, "(file)", "", "not UTF-8")
        return [], errors

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"', strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        err(1, "(header)", "", f"unreadable CSV: {exc}")
        return [], errors
    if not header or all(not h.strip() for h in header):
        err(1, "(header)", "", "empty file: expected a header row " + ";".join(RESULT_COLUMNS))
        return [], errors
    columns = [h.strip() for h in header]
    if len(columns) == 1 and ("," in columns[0] or "\t" in columns[0]):
        err(1, "(header)", columns[0], "the separator must be ';'")
        return [], errors
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    missing = [c for c in RESULT_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in RESULT_COLUMNS]
    for c in dupes:
        err(1, c, c, "duplicated column")
    for c in missing:
        err(1, c, "", "missing column")
    for c in unknown:
        err(1, c, c, "unknown column")
    if errors:
        return [], errors

    facts: dict[str, TelephonyFact] = {}
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            err(reader.line_num, "(row)", "", f"unreadable CSV: {exc}")
            break
        line = reader.line_num
        if not row or all(not v.strip() for v in row):
            continue  # blank line
        if len(row) != len(columns):
            err(
                line,
                "(row)",
                f"{len(row)} fields",
                f"expected {len(columns)} fields separated by ';'",
            )
            continue
        rec = {c: v.strip() for c, v in zip(columns, row, strict=True)}
        before = len(errors)

        result_id = rec["result_id"]
        if not result_id:
            err(line, "result_id", result_id, "missing")
        elif not _RESULT_ID.match(result_id):
            err(line, "result_id", result_id, "not an id (letters, digits, . _ : / -; max 128)")
        attempt_id = rec["attempt_id"]
        if not attempt_id:
            err(line, "attempt_id", attempt_id, "missing")
        elif not _ATTEMPT_ID.match(attempt_id):
            err(line, "attempt_id", attempt_id, "not an attempt id of ours")

        kind: FactKind | None = None
        event = rec["event"]
        try:
            kind = FactKind(event)
        except ValueError:
            err(
                line,
                "event",
                event,
                "unknown event; expected one of " + ", ".join(k.value for k in FactKind),
            )
        detail = rec["detail"]
        if kind is not None:
            allowed = DETAILS.get(kind)
            if allowed is not None:
                if detail not in allowed:
                    err(
                        line,
                        "detail",
                        detail,
                        f"for {kind.value} one of {', '.join(sorted(allowed))}",
                    )
            elif not _FREE_DETAIL.match(detail):
                err(line, "detail", detail, "lower-case code or key digits expected")

        occurred_at: datetime | None = None
        raw_time = rec["occurred_at"]
        try:
            occurred_at = datetime.fromisoformat(raw_time)
        except ValueError:
            err(
                line,
                "occurred_at",
                raw_time,
                "not an ISO 8601 timestamp like 2026-04-28T10:15:00+02:00",
            )
        else:
            if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
                err(line, "occurred_at", raw_time, "the timestamp has no UTC offset")
                occurred_at = None

        duration: int | None = None
        raw_duration = rec["duration_s"]
        if raw_duration:
            if not _DURATION.match(raw_duration) or int(raw_duration) > _MAX_DURATION_S:
                err(line, "duration_s", raw_duration, "whole seconds from 0 to 86400 expected")
            else:
                duration = int(raw_duration)

        if len(errors) > before or kind is None or occurred_at is None:
            continue
        fact = TelephonyFact(
            provider_id=result_id,
            attempt_id=attempt_id,
            kind=kind,
            occurred_at=occurred_at,
            detail=detail,
            duration_s=duration,
        )
        earlier = facts.get(result_id)
        if earlier is None:
            facts[result_id] = fact
        elif earlier != fact:
            err(line, "result_id", result_id, "used twice in this file with different content")
    if errors:
        return [], errors
    return list(facts.values()), []


_INDEX = ".processed-sha256"


def _read_index(processed: Path) -> dict[str, str]:
    path = processed / _INDEX
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        checksum, _, name = line.partition(" ")
        if checksum:
            out[checksum] = name
    return out


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    n = 1
    while target.exists():
        target = folder / f"{Path(name).stem}.{n}{Path(name).suffix}"
        n += 1
    return target


def collect(inbox: Path, sink: FactSink, processed_dir: Path | None = None) -> CollectReport:
    """Record the vendor's result files in ``inbox``; see the module documentation.

    Files are read in name order. Hidden files and ``*.tmp`` are ignored (a vendor
    writing atomically uses those while writing).
    """
    inbox = Path(inbox)
    processed = Path(processed_dir) if processed_dir is not None else inbox / "processed"
    processed.mkdir(parents=True, exist_ok=True)
    index = _read_index(processed)
    report = CollectReport()
    for path in sorted(inbox.glob("*.csv")):
        if not path.is_file() or path.name.startswith("."):
            continue
        data = path.read_bytes()
        checksum = _sha256(data)
        if checksum in index:
            shutil.move(str(path), _free_name(processed, path.name))
            report.duplicates.append(path.name)
            log.info("result file %s: processed before, skipped", path.name)
            continue
        facts, errors = parse_results(path.name, data)
        if errors:
            report.rejected[path.name] = errors
            log.warning("result file %s: %d errors, nothing recorded", path.name, len(errors))
            continue
        recorded = sink.record_facts(facts) if facts else 0
        report.recorded[path.name] = len(facts)
        report.facts_read += len(facts)
        report.facts_recorded += recorded or 0
        index[checksum] = path.name
        entries = "".join(f"{c} {n}\n" for c, n in index.items())
        atomic_write(processed / _INDEX, entries.encode("utf-8"), mode=0o600)
        target = _free_name(processed, path.name)
        shutil.move(str(path), target)
        log.info("result file %s: %d results, %s new", path.name, len(facts), recorded)
    return report
