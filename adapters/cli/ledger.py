"""``vangnet ledger``: CSV ledger import, CAMT.053 bank statements, suspense."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from adapters.cli.common import Runtime, echo_json, fail, guarded, pass_runtime
from domain.values import SYSTEM, format_cents

SOURCE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


@click.group()
def ledger() -> None:
    """Import charges and payments (ERP CSV, CAMT.053 bank statements)."""


def _today(rt: Runtime) -> date:
    return rt.app.today()


@ledger.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--source", required=True, help="name of the exporting system; with the transaction id, the idempotency key")
@click.option("--encoding", type=click.Choice(["utf-8", "cp1252"]), default="utf-8", show_default=True)
@click.option("--dry-run", is_flag=True, help="validate against the format and the store; write nothing")
@click.option("--skip-invalid", is_flag=True, help="import the valid rows; write the rejected ones to FILE.rejects.csv")
@click.option("--json", "as_json", is_flag=True)
@click.option("--quiet", is_flag=True)
@pass_runtime
@guarded
def ledger_import(rt: Runtime, file: str, source: str, encoding: str, dry_run: bool, skip_invalid: bool,
                  as_json: bool, quiet: bool) -> None:
    """Import a ledger CSV: all or nothing; re-importing is a no-op."""
    from adapters.csv_ledger.parser import parse_ledger_csv
    from application.ledger_types import ImportRefused

    if not SOURCE.match(source):
        fail(f"source: {source!r} must be 1-32 letters, digits, '.', '_' or '-'")
    try:
        data = Path(file).read_bytes()
    except OSError as e:
        fail(f"file: {file!r}: {e.strerror}")
    show_progress = not quiet and not as_json and sys.stderr.isatty() and len(data) > 1_000_000
    lines, errors, rows_read = parse_ledger_csv(data, encoding=encoding, today=_today(rt))
    actor = rt.actor
    try:
        if show_progress:  # a terminal and a large file: a progress bar on stderr
            with click.progressbar(length=len(lines), label="checking and importing", file=sys.stderr) as bar:
                report = rt.app.import_ledger(actor, lines, source=source, dry_run=dry_run,
                                              skip_invalid=skip_invalid, rows_read=rows_read,
                                              prior_errors=errors, progress=bar.update,
                                              on_chunk=_chunk_line)
        else:
            report = rt.app.import_ledger(actor, lines, source=source, dry_run=dry_run, skip_invalid=skip_invalid,
                                          rows_read=rows_read, prior_errors=errors)
    except ImportRefused as e:
        if as_json:
            echo_json({"refused": True, "errors": [x.as_dict() for x in e.errors], "imported_total": 0})
        else:
            for err in e.errors:
                click.echo(f"error: {err}", err=True)
            click.echo(f"error: {len(e.errors)} error(s) in {file}; nothing imported", err=True)
        sys.exit(2)
    if skip_invalid and report.rejected:
        _write_rejects(Path(file), data, encoding, report.rejected)
    if as_json:
        echo_json(report.as_dict())
    elif not quiet:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(report.imported.items())) or "none"
        verb = "would import" if dry_run else "imported"
        click.echo(f"{file}: {report.rows_read} rows read; {verb}: {kinds}; skipped (already imported): "
                   f"{report.skipped}; rejected: {len(report.rejected)}")
        if report.rows_read and report.skipped == report.rows_read:
            click.echo("nothing new: every row was imported before")


def _chunk_line(written: int, total: int) -> None:
    if total > 1:  # a large import is committed in steps; each step is durable
        click.echo(f"  committed chunk {written} of {total}", err=True)


def _write_rejects(path: Path, data: bytes, encoding: str, rejected: list[Any]) -> None:
    text = data.decode("utf-8-sig" if encoding == "utf-8" else "cp1252", errors="replace")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    by_line: dict[int, list[str]] = {}
    for e in rejected:
        by_line.setdefault(e.line, []).append(f"{e.column}: {e.reason}")
    out = path.with_name(path.name + ".rejects.csv")
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=";")
        if rows:
            w.writerow([*rows[0], "reason"])
        iban_col = rows[0].index("counterparty_iban") if rows and "counterparty_iban" in rows[0] else None
        for n, reasons in sorted(by_line.items()):
            row = list(rows[n - 1]) if 0 < n <= len(rows) else []
            if iban_col is not None and iban_col < len(row) and row[iban_col]:
                v = row[iban_col].replace(" ", "")
                row[iban_col] = v[:4] + "*" * max(len(v) - 6, 0) + v[-2:]  # personal data: masked
            w.writerow([*row, "; ".join(reasons)])
    os.replace(tmp, out)
    click.echo(f"rejected rows written to {out}", err=True)


class _StoreCamtLookup:
    def __init__(self, app: Any, source: str):
        self.app = app
        self.source = source
        self.pending: dict[str, str] = {}  # payments of earlier statements in the same file

    def _tx(self, tx_id: str) -> Any:
        if tx_id in self.pending:
            from domain.tenancy import tenancy_id_for

            return tenancy_id_for(self.pending[tx_id])
        for src in (self.source, "bank", "erp"):
            tid = self.app.store.transaction_tenancy(src, tx_id)
            if tid is not None:
                return tid
        return None

    def tenancy_by_end_to_end_id(self, e2e: str) -> str | None:
        tid = self._tx(e2e)
        return self.app.get_tenancy_by_id(tid).ref if tid else None

    def tenancy_by_mandate(self, mandate_id: str) -> str | None:
        ref = mandate_id.removeprefix("MANDATE-").removeprefix("M-")
        return ref if self.app.tenancy_exists(ref) else None

    def tenancy_by_reference(self, structured_ref: str) -> str | None:
        return structured_ref if self.app.tenancy_exists(structured_ref) else None

    def payment_by_end_to_end_id(self, e2e: str) -> tuple[str, str] | None:
        tid = self._tx(e2e)
        return (self.app.get_tenancy_by_id(tid).ref, e2e) if tid else None


@ledger.command("import-camt")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--source", default="bank", show_default=True)
@click.option("--pattern", default=None, help=r"regex with a (?P<ref>...) group for unstructured remittance")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def ledger_import_camt(rt: Runtime, file: str, source: str, pattern: str | None, as_json: bool) -> None:
    """Import a CAMT.053 statement: booked entries only, balance checked, unmatched to suspense."""
    from adapters.camt.matching import match_items
    from adapters.camt.parser import CamtError, check_continuity, parse_camt053_statements
    from application.store import Upsert

    try:
        data = Path(file).read_bytes()
    except OSError as e:
        fail(f"file: {file!r}: {e.strerror}")
    try:
        statements = parse_camt053_statements(data)
    except CamtError as e:
        fail(f"{file}: {e}")
    app = rt.app
    pattern = pattern or (app_sections(rt).get("ledger", {}).get("camt_pattern"))
    total: dict[str, Any] = {"statements": [], "imported": {}, "skipped": 0, "suspense": 0, "ignored": 0}
    # every check first, then one transaction for all statements of the file
    prev = json.loads(app.store.get_meta("camt_last") or "null")
    for st in statements:
        if prev and prev.get("id") != st.id:
            errs = check_continuity(prev["closing_cents"], prev.get("seq"), st)
            if errs:
                fail(f"{file}: statement {st.id} does not follow on: {'; '.join(errs)}")
        prev = {"id": st.id, "seq": st.sequence, "closing_cents": st.closing_cents}
    lookup = _StoreCamtLookup(app, source)
    lines: list[Any] = []
    ops: list[Any] = []
    for st in statements:
        result = match_items(st, lookup=lookup, today=app.today(), pattern=re.compile(pattern) if pattern else None)
        for ln in result.lines:
            if ln.kind.value == "PAYMENT":  # a later statement's return may refer to it
                lookup.pending[ln.transaction_id] = ln.tenancy_ref
        lines.extend(result.lines)
        ops.extend(Upsert("suspense", ("item_id",), {
            "item_id": f"{s.statement_id}/{s.entry_index}/{s.detail_index}", "statement_id": s.statement_id,
            "booked_on": s.booking_date.isoformat() if s.booking_date else None, "cents": s.cents,
            "credit_debit": s.credit_debit, "reason": s.reason,
            "refs": json.dumps({k: v for k, v in s.as_dict().items() if k.endswith(("_id", "_ref"))}, default=str),
            "status": "open", "assigned_ref": None, "assigned_by": None}) for s in result.suspense)
        total["statements"].append(st.id)
        total["suspense"] += len(result.suspense)
        total["ignored"] += result.ignored
    ops.append(Upsert("meta", ("key",), {"key": "camt_last", "value": json.dumps(prev)}))
    report = app.import_ledger(rt.actor, lines, source=source, extra=ops, _permission="import_ledger")
    total["imported"] = dict(sorted(report.imported.items()))
    total["skipped"] = report.skipped
    if as_json:
        echo_json(total)
    else:
        click.echo(f"{file}: statements {', '.join(total['statements'])}; imported {total['imported'] or 'none'}; "
                   f"skipped {total['skipped']}; to suspense {total['suspense']}; ignored {total['ignored']}")


def app_sections(rt: Runtime) -> dict[str, Any]:
    from application.policy import load_policy

    return load_policy(rt.policy or os.environ.get("VANGNET_POLICY") or None).sections


@ledger.command("suspense")
@click.option("--assign", nargs=2, metavar="ITEM_ID REF", default=None, help="assign a suspense item to a tenancy")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def ledger_suspense(rt: Runtime, assign: tuple[str, str] | None, as_json: bool) -> None:
    """List bank items that matched no tenancy; an officer assigns them (never a guess)."""
    from application.ledger_types import LedgerLine
    from application.store import Upsert
    from domain.values import LedgerKind

    app = rt.app
    rows = app.store._rows("SELECT * FROM suspense ORDER BY booked_on, item_id")
    if assign:
        item_id, ref = assign
        match = [r for r in rows if r["item_id"] == item_id]
        if not match:
            fail(f"item: {item_id!r} is not in suspense")
        r = match[0]
        if r["status"] != "open":
            fail(f"item: {item_id!r} was already assigned to {r['assigned_ref']}")
        if r["credit_debit"] != "CRDT":
            fail(f"item: {item_id!r} is a debit; only incoming payments can be assigned")
        app.access.check(rt.actor, "record_contact")
        line = LedgerLine(line=1, transaction_id=f"suspense/{item_id}"[:64].replace(" ", "_"), tenancy_ref=ref,
                          booking_date=date.fromisoformat(r["booked_on"]), kind=LedgerKind.PAYMENT, cents=r["cents"])
        app.import_ledger(SYSTEM, [line], source="suspense")
        app.store.apply([Upsert("suspense", ("item_id",), {**r, "status": "assigned", "assigned_ref": ref,
                                                           "assigned_by": str(rt.actor)})])
        click.echo(f"{item_id} assigned to {ref}")
        return
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("suspense is empty")
    for r in rows:
        click.echo(f"{r['item_id']}  {r['booked_on']}  {format_cents(r['cents']):>10}  {r['status']:<8} {r['reason']}")


COMMANDS = [ledger]
