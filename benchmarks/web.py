"""The workbench's two busiest pages on a store of ``daily_tenancies`` tenancies (full:
100,000) of which 6 % are in arrears (full: 6,000 open cases, each with an officer's
phone task): the worklist (first page of 50) and the tenancy screen of a tenancy with an
open case. Timed through the web application in process (routing, session, queries,
templates; no network), signed in as an officer. Baseline, same run: the sign-in page
(the same stack with no data). Target: p95 <= 300 ms."""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import date
from typing import Any

from application.ports import Contact
from application.store import Upsert
from benchmarks.core import START, UNPAID_SHARE, Result, new_app, ref_of
from domain.tenancy import Tenancy
from domain.values import Period

TARGET_MS = 300.0


def _seed(app: Any, n: int) -> list[str]:
    """n tenancies with three months of rent; every 1/UNPAID_SHARE-th leaves the third
    month unpaid and has a prevention profile (a phone task from its first day)."""
    every = round(1 / UNPAID_SHARE)
    unpaid: list[str] = []
    pending: list[Tenancy] = []
    extra: list[Any] = []
    from application import sealing

    for i in range(n):
        ref = ref_of(i)
        t = Tenancy.start(ref, 65000, START, 1, by="bench")
        key = sealing.new_key()
        owes = i % every == 0
        if owes:
            t.assign_profile(sealed_reason=sealing.seal(key, t.id, ["bench"]), on=START, by="bench")
            unpaid.append(ref)
        for m in range(3):
            period = Period(START.year, START.month + m)
            t.charge_rent(period=period, cents=65000, source="bench", tx_id=f"c{m}", booked_on=period.first_day())
            if not (owes and m == 2):
                t.receive_payment(cents=65000, source="bench", tx_id=f"p{m}", booked_on=period.first_day())
        pending.append(t)
        extra.append(Upsert("tenancy_keys", ("tenancy_id",), {"tenancy_id": str(t.id), "key": key}))
        extra.append(app._contact_upsert(t.id, Contact(tenancy_id=t.id, name=f"Huurder {i}", phone="+31612345678")))
        if len(pending) >= 1000:
            app.save_all(pending, extra=extra, on=START)
            pending, extra = [], []
    if pending:
        app.save_all(pending, extra=extra, on=START)
    return unpaid


def _times(get: Any, urls: list[str], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        for u in urls:
            t0 = time.perf_counter()
            r = get(u)
            out.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                raise RuntimeError(f"{u}: HTTP {r.status_code}")
    return out


def _p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(0.95 * len(xs)))]


def bench_web_pages(size: dict[str, int]) -> list[Result]:
    import re

    from fastapi.testclient import TestClient

    from adapters.web import accounts
    from adapters.web.app import WebSettings, create_app
    from application import daily_run

    n = size["daily_tenancies"]
    day = date(START.year, START.month + 2, 3)
    with tempfile.TemporaryDirectory() as tmp:
        app = new_app(f"{tmp}/web.db", day)
        t0 = time.perf_counter()
        unpaid = _seed(app, n)
        daily_run.run(app, day)
        accounts.add_user(app.store, "olaf", "officer", "bench password", on=day)
        setup_s = time.perf_counter() - t0
        tasks = len(app.store.worklist_rows(until=day, limit=10**7))
        client = TestClient(create_app(app, WebSettings(secret_key="b" * 48)), base_url="https://bench")
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        client.post("/login", data={"csrf": token.group(1) if token else "", "name": "olaf",
                                    "password": "bench password"})
        repeat = 3
        baseline = _times(client.get, ["/login"] * 10, repeat)
        worklist = _times(client.get, ["/worklist", "/worklist?track=prevention", "/worklist?page=2"], repeat * 3)
        sample = unpaid[:: max(1, len(unpaid) // 10)][:10]
        tenancy = _times(client.get, [f"/tenancy/{ref}" for ref in sample], repeat)
        app.close()
    base = statistics.median(baseline)
    out = []
    for name, xs in (("web_worklist_page", worklist), ("web_tenancy_page", tenancy)):
        med, p95 = statistics.median(xs), _p95(xs)
        out.append(Result(name, round(med, 1), "ms (median)", round(base, 1), "sign-in page, same stack",
                          round(base / med, 3) if med else None, f"p95 <= {TARGET_MS:.0f} ms", p95 <= TARGET_MS,
                          notes={"p95_ms": round(p95, 1), "requests": len(xs), "tenancies": n,
                                 "open_cases": len(unpaid), "open_tasks_due": tasks,
                                 "setup_s": round(setup_s, 1)}))
    return out
