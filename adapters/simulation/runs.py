"""Many runs at once: N seeds across W processes, each KPI with its mean and 95% interval.

``vangnet simulate --runs N --workers W`` runs seeds S, S+1, ..., S+N-1 of the same
scenario. Every run writes its own stores (OUT/runs/seed-<s>/<strategy>.db), so the
runs write in parallel without sharing anything; the strategies of one run go one
after the other inside its worker. The report gives, per strategy and KPI total, the
mean over the runs and a 95% confidence interval of that mean (Student's t on the
runs' spread); with both strategies, also the paired difference preventive minus
classic per seed, with its interval and whether it is distinguishable from noise
(the interval excludes zero).

Executors: the local process pool is the default and needs nothing. ``--executor
dask`` hands the same runs to a Dask cluster (``pip install 'vangnet[dask]'``;
``DASK_SCHEDULER_ADDRESS`` names a running scheduler, else a local cluster of W
workers is started); each worker must see the same OUT folder (a shared disk).
"""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from adapters.simulation.scenario import Scenario

# two-sided 95% Student t quantiles, degrees of freedom 1..30
_T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t95(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom."""
    if df < 1:
        raise ValueError("t95: at least two runs are needed for an interval")
    if df <= len(_T95):
        return _T95[df - 1]
    z = 1.959964
    # Cornish-Fisher expansion: within 0.001 of the exact value from df = 31 on
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@attrs.frozen
class Interval:
    mean: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: list[float]) -> Interval:
        n = len(values)
        m = statistics.fmean(values)
        if n < 2:
            return cls(m, m, m, n)
        half = t95(n - 1) * statistics.stdev(values) / math.sqrt(n)
        return cls(m, m - half, m + half, n)

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "mean": round(self.mean, 4),
            "ci95": [round(self.low, 4), round(self.high, 4)],
            "n": self.n,
        }


def numeric_totals(totals: dict[str, Any]) -> dict[str, float]:
    """The scalar KPI totals of one run (``referrals_by_partner`` flattened)."""
    out: dict[str, float] = {}
    for k, v in totals.items():
        if isinstance(v, bool):
            continue
        if isinstance(v, (int, float)):
            out[k] = float(v)
        elif isinstance(v, dict):
            for kk, vv in v.items():
                if isinstance(vv, (int, float)) and not isinstance(vv, bool):
                    out[f"{k}.{kk}"] = float(vv)
    return out


def summarise(per_seed: dict[int, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """``per_seed``: seed -> strategy -> KPI totals. Means and 95% intervals."""
    seeds = sorted(per_seed)
    strategies = list(per_seed[seeds[0]]) if seeds else []
    out: dict[str, Any] = {"seeds": seeds, "strategies": {}}
    values: dict[str, dict[str, list[float]]] = {}
    for name in strategies:
        cols: dict[str, list[float]] = {}
        for s in seeds:
            for k, v in numeric_totals(per_seed[s][name]).items():
                cols.setdefault(k, []).append(v)
        values[name] = cols
        out["strategies"][name] = {k: Interval.of(v).as_dict() for k, v in cols.items()}
    if "preventive" in values and "classic" in values:
        diff: dict[str, Any] = {}
        p, c = values["preventive"], values["classic"]
        for k in p:
            if k not in c or len(p[k]) != len(c[k]):
                continue
            iv = Interval.of([a - b for a, b in zip(p[k], c[k], strict=True)])
            diff[k] = {**iv.as_dict(), "distinguishable": iv.n > 1 and iv.excludes_zero}
        out["difference_preventive_minus_classic"] = diff
    return out


BAND_KEYS = ("arrears_pct", "tenancies_in_arrears", "cases_opened", "staff_hours", "evictions_cumulative",
             "legal_actions_cumulative")


def band_series(months: list[dict[str, Any]]) -> dict[str, list[float]]:
    """One run's monthly series of the charted KPIs (evictions and legal actions cumulative)."""
    out: dict[str, list[float]] = {k: [] for k in BAND_KEYS}
    ev = legal = 0
    for r in months:
        ev += r["evictions"]
        legal += r["legal_actions"]
        for k in ("arrears_pct", "tenancies_in_arrears", "cases_opened", "staff_hours"):
            out[k].append(float(r[k]))
        out["evictions_cumulative"].append(float(ev))
        out["legal_actions_cumulative"].append(float(legal))
    return out


def bands(
    months: list[str], per_seed: dict[int, dict[str, dict[str, list[float]]]]
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Per strategy and charted KPI, per month: the mean over the runs and its 95% interval."""
    seeds = sorted(per_seed)
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name in per_seed[seeds[0]] if seeds else {}:
        out[name] = {}
        for k in BAND_KEYS:
            out[name][k] = [
                {"month": m, **Interval.of([per_seed[s][name][k][i] for s in seeds]).as_dict()}
                for i, m in enumerate(months)
            ]
    return out


def _one_run(
    sc: Scenario, seed: int, settings: Any, out: str, policy_file: Any
) -> tuple[int, dict[str, Any], float, int, dict[str, Any]]:
    from adapters.simulation.engine import simulate

    run_sc = sc.with_run(seed=seed)
    results = simulate(
        run_sc, settings=settings, out=Path(out), policy_file=policy_file, parallel=False
    )
    return (
        seed,
        {n: r.totals for n, r in results.items()},
        sum(r.seconds for r in results.values()),
        sum(r.events for r in results.values()),
        {n: band_series(r.months) for n, r in results.items()},
    )


def run_many(
    sc: Scenario,
    *,
    runs: int,
    workers: int,
    settings: Any,
    out: Path,
    policy_file: Any = None,
    executor: str = "local",
    on_run: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Run ``runs`` seeds from the scenario's seed on ``workers`` processes."""
    if runs < 1:
        raise ValueError("runs: at least 1")
    first = int(sc.run.seed)
    seeds = list(range(first, first + runs))
    folders = {s: str(out / "runs" / f"seed-{s}") for s in seeds}
    per_seed: dict[int, dict[str, Any]] = {}
    seconds = 0.0
    events = 0
    if executor == "dask":
        results = _dask_map(sc, seeds, folders, settings, policy_file, workers)
    elif workers <= 1 or runs == 1:
        results = [_one_run(sc, s, settings, folders[s], policy_file) for s in seeds]
    else:
        results = _pool_map(sc, seeds, folders, settings, policy_file, workers, on_run)
    series: dict[int, dict[str, Any]] = {}
    for seed, totals, secs, evs, monthly in results:
        per_seed[seed] = totals
        series[seed] = monthly
        seconds += secs
        events += evs
        if on_run and executor != "local":
            on_run(seed)
    doc = summarise(per_seed)
    doc["run"] = {
        **{k: sc.values["run"][k] for k in ("tenancies", "months", "start", "strategy")},
        "runs": runs,
        "first_seed": first,
        "workers": workers,
        "executor": executor,
    }
    doc["per_seed"] = {str(s): per_seed[s] for s in seeds}
    from adapters.simulation.engine import months_of

    doc["bands"] = bands(months_of(sc.run.start, int(sc.run.months)), series)
    doc["events"] = events
    doc["simulated_seconds"] = round(seconds, 1)
    return doc


def _pool_map(
    sc: Scenario,
    seeds: list[int],
    folders: dict[int, str],
    settings: Any,
    policy_file: Any,
    workers: int,
    on_run: Callable[[int], None] | None,
) -> list[tuple[int, dict[str, Any], float, int, dict[str, Any]]]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    out = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [
            pool.submit(_one_run, sc, s, settings, folders[s], policy_file) for s in seeds
        ]
        for f in as_completed(futures):
            res = f.result()
            out.append(res)
            if on_run:
                on_run(res[0])
    return sorted(out, key=lambda r: r[0])


def _dask_map(
    sc: Scenario,
    seeds: list[int],
    folders: dict[int, str],
    settings: Any,
    policy_file: Any,
    workers: int,
) -> list[tuple[int, dict[str, Any], float, int, dict[str, Any]]]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ValueError(
            "executor: dask needs the 'dask' extra: pip install 'vangnet[dask]'"
        ) from None
    address = os.environ.get("DASK_SCHEDULER_ADDRESS")
    if address:
        client = Client(address)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)
        client = Client(cluster)
    try:
        futures = [
            client.submit(_one_run, sc, s, settings, folders[s], policy_file, pure=False)
            for s in seeds
        ]
        return sorted(client.gather(futures), key=lambda r: r[0])
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def table_text(doc: dict[str, Any]) -> str:
    """Mean and 95% interval per KPI and strategy, and the difference when both ran."""
    lines = []
    run = doc["run"]
    lines.append(
        f"{run['runs']} runs (seeds {doc['seeds'][0]}..{doc['seeds'][-1]}), "
        f"{run['tenancies']} homes x {run['months']} months, {run['workers']} workers"
    )
    names = list(doc["strategies"])
    keys = list(doc["strategies"][names[0]]) if names else []
    diff = doc.get("difference_preventive_minus_classic") or {}
    head = f"{'KPI':34}" + "".join(f"{n + ' mean [95% CI]':>34}" for n in names)
    if diff:
        head += f"{'preventive - classic':>36}"
    lines.append(head)
    for k in keys:
        row = f"{k:34}"
        for n in names:
            s = doc["strategies"][n][k]
            row += f"{_fmt(s):>34}"
        if diff and k in diff:
            d = diff[k]
            same = d["ci95"] == [0, 0] and d["mean"] == 0
            mark = " (same)" if same else "" if d["distinguishable"] else " (noise)"
            row += f"{_fmt(d) + mark:>36}"
        lines.append(row)
    if diff:
        lines.append(
            "(noise): the 95% interval of the paired difference includes 0; "
            "not distinguishable from run-to-run noise at this number of runs"
        )
    return "\n".join(lines) + "\n"


def _fmt(s: dict[str, Any]) -> str:
    lo, hi = s["ci95"]
    return f"{_num(s['mean'])} [{_num(lo)}, {_num(hi)}]"


def _num(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"
