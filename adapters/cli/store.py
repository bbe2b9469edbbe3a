"""``vangnet outbox`` (what has not reached an adapter yet) and ``vangnet store``
(copy between SQLite and PostgreSQL, online backup of a SQLite store)."""

from __future__ import annotations

from datetime import date

import click

from adapters.cli.common import Runtime, echo_json, guarded, pass_runtime


@click.command("outbox")
@click.option("--all", "show_all", is_flag=True, help="also the items already sent")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def outbox(rt: Runtime, show_all: bool, as_json: bool) -> None:
    """Robocalls, SMS and signals not yet accepted by an adapter: pending, or failed
    (an adapter refused them; the reason is shown), with their age in days."""
    app = rt.app
    today = app.today()
    rows = []
    for r in app.store.outbox_items(include_sent=show_all):
        created = date.fromisoformat(r["created_on"])
        if r.get("sent_on"):
            status = "sent"
        elif r.get("last_error"):
            status = "failed"
        elif r.get("claimed_by"):
            status = "claimed"
        else:
            status = "pending"
        rows.append({"item_id": r["item_id"], "kind": r["kind"], "status": status, "created_on": r["created_on"],
                     "age_days": (today - created).days, "attempts": int(r.get("attempts") or 0),
                     "last_error": r.get("last_error"), "sent_on": r.get("sent_on")})
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
