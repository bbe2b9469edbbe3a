"""Shared fixtures: a clock, and a Vangnet application on each event store.

``app`` runs on every backend: ``memory`` (SQLite in memory), ``sqlite`` (a file in
``tmp_path``) and ``postgres`` (127.0.0.1:5432). ``fast`` runs on the in-process
backends only, for stories too long to repeat on a server. PostgreSQL tests share
one database per session (``vangnet_test_<random>``, dropped at the end) and every
test starts from empty tables. Without a server the PostgreSQL tests are skipped,
unless ``VANGNET_REQUIRE_POSTGRES=1``: then they fail loudly.

A test that needs a second application on the same store (concurrency, replay)
asks for ``backend`` and calls ``backend.build()``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import attrs
import pytest

from adapters.bootstrap import Settings, build
from adapters.memory import (
    FixedClock,
    RecordingLetters,
    RecordingSignals,
    RecordingSms,
    RecordingTelephony,
)
from application.service import Vangnet

# the server's maintenance database; VANGNET_TEST_POSTGRES_URL points elsewhere
PG_ADMIN_URL = (
    os.environ.get("VANGNET_TEST_POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
)
START = date(2026, 1, 1)


def _require_postgres() -> bool:
    return os.environ.get("VANGNET_REQUIRE_POSTGRES", "").strip().lower() in ("1", "true", "yes")


def _server(url: str) -> str:
    u = urlparse(url)
    return f"{u.hostname or '127.0.0.1'}:{u.port or 5432}"


def _pg_connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=3)


# ------------------------------------------------------------------- backends


@attrs.define
class Backend:
    """One event store, and every application built on it during a test."""

    name: str
    db: str
    clock: FixedClock
    out_dir: Path
    apps: list[Vangnet] = attrs.Factory(list)

    @property
    def settings(self) -> Settings:
        return Settings(db=self.db, out_dir=str(self.out_dir))

    def build(self, **ports: Any) -> Vangnet:
        """A fresh application on this store, with recording adapters (or the given ones)."""
        ports.setdefault("clock", self.clock)
        ports.setdefault("telephony", RecordingTelephony())
        ports.setdefault("sms", RecordingSms())
        ports.setdefault("letters", RecordingLetters())
        ports.setdefault("signals", RecordingSignals())
        app = build(self.settings, **ports)
        self.apps.append(app)
        return app

    def close(self) -> None:
        for app in self.apps:
            try:
                app.close()
            except Exception:  # pragma: no cover - closing never hides a test result
                pass
        self.apps.clear()


@contextmanager
def fresh_pg_database(prefix: str = "vangnet_test") -> Iterator[str]:
    """A new empty PostgreSQL database (its URL), dropped afterwards. Without a server
    the test is skipped, or fails when ``VANGNET_REQUIRE_POSTGRES=1``."""
    try:
        import psycopg  # noqa: F401

        admin = _pg_connect(PG_ADMIN_URL)
    except Exception as e:
        if _require_postgres():
            pytest.fail(
                f"VANGNET_REQUIRE_POSTGRES=1 but PostgreSQL ({_server(PG_ADMIN_URL)}) does not answer: {e}"
            )
        pytest.skip(f"no PostgreSQL server answers at {_server(PG_ADMIN_URL)} ({type(e).__name__})")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(urlparse(PG_ADMIN_URL)._replace(path=f"/{name}"))
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session; dropped at the end."""
    with fresh_pg_database() as url:
        yield url


@pytest.fixture()
def pg_db() -> Iterator[str]:
    """A new empty PostgreSQL database for one test (a store that must start empty)."""
    with fresh_pg_database("vangnet_one") as url:
        yield url


def _pg_clean(url: str) -> None:
    """Empty every table of the test database (tables persist across tests)."""
    with _pg_connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        if rows:
            names = ", ".join(f'"{r[0]}"' for r in rows)
            conn.execute(f"TRUNCATE {names} RESTART IDENTITY")


BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
FAST_BACKENDS = [pytest.param("memory", id="memory"), pytest.param("sqlite", id="sqlite")]


def make_backend(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock
) -> Backend:
    """A store of ``kind`` (memory, sqlite, postgres); the caller closes it."""
    if kind == "memory":
        # a named shared in-memory database, so a second application can open the same store
        db = f"file:vangnet-test-{uuid.uuid4().hex}?mode=memory&cache=shared"
    elif kind == "sqlite":
        db = str(tmp_path / "v.db")
    elif kind == "postgres":
        db = request.getfixturevalue("pg_database")
        _pg_clean(db)
    else:  # pragma: no cover
        raise ValueError(kind)
    return Backend(kind, db, clock, tmp_path / "out")


@pytest.fixture()
def clock() -> FixedClock:
    """The application's clock; starts on 2026-01-01. Tests move it with ``advance``."""
    return FixedClock(START)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock) -> Iterator[Backend]:
    b = make_backend(request.param, request, tmp_path, clock)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(params=FAST_BACKENDS)
def fast_backend(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock
) -> Iterator[Backend]:
    b = make_backend(request.param, request, tmp_path, clock)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture()
def app(backend: Backend) -> Vangnet:
    """A Vangnet application on every backend (memory, SQLite file, PostgreSQL)."""
    return backend.build()


@pytest.fixture()
def fast(fast_backend: Backend) -> Vangnet:
    """A Vangnet application on the in-process backends only (memory, SQLite file)."""
    return fast_backend.build()
