"""The simulation's store: synchronous=NORMAL on request, and one transaction for
many commands where a failing command rolls back alone and reads see the batch."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import attrs
import pytest
from eventsourcing.persistence import OperationalError

from adapters.bootstrap import Settings, build
from adapters.memory import FixedClock, RecordingLetters
from application.service import CommandError
from domain.values import Actor, Role

LETTING = Actor(Role.LETTING, "test")
DAY = date(2026, 1, 1)


def _app(tmp_path: Path, **settings: object):  # type: ignore[no-untyped-def]
    s = attrs.evolve(Settings(db=str(tmp_path / "s.db"), out_dir=str(tmp_path / "out")), **settings)
    return build(s, clock=FixedClock(DAY), letters=RecordingLetters())


def _synchronous(app) -> int:  # type: ignore[no-untyped-def]
    with app.recorder.datastore.transaction(commit=False) as c:
        c.execute("PRAGMA synchronous")
        return int(c.fetchone()[0])


def test_production_stores_keep_full_durability_and_the_simulation_asks_for_normal(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _synchronous(_app(tmp_path / "a")) == 2  # FULL
    assert _synchronous(_app(tmp_path / "b", sqlite_synchronous="NORMAL")) == 1


def test_a_batch_commits_once_reads_its_own_writes_and_a_failed_command_rolls_back_alone(tmp_path: Path) -> None:
    app = _app(tmp_path, sqlite_synchronous="NORMAL")
    ds = app.recorder.datastore
    with ds.batch():
        app.start_tenancy(LETTING, "T-1", rent_cents=60000, start_date=DAY)
        assert app.store.count_events() == 1  # the batch sees its own writes
        outside = sqlite3.connect(str(tmp_path / "s.db"))
        assert outside.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] == 0  # not yet committed
        with pytest.raises(CommandError):
            app.start_tenancy(LETTING, "T-1", rent_cents=60000, start_date=DAY)
        with pytest.raises(OperationalError):  # a failure inside a save: only that save is undone
            app.save_all([], extra=[_bad_upsert()])
        app.start_tenancy(LETTING, "T-2", rent_cents=61000, start_date=DAY)
        ds.commit()
        assert outside.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] == 2
        app.start_tenancy(LETTING, "T-3", rent_cents=62000, start_date=DAY)
    assert outside.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] == 3
    assert [r["ref"] for r in app.store.tenancy_rows()] == ["T-1", "T-2", "T-3"]


def test_an_error_inside_a_batch_rolls_back_what_was_not_committed(tmp_path: Path) -> None:
    app = _app(tmp_path, sqlite_synchronous="NORMAL")
    ds = app.recorder.datastore
    with pytest.raises(RuntimeError), ds.batch():
        app.start_tenancy(LETTING, "T-1", rent_cents=60000, start_date=DAY)
        ds.commit()
        app.start_tenancy(LETTING, "T-2", rent_cents=60000, start_date=DAY)
        raise RuntimeError("the run stops")
    assert [r["ref"] for r in app.store.tenancy_rows()] == ["T-1"]


def _bad_upsert():  # type: ignore[no-untyped-def]
    from application.store import Upsert

    return Upsert("no_such_table", ("k",), {"k": 1})


def _mmap_size(app) -> int:  # type: ignore[no-untyped-def]
    with app.recorder.datastore.transaction(commit=False) as c:
        c.execute("PRAGMA mmap_size")
        row = c.fetchone()
        return 0 if row is None else int(row[0])  # (an in-memory database has no file to map)


def test_production_stores_read_through_a_memory_map_with_their_durability_unchanged(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    prod, sim = _app(tmp_path / "a"), _app(tmp_path / "b", sqlite_synchronous="NORMAL")
    assert _mmap_size(prod) > 0
    assert _mmap_size(sim) == 0  # the simulation's store: its peak memory is a target
    assert (_synchronous(prod), _synchronous(sim)) == (2, 1)
    prod.start_tenancy(LETTING, "T-1", rent_cents=60000, start_date=DAY)
    prod.start_tenancy(LETTING, "T-2", rent_cents=61000, start_date=DAY)
    outside = sqlite3.connect(str(tmp_path / "a" / "s.db"))  # committed as before, read by another connection
    assert outside.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] == 2
    assert sorted(t.ref for t in prod.load_many([prod.get_tenancy("T-1").id, prod.get_tenancy("T-2").id]).values()) == [
        "T-1", "T-2"]
    memory = build(Settings(db=":memory:", out_dir=str(tmp_path / "out")), clock=FixedClock(DAY),
                   letters=RecordingLetters())
    assert _mmap_size(memory) == 0  # nothing to map
