"""The ledger import on PostgreSQL at scale (200,000 rows at ``--size full``):
written in chunks (application.bulk), against psycopg executemany of the same rows
into a plain table in the same run."""

from __future__ import annotations

import csv
import io
import os
import time
from datetime import date
from typing import Any

from adapters.csv_ledger.parser import parse_ledger_csv
from benchmarks.core import (
    ADMIN,
    PG_ADMIN,
    Result,
    ledger_csv,
    new_app,
    postgres_available,
    ratio_result,
    seed_tenancies,
    timed,
)


def bench_pg_import(size: dict[str, int]) -> list[Result]:
    n = 2 * size["import_rows"]  # full: 200,000 rows (100,000 tenancies, a charge and a payment each)
    if not postgres_available():
        return [Result("pg_ledger_import", 0.0, "rows/s", None, "psycopg executemany", None, ">= 0.05x", None,
                       notes={"skipped": "no PostgreSQL server answers at " + PG_ADMIN})]
    import psycopg

    dbname = f"vangnet_bench_import_{os.getpid()}"
    base_url = PG_ADMIN.rsplit("/", 1)[0]
    with psycopg.connect(PG_ADMIN, autocommit=True) as adm:
        adm.execute(f"DROP DATABASE IF EXISTS {dbname}")
        adm.execute(f"CREATE DATABASE {dbname}")
    chunks: list[int] = []
    try:
        data = ledger_csv(n)
        app = new_app(f"{base_url}/{dbname}", date(2026, 3, 1))
        try:
            seed_tenancies(app, n // 2, batch=2000)

            def run() -> Any:
                lines, errors, rows_read = parse_ledger_csv(data, today=date(2026, 3, 1))
                assert not errors, errors[:3]
                return app.import_ledger(ADMIN, lines, source="erp", rows_read=rows_read,
                                         on_chunk=lambda k, total: chunks.append(total))

            secs, report = timed(run)
            assert sum(report.imported.values()) == n, report
            assert app.store.incomplete_imports() == []
        finally:
            app.close()
        reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=";")
        next(reader)
        rows = list(reader)
        with psycopg.connect(f"{base_url}/{dbname}") as con:
            con.execute("CREATE TABLE raw_ledger (transaction_id TEXT, tenancy_id TEXT, booking_date TEXT, "
                        "kind TEXT, amount TEXT, period TEXT, description TEXT, counterparty_iban TEXT, "
                        "reason_code TEXT, reverses_transaction_id TEXT)")
            con.commit()
            t0 = time.perf_counter()
            with con.cursor() as cur:
                cur.executemany("INSERT INTO raw_ledger VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", rows)
            con.commit()
            raw_secs = time.perf_counter() - t0
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as adm:
            adm.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
    return [ratio_result("pg_ledger_import", n / secs, "rows/s", len(rows) / raw_secs,
                         "psycopg executemany into a plain table", 0.05, rows=n, seconds=round(secs, 1),
                         chunks=chunks[-1] if chunks else 0)]
