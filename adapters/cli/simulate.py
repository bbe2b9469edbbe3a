"""``vangnet simulate`` and ``vangnet report``: what-if runs and the corporation's KPIs."""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import click

from adapters.cli.common import Runtime, echo_json, fail, guarded, pass_runtime

STRATEGY = click.Choice(["preventive", "classic", "both"])


def _month(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    from domain.values import InvalidValue, Period

    try:
        return str(Period.parse(value, field=field))
    except InvalidValue as e:
        raise click.BadParameter(str(e).split(": ", 1)[-1], param_hint=f"--{field}") from None


def _dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@click.command("simulate")
@click.option(
    "--tenancies", type=click.IntRange(1, 1_000_000), default=None, help="homes (default 1000)"
)
@click.option(
    "--months", type=click.IntRange(1, 240), default=None, help="months to simulate (default 12)"
)
@click.option("--seed", type=int, default=None, help="random seed (default 1)")
@click.option(
    "--strategy", type=STRATEGY, default=None, help="preventive, classic or both (default both)"
)
@click.option("--start", default=None, metavar="YYYY-MM", help="first month (default 2026-01)")
@click.option(
    "--scenario", "scenario_path", default=None, metavar="FILE.toml", help="scenario parameters"
)
@click.option(
    "--db",
    default=None,
    metavar="TARGET",
    help="store (default OUT/<strategy>.db; with both: TARGET-<strategy>.db)",
)
@click.option(
    "--out",
    default=None,
    metavar="DIR",
    help="folder for stores and reports (default ./vangnet-sim)",
)
@click.option("--json", "as_json", is_flag=True, help="print the KPI JSON instead of the table")
@click.option(
    "--runs",
    type=click.IntRange(1, 10_000),
    default=1,
    show_default=True,
    help="run this many seeds (from --seed on) and report each KPI's mean and 95%% interval",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="processes for --runs (default: the machine's cores)",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="where --runs run: the local process pool, or a Dask cluster (extra 'dask')",
)
@click.option("--chart-format", type=click.Choice(["png", "svg"]), default="png", show_default=True)
@click.option(
    "--print-scenario",
    is_flag=True,
    help="print the scenario (defaults, or --scenario) as TOML and stop",
)
@pass_runtime
@guarded
def simulate(
    rt: Runtime,
    tenancies: int | None,
    months: int | None,
    seed: int | None,
    strategy: str | None,
    start: str | None,
    scenario_path: str | None,
    db: str | None,
    out: str | None,
    as_json: bool,
    runs: int,
    workers: int | None,
    executor: str,
    chart_format: str,
    print_scenario: bool,
) -> None:
    """Simulate a synthetic population under the preventive playbook and/or the classic
    dunning process, through the production application, and report the KPIs.

    \b
    Writes to OUT: one event store per strategy (readable by `vangnet report` and
    `vangnet audit`), kpis.json, kpis.csv, scenario.toml, charts and report.html.
    The same seed and scenario give the same KPI JSON.
    """
    from adapters.bootstrap import ConfigError
    from adapters.simulation import engine, render
    from adapters.simulation import scenario as scen
    from application.policy import PolicyError, load_policy

    if not print_scenario:
        rt.require("read")  # a simulation writes its own stores only, but not for unknown people

    try:
        sc = scen.load(scenario_path)
        if print_scenario:
            click.echo(scen.to_toml(sc), nl=False)
            return
        sc = sc.with_run(
            tenancies=tenancies,
            months=months,
            seed=seed,
            strategy=strategy,
            start=_month(start, "start"),
        )
    except scen.ScenarioError as e:
        fail(str(e))
    out_dir = Path(out or rt.out or "vangnet-sim")
    if runs > 1 or executor != "local":
        _many(rt, sc, out_dir, db, runs, workers, executor, as_json)
        return
    target = db or rt.db  # never VANGNET_DB: a simulation must not write into the production store
    names = ["preventive", "classic"] if sc.run.strategy == "both" else [sc.run.strategy]
    days = _days(sc) * len(names)
    show_progress = sys.stdout.isatty() and not as_json
    t0 = time.perf_counter()
    try:
        settings = rt.settings()
        policy_file = load_policy(settings.policy_path)
        if show_progress:
            with click.progressbar(
                length=days, label="simulating", show_eta=True, item_show_func=lambda s: s
            ) as bar:

                def step(name: str, day: date) -> None:
                    bar.update(1, f"{name} {day.isoformat()}")

                results = engine.simulate(
                    sc,
                    settings=settings,
                    out=out_dir,
                    db=target,
                    policy_file=policy_file,
                    on_day=step,
                )
        else:
            results = engine.simulate(
                sc, settings=settings, out=out_dir, db=target, policy_file=policy_file
            )
    except (scen.ScenarioError, engine.SimulationError, ConfigError, PolicyError) as e:
        fail(str(e))
    elapsed = time.perf_counter() - t0
    doc = engine.kpi_document(sc, results)
    kpis = doc["strategies"]
    (out_dir / "kpis.json").write_text(_dumps(doc), encoding="utf-8")
    (out_dir / "kpis.csv").write_text(render.csv_text(kpis), encoding="utf-8")
    if any(k.get("year_on_year") for k in kpis.values()):
        (out_dir / "kpis-year-on-year.csv").write_text(render.yoy_csv_text(kpis), encoding="utf-8")
    (out_dir / "scenario.toml").write_text(scen.to_toml(sc), encoding="utf-8")
    run = sc.values["run"]
    title = (
        f"Vangnet simulation: {run['tenancies']} homes, {run['months']} months from {run['start']}, "
        f"seed {run['seed']}"
    )
    caption = (
        f"{title}; synthetic households, behaviour from scenario.toml; amounts in EUR, "
        "arrears as % of the annual rent roll, counts per month"
    )
    drawn: dict[str, bytes] = {}
    charts = render.write_charts(kpis, out_dir, chart_format, caption, rendered=drawn)
    notes = [
        f"Stores: {', '.join(f'{n}: {r.db}' for n, r in results.items())}.",
        "Synthetic households; every behaviour number is in the scenario below (with its source or "
        "assumption).",
    ]
    season = _season_line(doc)
    if season:
        notes.append(season)
    (out_dir / "report.html").write_text(
        render.html_report(
            kpis,
            title=title,
            notes=notes,
            scenario_toml=scen.to_toml(sc),
            caption=caption,
            png=drawn if chart_format == "png" else None,
        ),
        encoding="utf-8",
    )
    if as_json:
        click.echo(_dumps(doc), nl=False)
        return
    click.echo(render.table_text(kpis))
    if season:
        click.echo(season)
    for name, r in results.items():
        click.echo(f"{name}: {r.events} events in {r.seconds:.1f} s, store {r.db}")
    click.echo(
        f"wrote {out_dir / 'kpis.json'}, kpis.csv, scenario.toml, report.html, "
        f"{', '.join(p.name for p in charts.values())} ({elapsed:.1f} s)"
    )


def _season_line(doc: dict[str, Any]) -> str | None:
    """The months the scenario's [season] moved, for the terminal and the HTML report."""
    season = doc.get("season")
    if not season:
        return None
    parts = [f"{m} {v['why']} x{v['miss_factor']:g}" for m, v in season.items()]
    return "Season (factor on the chance of missing the due date): " + ", ".join(parts) + "."


def _many(
    rt: Runtime,
    sc: Any,
    out_dir: Path,
    db: str | None,
    runs: int,
    workers: int | None,
    executor: str,
    as_json: bool,
) -> None:
    """``--runs N``: N seeds across the workers, each KPI with its mean and 95% interval."""
    import os

    from adapters.bootstrap import ConfigError
    from adapters.simulation import engine
    from adapters.simulation import runs as runs_mod
    from adapters.simulation import scenario as scen
    from application.policy import PolicyError, load_policy

    if db or rt.db:
        fail("db: --runs writes one store per run under --out; leave out --db")
    w = workers or min(runs, os.cpu_count() or 1)
    t0 = time.perf_counter()
    show = sys.stdout.isatty() and not as_json
    try:
        settings = rt.settings()
        policy_file = load_policy(settings.policy_path)
        out_dir.mkdir(parents=True, exist_ok=True)
        done: list[int] = []

        def step(seed: int) -> None:
            done.append(seed)
            if show:
                click.echo(f"run {len(done)}/{runs} done (seed {seed})")

        doc = runs_mod.run_many(
            sc,
            runs=runs,
            workers=w,
            settings=settings,
            out=out_dir,
            policy_file=policy_file,
            executor=executor,
            on_run=step,
        )
    except (scen.ScenarioError, engine.SimulationError, ConfigError, PolicyError, ValueError) as e:
        fail(str(e))
    doc["seconds"] = round(time.perf_counter() - t0, 1)
    (out_dir / "runs.json").write_text(_dumps(doc), encoding="utf-8")
    from adapters.simulation import render

    run = doc["run"]
    title = (f"Vangnet simulation, {runs} runs (seeds {doc['seeds'][0]}..{doc['seeds'][-1]}): "
             f"{run['tenancies']} homes, {run['months']} months from {run['start']}")
    caption = (f"{title}; synthetic households, behaviour from the scenario; mean and 95% interval over the runs; "
               "arrears as % of the annual rent roll, counts per month")
    (out_dir / "report.html").write_text(
        render.runs_html_report(doc, title=title, caption=caption, table=runs_mod.table_text(doc),
                                scenario_toml=scen.to_toml(sc)),
        encoding="utf-8",
    )
    if as_json:
        click.echo(_dumps(doc), nl=False)
        return
    click.echo(runs_mod.table_text(doc), nl=False)
    click.echo(f"wrote {out_dir / 'runs.json'}, report.html ({doc['seconds']:.1f} s)")


def _days(sc: Any) -> int:
    from adapters.simulation.engine import months_of
    from domain.values import Period

    months = months_of(sc.run.start, int(sc.run.months))
    first, last = Period.parse(months[0]).first_day(), Period.parse(months[-1]).last_day()
    return (last - first).days + 1


@click.command("report")
@click.option(
    "--db",
    default=None,
    metavar="TARGET",
    help="store to read (default: the global --db or VANGNET_DB)",
)
@click.option(
    "--from",
    "first",
    default=None,
    metavar="YYYY-MM",
    help="first month (default: first in the store)",
)
@click.option(
    "--to", "last", default=None, metavar="YYYY-MM", help="last month (default: last in the store)"
)
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--chart", default=None, metavar="FILE", help="write the four charts as one PNG or SVG"
)
@click.option(
    "--html", "html_file", default=None, metavar="FILE", help="write a self-contained HTML report"
)
@click.option(
    "--csv", "csv_file", default=None, metavar="FILE", help="write the monthly KPIs as CSV"
)
@click.option("--risk", "with_risk", is_flag=True,
              help="add the risk score's held-out evaluation (AUC with 95% interval, calibration)")
@click.option("--risk-plot", default=None, metavar="FILE", help="write the risk score's calibration plot (PNG/SVG)")
@pass_runtime
@guarded
def report(
    rt: Runtime,
    db: str | None,
    first: str | None,
    last: str | None,
    as_json: bool,
    chart: str | None,
    html_file: str | None,
    csv_file: str | None,
    with_risk: bool,
    risk_plot: str | None,
) -> None:
    """The corporation's KPIs per month (PLAYBOOK.md section 6) for any store, simulated
    or real, computed from the events' business dates; with 13 months or more also this
    year against last year (the --csv FILE gets FILE-year-on-year.csv beside it). With
    --risk: the risk score trained on all but the last 3 months and scored on those."""
    from adapters.simulation import kpi, render

    first, last = _month(first, "from"), _month(last, "to")
    if first and last and first > last:
        fail(f"to: {last} is before --from {first}")
    if chart and Path(chart).suffix.lower() not in (".png", ".svg"):
        fail(f"chart: {chart!r} must end in .png or .svg")
    if db is not None:
        rt.db = db
    target = rt.settings().db
    if "://" not in target and target != ":memory:" and not Path(target).exists():
        fail(f"db: store {target!r} does not exist")
    app = rt.app
    app.access.check(rt.actor, "read")
    doc = kpi.compute(app, first=first, last=last)
    data = {"store": doc}
    if chart:
        Path(chart).write_bytes(
            render.dashboard_bytes(
                data,
                Path(chart).suffix.lower().lstrip("."),
                caption="Vangnet KPIs of this store; amounts in EUR, arrears as % of the annual "
                "rent roll, counts per month",
            )
        )
    if html_file:
        Path(html_file).write_text(render.html_report(data, title="Vangnet KPIs"), encoding="utf-8")
    if csv_file:
        Path(csv_file).write_text(render.csv_text(data), encoding="utf-8")
        if doc.get("year_on_year"):  # beside it: this year against last year
            p = Path(csv_file)
            p.with_name(f"{p.stem}-year-on-year.csv").write_text(render.yoy_csv_text(data), encoding="utf-8")
    risk_doc = _risk_section(app, risk_plot) if (with_risk or risk_plot) else None
    if as_json:
        echo_json({**doc, "risk": risk_doc} if risk_doc is not None else doc)
        return
    if not doc["months"]:
        click.echo("no events in the store")
        return
    click.echo(render.table_text(data), nl=False)
    if risk_doc is not None:
        from adapters.risk.report import risk_text

        click.echo(risk_text(risk_doc), nl=False)


def _risk_section(app: Any, plot: str | None) -> dict[str, Any]:
    from adapters.risk import SklearnRisk
    from application.risk import NotEnoughHistory, evaluate

    if plot and Path(plot).suffix.lower() not in (".png", ".svg"):
        fail(f"risk-plot: {plot!r} must end in .png or .svg")
    try:
        ev = evaluate(app, SklearnRisk()).as_dict()
    except NotEnoughHistory as e:
        return {"error": str(e)}
    if plot:
        from adapters.risk.report import calibration_plot

        Path(plot).write_bytes(calibration_plot(ev, Path(plot).suffix.lower().lstrip(".")))
    return ev


COMMANDS = [simulate, report]
