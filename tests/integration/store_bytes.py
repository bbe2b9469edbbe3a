"""Every byte a store holds, to prove that a text is nowhere in it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def store_bytes(backend: Any) -> bytes:
    """SQLite file: the database file and its journals, byte for byte. Shared in-memory
    SQLite: the serialized database. PostgreSQL: every row of every table as text."""
    if backend.name == "sqlite":
        out = b""
        for suffix in ("", "-wal", "-journal", "-shm"):
            p = Path(backend.db + suffix)
            if p.exists():
                out += p.read_bytes()
        return out
    if backend.name == "memory":
        con = sqlite3.connect(backend.db, uri=True)
        try:
            return con.serialize()
        finally:
            con.close()
    import psycopg

    with psycopg.connect(backend.db, autocommit=True) as con:
        tables = [r[0] for r in con.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        chunks = []
        for t in tables:
            for (row,) in con.execute(f'SELECT x::text FROM "{t}" x'):
                chunks.append(row)
            # bytea columns render as hex in ::text: decode them too
            cols = con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND data_type = 'bytea'",
                (t,),
            ).fetchall()
            for (col,) in cols:
                for (value,) in con.execute(f'SELECT "{col}" FROM "{t}"'):
                    if value is not None:
                        chunks.append(bytes(value).decode("utf-8", "replace"))
        return "\n".join(chunks).encode()
