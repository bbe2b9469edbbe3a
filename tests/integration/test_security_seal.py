"""The keyed seal: a payment edited behind Vangnet's back, with the hash chain
recomputed and the read models rebuilt, passes the unkeyed chain but not the seal
(HMAC with a key kept outside the store). Old stores say they carry the unkeyed chain."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from click.testing import CliRunner

from adapters.bootstrap import ConfigError, build
from adapters.cli.main import cli
from adapters.memory import RecordingLetters, RecordingSignals, RecordingSms, RecordingTelephony
from application import audit
from application.audit.chain import SEAL_NONE
from application.service import Vangnet
from tests.conftest import Backend
from tests.story import ADMIN, AUDITOR, charge, pay, run, tenant

KEY = "k" * 32


def open_store(backend: Backend, key: str | None) -> Vangnet:
    app = build(attrs.evolve(backend.settings, seal_key=key), clock=backend.clock, telephony=RecordingTelephony(),
                sms=RecordingSms(), letters=RecordingLetters(), signals=RecordingSignals())
    backend.apps.append(app)
    return app


def story(app: Vangnet) -> None:
    for ref in ("T1", "T2"):
        tenant(app, ref)
    for ref in ("T1", "T2"):
        charge(app, ref, "2026-02")
    pay(app, "T1", "2026-02-03", tx="T1-feb")
    pay(app, "T2", "2026-02-04", tx="T2-feb")
    run(app, "2026-02-05", "2026-02-08")


def sql(app: Vangnet, statement: str, params: tuple[Any, ...] = ()) -> None:
    """An UPDATE behind the application's back (the tamperer's view)."""
    rec = app.recorder
    if "Postgres" in type(rec).__name__:
        with rec.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement.replace("?", "%s"), params)
        return
    with rec.datastore.transaction(commit=True) as c:
        c.execute(statement, params)


def forge_payment(app: Vangnet) -> int:
    """The attack: halve a payment in the stored event, recompute the whole hash chain
    (the algorithm is public), rebuild the read models. Returns the edited position."""
    rows = app.recorder.select_event_rows(0, 100_000, with_chain=False)  # type: ignore[attr-defined]
    table, pos_col = ("vangnet_events", "notification_id") if "Postgres" in type(app.recorder).__name__ \
        else ("stored_events", "rowid")
    k = next(r[0] for r in rows if r[3].endswith("Tenancy.PaymentReceived"))
    state = bytes(next(r[4] for r in rows if r[0] == k))
    assert b'"cents":65000' in state
    sql(app, f"UPDATE {table} SET state = ? WHERE {pos_col} = ?", (state.replace(b'"cents":65000', b'"cents":32500'), k))
    prev = audit.GENESIS
    for pos, oid, ver, topic, st, _ in app.recorder.select_event_rows(0, 100_000, with_chain=False):  # type: ignore[attr-defined]
        prev = audit.chain_hash(prev, pos, oid, ver, topic, bytes(st) if not isinstance(st, str) else st.encode())
        sql(app, "UPDATE event_chain SET hash = ? WHERE position = ?", (prev, pos))
    app.forget_cache()
    audit.rebuild_read_models(app, ADMIN)
    return k


def test_a_recomputed_chain_passes_without_a_key_which_verify_says(backend: Backend) -> None:
    app = open_store(backend, None)
    story(app)
    forge_payment(app)
    report = audit.verify(app, AUDITOR)
    assert report.ok  # the unkeyed chain cannot tell: only an anchor kept elsewhere could
    assert report.seal == SEAL_NONE


def test_a_recomputed_chain_is_reported_by_the_keyed_seal(backend: Backend) -> None:
    app = open_store(backend, KEY)
    story(app)
    clean = audit.verify(app, AUDITOR)
    assert clean.ok, [str(x) for x in clean.discrepancies]
    assert clean.seal is not None and clean.seal.startswith("keyed:")
    k = forge_payment(app)
    report = audit.verify(app, AUDITOR)
    assert not report.ok
    seal_problems = [x for x in report.discrepancies if "keyed seal does not match" in x.message]
    assert seal_problems and all(x.position is not None and x.position >= k for x in seal_problems)
    assert "not matching" in (report.seal or "")


def test_events_written_without_the_key_are_not_covered(backend: Backend) -> None:
    app = open_store(backend, KEY)
    story(app)
    app.recorder.seal_key = None  # type: ignore[attr-defined]  # a writer that bypasses the key
    pay(app, "T1", "2026-02-09", cents=100, tx="T1-extra")
    report = audit.verify(app, AUDITOR)
    assert any("not covered by the keyed seal" in x.message for x in report.discrepancies)


def test_an_old_unkeyed_store_says_so_and_is_sealed_once_verified(backend: Backend) -> None:
    old = open_store(backend, None)
    story(old)
    assert audit.verify(old, AUDITOR).seal == SEAL_NONE
    app = open_store(backend, KEY)
    report = audit.verify(app, AUDITOR)
    assert not report.ok and "old unkeyed chain" in str(report.discrepancies[0])
    sealed = audit.seal_head(app, AUDITOR)
    assert sealed.ok, [str(x) for x in sealed.discrepancies]
    pay(app, "T2", "2026-02-09", cents=100, tx="T2-extra")
    assert audit.verify(app, AUDITOR).ok
    with pytest.raises(ConfigError, match="this store is sealed"):
        open_store(backend, None)
    with pytest.raises(ConfigError, match="not the key this store was sealed with"):
        open_store(backend, "x" * 32)


def test_cli_verify_prints_the_seal_and_seal_needs_a_key(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VANGNET_DB", str(tmp_path / "v.db"))
    monkeypatch.delenv("VANGNET_SEAL_KEY", raising=False)
    monkeypatch.delenv("VANGNET_ACTOR", raising=False)
    r = CliRunner().invoke(cli, ["tenancy", "start", "T1", "--rent", "650.00", "--start", "2026-01-01"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["audit", "verify"])
    assert r.exit_code == 0 and "seal: none" in r.output
    r = CliRunner().invoke(cli, ["audit", "seal"])
    assert r.exit_code == 2 and "VANGNET_SEAL_KEY" in r.output
    keyfile = tmp_path / "seal.key"
    keyfile.write_text(KEY + "\n")
    monkeypatch.setenv("VANGNET_SEAL_KEY_FILE", str(keyfile))
    assert CliRunner().invoke(cli, ["audit", "verify"]).exit_code == 1
    r = CliRunner().invoke(cli, ["audit", "seal"])
    assert r.exit_code == 0 and "seal: keyed" in r.output, r.output
    r = CliRunner().invoke(cli, ["audit", "verify"])
    assert r.exit_code == 0 and "seal: keyed: 1 seals" in r.output, r.output
