"""verify: the hash chain, every aggregate's replay and invariants, the read models."""

from __future__ import annotations

from typing import Any

from application.audit.chain import _ChainCheck, check_seals
from application.audit.common import PAGE, _bulk, _check
from application.audit.eventlog import event_log
from application.audit.readmodels import _compare_read_models, expected_read_models
from application.audit.replay import _Replay
from application.audit.report import VerifyReport
from application.audit.silence import check_silent_cases


def verify(
    app: Any,
    actor: Any,
    *,
    anchor: tuple[int, str] | None = None,
    page: int = PAGE,
    limit: int = 1000,
) -> VerifyReport:
    """Check the whole store: the hash chain, every aggregate's replay and invariants,
    and every read-model row against one rebuilt from the events. ``anchor``:
    (position, hash) of the chain noted earlier elsewhere, which must still be there.
    At most ``limit`` discrepancies are listed (``omitted`` counts the rest).

    Run it when nothing writes (a daily run in between makes read models look stale)."""
    _check(app, actor, "audit")
    report = VerifyReport(limit=limit)
    log = event_log(app)
    chain = _ChainCheck(report, log.chain, log.chain_positions_dense) if log.has_chain else None
    redacted = _redaction_records(app)
    if chain is not None:
        chain.redacted = {k: v["state_sha256"] for k, v in redacted.items()}
    replay = _Replay(app, report)
    with _bulk():
        for rows in log.pages(page=page, with_chain=chain is not None):
            replay.scan(rows, chain)
            report.events += len(rows)
    if chain is not None:
        chain.tail(page)
        report.chain_entries = chain.matched + chain.extra
        if chain.head_pos is not None:
            head = chain.select_chain(chain.head_pos - 1, chain.head_pos)
            report.chain_head = {"position": chain.head_pos, "hash": head[0][1] if head else None}
        if anchor is not None:
            got = chain.select_chain(anchor[0] - 1, anchor[0])
            if not got or got[0][1] != anchor[1].lower():
                report.add(
                    "chain",
                    "anchor not matched: the chain's hash here is "
                    f"{got[0][1] if got else 'missing'}, the anchor says {anchor[1]}",
                    anchor[0],
                )
        select_seals = getattr(log.recorder, "select_seals", None)
        if select_seals is not None:
            report.seal = check_seals(report, select_seals(), chain.head_pos, getattr(app, "seal_key", None))
    else:
        report.add("chain", "this store keeps no hash chain (its recorder has no event_chain)")
    tenancies, cases, broken = replay.split()
    report.tenancies, report.cases = len(tenancies), len(cases)
    if chain is not None:
        report.redacted = chain.redactions
        _check_redactions(redacted, tenancies, report)
    replay.final_checks(tenancies, cases, broken)
    check_silent_cases(app, cases, report)
    expected = expected_read_models(app, tenancies, cases)
    _compare_read_models(app, expected, report, {str(b) for b in broken})
    return report


def _redaction_records(app: Any) -> dict[str, dict[str, Any]]:
    """The ``redactions`` side table (empty for a store without it)."""
    try:
        return {r["event_key"]: r for r in app.store.read_model_rows("redactions")}
    except Exception:  # noqa: BLE001 - a store or recorder without the table
        return {}


def _check_redactions(records: dict[str, dict[str, Any]], tenancies: dict[Any, Any], report: VerifyReport) -> None:
    """Every redaction record must be named, with the same state hash, by a
    ``FreeTextRedacted`` event of its tenancy in the chain: a record written into the
    side table alone (to pass off an edit as a redaction) is reported."""
    import uuid

    from application.redaction import event_key

    by_id = {str(k): t for k, t in tenancies.items()}
    for key, r in sorted(records.items()):
        t = by_id.get(str(uuid.UUID(r["tenancy_id"])))
        named = {(event_key(e["aggregate"], e["version"]), e["state_sha256"])
                 for e in getattr(t, "redactions", [])} if t is not None else set()
        if (key, r["state_sha256"]) not in named:
            report.add("chain", f"redaction record {key} is not in the hash chain (no FreeTextRedacted event of "
                       "its tenancy names it): the event it covers counts as edited")


def seal_head(app: Any, actor: Any) -> VerifyReport:
    """Seal the head of a store that carries the old unkeyed chain (or whose last
    writes were made without the key), after verifying it: the seal vouches only for a
    chain that verify found whole. Returns the verify report; seals nothing if it found
    anything other than the missing seal."""
    from application.audit.chain import seal_mac
    from application.audit.common import AuditError
    from application.store import Upsert

    _check(app, actor, "audit")
    key = getattr(app, "seal_key", None)
    if key is None:
        raise AuditError("seal_key: VANGNET_SEAL_KEY (or VANGNET_SEAL_KEY_FILE) is not set")
    report = verify(app, actor)
    other = [d for d in report.discrepancies if "keyed seal" not in d.message]
    if other or report.omitted or report.chain_head is None:
        return report
    pos, head = report.chain_head["position"], report.chain_head["hash"]
    app.store.apply([Upsert("chain_seals", ("position",), {"position": pos, "mac": seal_mac(key, pos, head)})])
    return verify(app, actor)
