"""The call-list vendor: atomic outbox with manifest, cancellations, result files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

import adapters.files as common
from adapters.telephony.vendor import (
    CALL_LIST_COLUMNS,
    CampaignConflict,
    VendorTelephony,
    collect,
)
from application.ports import CallRequest, FactKind
from tests import telephony_fakes as fakes
from tests.telephony_fakes import MONDAY, FakeContacts, FakeSink, MomentClock, tid

NOW = datetime(2026, 4, 17, 16, 0, tzinfo=UTC)


PHONES = {
    tid(0): "06-12000000",
    tid(1): "020 123 4567",  # landlines may be called
    tid(2): None,
    tid(3): "06123",
    tid(4): "0612000004",
}


def request(n: int, on: date = MONDAY) -> CallRequest:
    return fakes.request(n, on, end=time(17, 30))


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    folder = tmp_path / "outbox"
    folder.mkdir()
    return folder


def vendor(outbox: Path, sink: FakeSink | None = None, phones=None, **kwargs) -> VendorTelephony:
    return VendorTelephony(
        outbox, FakeContacts(phones or PHONES), sink, clock=MomentClock(NOW), **kwargs
    )


def read_rows(path: Path) -> list[list[str]]:
    return list(
        csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline=""), delimiter=";")
    )


# ------------------------------------------------------------------ outbox


def test_place_campaign_writes_call_list_and_manifest(outbox):
    sink = FakeSink()
    vendor(outbox, sink).place_campaign("2026-04-20-robocall", [request(n) for n in range(5)])
    csv_path = outbox / "2026-04-20-robocall.csv"
    rows = read_rows(csv_path)
    assert rows[0] == list(CALL_LIST_COLUMNS)
    assert rows[1:] == [
        ["case0:robocall:1", "+31612000000", "robocall-nl-v1", "09:00", "17:30", "2026-04-20"],
        ["case1:robocall:1", "+31201234567", "robocall-nl-v1", "09:00", "17:30", "2026-04-20"],
        ["case4:robocall:1", "+31612000004", "robocall-nl-v1", "09:00", "17:30", "2026-04-20"],
    ]
    manifest = json.loads((outbox / "2026-04-20-robocall.manifest.json").read_text())
    assert manifest["rows"] == 3
    assert manifest["file"] == "2026-04-20-robocall.csv"
    assert manifest["sha256"] == hashlib.sha256(csv_path.read_bytes()).hexdigest()
    # nothing half-written left behind
    assert sorted(p.name for p in outbox.iterdir()) == [
        ".vangnet-state",
        "2026-04-20-robocall.csv",
        "2026-04-20-robocall.manifest.json",
    ]


def test_without_a_sink_not_dialled_facts_are_kept(outbox):
    v = vendor(outbox)
    v.place_campaign("c1", [request(2)])
    assert [f.detail for f in v.not_dialled] == ["no_number"]


def test_csv_is_written_atomically_before_the_manifest(outbox, monkeypatch):
    replaced: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def spy(src, dst):
        replaced.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(common.os, "replace", spy)
    fsynced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(common.os, "fsync", lambda fd: (fsynced.append(fd), real_fsync(fd)))
    vendor(outbox).place_campaign("c1", [request(0)])
    targets = [dst.name for _, dst in replaced]
    assert targets[:2] == ["c1.csv", "c1.manifest.json"]
    for src, dst in replaced[:2]:
        assert src.parent == dst.parent == outbox  # temp file in the same folder
        assert src.name.startswith(".") and src.name.endswith(".tmp")
    assert len(fsynced) >= 2


def test_a_failed_write_leaves_no_call_list(outbox, monkeypatch):
    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(common.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        vendor(outbox).place_campaign("c1", [request(0)])
    assert [p.name for p in outbox.iterdir() if p.is_file()] == []


def test_replacing_the_same_campaign_is_a_noop_and_different_content_an_error(outbox):
    v = vendor(outbox)
    v.place_campaign("c1", [request(0), request(1)])
    before = (outbox / "c1.csv").stat().st_mtime_ns, (outbox / "c1.csv").read_bytes()
    v.place_campaign("c1", [request(0), request(1)])
    after = (outbox / "c1.csv").stat().st_mtime_ns, (outbox / "c1.csv").read_bytes()
    assert before == after
    with pytest.raises(CampaignConflict) as exc:
        v.place_campaign("c1", [request(0)])
    assert "+316" not in str(exc.value) and "12000000" not in str(exc.value)
    assert (outbox / "c1.csv").read_bytes() == before[1]


def test_replacing_after_the_vendor_picked_the_list_up_does_not_call_again(outbox):
    v = vendor(outbox)
    v.place_campaign("c1", [request(0)])
    (outbox / "c1.csv").unlink()  # the vendor took it
    (outbox / "c1.manifest.json").unlink()
    vendor(outbox).place_campaign("c1", [request(0)])  # a new process, same state folder
    assert not (outbox / "c1.csv").exists()


def test_bad_campaign_ids_are_refused(outbox):
    for bad in ["../x", "", ".hidden", "a/b", "cancellations"]:
        with pytest.raises(ValueError):
            vendor(outbox).place_campaign(bad, [request(0)])


def test_cancel_writes_each_attempt_once(outbox):
    v = vendor(outbox)
    v.cancel("case0:robocall:1")
    v.cancel("case1:robocall:1")
    v.cancel("case0:robocall:1")
    rows = read_rows(outbox / "cancellations.csv")
    assert rows == [
        ["attempt_id", "cancelled_at"],
        ["case0:robocall:1", "2026-04-17T16:00:00+00:00"],
        ["case1:robocall:1", "2026-04-17T16:00:00+00:00"],
    ]
    assert not [p for p in outbox.iterdir() if p.name.endswith(".tmp")]


# ----------------------------------------------------------------- results

HEADER = "result_id;attempt_id;event;detail;occurred_at;duration_s\r\n"
GOOD = (
    HEADER
    + "r-1;case0:robocall:1;answered_human;;2026-04-20T10:15:00+02:00;\r\n"
    + "r-2;case0:robocall:1;chose_sms;1;2026-04-20T10:15:20+02:00;\r\n"
    + "r-3;case0:robocall:1;completed;answered;2026-04-20T10:15:30+02:00;30\r\n"
    + "r-4;case1:robocall:1;completed;no_answer;2026-04-20T08:20:00Z;0\r\n"
)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def test_collect_records_a_good_file_and_moves_it(inbox):
    (inbox / "results-1.csv").write_text(GOOD, encoding="utf-8")
    sink = FakeSink()
    report = collect(inbox, sink)
    assert report.ok and report.recorded == {"results-1.csv": 4}
    assert report.facts_recorded == 4
    assert [(f.provider_id, f.kind, f.detail, f.duration_s) for f in sink.facts] == [
        ("r-1", FactKind.ANSWERED_HUMAN, "", None),
        ("r-2", FactKind.CHOSE_SMS, "1", None),
        ("r-3", FactKind.COMPLETED, "answered", 30),
        ("r-4", FactKind.COMPLETED, "no_answer", 0),
    ]
    assert sink.facts[0].occurred_at == datetime(2026, 4, 20, 8, 15, tzinfo=UTC)
    assert not (inbox / "results-1.csv").exists()
    assert (inbox / "processed" / "results-1.csv").read_bytes() == GOOD.encode()


def test_the_same_file_again_is_not_recorded_twice(inbox):
    sink = FakeSink()
    (inbox / "results-1.csv").write_text(GOOD, encoding="utf-8")
    collect(inbox, sink)
    calls = sink.calls
    (inbox / "results-1-again.csv").write_text(GOOD, encoding="utf-8")  # re-dropped
    report = collect(inbox, sink)
    assert report.duplicates == ["results-1-again.csv"] and report.recorded == {}
    assert sink.calls == calls  # the sink never saw it
    assert not (inbox / "results-1-again.csv").exists()
    assert collect(inbox, sink).recorded == {}  # nothing left to read


def test_a_result_seen_in_an_earlier_file_is_recorded_once(inbox):
    sink = FakeSink()
    (inbox / "a.csv").write_text(GOOD, encoding="utf-8")
    (inbox / "b.csv").write_text(
        HEADER
        + "r-4;case1:robocall:1;completed;no_answer;2026-04-20T08:20:00Z;0\r\n"
        + "r-5;case5:robocall:1;voicemail;;2026-04-20T11:00:00+02:00;\r\n",
        encoding="utf-8",
    )
    report = collect(inbox, sink)
    assert report.facts_read == 6 and report.facts_recorded == 5
    assert [f.provider_id for f in sink.facts] == ["r-1", "r-2", "r-3", "r-4", "r-5"]


def test_a_malformed_file_records_nothing_and_names_line_field_value(inbox):
    bad = (
        HEADER
        + "r-1;case0:robocall:1;answered_human;;2026-04-20T10:15:00+02:00;\r\n"
        + "r-2;case0:robocall:1;pressed_three;;2026-04-20T10:15:20+02:00;\r\n"
        + "r-3;case0:robocall:1;completed;answered;2026-04-20 10:15:30;30\r\n"
        + "r-4;;completed;no_answer;2026-04-20T08:20:00Z;0\r\n"
        + ";case1:robocall:1;completed;sort_of;2026-04-20T08:20:00Z;-3\r\n"
        + "r-6;case1:robocall:1;completed\r\n"
    )
    (inbox / "bad.csv").write_text(bad, encoding="utf-8")
    sink = FakeSink()
    report = collect(inbox, sink)
    assert not report.ok and sink.facts == [] and sink.calls == 0
    found = {(e.line, e.field, e.value) for e in report.rejected["bad.csv"]}
    assert found == {
        (3, "event", "pressed_three"),
        (4, "occurred_at", "2026-04-20 10:15:30"),
        (5, "attempt_id", ""),
        (6, "result_id", ""),
        (6, "detail", "sort_of"),
        (6, "duration_s", "-3"),
        (7, "(row)", "3 fields"),
    }
    assert any("UTC offset" in e.reason for e in report.errors)
    assert any("unknown event" in e.reason for e in report.errors)
    text = "\n".join(report.lines())
    assert "bad.csv line 3, event 'pressed_three'" in text
    assert (inbox / "bad.csv").exists()  # left for someone to fix


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"", "(header)"),
        (b"result_id,attempt_id,event,detail,occurred_at,duration_s\r\n", "(header)"),
        (b"result_id;attempt_id;event;detail;occurred_at\r\n", "duration_s"),
        (HEADER.replace("detail", "phone").encode(), "phone"),
        ("r-1;a;completed;busy;2026-04-20T10:00:00+02:00;caf\xe9\r\n".encode("cp1252"), "(file)"),
        (HEADER.encode("utf-16"), "(file)"),
    ],
)
def test_broken_files_are_refused(inbox, content, field):
    (inbox / "x.csv").write_bytes(content)
    sink = FakeSink()
    report = collect(inbox, sink)
    assert field in {e.field for e in report.rejected["x.csv"]}
    assert sink.calls == 0


def test_same_result_id_with_different_content_in_one_file_is_an_error(inbox):
    (inbox / "x.csv").write_text(
        HEADER
        + "r-1;case0:robocall:1;completed;busy;2026-04-20T10:00:00+02:00;0\r\n"
        + "r-1;case0:robocall:1;completed;answered;2026-04-20T10:00:00+02:00;5\r\n",
        encoding="utf-8",
    )
    report = collect(inbox, FakeSink())
    assert [(e.line, e.field) for e in report.errors] == [(3, "result_id")]


def test_values_quoted_in_reports_never_show_phone_numbers(inbox):
    (inbox / "x.csv").write_text(
        HEADER + "r-1;+31612000000;completed;0612000000;2026-04-20T10:00:00+02:00;0\r\n",
        encoding="utf-8",
    )
    report = collect(inbox, FakeSink())
    assert {e.field for e in report.errors} == {"attempt_id", "detail"}
    text = "\n".join(report.lines())
    assert "612000000" not in text


def test_no_phone_number_in_logs_or_exceptions(outbox, inbox, caplog):
    caplog.set_level(logging.DEBUG)
    sink = FakeSink()
    v = vendor(outbox, sink)
    v.place_campaign("c1", [request(n) for n in range(5)])
    with pytest.raises(CampaignConflict) as exc:
        v.place_campaign("c1", [request(0)])
    v.cancel("case0:robocall:1")
    (inbox / "x.csv").write_text(
        HEADER + "r-1;+31612000000;completed;busy;2026-04-20T10:00:00+02:00;0\r\n",
        encoding="utf-8",
    )
    v.collect(inbox)
    assert caplog.records
    for text in (caplog.text, str(exc.value)):
        for digits in ("612000000", "612000004", "201234567", "6123"):
            assert digits not in text


def test_an_attempt_already_in_a_call_list_is_never_in_a_second_one_whatever_the_set(outbox):
    """A dispatch that placed a list and stopped before marking its items sent: the
    items are offered again, grouped with new ones under another campaign id. Before,
    the vendor got the same attempts in a second file and called those tenants twice."""
    vendor(outbox).place_campaign("campaign-a", [request(0), request(1)])
    vendor(outbox).place_campaign("campaign-b", [request(0), request(1), request(4)])  # another process
    assert [r[0] for r in read_rows(outbox / "campaign-b.csv")[1:]] == ["case4:robocall:1"]
    vendor(outbox).place_campaign("campaign-c", [request(1)])  # nothing new: no list at all
    assert not (outbox / "campaign-c.csv").exists()
    vendor(outbox).place_campaign("campaign-a", [request(0), request(1)])  # the same campaign again: a no-op
    assert [r[0] for r in read_rows(outbox / "campaign-a.csv")[1:]] == ["case0:robocall:1", "case1:robocall:1"]


def test_a_call_list_written_by_a_process_that_stopped_before_recording_it_still_counts(outbox):
    vendor(outbox).place_campaign("campaign-a", [request(0), request(1)])
    state = outbox / ".vangnet-state"
    (state / "campaign-a.sha256").unlink()  # stopped after writing the list, before its records
    for f in (state / "placed").iterdir():
        f.unlink()
    vendor(outbox).place_campaign("campaign-b", [request(0), request(4)])
    assert [r[0] for r in read_rows(outbox / "campaign-b.csv")[1:]] == ["case4:robocall:1"]
