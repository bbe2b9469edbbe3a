"""Browser fixtures: the workbench served by uvicorn on a free local port, over a SQLite
store seeded with the workbench story, and Debian's Chromium driven by Playwright
(launched by its path; no browser is downloaded)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest

from adapters.bootstrap import Settings, build
from adapters.memory import FixedClock, RecordingLetters, RecordingSignals
from adapters.web.app import WebSettings, create_app
from tests.e2e.workbench_story import PASSWORD, seed

CHROMIUM = os.environ.get("VANGNET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DOCS = Path(__file__).resolve().parents[2] / "docs"


@attrs.define
class Served:
    url: str
    app: Any
    clock: FixedClock
    server: Any
    thread: threading.Thread


def _serve(app: Any, settings: WebSettings) -> tuple[Any, threading.Thread, str]:
    import uvicorn

    web = create_app(app, settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(web, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def story_app(tmp_path: Path) -> Any:
    clock = FixedClock(date(2026, 1, 1))
    app = build(Settings(db=str(tmp_path / "work.db"), out_dir=str(tmp_path / "out")), clock=clock,
                letters=RecordingLetters(), signals=RecordingSignals())
    seed(app, clock)
    app.clock = clock  # type: ignore[attr-defined]
    return app


@pytest.fixture
def served(story_app: Any, tmp_path: Path) -> Iterator[Served]:
    settings = WebSettings(secret_key="test-secret-" + "x" * 40, secure_cookies=True, out_dir=str(tmp_path / "out"))
    server, thread, url = _serve(story_app, settings)
    yield Served(url, story_app, story_app.clock, server, thread)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"no Chromium at {CHROMIUM} (CI installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def make() -> Any:
        ctx = chromium.new_context(viewport={"width": 1360, "height": 900}, locale="nl-NL")
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


def sign_in(page: Any, url: str, name: str, password: str = PASSWORD) -> None:
    page.goto(url + "/worklist")
    page.get_by_label(re.compile("^(Naam|Name)$")).fill(name)
    page.get_by_label(re.compile("^(Wachtwoord|Password)$")).fill(password)
    page.get_by_role("button", name=re.compile("^(Aanmelden|Sign in)$")).click()
    page.wait_for_url(re.compile(r".*/worklist.*"))
