"""Twilio Programmable Voice and Messaging, with signed webhooks.

Outbound: :class:`TwilioTelephony` creates one call per request through the
official ``twilio`` library (``client.calls.create`` with answering-machine
detection), and sends the payment SMS with ``client.messages.create``. Results
come back as webhooks handled by :func:`make_webhook_app` (a WSGI app):

===============================  ==============================================
``POST /twiml/<attempt_id>``      the call was answered: TwiML ``<Gather>`` with
                                  the Dutch script (machines: hang up)
``POST /gather/<attempt_id>``     key pressed: 1 SMS, 2 ``<Dial>`` the officer
                                  line, anything else / nothing: no input
``POST /dial/<attempt_id>``       how the transfer to the officer ended
``POST /status/<attempt_id>``     call status callback (completed, busy, ...)
``POST /sms-status/<message_id>`` SMS status callback (delivered, failed, ...)
===============================  ==============================================

Every webhook must carry a valid ``X-Twilio-Signature`` for the configured
public URL plus the request path; anything else is answered 403 and recorded
nowhere. Provider ids are the CallSid/MessageSid plus the event (plus the
digits), so Twilio's retries deduplicate in the sink.

Phone numbers are never logged and never put in exception messages: Twilio's
webhook parameters (To, From, Called, Caller) are read by nobody here, and
Twilio's error messages (which may quote the number) are reduced to their code.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.simple_server import make_server as _wsgiref_make_server

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from adapters.clock import SystemClock
from application.ports import (
    CallRequest,
    Clock,
    ContactDirectory,
    FactKind,
    FactSink,
    SmsRequest,
    TelephonyFact,
)

from ._common import OUTSIDE_WINDOW, normalise_opt_out, resolve_number, telephony_fact
from .numbers import InvalidNumber, normalise
from .script import (
    GOODBYE_NO_INPUT_NL,
    NO_AGENT_NL,
    ROBOCALL_SCRIPT_NL,
    SMS_CONFIRMATION_NL,
    TRANSFER_NL,
)
from .sms_text import sms_text, validate_sender_id
from .window import in_calling_window, local_day

try:  # twilio >= 9.x with SharedKey webhook signatures
    from twilio.request_validator import SIGNATURE_SETTINGS_HEADER, get_signature_algorithm
except ImportError:  # pragma: no cover - older library: Auth Token HMAC-SHA1 only
    SIGNATURE_SETTINGS_HEADER = ""
    get_signature_algorithm = None  # type: ignore[assignment]

__all__ = [
    "RebasingHttpClient",
    "TelephonyUnavailable",
    "TwilioTelephony",
    "make_server",
    "make_webhook_app",
    "serve",
]

log = logging.getLogger(__name__)

# Twilio error codes (https://www.twilio.com/docs/api/errors)
_CALL_INVALID_NUMBER = frozenset({13223, 13224, 21211, 21214, 21217})
_SMS_INVALID_NUMBER = frozenset({21211, 21217, 30005})
_SMS_NOT_MOBILE = frozenset({21614, 30006})
_SMS_UNSUBSCRIBED = 21610

_URL_ID = re.compile(r"^[^/\s?#]{1,200}$")
_SID = re.compile(r"^[A-Z]{2}[0-9a-zA-Z]{10,64}$")
_MACHINE = ("machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other")


class TelephonyUnavailable(Exception):
    """Twilio could not be reached; says how far a campaign got. No phone numbers."""


def _path_id(value: str) -> str:
    return quote(value, safe="")


def _check_url_id(value: str, what: str) -> None:
    if not isinstance(value, str) or not _URL_ID.match(value):
        raise ValueError(f"{what} {value!r} cannot be used in a webhook URL")


def _public_base(public_url: str) -> str:
    parts = urlsplit(public_url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError("the public URL must be an absolute http(s) URL")
    if parts.query or parts.fragment:
        raise ValueError("the public URL cannot have a query or fragment")
    return public_url.rstrip("/")


# ------------------------------------------------------------------ HTTP client


class RebasingHttpClient(TwilioHttpClient):
    """A :class:`TwilioHttpClient` that sends every ``*.twilio.com`` request elsewhere.

    For a local test double or a recording proxy::

        Client(sid, token, http_client=RebasingHttpClient("http://127.0.0.1:8099"))

    ``trust_env=False`` ignores proxy environment variables (useful for loopback).
    """

    def __init__(self, base_url: str, *, trust_env: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        base = urlsplit(base_url)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ValueError("base_url must be an absolute http(s) URL")
        self._base = base
        if self.session is not None:
            self.session.trust_env = trust_env

    def rebase(self, url: str) -> str:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host != "twilio.com" and not host.endswith(".twilio.com"):
            return url
        path = self._base.path.rstrip("/") + parts.path
        return urlunsplit((self._base.scheme, self._base.netloc, path, parts.query, ""))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any):  # type: ignore[override]
        return super().request(method, self.rebase(url), *args, **kwargs)


# ------------------------------------------------------------------ outbound


class TwilioTelephony:
    """:class:`~application.ports.Telephony` and :class:`~application.ports.Sms` on Twilio.

    ``from_number``: the Twilio number calls (and, without ``sms_sender``, SMS) come
    from. ``public_url``: where Twilio reaches :func:`make_webhook_app`.
    ``officer_line``: the number "press 2" is transferred to (used by
    :meth:`webhook_app`). Calls are placed only inside the request's calling
    window on its day (Amsterdam, business days); outside it the request becomes a
    NOT_DIALLED ``outside_window`` fact. The SMS text needs ``landlord_name`` and
    ``landlord_iban``.
    """

    def __init__(
        self,
        client: Any,
        contacts: ContactDirectory,
        from_number: str,
        public_url: str,
        officer_line: str,
        sink: FactSink,
        *,
        clock: Clock | None = None,
        opt_out: set[str] | frozenset[str] = frozenset(),
        landlord_name: str | None = None,
        landlord_iban: str | None = None,
        sms_sender: str | None = None,
        max_sms_segments: int = 2,
        ring_timeout_s: int = 25,
        time_limit_s: int = 900,
        allow_foreign_sms: bool = False,
        sends: Any | None = None,
    ) -> None:
        self.client = client
        # one Twilio call or SMS per attempt id across processes: the store's
        # ``provider_sends`` (adapters.store.claims) is asked before each create()
        self.sends = sends
        self.contacts = contacts
        try:
            self.from_number = normalise(from_number)
        except InvalidNumber:
            raise ValueError("the Twilio from-number is not a valid number") from None
        try:
            self.officer_line = normalise(officer_line)
        except InvalidNumber:
            raise ValueError("the officer line is not a valid number") from None
        self.public_url = _public_base(public_url)
        self.sink = sink
        self.clock = clock or SystemClock()
        self.opt_out = normalise_opt_out(opt_out)
        self.landlord_name = landlord_name
        self.landlord_iban = landlord_iban
        self.sms_sender = validate_sender_id(sms_sender) if sms_sender else None
        self.max_sms_segments = max_sms_segments
        self.ring_timeout_s = ring_timeout_s
        self.time_limit_s = time_limit_s
        self.allow_foreign_sms = allow_foreign_sms
        self._calls: dict[str, str] = {}  # attempt id -> CallSid
        self._cancelled: set[str] = set()
        self._messages: dict[str, str] = {}  # message id -> MessageSid ("" if not sent)

    def webhook_app(self, auth_token: str, **kwargs: Any) -> Callable:
        """The webhook WSGI app for this account, public URL, officer line and sink."""
        return make_webhook_app(
            auth_token,
            self.public_url,
            self.sink,
            officer_line=self.officer_line,
            clock=self.clock,
            **kwargs,
        )

    # ------------------------------------------------------------------ calls

    def _not_dialled(self, attempt_id: str, reason: str) -> TelephonyFact:
        return telephony_fact(f"twilio-{attempt_id}-not_dialled", attempt_id, FactKind.NOT_DIALLED,
                              self.clock.now(), reason)

    def _completed(self, attempt_id: str, detail: str) -> TelephonyFact:
        return telephony_fact(f"twilio-{attempt_id}-{detail}", attempt_id, FactKind.COMPLETED, self.clock.now(),
                              detail, 0)

    def place_campaign(self, campaign_id: str, requests: Sequence[CallRequest]) -> None:
        for request in requests:
            _check_url_id(request.attempt_id, "attempt id")
        facts: list[TelephonyFact] = []
        placed = 0
        try:
            for request in requests:
                aid = request.attempt_id
                if aid in self._calls:
                    continue  # placed before: one call per attempt
                if aid in self._cancelled:
                    facts.append(self._completed(aid, "cancelled"))
                    continue
                now = self.clock.now()
                if local_day(now) != request.on or not in_calling_window(
                    now, request.window_start, request.window_end
                ):
                    facts.append(self._not_dialled(aid, OUTSIDE_WINDOW))
                    continue
                e164, reason = resolve_number(self.contacts, request.tenancy_id, self.opt_out)
                if reason is not None or e164 is None:
                    facts.append(self._not_dialled(aid, reason or "no_number"))
                    continue
                if not self._first_send(aid):
                    self._calls.setdefault(aid, "")
                    continue  # another process (or an earlier run) asked Twilio for this attempt
                try:
                    call = self.client.calls.create(
                        to=e164,
                        from_=self.from_number,
                        url=f"{self.public_url}/twiml/{_path_id(aid)}",
                        method="POST",
                        status_callback=f"{self.public_url}/status/{_path_id(aid)}",
                        status_callback_method="POST",
                        machine_detection="Enable",
                        timeout=self.ring_timeout_s,
                        time_limit=self.time_limit_s,
                    )
                except TwilioRestException as exc:
                    # exc.msg may quote the number: only the code is kept
                    log.warning("attempt %s: Twilio refused the call (error %s)", aid, exc.code)
                    if exc.code in _CALL_INVALID_NUMBER:
                        facts.append(self._not_dialled(aid, "invalid_number"))
                    else:
                        facts.append(self._completed(aid, "failed"))
                    continue
                except Exception:
                    self._unsent(aid)  # Twilio not reached: a later attempt may try again
                    raise
                self._calls[aid] = call.sid
                self._sent(aid, call.sid)
                placed += 1
        except ValueError:  # a programming error (bad window...), not an outage
            if facts:
                self.sink.record_facts(facts)
            raise
        except Exception as exc:
            if facts:
                self.sink.record_facts(facts)
            raise TelephonyUnavailable(
                f"campaign {campaign_id}: Twilio could not be reached ({type(exc).__name__}) "
                f"after {placed} of {len(requests)} calls; placing it again skips the placed ones"
            ) from None
        log.info("campaign %s: %d calls placed, %d not dialled", campaign_id, placed, len(facts))
        if facts:
            self.sink.record_facts(facts)

    def _first_send(self, item_id: str) -> bool:
        if self.sends is None:
            return True
        return bool(self.sends.first_provider_send(item_id, "twilio", self.clock.now()))

    def _sent(self, item_id: str, sid: str) -> None:
        if self.sends is not None:
            self.sends.provider_sent(item_id, sid)

    def _unsent(self, item_id: str) -> None:
        if self.sends is not None:
            self.sends.forget_provider_send(item_id)

    def cancel(self, attempt_id: str) -> None:
        """Cancel a queued or ringing call; an attempt not placed yet will not be."""
        sid = self._calls.get(attempt_id)
        if sid is None:
            self._cancelled.add(attempt_id)
            return
        try:
            self.client.calls(sid).update(status="canceled")
        except TwilioRestException as exc:
            log.info(
                "attempt %s: not cancelled, the call is past ringing (error %s)",
                attempt_id,
                exc.code,
            )

    # -------------------------------------------------------------------- SMS

    def _sms_fact(self, message_id: str, kind: FactKind, detail: str = "") -> TelephonyFact:
        return telephony_fact(f"twilio-{message_id}-{kind.value}", message_id, kind, self.clock.now(), detail)

    def send(self, message: SmsRequest) -> None:
        """Send the payment SMS once per message id; refusals become SMS facts."""
        _check_url_id(message.message_id, "message id")
        if message.message_id in self._messages:
            return
        if not self.landlord_name or not self.landlord_iban:
            raise ValueError("sending the SMS needs landlord_name and landlord_iban")
        mid = message.message_id
        text = sms_text(
            message.amount_cents,
            self.landlord_iban,
            message.payment_reference,
            self.landlord_name,
            max_segments=self.max_sms_segments,
        )
        e164, reason = resolve_number(
            self.contacts,
            message.tenancy_id,
            self.opt_out,
            purpose="sms",
            allow_foreign_sms=self.allow_foreign_sms,
        )
        if reason is not None or e164 is None:
            self._messages[mid] = ""
            self.sink.record_facts(
                [self._sms_fact(mid, FactKind.SMS_FAILED, reason or "no_number")]
            )
            return
        if not self._first_send(mid):
            self._messages.setdefault(mid, "")
            return  # another process (or an earlier run) asked Twilio for this message
        try:
            sent = self.client.messages.create(
                to=e164,
                from_=self.sms_sender or self.from_number,
                body=text,
                status_callback=f"{self.public_url}/sms-status/{_path_id(mid)}",
            )
        except TwilioRestException as exc:
            log.warning("message %s: Twilio refused the SMS (error %s)", mid, exc.code)
            self._messages[mid] = ""
            if exc.code == _SMS_UNSUBSCRIBED:
                fact = self._sms_fact(mid, FactKind.SMS_STOP, "unsubscribed")
            elif exc.code in _SMS_NOT_MOBILE:
                fact = self._sms_fact(mid, FactKind.SMS_FAILED, "not_mobile")
            elif exc.code in _SMS_INVALID_NUMBER:
                fact = self._sms_fact(mid, FactKind.SMS_FAILED, "invalid_number")
            else:
                fact = self._sms_fact(mid, FactKind.SMS_FAILED, "failed")
            self.sink.record_facts([fact])
            return
        except Exception as exc:
            self._unsent(mid)
            raise TelephonyUnavailable(
                f"message {mid}: Twilio could not be reached ({type(exc).__name__})"
            ) from None
        self._messages[mid] = sent.sid
        self._sent(mid, sent.sid)
        log.info("message %s: SMS accepted by Twilio", mid)


# --------------------------------------------------------------------- webhooks


class _Params(dict):
    """Form parameters as ``name -> [values]``; ``getlist`` for RequestValidator."""

    def getlist(self, name: str) -> list[str]:
        return self[name]

    def first(self, name: str, default: str = "") -> str:
        values = self.get(name)
        return values[0] if values else default


def _parse_form(body: bytes) -> _Params:
    params = _Params()
    for name, value in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
        params.setdefault(name, []).append(value)
    return params


def _twiml(response: VoiceResponse) -> tuple[str, list[tuple[str, str]], bytes]:
    return "200 OK", [("Content-Type", "text/xml; charset=utf-8")], str(response).encode()


_Reply = tuple[str, list[tuple[str, str]], bytes]
_EMPTY: _Reply = ("204 No Content", [], b"")


def make_webhook_app(
    auth_token: str,
    public_url: str,
    sink: FactSink,
    *,
    officer_line: str | None = None,
    clock: Clock | None = None,
    script: str = ROBOCALL_SCRIPT_NL,
    gather_timeout_s: int = 6,
    dial_timeout_s: int = 30,
    max_body_bytes: int = 64 * 1024,
) -> Callable[[dict, Callable], Iterable[bytes]]:
    """The WSGI app for Twilio's webhooks (see the module documentation).

    ``public_url`` is the URL Twilio is configured with, without the route:
    signatures are checked against ``public_url + PATH_INFO`` (a reverse proxy in
    front must strip any path prefix of ``public_url``). ``officer_line``: where
    "press 2" is transferred to; without it the caller hears that nobody is
    available and a TRANSFERRED ``no_agent`` fact is recorded.
    """
    if not auth_token:
        raise ValueError("the webhook app needs the Twilio auth token")
    base = _public_base(public_url)
    validator = RequestValidator(auth_token)
    clock = clock or SystemClock()
    officer: str | None = None
    if officer_line:
        try:
            officer = normalise(officer_line)
        except InvalidNumber:
            raise ValueError("the officer line is not a valid number") from None
    lock = threading.Lock()  # the sink need not be thread-safe

    def record(*facts: TelephonyFact) -> None:
        with lock:
            sink.record_facts(list(facts))

    def fact(
        provider_id: str,
        attempt_id: str,
        kind: FactKind,
        detail: str = "",
        duration_s: int | None = None,
    ) -> TelephonyFact:
        return telephony_fact(provider_id, attempt_id, kind, clock.now(), detail, duration_s)

    def say(response: VoiceResponse, text: str) -> None:
        response.say(text, language="nl-NL")

    # ---------------------------------------------------------------- handlers

    def on_twiml(aid: str, sid: str, p: _Params):
        answered_by = p.first("AnsweredBy")
        response = VoiceResponse()
        if answered_by in _MACHINE or answered_by == "fax":
            # a voicemail box hears nothing: no amount, no reason, not even the offer
            kind = FactKind.ANSWERED_MACHINE if answered_by == "fax" else FactKind.VOICEMAIL
            record(fact(f"{sid}:answered", aid, kind, answered_by))
            response.hangup()
            return _twiml(response)
        detail = "" if answered_by in ("", "human") else answered_by
        record(fact(f"{sid}:answered", aid, FactKind.ANSWERED_HUMAN, detail))
        gather = response.gather(
            num_digits=1,
            action=f"{base}/gather/{_path_id(aid)}",
            method="POST",
            timeout=gather_timeout_s,
            action_on_empty_result=True,
        )
        gather.say(script, language="nl-NL")
        return _twiml(response)

    def on_gather(aid: str, sid: str, p: _Params):
        digits = p.first("Digits").strip()
        response = VoiceResponse()
        if digits == "1":
            record(fact(f"{sid}:gather:1", aid, FactKind.CHOSE_SMS, "1"))
            say(response, SMS_CONFIRMATION_NL)
            response.hangup()
        elif digits == "2":
            chose = fact(f"{sid}:gather:2", aid, FactKind.CHOSE_TRANSFER, "2")
            if officer is None:
                record(chose, fact(f"{sid}:transfer", aid, FactKind.TRANSFERRED, "no_agent"))
                say(response, NO_AGENT_NL)
                response.hangup()
            else:
                record(chose)
                say(response, TRANSFER_NL)
                response.dial(
                    officer,
                    action=f"{base}/dial/{_path_id(aid)}",
                    method="POST",
                    timeout=dial_timeout_s,
                )
        else:
            shown = digits if re.fullmatch(r"[0-9*#]{0,4}", digits) else "?"
            record(fact(f"{sid}:gather:{shown}", aid, FactKind.NO_INPUT, shown))
            say(response, GOODBYE_NO_INPUT_NL)
            response.hangup()
        return _twiml(response)

    def on_dial(aid: str, sid: str, p: _Params):
        status = p.first("DialCallStatus")
        response = VoiceResponse()
        if status in ("completed", "answered"):
            record(fact(f"{sid}:transfer", aid, FactKind.TRANSFERRED, "connected"))
            response.hangup()
        else:
            record(fact(f"{sid}:transfer", aid, FactKind.TRANSFERRED, "no_agent"))
            say(response, NO_AGENT_NL)
            response.hangup()
        return _twiml(response)

    def on_status(aid: str, sid: str, p: _Params):
        status = p.first("CallStatus")
        answered_by = p.first("AnsweredBy")
        duration_text = p.first("CallDuration") or p.first("Duration")
        duration = int(duration_text) if duration_text.isdigit() else None
        if status == "completed":
            detail = "voicemail" if answered_by in _MACHINE else "answered"
        elif status == "busy":
            detail = "busy"
        elif status == "no-answer":
            detail = "no_answer"
        elif status == "canceled":
            detail = "cancelled"
        elif status == "failed":
            code = p.first("ErrorCode")
            sip = p.first("SipResponseCode")
            invalid = (code.isdigit() and int(code) in _CALL_INVALID_NUMBER) or sip in (
                "404",
                "484",
            )
            detail = "invalid_number" if invalid else "failed"
        else:
            return _EMPTY  # initiated, ringing, in-progress: no fact
        record(
            fact(
                f"{sid}:status:{status}",
                aid,
                FactKind.COMPLETED,
                detail,
                duration if duration is not None else 0,
            )
        )
        return _EMPTY

    def on_sms_status(mid: str, sid: str, p: _Params):
        status = p.first("MessageStatus") or p.first("SmsStatus")
        code = p.first("ErrorCode")
        if status == "delivered":
            record(fact(f"{sid}:{status}", mid, FactKind.SMS_DELIVERED))
        elif status in ("undelivered", "failed"):
            number = int(code) if code.isdigit() else None
            if number == _SMS_UNSUBSCRIBED:
                record(fact(f"{sid}:{status}", mid, FactKind.SMS_STOP, "unsubscribed"))
            else:
                if number in _SMS_NOT_MOBILE:
                    detail = "not_mobile"
                elif number in _SMS_INVALID_NUMBER:
                    detail = "invalid_number"
                else:
                    detail = status
                record(fact(f"{sid}:{status}", mid, FactKind.SMS_FAILED, detail))
        return _EMPTY

    routes = {
        "twiml": (on_twiml, "CallSid"),
        "gather": (on_gather, "CallSid"),
        "dial": (on_dial, "CallSid"),
        "status": (on_status, "CallSid"),
        "sms-status": (on_sms_status, "MessageSid"),
    }

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        status, headers, body = handle(environ)
        headers = [*headers, ("Content-Length", str(len(body)))]
        start_response(status, headers)
        return [body]

    def plain(status: str, text: str) -> tuple[str, list[tuple[str, str]], bytes]:
        return status, [("Content-Type", "text/plain; charset=utf-8")], text.encode()

    def handle(environ: dict) -> tuple[str, list[tuple[str, str]], bytes]:
        # PATH_INFO is unquoted latin-1 (PEP 3333); back to text, then to the URL form
        raw_path = environ.get("PATH_INFO", "") or "/"
        try:
            path = raw_path.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return plain("400 Bad Request", "bad path")
        segments = path.split("/")
        if len(segments) != 3 or segments[0] != "" or segments[1] not in routes:
            return plain("404 Not Found", "not found")
        route, ident = segments[1], segments[2]
        if not ident or not _URL_ID.match(ident):
            return plain("404 Not Found", "not found")
        if environ.get("REQUEST_METHOD") != "POST":
            return plain("405 Method Not Allowed", "POST only")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return plain("400 Bad Request", "bad content length")
        if length < 0 or length > max_body_bytes:
            return plain("413 Content Too Large", "too large")
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            params = _parse_form(body)
        except UnicodeDecodeError:
            return plain("400 Bad Request", "not UTF-8")

        url = f"{base}/{route}/{_path_id(ident)}"
        query = environ.get("QUERY_STRING", "")
        if query:
            url += "?" + query
        signature = environ.get("HTTP_X_TWILIO_SIGNATURE", "")
        valid = False
        if signature:
            if get_signature_algorithm is not None:
                settings_key = "HTTP_" + SIGNATURE_SETTINGS_HEADER.upper().replace("-", "_")
                algorithm = get_signature_algorithm(environ.get(settings_key, ""))
                valid = validator.validate(url, params, signature, algorithm)
            else:  # pragma: no cover
                valid = validator.validate(url, params, signature)
        if not valid:
            log.warning(
                "webhook /%s/%s refused: %s signature",
                route,
                ident,
                "invalid" if signature else "no",
            )
            return plain("403 Forbidden", "forbidden")

        handler, sid_name = routes[route]
        sid = params.first(sid_name)
        if not _SID.match(sid):
            return plain("400 Bad Request", f"{sid_name} missing")
        try:
            return handler(ident, sid, params)
        except Exception as exc:  # the sink failed: Twilio may retry, nothing half-done
            log.error("webhook /%s/%s failed: %s", route, ident, type(exc).__name__)
            return plain("500 Internal Server Error", "error")

    return app


# ------------------------------------------------------------------ the server


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """Request lines go to the logger (paths hold ids only, never numbers)."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s %s", self.address_string(), format % args)


def make_server(app: Callable, host: str = "127.0.0.1", port: int = 8080) -> WSGIServer:
    """A threaded wsgiref server for the webhook app (port 0: any free port)."""
    return _wsgiref_make_server(
        host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )


def serve(app: Callable, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve the webhook app until interrupted (``vangnet telephony serve``): on
    uvicorn, with header, body and keep-alive timeouts and a connection limit
    (adapters.telephony.webhook_server). Put it behind a TLS-terminating reverse
    proxy; Twilio calls the public URL."""
    from adapters.telephony.webhook_server import serve_uvicorn

    log.info("telephony webhooks listening on http://%s:%d", host, port)
    serve_uvicorn(app, host, port)
