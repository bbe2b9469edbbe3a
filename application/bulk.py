"""Bulk writes in bounded steps: a checked import is written in chunks under one import id.

A large import is validated whole first (nothing is written when any line is
refused). Then its tenancies are written in chunks of about ``CHUNK_EVENTS`` events,
each chunk one short transaction with its ledger rows and the import's progress
(``imports``: written chunks of total). No transaction, and so no table lock, lasts
the whole import; other writers get their turn between chunks.

The import id is derived from the source and the lines' content, so running the
same import again finds it: lines already written are skipped (same transaction
id, same content) and the rest is written. While an import is incomplete (a crash,
a lost connection), the daily run refuses to start and says which import to run
again: to the playbook an import is there whole or not at all.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from application.store import SideOp, Upsert

if TYPE_CHECKING:
    from application.service import Vangnet
    from domain.tenancy import Tenancy

CHUNK_EVENTS = 2000
CHUNK_ATTEMPTS = 5
# refs of a chunk's tenancies -> the tenancies read again with their lines applied, and
# their ledger rows by ref (application.service.Vangnet._write_import)
Rebuild = Callable[[Sequence[str]], tuple[list["Tenancy"], dict[str, list[SideOp]]]]


def import_id(source: str, content_hashes: Iterable[str]) -> str:
    h = hashlib.sha256(source.encode())
    ordered = sorted(content_hashes)
    if ordered:  # each hash after a NUL byte, in one update
        h.update(("\0" + "\0".join(ordered)).encode())
    return f"{source}-{h.hexdigest()[:16]}"


def plan_chunks(tenancies: Sequence[Tenancy], limit: int) -> list[list[Tenancy]]:
    """Whole tenancies (all their new events) per chunk, about ``limit`` events each."""
    chunks: list[list[Tenancy]] = []
    cur: list[Tenancy] = []
    n = 0
    for t in tenancies:
        k = len(t.pending_events)
        if cur and n + k > limit:
            chunks.append(cur)
            cur, n = [], 0
        cur.append(t)
        n += k
    if cur:
        chunks.append(cur)
    return chunks


def _progress_row(iid: str, source: str, status: str, total: int, written: int, started: str,
                  finished: str | None) -> Upsert:
    return Upsert("imports", ("import_id",), {
        "import_id": iid, "source": source, "digest": iid.rsplit("-", 1)[-1], "status": status, "total": total,
        "written": written, "started_at": started, "finished_at": finished})


def write_in_chunks(
    app: Vangnet,
    *,
    iid: str,
    source: str,
    tenancies: Sequence[Tenancy],
    tx_rows: dict[str, list[SideOp]],
    extra: Sequence[SideOp],
    on: date | None,
    chunk_events: int | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
    rebuild: Rebuild | None = None,
) -> int:
    """Write ``tenancies`` (with their ledger rows, keyed by tenancy ref) in chunks;
    ``extra`` goes with the last chunk, which also marks the import done. Returns
    the number of chunks written.

    A chunk refused because another writer changed one of its tenancies since they
    were read (a version conflict) is rebuilt with ``rebuild(refs)`` (the tenancies
    read again with the chunk's lines applied, and their ledger rows) and written
    again, up to ``CHUNK_ATTEMPTS`` times: an officer's payment during a long import
    costs one chunk a retry, not the import. Without ``rebuild``, for an import of one
    chunk (retried whole by the command), or when the conflict persists, the conflict
    is raised: from the first chunk nothing is written; after
    it, ``ConcurrencyConflict`` says how far the import got (running it again
    completes it)."""
    from eventsourcing.persistence import IntegrityError

    from application.service import ConcurrencyConflict

    chunks = plan_chunks(tenancies, chunk_events or CHUNK_EVENTS) or [[]]
    total = len(chunks)
    started = datetime.now(UTC).isoformat(timespec="seconds")  # a record of when, not a rule input
    for k, chunk in enumerate(chunks, start=1):
        last = k == total
        rows = tx_rows
        for attempt in range(1, CHUNK_ATTEMPTS + 1):
            ops: list[SideOp] = [op for t in chunk for op in rows.get(t.ref, [])]
            if last:
                ops.extend(extra)
            if total > 1:  # one chunk is one transaction: all or nothing without a progress record
                finished = datetime.now(UTC).isoformat(timespec="seconds") if last else None
                ops.append(_progress_row(iid, source, "done" if last else "writing", total, k, started, finished))
            try:
                app.save_all(chunk, extra=ops, on=on)
                break
            except IntegrityError:
                if rebuild is None or total == 1 or attempt == CHUNK_ATTEMPTS:  # one chunk: the command's retry
                    if k == 1:
                        raise
                    app.forget_cache()
                    raise ConcurrencyConflict(
                        f"the import stopped after {k - 1} of {total} chunks: another writer kept changing "
                        "the same tenancies; run the same import again to complete it") from None
                time.sleep(random.uniform(0, 0.01 * attempt))  # two colliding writers: not in lockstep
                chunk, rows = rebuild([t.ref for t in chunk])
        if on_chunk is not None:
            on_chunk(k, total)
    return total


def incomplete_imports(app: Vangnet) -> list[dict[str, Any]]:
    return app.store.incomplete_imports()
