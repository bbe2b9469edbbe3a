"""The telephony contract: what every telephony adapter promises the application.

Each adapter (the simulated dialer, the call-list vendor with its SMS files, Twilio
against a real local HTTP server playing its API) runs the same tests:

* a number that may not be called never reaches the provider, and becomes a
  ``NOT_DIALLED`` fact with the reason (no number, invalid, opted out);
* no call on a weekend day or a legal holiday;
* the same attempt placed again (a re-offered outbox item) is dialled once;
* the payment SMS goes to mobiles only, once per message id, and a refusal is a fact;
* no phone number in a log line, a fact or an error.

A new vendor adds one :class:`Harness` factory below and passes these tests; what is
particular to one adapter (Twilio's webhooks, the vendor's files, the simulator's
rates) stays in that adapter's own tests.
"""

from __future__ import annotations

import csv
import io
import logging
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from application.ports import CallRequest, FactKind, SmsRequest
from application.service import attempt_id
from tests import telephony_fakes as fakes
from tests.telephony_fakes import (
    ACCOUNT,
    KINGS_DAY,
    MONDAY,
    SATURDAY,
    TOKEN,
    FakeContacts,
    FakeSink,
    FakeTwilio,
    MomentClock,
    at,
    mobile,
    tid,
)

IBAN = "NL91ABNA0417164300"
PHONES = {
    tid(0): mobile(0),
    tid(1): "020-1234567",  # a landline may be called (not sent an SMS)
    tid(2): None,
    tid(3): "",
    tid(4): "06123",  # too short
    tid(5): "0970 1234 5678",  # a machine-to-machine number
    tid(6): "06-87654321",  # opted out, written another way
    tid(7): mobile(7),  # opted out by tenancy id
    # tid(8) is not in the directory at all
}
OPT_OUT = frozenset({"+31687654321", str(tid(7))})
DIGITS = ("612000000", "201234567", "87654321", "612000007", "06123", "97012345678")


def call(n: int) -> str:
    """The attempt id the application gives the first robocall of case ``n``."""
    return attempt_id(uuid.UUID(int=10_000 + n), "robocall:1")


def text(n: int) -> str:
    """The message id the application gives the first SMS of case ``n``."""
    return attempt_id(uuid.UUID(int=10_000 + n), "sms:1")


def request(n: int, on: date = MONDAY) -> CallRequest:
    return fakes.request(n, on, attempt_id=call(n))


def sms(n: int, message_id: str | None = None) -> SmsRequest:
    return fakes.sms(n, message_id=message_id or text(n))


@attrs.define
class Harness:
    """One adapter as the application uses it, and what reached its provider."""

    telephony: Any
    sms: Any
    dialled: Callable[[], list[str]]  # attempt ids that reached the provider, once per call
    texted: Callable[[], list[str]]  # message ids that reached the provider
    close: Callable[[], None] = lambda: None


def simulated(sink: FakeSink, now: datetime, tmp: Path) -> Harness:
    from adapters.telephony.simulated import DialerRates, SimulatedDialer

    dialer = SimulatedDialer(sink, FakeContacts(PHONES), DialerRates(sms_failure=0.0), seed=1,
                             opt_out=OPT_OUT, deliver="immediate")
    received: list[Any] = []  # every fact the dialer delivered, duplicates included
    record = sink.record_facts
    sink.record_facts = lambda facts: (received.extend(facts), record(facts))[1]  # type: ignore[method-assign]

    def dialled() -> list[str]:  # a dialled call ends in exactly one COMPLETED fact
        return sorted(f.attempt_id for f in received if f.kind == FactKind.COMPLETED)

    return Harness(dialer, dialer, dialled, lambda: list(dialer.sms_sent))


def vendor(sink: FakeSink, now: datetime, tmp: Path) -> Harness:
    from adapters.telephony.files_out import VendorSms
    from adapters.telephony.vendor import CANCELLATIONS_FILE, VendorTelephony

    outbox = tmp / "vendor-outbox"
    outbox.mkdir()
    clock = MomentClock(now)
    calls = VendorTelephony(outbox, FakeContacts(PHONES), sink, opt_out=OPT_OUT, clock=clock)
    texts = VendorSms(outbox, FakeContacts(PHONES), sink, landlord_name="Woonconcept", landlord_iban=IBAN,
                      clock=clock, opt_out=OPT_OUT)

    def rows(pattern: str) -> list[list[str]]:
        out = []
        for path in sorted(outbox.glob(pattern)):
            if path.name != CANCELLATIONS_FILE:
                out += list(csv.reader(io.StringIO(path.read_text("utf-8"), newline=""), delimiter=";"))[1:]
        return out

    return Harness(calls, texts, lambda: sorted(r[0] for r in rows("[!s]*.csv")),
                   lambda: [r[0] for r in rows("sms-*.csv")])


def twilio(sink: FakeSink, now: datetime, tmp: Path) -> Harness:
    from twilio.rest import Client

    from adapters.telephony.twilio_adapter import RebasingHttpClient, TwilioTelephony

    api = FakeTwilio()
    client = Client(ACCOUNT, TOKEN, http_client=RebasingHttpClient(api.url, trust_env=False))
    t = TwilioTelephony(client, FakeContacts(PHONES), "+3197010000001", "https://vangnet.example.nl",
                        "+31881234567", sink, clock=MomentClock(now), opt_out=OPT_OUT,
                        landlord_name="Woonconcept", landlord_iban=IBAN, sms_sender="Woonconcept")

    def ids(resource: str, route: str) -> list[str]:  # the attempt id is in the callback URL
        return [urllib.parse.unquote(form["StatusCallback"].rsplit(f"/{route}/", 1)[1])
                for form in api.posted(resource)]

    return Harness(t, t, lambda: sorted(ids("Calls", "status")), lambda: ids("Messages", "sms-status"),
                   api.close)


ADAPTERS = [pytest.param(simulated, id="simulated"), pytest.param(vendor, id="vendor"),
            pytest.param(twilio, id="twilio")]


@pytest.fixture(params=ADAPTERS)
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    """``make(sink, now)``: the adapter under test, its clock standing at ``now``."""
    made: list[Harness] = []

    def build(sink: FakeSink, now: datetime | None = None) -> Harness:
        h = request.param(sink, now or at(MONDAY), tmp_path)
        made.append(h)
        return h

    yield build
    for h in made:
        h.close()


def test_who_may_not_be_called_never_reaches_the_provider(make):
    sink = FakeSink()
    h = make(sink)
    h.telephony.place_campaign("c1", [request(n) for n in range(9)])
    assert h.dialled() == sorted([call(0), call(1)])
    assert {f.attempt_id: f.detail for f in sink.facts if f.kind == FactKind.NOT_DIALLED} == {
        call(2): "no_number",
        call(3): "no_number",
        call(4): "invalid_number",
        call(5): "invalid_number",
        call(6): "opted_out",
        call(7): "opted_out",
        call(8): "no_number",
    }


@pytest.mark.parametrize("day", [SATURDAY, KINGS_DAY], ids=["saturday", "kings-day"])
def test_no_calls_on_a_weekend_day_or_a_legal_holiday(make, day: date):
    sink = FakeSink()
    h = make(sink, at(day))
    h.telephony.place_campaign("c1", [request(0, on=day)])
    assert h.dialled() == []
    assert sink.kinds() == [(call(0), FactKind.NOT_DIALLED, "outside_window")]


def test_the_same_attempt_placed_again_is_dialled_once(make):
    h = make(FakeSink())
    h.telephony.place_campaign("c1", [request(0), request(1), request(0)])
    h.telephony.place_campaign("c1", [request(0), request(1)])  # an outbox item offered again
    assert h.dialled() == sorted([call(0), call(1)])


def test_cancelling_an_attempt_never_placed_is_harmless(make):
    h = make(FakeSink())
    h.telephony.cancel(call(9))
    h.telephony.place_campaign("c1", [request(0)])
    assert h.dialled() == [call(0)]


def test_the_payment_sms_goes_to_mobiles_only_once_per_message(make):
    sink = FakeSink()
    h = make(sink)
    for n in (0, 0, 1, 2, 5, 6, 8):
        h.sms.send(sms(n))
    assert h.texted() == [text(0)]
    assert {f.attempt_id: f.detail for f in sink.facts if f.kind == FactKind.SMS_FAILED} == {
        text(1): "not_mobile",
        text(2): "no_number",
        text(5): "not_mobile",
        text(6): "opted_out",
        text(8): "no_number",
    }


def test_no_phone_number_in_logs_facts_or_errors(make, caplog):
    caplog.set_level(logging.DEBUG)
    sink = FakeSink()
    h = make(sink)
    h.telephony.place_campaign("c1", [request(n) for n in range(9)])
    h.telephony.cancel(call(0))
    for n in range(9):
        h.sms.send(sms(n))
    errors = []
    for bad in (lambda: h.telephony.place_campaign("c1", [request(0)]),  # may conflict (vendor)
                lambda: h.sms.send(sms(0, message_id="../x"))):
        try:
            bad()
        except Exception as e:  # noqa: BLE001 - the adapter may refuse; its message is checked
            errors.append(str(e))
    assert sink.facts and caplog.records
    text = "\n".join([caplog.text, *map(repr, sink.facts), *errors])
    for digits in DIGITS:
        assert digits not in text
