"""``vangnet outbox`` (what has not reached an adapter yet) and ``vangnet store``
(copy between SQLite and PostgreSQL, online backup of a SQLite store)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from adapters.cli.common import Runtime, echo_json, fail, guarded, pass_runtime


@click.command("outbox")
@click.option("--all", "show_all", is_flag=True, help="also the items already sent")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def outbox(rt: Runtime, show_all: bool, as_json: bool) -> None:
    """Robocalls, SMS and signals not yet accepted by an adapter: pending, or failed
    (an adapter refused them; the reason is shown), with their age in days."""
    from application.outbox import outbox_items

    rows = [x.as_dict() for x in outbox_items(rt.app, rt.actor, include_sent=show_all)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("outbox empty: every item reached an adapter")
        return
    for x in rows:
        why = f"  {x['last_error']}" if x["last_error"] and x["status"] != "sent" else ""
        click.echo(f"{x['status']:<8} {x['kind']:<9} {x['age_days']:>3}d  {x['attempts']} attempt(s)  "
                   f"{x['item_id']}{why}")
    pending = sum(1 for x in rows if x["status"] != "sent")
    click.echo(f"{pending} item(s) not delivered")


@click.group("store")
def store() -> None:
    """Move a store between SQLite and PostgreSQL, back up a SQLite store."""


COMMANDS = [outbox, store]


def _open(rt: Runtime) -> Callable[[str], Any]:
    from adapters.bootstrap import ConfigError, Settings, build

    def opener(db: str) -> Any:
        try:
            return build(Settings.from_env(db=db, policy_path=rt.policy, out_dir=rt.out))
        except ConfigError as e:
            fail(str(e))

    return opener


@store.command("copy")
@click.option("--from", "source", required=True, metavar="TARGET", help="the store to copy (path or URL)")
@click.option("--to", "target", required=True, metavar="TARGET", help="a new, empty store (path or URL)")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def store_copy(rt: Runtime, source: str, target: str, as_json: bool) -> None:
    """Copy a whole store (events with their positions and hash chain, contact
    directory, keys, read models, ledger index, suspense, outbox, every other table)
    into an EMPTY store, SQLite or PostgreSQL, then verify it (rows per table and
    ``audit verify`` on the copy). Stop the daily run and imports while it runs."""
    from adapters.bootstrap import redact_url
    from adapters.store.copy import CopyRefused, copy_store
    from application.access import require_admin
    from application.audit import verify

    actor = rt.actor
    require_admin(actor, f"{actor} may not copy a store (administrators only)")

    def audit(app: Any) -> list[str]:
        report = verify(app, actor)
        return [f"audit verify: {d}" for d in report.discrepancies] + (
            [f"audit verify: {report.omitted} more"] if report.omitted else [])

    def progress(table: str, n: int) -> None:
        if not as_json:
            click.echo(f"  {table}: {n} rows", err=True)

    try:
        report = copy_store(source, target, _open(rt), progress=progress, verify=audit)
    except CopyRefused as e:
        fail(str(e))
    if as_json:
        echo_json(report.as_dict())
    else:
        rows = ", ".join(f"{k} {v}" for k, v in report.tables.items())
        click.echo(f"copied {redact_url(source)} -> {redact_url(target)}: {rows}")
    if not report.verified:
        for d in report.discrepancies:
            click.echo(f"error: {d}", err=True)
        fail("store copy: the copy does not verify; do not use it (start again with an empty target)", 1)
    if not as_json:
        click.echo("verified: every table's rows match and audit verify is clean on the copy")


@store.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@pass_runtime
@guarded
def store_backup(rt: Runtime, file: str) -> None:
    """Back up this SQLite store to FILE (a new file) with SQLite's online backup API,
    consistent even while others write. PostgreSQL: use pg_dump (see the README)."""
    from adapters.store.copy import CopyRefused, backup_sqlite

    db = rt.settings().db
    if db.startswith(("postgresql://", "postgres://")):
        fail("store backup: this is a PostgreSQL store; back it up with pg_dump -Fc (see the README)")
    try:
        n = backup_sqlite(db, file)
    except CopyRefused as e:
        fail(str(e))
    click.echo(f"backed up {db} to {file}: {n} events; integrity check ok")
