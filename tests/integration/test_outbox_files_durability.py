"""Outbox files are written whole (a reader sees the old file or the new): durably with
fsync in production, without fsync for a simulation's own outputs (Settings.durable_files)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from adapters import files
from adapters.bootstrap import Settings
from adapters.memory import FixedClock
from adapters.signals import FileSignals
from adapters.simulation import engine, scenario


@pytest.fixture
def fsynced(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = files.os.fsync
    monkeypatch.setattr(files.os, "fsync", lambda fd: (calls.append(fd), real(fd))[1])
    return calls


@pytest.mark.parametrize(("durable", "fsyncs"), [(True, 2), (False, 0)])
def test_a_file_is_written_whole_and_synced_only_when_durable(tmp_path: Path, fsynced: list[int],
                                                              durable: bool, fsyncs: int) -> None:
    target = tmp_path / "out" / "signal.json"
    files.atomic_write(target, b"old", durable=durable)
    files.atomic_write(target, b"new", durable=durable)
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["signal.json"]  # no .tmp left behind
    assert len(fsynced) == 2 * fsyncs


def test_production_signal_files_are_durable_and_a_simulation_s_are_not(tmp_path: Path) -> None:
    from adapters.bootstrap import build

    app = build(Settings(db=str(tmp_path / "prod.db"), out_dir=str(tmp_path / "out")),
                clock=FixedClock(date(2026, 1, 1)))
    try:
        assert isinstance(app.ports.signals, FileSignals) and app.ports.signals.durable
    finally:
        app.close()
    sc = scenario.load(None).with_run(tenancies=3, months=1, seed=1, strategy="preventive", start="2026-01")
    sim = engine.Simulation(sc, "preventive", settings=Settings(db=str(tmp_path / "sim.db"),
                                                               out_dir=str(tmp_path / "sim")))
    try:
        assert sim.settings.durable_files is False
        assert isinstance(sim.app.ports.signals, FileSignals) and not sim.app.ports.signals.durable
    finally:
        sim.app.close()
