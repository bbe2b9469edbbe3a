"""Twilio gets one call and one SMS per attempt id, even from two processes: each
create() is preceded by a once-only record in the store (``provider_sends``)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from adapters.bootstrap import Settings, build
from adapters.memory import FixedClock
from adapters.telephony.twilio_adapter import TelephonyUnavailable, TwilioTelephony
from application.ports import CallRequest, Contact, SmsRequest

MONDAY = date(2026, 2, 2)


class Clock(FixedClock):
    def now(self) -> datetime:
        return datetime.combine(self.day, time(10, 0), tzinfo=UTC)


class Api:
    """Twilio's REST resources, counting every create()."""

    def __init__(self, fail: bool = False) -> None:
        self.created: list[dict[str, Any]] = []
        self.fail = fail

    def create(self, **kw: Any) -> Any:
        if self.fail:
            raise ConnectionError("Twilio unreachable")
        self.created.append(kw)
        return type("R", (), {"sid": f"SID{len(self.created)}"})()


class Client:
    def __init__(self, fail: bool = False) -> None:
        self.calls = Api(fail)
        self.messages = Api(fail)


class Contacts:
    def get(self, tenancy_id: uuid.UUID) -> Contact:
        return Contact(tenancy_id=tenancy_id, phone="0612345678")


def _twilio(store: Any, client: Client) -> TwilioTelephony:
    sink = type("Sink", (), {"record_facts": lambda self, facts: len(facts)})()
    return TwilioTelephony(client, Contacts(), "+3197010000000", "https://hooks.example.nl", "+31591123456", sink,
                           clock=Clock(MONDAY), landlord_name="Woonstichting", landlord_iban="NL91ABNA0417164300",
                           sends=store)


@pytest.fixture()
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = build(Settings(db=str(tmp_path / "v.db"), out_dir=str(tmp_path / "out")), clock=Clock(MONDAY))
    yield app.store
    app.close()


def test_two_processes_offering_the_same_attempt_make_one_call_and_one_sms(store: Any) -> None:
    first, second = Client(), Client()
    call = CallRequest(attempt_id=f"{uuid.uuid4().hex}.robocall-1", case_id=uuid.uuid4(), tenancy_id=uuid.uuid4(),
                       script="robocall-nl-v1", on=MONDAY, window_start=time(9, 0), window_end=time(17, 0))
    sms = SmsRequest(message_id=f"{uuid.uuid4().hex}.sms-1", case_id=uuid.uuid4(), tenancy_id=uuid.uuid4(),
                     amount_cents=65000, payment_reference="HUUR T1", on=MONDAY)
    for client in (first, second):  # two processes: separate adapters, one store
        tw = _twilio(store, client)
        tw.place_campaign("campaign-a", [call])
        tw.send(sms)
    assert len(first.calls.created) + len(second.calls.created) == 1
    assert len(first.messages.created) + len(second.messages.created) == 1


def test_an_attempt_that_never_reached_twilio_may_be_tried_again(store: Any) -> None:
    sms = SmsRequest(message_id=f"{uuid.uuid4().hex}.sms-1", case_id=uuid.uuid4(), tenancy_id=uuid.uuid4(),
                     amount_cents=65000, payment_reference="HUUR T1", on=MONDAY)
    with pytest.raises(TelephonyUnavailable):
        _twilio(store, Client(fail=True)).send(sms)
    later = Client()
    _twilio(store, later).send(sms)
    assert len(later.messages.created) == 1
