"""``vangnet calibrate``: fit a simulation scenario from a store's own history."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from adapters.cli.common import DATE, Runtime, echo_json, fail, guarded, pass_runtime


@click.command("calibrate")
@click.option("--db", default=None, metavar="TARGET", help="store to read (default: the global --db or VANGNET_DB)")
@click.option("--from", "first", type=DATE, default=None, help="first business date to use")
@click.option("--to", "last", type=DATE, default=None, help="last business date to use")
@click.option("--out", "out_file", required=True, metavar="FILE", help="scenario TOML to write")
@click.option("--min-n", default=30, type=click.IntRange(1, 1_000_000), help="fewest observations to fit a key")
@click.option("--json", "as_json", is_flag=True, help="print the fitted values, observables and the keys not fitted")
@pass_runtime
@guarded
def calibrate(rt: Runtime, db: str | None, first: date | None, last: date | None, out_file: str, min_n: int,
              as_json: bool) -> None:
    """Fit what the store can show (key choices of answered robocalls; as observables:
    days to payment by due day, cure after each kind of contact, promise and
    arrangement keep rates, return rates per reason code, evictions per legal action)
    and write a scenario: each fitted value with its 95% interval and number of
    observations as comments, and the keys it could not fit kept from the defaults."""
    from adapters.simulation.calibrate import calibrate as fit

    if first and last and first > last:
        fail(f"to: {last} is before --from {first}")
    if db is not None:
        rt.db = db
    target = rt.settings().db
    if "://" not in target and target != ":memory:" and not Path(target).exists():
        fail(f"db: store {target!r} does not exist")
    app = rt.app
    app.access.check(rt.actor, "read")
    text, summary = fit(app, first, last, min_n=min_n)
    Path(out_file).write_text(text, encoding="utf-8")
    if as_json:
        echo_json(summary)
        return
    click.echo(f"wrote {out_file}: {len(summary['fitted'])} keys fitted, "
               f"{len(summary['not_fitted'])} kept from the defaults")
    for k, v in summary["fitted"].items():
        click.echo(f"  fitted {k} = {v['value']} (95% CI {v['low']}-{v['high']}, n={v['n']})")
    for k, v in summary["observed"].items():
        if "value" in v:
            shown = "no observations" if v["value"] is None else f"{v['value']} ({v['low']}-{v['high']}, n={v['n']})"
            click.echo(f"  observed {k}: {shown}")


COMMANDS = [calibrate]
