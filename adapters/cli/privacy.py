"""``vangnet privacy``: erasure and retention of personal data."""

from __future__ import annotations

from datetime import date

import click

from adapters.cli.common import DATE, Runtime, echo_json, guarded, pass_runtime


@click.group()
def privacy() -> None:
    """Erase personal data; list tenancies past their retention period."""


@privacy.command("erase")
@click.argument("ref")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@pass_runtime
@guarded
def privacy_erase(rt: Runtime, ref: str, yes: bool) -> None:
    """Delete REF's contact details and sealing key: intake answers and sealed free text
    become unreadable, free text stored in plain before sealing is erased from the stored
    events (recorded in the hash chain); the financial history and case steps stay auditable."""
    if not yes and not click.confirm(f"erase the personal data of tenancy {ref}?", default=False):
        click.echo("nothing erased")
        return
    rt.app.erase_personal_data(rt.actor, ref)
    click.echo(f"personal data of tenancy {ref} erased")


@privacy.command("redact-erased")
@pass_runtime
@guarded
def privacy_redact_erased(rt: Runtime) -> None:
    """For tenancies erased before erasure also rewrote old events: erase the free text
    that was stored in plain before it was sealed (worry, pause, decision, due-day and end
    reasons...). Each rewrite is recorded in the hash chain; `audit verify` accepts it."""
    done = rt.app.redact_erased(rt.actor)
    if not done:
        click.echo("no plain free text left in the events of erased tenancies")
    for ref, n in sorted(done.items()):
        click.echo(f"{ref}: free text erased from {n} stored events (recorded in the chain)")


@privacy.command("due")
@click.option("--date", "on", type=DATE, default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def privacy_due(rt: Runtime, on: date | None, as_json: bool) -> None:
    """Tenancies ended and settled longer ago than the retention period (policy)."""
    from application.privacy import retention_due

    rows = [r.as_dict() for r in retention_due(rt.app, rt.actor, on)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no tenancy is past its retention period")
    for r in rows:
        click.echo(f"{r['ref']}  ended {r['ended_on']}  erase due since {r['due_since']}")


COMMANDS = [privacy]
