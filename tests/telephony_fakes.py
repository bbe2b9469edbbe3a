"""What the telephony adapters' tests share: a fact sink and a contact directory as the
application gives them, call and SMS requests, a fixed moment, and a real local HTTP
server that answers like Twilio's REST API. Used by the telephony contract suite
(tests/contracts) and by each adapter's own tests."""

from __future__ import annotations

import json
import threading
import urllib.parse
import uuid
from collections.abc import Sequence
from datetime import date, datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from application.ports import CallRequest, Contact, FactKind, SmsRequest, TelephonyFact
from domain.calendar import AMSTERDAM

MONDAY = date(2026, 4, 20)
SATURDAY = date(2026, 4, 25)
KINGS_DAY = date(2026, 4, 27)
ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "12345678901234567890123456789012"
REFUSED_NUMBER = "+31612999999"  # the fake Twilio API refuses calls to this one


class FakeSink:
    """Collects facts, recording each provider id once (as the application does)."""

    def __init__(self) -> None:
        self.facts: list[TelephonyFact] = []
        self.calls = 0
        self.received = 0
        self._ids: set[str] = set()

    def record_facts(self, facts: Sequence[TelephonyFact]) -> int:
        self.calls += 1
        self.received += len(facts)
        new = 0
        for fact in facts:
            if fact.provider_id not in self._ids:
                self._ids.add(fact.provider_id)
                self.facts.append(fact)
                new += 1
        return new

    def of(self, attempt_id: str) -> list[TelephonyFact]:
        return [f for f in self.facts if f.attempt_id == attempt_id]

    def kinds(self) -> list[tuple[str, FactKind, str]]:
        return [(f.attempt_id, f.kind, f.detail) for f in self.facts]


class FakeContacts:
    """The contact directory: a tenancy's phone number, or None (absent: not known at all)."""

    def __init__(self, phones: dict[uuid.UUID, str | None]) -> None:
        self.phones = phones

    def get(self, tenancy_id: uuid.UUID) -> Contact | None:
        if tenancy_id not in self.phones:
            return None
        return Contact(tenancy_id=tenancy_id, phone=self.phones[tenancy_id])


class MomentClock:
    """A clock standing still at one aware moment."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def today(self) -> date:
        return self.at.date()

    def now(self) -> datetime:
        return self.at


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """An Amsterdam wall-clock moment of ``day``."""
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM)


def tid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n + 1)


def mobile(n: int) -> str:
    return f"0612{n:06d}"


def request(n: int, on: date = MONDAY, *, end: time = time(17, 0), attempt_id: str | None = None) -> CallRequest:
    return CallRequest(
        attempt_id=attempt_id or f"case{n}:robocall:1",
        case_id=uuid.UUID(int=10_000 + n),
        tenancy_id=tid(n),
        script="robocall-nl-v1",
        on=on,
        window_start=time(9, 0),
        window_end=end,
    )


def sms(n: int, message_id: str | None = None) -> SmsRequest:
    return SmsRequest(
        message_id=message_id or f"case{n}:sms:1",
        case_id=uuid.UUID(int=10_000 + n),
        tenancy_id=tid(n),
        amount_cents=65000,
        payment_reference=f"HUUR-{n}",
        on=MONDAY,
    )


class FakeTwilio:
    """A real HTTP server on 127.0.0.1 that records what reaches it and answers like
    Twilio's 2010-04-01 REST API (calls, messages, call updates)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.count = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
                outer.requests.append({"path": self.path, "form": {k: v[0] for k, v in form.items()},
                                       "auth": self.headers.get("Authorization", "")})
                outer.count += 1
                prefix = f"/2010-04-01/Accounts/{ACCOUNT}/"
                if self.path == prefix + "Calls.json":
                    if form.get("To") == [REFUSED_NUMBER]:
                        message = f"The 'To' number {REFUSED_NUMBER} is not a valid phone number."
                        return self.reply(400, {"code": 21211, "message": message, "status": 400})
                    return self.reply(201, {"sid": f"CA{outer.count:032x}", "account_sid": ACCOUNT,
                                            "status": "queued"})
                if self.path == prefix + "Messages.json":
                    return self.reply(201, {"sid": f"SM{outer.count:032x}", "account_sid": ACCOUNT,
                                            "status": "queued"})
                if self.path.startswith(prefix + "Calls/CA"):
                    sid = self.path.rsplit("/", 1)[1].removesuffix(".json")
                    return self.reply(200, {"sid": sid, "status": "canceled"})
                return self.reply(404, {"code": 20404, "message": "not found", "status": 404})

            def reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def posted(self, resource: str) -> list[dict[str, str]]:
        """The forms POSTed to ``Calls`` or ``Messages``."""
        path = f"/2010-04-01/Accounts/{ACCOUNT}/{resource}.json"
        return [r["form"] for r in self.requests if r["path"] == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
