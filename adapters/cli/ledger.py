"""``vangnet ledger``: CSV ledger import, CAMT.053 bank statements, suspense."""

from __future__ import annotations

import csv
import io
import os
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import click

from adapters.cli.common import Runtime, echo_json, fail, guarded, parse_money, pass_runtime
from application.csv_safe import safe_row
from domain.values import InvalidValue, format_cents

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
            fail(None)
        fail(f"{len(e.errors)} error(s) in {file}; nothing imported", details=e.errors)
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
            w.writerow(safe_row([*rows[0], "reason"]))
        iban_col = rows[0].index("counterparty_iban") if rows and "counterparty_iban" in rows[0] else None
        for n, reasons in sorted(by_line.items()):
            row = list(rows[n - 1]) if 0 < n <= len(rows) else []
            if iban_col is not None and iban_col < len(row) and row[iban_col]:
                v = row[iban_col].replace(" ", "")
                row[iban_col] = v[:4] + "*" * max(len(v) - 6, 0) + v[-2:]  # personal data: masked
            w.writerow(safe_row([*row, "; ".join(reasons)]))
    os.replace(tmp, out)
    click.echo(f"rejected rows written to {out}", err=True)


def _camt_refused(file: str, message: str, as_json: bool, code: int = 2) -> NoReturn:
    """A whole file refused: one line (or one JSON object), exit 2, nothing written."""
    if as_json:
        echo_json({"refused": True, "file": file, "error": message, "imported_total": 0})
        fail(None, code)
    fail(f"{file}: {message}", code)


@ledger.command("import-camt")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--source", default="bank", show_default=True)
@click.option("--pattern", default=None, help=r"regex with a (?P<ref>...) group for unstructured remittance")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def ledger_import_camt(rt: Runtime, file: str, source: str, pattern: str | None, as_json: bool) -> None:
    """Import a camt.053 file (.001.02 to .001.13; any number of statements and accounts).

    Booked entries only, balances and continuity per account checked, all in one
    transaction; what matches no tenancy goes to suspense. Re-importing is a no-op."""
    from adapters.camt.parser import CamtError, parse_camt053_statements
    from adapters.camt.reader import CamtReader
    from application.access import AccessDenied
    from application.bank import BankBook, BankRefused
    from application.service import ConcurrencyConflict

    if not SOURCE.match(source):
        _camt_refused(file, f"source: {source!r} must be 1-32 letters, digits, '.', '_' or '-'", as_json)
    from domain.validation import check_regex

    settings = app_sections(rt).get("ledger", {})
    field = "pattern" if pattern else "ledger.camt_pattern"
    pattern = pattern or settings.get("camt_pattern")
    try:
        if pattern is not None:
            check_regex(pattern, field)  # the shared validation layer: one line naming the field
    except InvalidValue as e:
        _camt_refused(file, str(e), as_json)
    try:
        data = Path(file).read_bytes()
    except OSError as e:
        _camt_refused(file, f"file: {e.strerror}", as_json)
    try:
        reader = CamtReader(pattern, settings.get("camt_accounts"))  # typed by the policy loader
    except re.error as e:
        _camt_refused(file, f"pattern: {pattern!r} is not a regular expression ({e})", as_json)
    try:
        statements = parse_camt053_statements(data)
        report = BankBook(rt.app).import_statements(rt.actor, statements, reader, source=source)
    except (CamtError, BankRefused, ConcurrencyConflict) as e:
        _camt_refused(file, str(e), as_json)
    except AccessDenied as e:
        if not as_json:
            raise
        _camt_refused(file, f"access denied: {e}", as_json, 3)
    if as_json:
        echo_json(report.as_dict())
        return
    click.echo(f"{file}: statements {', '.join(report.statements)}; imported "
               f"{', '.join(f'{k} {v}' for k, v in sorted(report.imported.items())) or 'none'}; "
               f"already booked {report.already_booked}; to suspense {report.suspense}; "
               f"still in suspense {report.already_in_suspense}; ignored {report.ignored}")
    if report.suggestions:
        click.echo(f"{report.suggestions} suspense item(s) now match a tenancy: see `vangnet ledger suspense`")


def app_sections(rt: Runtime) -> dict[str, Any]:
    """The policy's adapter sections, as typed and checked by the policy loader."""
    from application.policy import PolicyError, load_policy

    try:
        return load_policy(rt.policy).sections
    except PolicyError as e:
        fail(str(e))


def _parts(text: str) -> list[tuple[str, int | None]]:
    """``T1=60.00,T2=40.00`` -> [("T1", 6000), ("T2", 4000)]."""
    parts: list[tuple[str, int | None]] = []
    for chunk in text.split(","):
        ref, sep, amount = chunk.strip().partition("=")
        if not sep or not ref.strip():
            raise click.BadParameter(f"{chunk!r} is not REF=AMOUNT", param_hint="--split")
        parts.append((ref.strip(), parse_money(amount.strip(), "split")))
    return parts


@ledger.command("suspense")
@click.option("--assign", nargs=2, metavar="ITEM_ID REF", default=None, help="book an item as a payment of tenancy REF")
@click.option("--split", nargs=2, metavar="ITEM_ID REF=AMOUNT,...", default=None,
              help="book an item over several tenancies (the parts add up to the item)")
@click.option("--not-rent", nargs=2, metavar="ITEM_ID KIND", default=None,
              help="close an item as not rent: KIND is refund or other_income")
@click.option("--all", "all_items", is_flag=True, help="every bank item, with what became of it")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def ledger_suspense(rt: Runtime, assign: tuple[str, str] | None, split: tuple[str, str] | None,
                    not_rent: tuple[str, str] | None, all_items: bool, as_json: bool) -> None:
    """Bank items that matched no tenancy: amount, date, payer (masked), reason and the
    tenancy that would match now (a suggestion; an officer decides, never a guess)."""
    from application.bank import BankBook

    book = BankBook(rt.app)
    if sum(x is not None for x in (assign, split, not_rent)) > 1:
        fail("give one of --assign, --split, --not-rent")
    if assign:
        book.assign(rt.actor, assign[0], assign[1])
        click.echo(f"{assign[0]} assigned to {assign[1]}")
        return
    if split:
        parts = _parts(split[1])
        book.split(rt.actor, split[0], parts)
        click.echo(f"{split[0]} split over " + ", ".join(f"{r} {format_cents(c or 0)}" for r, c in parts))
        return
    if not_rent:
        book.mark_not_rent(rt.actor, not_rent[0], not_rent[1])
        click.echo(f"{not_rent[0]} marked not rent ({not_rent[1]})")
        return
    items = book.suspense(rt.actor, all_items=all_items)
    if as_json:
        echo_json(items)
        return
    if not items:
        click.echo("suspense is empty")
    for i in items:
        hint = f"  suggestion: {i['suggestion']['tenancy']} ({i['suggestion']['by']})" if i["suggestion"] else ""
        fate = f"  {i['status']}" + (f" {i['tenancy']}" if i["tenancy"] else "") if all_items else ""
        click.echo(f"{i['item_id']}  {i['booked_on']}  {i['amount']:>10} {i['credit_debit']}  {i['account']}  "
                   f"{i['counterparty'] or '-'}  {i['reason'] or ''}{fate}{hint}")


COMMANDS = [ledger]
