"""``vangnet letters`` and ``vangnet signals``: the print outbox and the municipal export."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import attrs
import click

from adapters.cli.common import DATE, TEXT, Runtime, echo_json, guarded, pass_runtime


def _out(rt: Runtime) -> Path:
    return Path(rt.settings().out_dir)


@click.group()
def letters() -> None:
    """Letters produced by the playbook (reminder, WIK 14-day letter)."""


@letters.command("outbox")
@click.option("--date", "on", type=DATE, default=None, help="posting date")
@click.option("--verify", is_flag=True, help="check every file against its manifest checksum")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def letters_outbox(rt: Runtime, on: date | None, verify: bool, as_json: bool) -> None:
    """List what was produced in the letters outbox."""
    from adapters.letters import list_outbox

    rt.app.access.check(rt.actor, "read")
    rows = list_outbox(_out(rt) / "letters", on, verify=verify)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("the letters outbox is empty")
    for r in rows:
        extra = f"  deadline {r['deadline']}" if r.get("deadline") else ""
        status = f"  [{r['status']}]" if verify else ""
        click.echo(f"{r['date']}  {r['kind']:<20} {r['letter_id']}{extra}{status}")


@click.group()
def signals() -> None:
    """Early-warning signals to the municipality (vroegsignalering)."""


@signals.command("export")
@click.option("--municipality", default=None, type=TEXT)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def signals_export(rt: Runtime, municipality: str | None, out_dir: str | None, as_json: bool) -> None:
    """Export pending signals as one batch per municipality, once (re-running changes nothing)."""
    from adapters.signals import FileSignals
    from application.signal_lifecycle import export_signals

    port = rt.app.ports.signals
    if not isinstance(port, FileSignals):
        port = FileSignals(_out(rt) / "signals", rt.app.store)
    report = export_signals(rt.app, rt.actor, port, municipality, Path(out_dir) if out_dir else None)
    data = {k: (list(map(str, v)) if isinstance(v, tuple) else v) for k, v in attrs.asdict(report).items()}
    if as_json:
        echo_json(data)
        return
    if not report.changed:
        click.echo("nothing to export: every decided signal was exported before")
    for f in report.files:
        click.echo(f"written {f}")
    for sid in report.unknown_municipality:
        click.echo(f"warning: signal {sid} has no municipality; route the 'unknown' batch by hand", err=True)
    for sid in report.missing_contact:
        click.echo(f"warning: signal {sid} has no contact details; kept pending", err=True)
    for sid in report.held:
        click.echo(f"held: signal {sid} (a promise is pending or the arrears are under the threshold)")
    for sid in report.dropped:
        click.echo(f"dropped: signal {sid} (cleared or withdrawn before export; never sent)")
    for sid in report.updates:
        click.echo(f"update: signal {sid} resolved or withdrawn; the municipality is told")


@signals.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def signals_list(rt: Runtime, as_json: bool) -> None:
    """Pending and exported signals (no personal data)."""
    from adapters.signals import list_signals

    rt.app.access.check(rt.actor, "read")
    rows = list_signals(_out(rt) / "signals")
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo("  ".join(f"{k}={v}" for k, v in r.items()))


COMMANDS = [letters, signals]
