"""Twilio: a real local HTTP server plays Twilio's API; webhooks are signed for real."""

from __future__ import annotations

import base64
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from adapters.telephony.script import ROBOCALL_SCRIPT_NL
from adapters.telephony.twilio_adapter import (
    RebasingHttpClient,
    TelephonyUnavailable,
    TwilioTelephony,
    make_server,
    make_webhook_app,
)
from application.ports import FactKind
from tests.telephony_fakes import (
    ACCOUNT,
    MONDAY,
    TOKEN,
    FakeContacts,
    FakeSink,
    FakeTwilio,
    MomentClock,
    request,
    sms,
    tid,
)

AMS = ZoneInfo("Europe/Amsterdam")
PUBLIC = "https://vangnet.example.nl"
FROM = "+3197010000001"  # a Twilio number; calls come from it (not to it)
OFFICER = "+31881234567"
IBAN = "NL91ABNA0417164300"


PHONES = {
    tid(0): "06-12000000",
    tid(1): None,
    tid(2): "06123",
    tid(3): "020-1234567",
    tid(4): "0612999999",
}


@pytest.fixture
def api() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    yield fake
    fake.close()


def telephony(api: FakeTwilio, sink: FakeSink, at: datetime, phones=None) -> TwilioTelephony:
    client = Client(ACCOUNT, TOKEN, http_client=RebasingHttpClient(api.url, trust_env=False))
    return TwilioTelephony(
        client,
        FakeContacts(phones or PHONES),
        FROM,
        PUBLIC,
        OFFICER,
        sink,
        clock=MomentClock(at),
        landlord_name="Woonconcept",
        landlord_iban=IBAN,
        sms_sender="Woonconcept",
    )


IN_WINDOW = datetime(2026, 4, 20, 10, 0, tzinfo=AMS)


# ---------------------------------------------------------------- outbound


def test_calls_are_created_on_the_api_with_the_right_parameters(api):
    sink = FakeSink()
    telephony(api, sink, IN_WINDOW).place_campaign("c1", [request(0)])
    assert len(api.requests) == 1
    sent = api.requests[0]
    assert sent["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
    assert sent["form"] == {
        "To": "+31612000000",
        "From": FROM,
        "Url": f"{PUBLIC}/twiml/case0%3Arobocall%3A1",
        "Method": "POST",
        "StatusCallback": f"{PUBLIC}/status/case0%3Arobocall%3A1",
        "StatusCallbackMethod": "POST",
        "MachineDetection": "Enable",
        "Timeout": "25",
        "TimeLimit": "900",
    }
    assert sent["auth"] == "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert sink.facts == []  # results come by webhook


@pytest.mark.parametrize(
    ("at", "on"),
    [
        (datetime(2026, 4, 20, 8, 59, tzinfo=AMS), MONDAY),  # before the window
        (datetime(2026, 4, 20, 17, 0, tzinfo=AMS), MONDAY),  # after it
        (datetime(2026, 4, 21, 10, 0, tzinfo=AMS), MONDAY),  # not the request's day
    ],  # weekend days and holidays: tests/contracts/test_telephony_contract.py
)
def test_calls_only_inside_the_calling_window(api, at, on):
    sink = FakeSink()
    telephony(api, sink, at).place_campaign("c1", [request(0, on=on)])
    assert api.requests == []
    assert sink.kinds() == [("case0:robocall:1", FactKind.NOT_DIALLED, "outside_window")]


def test_a_refused_call_becomes_a_fact_and_the_number_is_not_logged(api, caplog):
    caplog.set_level(logging.DEBUG)
    sink = FakeSink()
    telephony(api, sink, IN_WINDOW).place_campaign("c1", [request(4)])
    assert len(api.requests) == 1
    assert sink.kinds() == [("case4:robocall:1", FactKind.NOT_DIALLED, "invalid_number")]
    assert "21211" in caplog.text
    assert "612999999" not in caplog.text


def test_cancel_reaches_the_api(api):
    sink = FakeSink()
    t = telephony(api, sink, IN_WINDOW)
    t.place_campaign("c1", [request(0)])
    assert len(api.requests) == 1
    t.cancel("case0:robocall:1")
    assert api.requests[1]["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Calls/CA{1:032x}.json"
    assert api.requests[1]["form"] == {"Status": "canceled"}


def test_unreachable_api_raises_without_numbers():
    sink = FakeSink()
    fake = FakeTwilio()
    url = fake.url
    fake.close()  # nobody listens any more
    client = Client(ACCOUNT, TOKEN, http_client=RebasingHttpClient(url, trust_env=False))
    t = TwilioTelephony(
        client, FakeContacts(PHONES), FROM, PUBLIC, OFFICER, sink, clock=MomentClock(IN_WINDOW)
    )
    with pytest.raises(TelephonyUnavailable) as exc:
        t.place_campaign("c1", [request(1), request(0)])
    assert "0 of 2" in str(exc.value) and "612000000" not in str(exc.value)
    assert sink.kinds() == [("case1:robocall:1", FactKind.NOT_DIALLED, "no_number")]


def test_the_sms_reaches_the_api_with_sender_callback_and_payment_text(api):
    sink = FakeSink()
    t = telephony(api, sink, IN_WINDOW)
    t.send(sms(0))
    assert len(api.requests) == 1
    sent = api.requests[0]
    assert sent["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert sent["form"]["To"] == "+31612000000"
    assert sent["form"]["From"] == "Woonconcept"
    assert sent["form"]["StatusCallback"] == f"{PUBLIC}/sms-status/case0%3Asms%3A1"
    body = sent["form"]["Body"]
    assert "€ 650,00" in body and "NL91 ABNA 0417 1643 00" in body and "HUUR-0" in body
    assert sink.facts == []  # delivery comes by webhook


def test_bad_configuration_is_refused(api):
    client = Client(ACCOUNT, TOKEN, http_client=RebasingHttpClient(api.url, trust_env=False))
    contacts = FakeContacts(PHONES)
    with pytest.raises(ValueError) as exc:
        TwilioTelephony(client, contacts, "0612", PUBLIC, OFFICER, FakeSink())
    assert "0612" not in str(exc.value)
    with pytest.raises(ValueError):
        TwilioTelephony(client, contacts, FROM, "ftp://x", OFFICER, FakeSink())
    with pytest.raises(ValueError):
        TwilioTelephony(
            client, contacts, FROM, PUBLIC, OFFICER, FakeSink(), sms_sender="Woonconcept1"
        )


# ---------------------------------------------------------------- webhooks

CALL_SID = "CA" + "f" * 32
AID = "case0:robocall:1"
AID_PATH = urllib.parse.quote(AID, safe="")


class Webhooks:
    """The webhook app on a real wsgiref server bound to 127.0.0.1."""

    def __init__(self, sink: FakeSink) -> None:
        self.app = make_webhook_app(
            TOKEN, PUBLIC, sink, officer_line="088-1234567", clock=MomentClock(IN_WINDOW)
        )
        self.server = make_server(self.app, "127.0.0.1", 0)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def post(
        self,
        path: str,
        params: dict[str, str],
        *,
        signature: str | None = "sign",
        token: str = TOKEN,
        sign_params: dict[str, str] | None = None,
        sign_path: str | None = None,
    ) -> tuple[int, str]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature == "sign":
            # exactly what Twilio does: HMAC-SHA1 over the full URL plus sorted params
            signature = RequestValidator(token).compute_signature(
                PUBLIC + (sign_path or path), sign_params if sign_params is not None else params
            )
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        req = urllib.request.Request(
            self.base + path,
            data=urllib.parse.urlencode(params).encode(),
            headers=headers,
            method="POST",
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=5) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hooks() -> Iterator[tuple[Webhooks, FakeSink]]:
    sink = FakeSink()
    w = Webhooks(sink)
    yield w, sink
    w.close()


def call_params(**extra: str) -> dict[str, str]:
    # Twilio sends the numbers along; the app must not need, log or store them
    return {
        "CallSid": CALL_SID,
        "AccountSid": ACCOUNT,
        "To": "+31612000000",
        "From": FROM,
        "Direction": "outbound-api",
        **extra,
    }


def test_signed_twiml_request_gets_the_gather_and_records_answered(hooks):
    w, sink = hooks
    status, body = w.post(
        f"/twiml/{AID_PATH}", call_params(AnsweredBy="human", CallStatus="in-progress")
    )
    assert status == 200
    root = ET.fromstring(body)
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "1"
    assert gather.get("action") == f"{PUBLIC}/gather/{AID_PATH}"
    say = gather.find("Say")
    assert say.get("language") == "nl-NL" and say.text == ROBOCALL_SCRIPT_NL
    assert [(f.provider_id, f.attempt_id, f.kind) for f in sink.facts] == [
        (f"{CALL_SID}:answered", AID, FactKind.ANSWERED_HUMAN)
    ]


def test_a_machine_hears_nothing(hooks):
    w, sink = hooks
    status, body = w.post(f"/twiml/{AID_PATH}", call_params(AnsweredBy="machine_start"))
    assert status == 200
    root = ET.fromstring(body)
    assert [child.tag for child in root] == ["Hangup"]
    assert sink.kinds() == [(AID, FactKind.VOICEMAIL, "machine_start")]


@pytest.mark.parametrize(
    "attack",
    ["unsigned", "wrong token", "tampered digits", "other attempt", "garbage"],
)
def test_unsigned_forged_or_tampered_webhooks_are_refused(hooks, attack):
    w, sink = hooks
    path = f"/gather/{AID_PATH}"
    params = call_params(Digits="2")
    if attack == "unsigned":
        status, _ = w.post(path, params, signature=None)
    elif attack == "wrong token":
        status, _ = w.post(path, params, token="0" * 32)
    elif attack == "tampered digits":
        status, _ = w.post(path, params, sign_params=call_params(Digits="1"))
    elif attack == "other attempt":
        status, _ = w.post(path, params, sign_path="/gather/case1%3Arobocall%3A1")
    else:
        status, _ = w.post(path, params, signature="bm90IGEgc2lnbmF0dXJl")
    assert status == 403
    assert sink.facts == []


def test_digit_1_chooses_sms(hooks):
    w, sink = hooks
    status, body = w.post(f"/gather/{AID_PATH}", call_params(Digits="1"))
    assert status == 200
    root = ET.fromstring(body)
    assert root.find("Say").get("language") == "nl-NL"
    assert "sms" in root.find("Say").text
    assert root.find("Dial") is None
    assert [(f.provider_id, f.kind) for f in sink.facts] == [
        (f"{CALL_SID}:gather:1", FactKind.CHOSE_SMS)
    ]


def test_digit_2_transfers_to_the_officer_line(hooks):
    w, sink = hooks
    status, body = w.post(f"/gather/{AID_PATH}", call_params(Digits="2"))
    assert status == 200
    dial = ET.fromstring(body).find("Dial")
    assert dial is not None and dial.text == OFFICER
    assert dial.get("action") == f"{PUBLIC}/dial/{AID_PATH}"
    assert sink.kinds() == [(AID, FactKind.CHOSE_TRANSFER, "2")]
    status, _ = w.post(f"/dial/{AID_PATH}", call_params(DialCallStatus="no-answer"))
    assert status == 200
    assert sink.kinds()[-1] == (AID, FactKind.TRANSFERRED, "no_agent")


@pytest.mark.parametrize("digits", ["", "7", "#"])
def test_other_or_no_digits_are_no_input(hooks, digits):
    w, sink = hooks
    status, body = w.post(f"/gather/{AID_PATH}", call_params(Digits=digits))
    assert status == 200
    assert ET.fromstring(body).find("Hangup") is not None
    assert [f.kind for f in sink.facts] == [FactKind.NO_INPUT]


@pytest.mark.parametrize(
    ("params", "detail", "duration"),
    [
        ({"CallStatus": "completed", "CallDuration": "42", "AnsweredBy": "human"}, "answered", 42),
        (
            {"CallStatus": "completed", "CallDuration": "9", "AnsweredBy": "machine_start"},
            "voicemail",
            9,
        ),
        ({"CallStatus": "busy", "CallDuration": "0"}, "busy", 0),
        ({"CallStatus": "no-answer"}, "no_answer", 0),
        ({"CallStatus": "failed", "ErrorCode": "13224"}, "invalid_number", 0),
        ({"CallStatus": "failed"}, "failed", 0),
        ({"CallStatus": "canceled"}, "cancelled", 0),
    ],
)
def test_status_callbacks_become_completed_facts(hooks, params, detail, duration):
    w, sink = hooks
    status, _ = w.post(f"/status/{AID_PATH}", call_params(**params))
    assert status == 204
    assert [(f.kind, f.detail, f.duration_s) for f in sink.facts] == [
        (FactKind.COMPLETED, detail, duration)
    ]


def test_a_retried_callback_is_recorded_once(hooks):
    w, sink = hooks
    for _ in range(2):
        assert w.post(f"/status/{AID_PATH}", call_params(CallStatus="completed"))[0] == 204
        assert w.post(f"/gather/{AID_PATH}", call_params(Digits="1"))[0] == 200
    assert len(sink.facts) == 2


def test_sms_status_callbacks(hooks):
    w, sink = hooks
    sms_sid = "SM" + "e" * 32
    for status, code in [("sent", ""), ("delivered", "")]:
        w.post(
            "/sms-status/case0%3Asms%3A1",
            {"MessageSid": sms_sid, "MessageStatus": status, "ErrorCode": code},
        )
    w.post(
        "/sms-status/case3%3Asms%3A1",
        {"MessageSid": "SM" + "d" * 32, "MessageStatus": "undelivered", "ErrorCode": "30006"},
    )
    assert sink.kinds() == [
        ("case0:sms:1", FactKind.SMS_DELIVERED, ""),
        ("case3:sms:1", FactKind.SMS_FAILED, "not_mobile"),
    ]


def test_other_methods_routes_and_missing_sids(hooks):
    w, sink = hooks
    assert w.post("/nowhere/x", call_params())[0] == 404
    assert w.post(f"/twiml/{AID_PATH}", {"AccountSid": ACCOUNT})[0] == 400
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with pytest.raises(urllib.error.HTTPError) as exc:
        opener.open(f"{w.base}/twiml/{AID_PATH}", timeout=5)
    assert exc.value.code == 405
    assert sink.facts == []


def test_webhooks_never_log_phone_numbers(hooks, caplog):
    caplog.set_level(logging.DEBUG)
    w, _ = hooks
    w.post(f"/twiml/{AID_PATH}", call_params(AnsweredBy="human"))
    w.post(f"/gather/{AID_PATH}", call_params(Digits="2"), signature=None)
    w.post(f"/gather/{AID_PATH}", call_params(Digits="2"))
    assert "refused" in caplog.text
    assert "612000000" not in caplog.text and "1234567" not in caplog.text
