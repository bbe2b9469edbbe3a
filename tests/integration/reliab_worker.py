"""A second (third...) process for the reliability tests: ``python -m
tests.integration.reliab_worker ACTION DB ...``. Waits for the go-file, so the
processes start their work at the same moment."""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from adapters.bootstrap import Settings, build
from adapters.memory import FixedClock, RecordingLetters


def wait_for(go: Path) -> None:
    deadline = time.monotonic() + 30
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go-file")
        time.sleep(0.001)


class CountingPorts:
    """Telephony, SMS and signals that append every delivered id to one shared file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _log(self, kind: str, item: str) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{kind} {item} {os.getpid()}\n".encode())
        finally:
            os.close(fd)
        time.sleep(0.002)  # a port takes a moment: gives the other process time to interleave

    def place_campaign(self, campaign_id: str, requests: Any) -> None:
        for r in requests:
            self._log("call", r.attempt_id)

    def cancel(self, attempt_id: str) -> None:  # pragma: no cover
        pass

    def send(self, message: Any) -> None:
        self._log("sms" if hasattr(message, "message_id") else "signal",
                  getattr(message, "message_id", None) or message.signal_id)


def main(argv: list[str]) -> int:
    action, db, go = argv[0], argv[1], Path(argv[2])
    if action == "open":  # create the store (first use)
        wait_for(go)
        build(Settings(db=db, out_dir=str(go.parent / "out")), clock=FixedClock(date(2026, 2, 2))).close()
        return 0
    if action == "dispatch":
        from application import daily_run

        ports = CountingPorts(Path(argv[3]))
        app = build(Settings(db=db, out_dir=str(go.parent / "out")), clock=FixedClock(date(2026, 2, 2)),
                    telephony=ports, sms=ports, signals=ports, letters=RecordingLetters())  # type: ignore[arg-type]
        wait_for(go)
        daily_run.dispatch_outbox(app, date(2026, 2, 2))
        app.close()
        return 0
    if action == "import":  # a long ledger import in small chunks (killed in the fault tests)
        from adapters.csv_ledger.parser import parse_ledger_csv
        from application import bulk
        from domain.values import Actor, Role

        bulk.CHUNK_EVENTS = 60
        app = build(Settings(db=db, out_dir=str(go.parent / "out")), clock=FixedClock(date(2026, 3, 1)))
        lines, errors, rows = parse_ledger_csv(Path(argv[3]).read_bytes(), today=date(2026, 3, 1))
        assert not errors, errors[:2]
        go.touch()
        app.import_ledger(Actor(Role.ADMIN, "root"), lines, source="erp", rows_read=rows)
        app.close()
        return 0
    if action == "dayrun":  # months of daily runs; robocalls and SMS recorded as files
        from adapters.memory import RecordingSignals
        from adapters.telephony.files_out import RecordedFiles
        from application import daily_run

        rec = RecordedFiles(Path(argv[4]))
        app = build(Settings(db=db, out_dir=str(go.parent / "out"), outbox_lease_s=0),
                    clock=FixedClock(date(2026, 2, 1)), telephony=rec, sms=rec, letters=RecordingLetters(),
                    signals=RecordingSignals())
        go.touch()
        daily_run.run(app, date(2026, 2, 1), through=date.fromisoformat(argv[3]))
        app.close()
        return 0
    if action == "dayrun-count":  # a daily run delivering to counting ports (two at once in the tests)
        from adapters.memory import RecordingSignals
        from application import daily_run

        ports = CountingPorts(Path(argv[4]))
        app = build(Settings(db=db, out_dir=str(go.parent / "out")), clock=FixedClock(date(2026, 2, 1)),
                    telephony=ports, sms=ports, letters=RecordingLetters(), signals=RecordingSignals())  # type: ignore[arg-type]
        wait_for(go)
        daily_run.run(app, date(2026, 2, 1), through=date.fromisoformat(argv[3]))
        app.close()
        return 0
    if action == "bigwrite":  # one write transaction of N events of S bytes each through the store's recorder
        import uuid

        from eventsourcing.persistence import StoredEvent

        n, size = int(argv[3]), int(argv[4])
        app = build(Settings(db=db, out_dir=str(go.parent / "out")), clock=FixedClock(date(2026, 1, 1)))
        events = [StoredEvent(originator_id=uuid.uuid4(), originator_version=1, topic="tests:Big",
                              state=os.urandom(size // 2).hex().encode()) for _ in range(n)]
        ids = app.recorder.insert_events(events)
        app.close()
        print(f"wrote {len(ids or [])}")
        return 0
    raise SystemExit(f"unknown action {action}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
