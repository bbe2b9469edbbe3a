"""Durable outbound adapters for the ``record`` and ``vendor`` telephony modes.

An outbox item is marked sent only when an adapter accepted it, so in these modes
calls and SMS are written to files, never only kept in memory:

* ``record`` mode (no telephony provider yet): every robocall and SMS request is
  written to ``<out>/telephony/recorded/{calls,sms}/<id>.json`` (ids, date,
  amount, payment reference; no phone numbers). An officer can see what would have
  gone out; nothing reaches a tenant.
* ``vendor`` mode: SMS requests go to the call-list vendor's drop folder like the
  call lists, one ``sms-<message id>.csv`` each (``message_id;phone;text;date``,
  owner-only), with the payment text of the Twilio mode. A tenant without a usable
  mobile number gets an ``SMS_FAILED`` fact instead of a file.

Both are idempotent per id: the same request again is a no-op (a re-offered item
after a crash is written once); a different request under the same id is refused.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from adapters.clock import SystemClock
from adapters.files import atomic_write
from adapters.telephony._common import normalise_opt_out, resolve_number
from adapters.telephony.sms_text import sms_text
from application.csv_safe import safe_row
from application.ports import (
    CallRequest,
    Clock,
    ContactDirectory,
    FactKind,
    FactSink,
    SmsRequest,
    TelephonyFact,
)

SMS_COLUMNS = ["message_id", "phone", "text", "date"]


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def _write_once(path: Path, data: bytes, what: str) -> bool:
    """Write ``data`` at ``path`` unless it is there already; True when written."""
    if not _ID.match(path.stem.removeprefix("sms-")):
        raise ValueError(f"{what} id {path.stem!r} cannot name a file")
    if path.exists():
        if path.read_bytes() != data:
            raise ValueError(f"{what} {path.stem} was already written with different content")
        return False
    atomic_write(path, data, mode=0o600)
    return True


class RecordedFiles:
    """``Telephony`` and ``Sms`` for ``record`` mode: requests written to files."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        # what this instance accepted, like adapters.memory.RecordingTelephony / RecordingSms
        self.campaigns: list[tuple[str, list[CallRequest]]] = []
        self.cancelled: list[str] = []
        self.sent: dict[str, SmsRequest] = {}

    @property
    def calls(self) -> list[CallRequest]:
        return [r for _, reqs in self.campaigns for r in reqs]

    def place_campaign(self, campaign_id: str, requests: Sequence[CallRequest]) -> None:
        self.campaigns.append((campaign_id, list(requests)))
        for r in requests:
            doc = {"attempt_id": r.attempt_id, "campaign_id": campaign_id, "case_id": str(r.case_id),
                   "tenancy_id": str(r.tenancy_id), "script": r.script, "on": r.on.isoformat(),
                   "window": [r.window_start.strftime("%H:%M"), r.window_end.strftime("%H:%M")]}
            doc.pop("campaign_id")  # the campaign id depends on who else was in the batch
            _write_once(self.folder / "calls" / f"{r.attempt_id}.json",
                        (json.dumps(doc, sort_keys=True) + "\n").encode(), "call")

    def cancel(self, attempt_id: str) -> None:
        self.cancelled.append(attempt_id)
        path = self.folder / "cancelled" / f"{attempt_id}.json"
        if not path.exists():
            atomic_write(path, (json.dumps({"attempt_id": attempt_id}) + "\n").encode(), mode=0o600)

    def send(self, message: SmsRequest) -> None:
        doc = {"message_id": message.message_id, "case_id": str(message.case_id),
               "tenancy_id": str(message.tenancy_id), "amount_cents": message.amount_cents,
               "payment_reference": message.payment_reference, "on": message.on.isoformat()}
        _write_once(self.folder / "sms" / f"{message.message_id}.json",
                    (json.dumps(doc, sort_keys=True) + "\n").encode(), "SMS")
        self.sent.setdefault(message.message_id, message)

    def recorded(self, kind: str) -> list[dict[str, Any]]:
        return [json.loads(p.read_text()) for p in sorted((self.folder / kind).glob("*.json"))]


class VendorSms:
    """``Sms`` for ``vendor`` mode: one CSV per message in the vendor's drop folder."""

    def __init__(self, outbox: Path, contacts: ContactDirectory, sink: FactSink | None, *,
                 landlord_name: str | None, landlord_iban: str | None, clock: Clock | None = None,
                 opt_out: frozenset[str] | set[str] = frozenset(), max_segments: int = 2) -> None:
        self.outbox = Path(outbox)
        self.contacts = contacts
        self.sink = sink
        self.landlord_name = landlord_name
        self.landlord_iban = landlord_iban
        self.clock = clock or SystemClock()
        self.opt_out = normalise_opt_out(opt_out)
        self.max_segments = max_segments

    def send(self, message: SmsRequest) -> None:
        if not self.landlord_name or not self.landlord_iban:
            raise ValueError("sms: [telephony] landlord_name and landlord_iban are needed for the SMS text")
        mid = message.message_id
        e164, reason = resolve_number(self.contacts, message.tenancy_id, self.opt_out, purpose="sms")
        if reason is not None or e164 is None:
            if self.sink is not None:
                self.sink.record_facts([TelephonyFact(provider_id=f"vendor-{mid}-sms_failed", attempt_id=mid,
                                                      kind=FactKind.SMS_FAILED, occurred_at=self.clock.now(),
                                                      detail=reason or "no_number")])
            return
        text = sms_text(message.amount_cents, self.landlord_iban, message.payment_reference, self.landlord_name,
                        max_segments=self.max_segments)
        buf = io.StringIO(newline="")
        w = csv.writer(buf, delimiter=";", quotechar='"', lineterminator="\r\n")
        w.writerow(SMS_COLUMNS)
        w.writerow(safe_row([mid, e164, text, message.on.isoformat()]))  # no cell a spreadsheet evaluates
        _write_once(self.outbox / f"sms-{mid}.csv", buf.getvalue().encode("utf-8"), "SMS")
