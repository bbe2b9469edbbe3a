"""``vangnet audit``: as-of rebuilds, export/import, verification and the court dossier.

Time basis of ``--as-of``: the moment Vangnet *recorded* each event (its stored
timestamp), so an as-of view shows what Vangnet knew then. A time without an offset
is Dutch local time (Europe/Amsterdam); a plain date is the end of that day.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from adapters.cli.common import Runtime, echo_json, fail, guarded, pass_runtime


def _audit_errors(fn: Any) -> Any:
    """``AuditError`` as one clear line (exit 2), like the other command errors."""
    from functools import update_wrapper

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from application.audit import AuditError

        try:
            return fn(*args, **kwargs)
        except AuditError as e:
            fail(str(e))

    return update_wrapper(wrapper, fn)


@click.group()
def audit() -> None:
    """Auditors: state as of an instant, export, import, verify, court dossier."""


def _print_events(events: list[dict[str, Any]]) -> None:
    for e in events:
        kind = e["type"].rsplit(":", 1)[-1]
        click.echo(f"  v{e['version']:<4} {e['timestamp']}  {kind}")


AS_OF = click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="INSTANT",
    help="2026-03-01T12:00 (Dutch time), ...Z, or a date (end of day); default now",
)


@audit.command("case")
@click.argument("case_id")
@AS_OF
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
@_audit_errors
def audit_case(rt: Runtime, case_id: str, as_of: str | None, as_json: bool) -> None:
    """Case CASE_ID rebuilt from the events recorded up to --as-of, with those events."""
    from datetime import UTC, datetime

    from application.audit import case_as_of

    view = case_as_of(rt.app, rt.actor, case_id, as_of or datetime.now(UTC))
    if as_json:
        echo_json(view)
        return
    s = view["state"]
    click.echo(
        f"case {view['id']} as of {view['as_of']} (recorded time): version {view['version']}, "
        f"tenancy {s['tenancy_ref']} version {view['tenancy_version']}"
    )
    click.echo(
        f"  track {s['track']}  {s['status']}  opened {s['opened_on']} (due {s['due_date']})  "
        f"arrears {s['arrears']}"
    )
    click.echo(
        f"  contacts {len(s['contacts'])}  letters {', '.join(s['letters']) or '-'}  "
        f"signal {s['signal']['on'] if s['signal'] else '-'}"
    )
    click.echo(f"events ({len(view['events'])}):")
    _print_events(view["events"])


@audit.command("tenancy")
@click.argument("ref")
@AS_OF
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
@_audit_errors
def audit_tenancy(rt: Runtime, ref: str, as_of: str | None, as_json: bool) -> None:
    """Tenancy REF rebuilt from the events recorded up to --as-of, with those events."""
    from datetime import UTC, datetime

    from application.audit import tenancy_as_of

    view = tenancy_as_of(rt.app, rt.actor, ref, as_of or datetime.now(UTC))
    if as_json:
        echo_json(view)
        return
    s = view["state"]
    click.echo(
        f"tenancy {s['ref']} as of {view['as_of']} (recorded time): version {view['version']}"
    )
    click.echo(
        f"  balance {s['balance']} (charged {s['charged']}, paid {s['paid']}, reversed "
        f"{s['reversed']}, credited {s['credited']}, collection costs {s.get('collection_costs', '0.00')})  open case {s['open_case_id'] or '-'}"
    )
    click.echo(f"events ({len(view['events'])}):")
    _print_events(view["events"])


@audit.command("export")
@click.option(
    "--since",
    type=click.IntRange(min=0),
    default=None,
    metavar="POSITION",
    help="only events after this position (the last one of a previous export)",
)
@click.option(
    "--tenancy", "tenancy_ref", default=None, metavar="REF", help="only REF and its cases"
)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--out", "out_path", default=None, metavar="FILE", help="default: standard output")
@pass_runtime
@guarded
@_audit_errors
def audit_export(
    rt: Runtime, since: int | None, tenancy_ref: str | None, fmt: str, out_path: str | None
) -> None:
    """Every event: position, aggregate id, version, type, timestamp, payload, stored state.

    Streams page by page (constant memory). Events hold no personal data."""
    from application.audit import export_events

    app, actor = rt.app, rt.actor
    if out_path is None:
        n = export_events(app, actor, sys.stdout.buffer, fmt=fmt, since=since, tenancy=tenancy_ref)
        sys.stdout.flush()
        click.echo(f"exported {n} events", err=True)
        return
    target = Path(out_path)
    partial = target.with_name(target.name + ".partial")
    try:
        with open(partial, "wb") as f:
            n = export_events(app, actor, f, fmt=fmt, since=since, tenancy=tenancy_ref)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"exported {n} events to {out_path}")


@audit.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default=None,
    help="default: seen from the file",
)
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
@_audit_errors
def audit_import(rt: Runtime, file: str, fmt: str | None, as_json: bool) -> None:
    """Put an export into this EMPTY store, then rebuild the read models. Not a
    migration: the contact directory, sealing keys, ledger index, suspense and outbox
    are not part of an export (``vangnet store copy`` moves a whole store)."""
    from application.audit import import_events, read_export

    with open(file, "rb") as f:
        summary = import_events(rt.app, rt.actor, read_export(f, fmt))
    if as_json:
        echo_json({**summary.as_dict(), "not_carried": NOT_CARRIED})
        return
    click.echo(
        f"imported {summary.events} events of {summary.aggregates} aggregates; read models: "
        + ", ".join(f"{k} {v}" for k, v in summary.read_models.items())
    )
    click.echo(f"not carried: {', '.join(NOT_CARRIED)} (an export is the auditor's record, not a migration: "
               "intake answers show as erased without the keys); to move a store use vangnet store copy")


NOT_CARRIED = ["contact directory", "sealing keys", "ledger index", "suspense", "outbox"]


def _anchor(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    pos, sep, digest = value.partition(":")
    if not sep or not pos.isdigit() or len(digest) != 64:
        raise click.BadParameter(
            f"{value!r} is not POSITION:HASH (64 hex digits)", param_hint="--anchor"
        )
    return int(pos), digest


@audit.command("verify")
@click.option(
    "--anchor",
    default=None,
    metavar="POSITION:HASH",
    help="a chain head noted earlier (printed by verify), which must still be there",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=1000, help="discrepancies listed at most"
)
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
@_audit_errors
def audit_verify(rt: Runtime, anchor: str | None, limit: int, as_json: bool) -> None:
    """Check the hash chain, replay every aggregate with its invariants, and compare
    every read-model row with one rebuilt from the events. Exit 1 on any discrepancy."""
    from application.audit import verify

    report = verify(rt.app, rt.actor, anchor=_anchor(anchor), limit=limit)
    if as_json:
        echo_json(report.as_dict())
    else:
        head = report.chain_head
        click.echo(
            f"{report.events} events, {report.tenancies} tenancies, {report.cases} cases; "
            f"chain {report.chain_entries} entries"
            + (f", head {head['position']}:{head['hash']}" if head else "")
        )
        if report.seal:
            click.echo(f"seal: {report.seal}")
        if report.redacted:
            click.echo(f"redacted: {report.redacted} events whose plain free text was erased, each recorded in the "
                       "chain (FreeTextRedacted)")
        for d in report.discrepancies:
            click.echo(str(d))
        if report.omitted:
            click.echo(f"... and {report.omitted} more discrepancies")
        if report.first_tampered_position is not None:
            click.echo(f"first tampered position: {report.first_tampered_position}")
        click.echo(
            "verify: OK"
            if report.ok
            else f"verify: FAILED ({len(report.discrepancies) + report.omitted} discrepancies)"
        )
    if not report.ok:
        sys.exit(1)


@audit.command("seal")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
@_audit_errors
def audit_seal(rt: Runtime, as_json: bool) -> None:
    """Seal the verified chain head with the seal key (VANGNET_SEAL_KEY or
    VANGNET_SEAL_KEY_FILE): once for a store written before sealing or without the
    key. Seals nothing when verify finds anything else. Exit 1 then."""
    from application.audit import seal_head

    report = seal_head(rt.app, rt.actor)
    if as_json:
        echo_json(report.as_dict())
    else:
        for d in report.discrepancies:
            click.echo(str(d))
        click.echo(f"seal: {report.seal}" if report.ok else "seal: NOT sealed: verify found discrepancies")
    if not report.ok:
        sys.exit(1)


@audit.command("rebuild-read-models")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
@_audit_errors
def audit_rebuild(rt: Runtime, as_json: bool) -> None:
    """Replace every read-model row by one rebuilt from the events (open cases keep
    their next check). Run it while nothing else writes."""
    from application.audit import rebuild_read_models

    counts = rebuild_read_models(rt.app, rt.actor)
    if as_json:
        echo_json(counts)
        return
    click.echo("read models rebuilt: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@audit.command("dossier")
@click.argument("case_id")
@click.option("--out", "out_path", required=True, metavar="FILE.html|FILE.pdf")
@pass_runtime
@guarded
@_audit_errors
def audit_dossier(rt: Runtime, case_id: str, out_path: str) -> None:
    """The court dossier of CASE_ID (HTML, or PDF when FILE ends in .pdf): tenancy,
    arrears per period, every contact attempt, letters, referrals, signal,
    arrangements and every automated step with its rule and inputs."""
    from adapters.audit import render_html, render_pdf
    from application.audit import dossier

    data = dossier(rt.app, rt.actor, case_id)
    target = Path(out_path)
    if target.suffix.lower() == ".pdf":
        target.write_bytes(render_pdf(data))
    elif target.suffix.lower() in (".html", ".htm"):
        target.write_text(render_html(data), encoding="utf-8")
    else:
        fail(f"out: {out_path!r} must end in .html or .pdf")
    click.echo(f"dossier of case {data['case']['case_id']} written to {out_path}")


COMMANDS = [audit]
