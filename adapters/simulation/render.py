"""KPI output: terminal table, CSV, charts (matplotlib, Agg) and one self-contained HTML page.

Every function takes ``{name: {"months": [...], "totals": {...}}}`` (one entry per
strategy, or one entry for a store's report).
"""

from __future__ import annotations

import base64
import csv
import html
import io
from pathlib import Path
from typing import Any

from application.csv_safe import safe_row
from domain.values import format_cents

Kpis = dict[str, dict[str, Any]]

# column header, key, width
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("month", "month", 7),
    ("arrears", "arrears_eur", 11),
    ("arr%", "arrears_pct", 6),
    ("in arr", "tenancies_in_arrears", 6),
    ("opened", "cases_opened", 6),
    ("closed", "cases_closed", 6),
    ("robo", "robocalls", 5),
    ("sms", "sms", 5),
    ("phone", "phone_contacts", 5),
    ("visit", "home_visits", 5),
    ("remind", "reminders", 6),
    ("refer", "referrals", 5),
    ("signal", "signals", 6),
    ("14-day", "fourteen_day_letters", 6),
    ("bailif", "bailiff_handovers", 6),
    ("legal", "legal_actions", 5),
    ("evict", "evictions", 5),
    ("staff h", "staff_hours", 8),
)
CSV_FIELDS = (
    "month",
    "arrears_cents",
    "arrears_pct",
    "annual_rent_roll_cents",
    "tenancies",
    "tenancies_in_arrears",
    "former_tenant_debt_cents",
    "cases_opened",
    "cases_closed",
    "robocalls",
    "sms",
    "phone_contacts",
    "home_visits",
    "reminders",
    "fourteen_day_letters",
    "referrals",
    "referrals_welfare",
    "referrals_gkb",
    "referrals_budget_coach",
    "referrals_schuldhulpmaatje",
    "signals",
    "bailiff_handovers",
    "legal_actions",
    "evictions",
    "staff_minutes",
    "staff_hours",
)
COLOURS = {"preventive": "#1b7f5b", "classic": "#b5452b", "store": "#2b5fb5"}


def _cell(row: dict[str, Any], key: str) -> str:
    if key == "arrears_eur":
        return format_cents(row["arrears_cents"])
    if key == "arrears_pct":
        return f"{row['arrears_pct']:.2f}"
    if key == "staff_hours":
        return f"{row['staff_hours']:.1f}"
    return str(row[key])


def table_text(kpis: Kpis) -> str:
    out: list[str] = []
    for name, doc in kpis.items():
        out.append(
            f"{name}: arrears as % of the annual rent roll at month end; contacts, letters, "
            "steps and staff hours in the month"
        )
        out.append("  ".join(h.rjust(w) for h, _, w in COLUMNS))
        for row in doc["months"]:
            out.append("  ".join(_cell(row, k).rjust(w) for _, k, w in COLUMNS))
        t = doc.get("totals") or {}
        if t:
            total = {
                **t,
                "month": "total",
                "arrears_cents": t["arrears_cents_at_end"],
                "arrears_pct": t["arrears_pct_at_end"],
                "tenancies_in_arrears": t["tenancies_in_arrears_at_end"],
            }
            out.append("  ".join(_cell(total, k).rjust(w) for _, k, w in COLUMNS))
            parts = ", ".join(f"{p} {n}" for p, n in t["referrals_by_partner"].items())
            out.append(
                f"  referrals by partner: {parts}; former tenants' debt at end "
                f"{format_cents(t['former_tenant_debt_cents_at_end'])}"
            )
        out.append("")
    yoy = yoy_text(kpis)
    if yoy:
        out.append(yoy)
    if len(kpis) > 1:
        out.append(comparison_text(kpis))
    return "\n".join(out).rstrip() + "\n"


COMPARE = (
    ("mean arrears % of annual rent roll", "arrears_pct_mean", "{:.2f}"),
    ("arrears % at end", "arrears_pct_at_end", "{:.2f}"),
    ("tenancies in arrears at end", "tenancies_in_arrears_at_end", "{}"),
    ("cases opened", "cases_opened", "{}"),
    ("robocalls", "robocalls", "{}"),
    ("SMS", "sms", "{}"),
    ("phone contacts", "phone_contacts", "{}"),
    ("home visits", "home_visits", "{}"),
    ("reminder letters", "reminders", "{}"),
    ("referrals", "referrals", "{}"),
    ("municipal signals", "signals", "{}"),
    ("14-day letters", "fourteen_day_letters", "{}"),
    ("bailiff hand-overs", "bailiff_handovers", "{}"),
    ("legal actions", "legal_actions", "{}"),
    ("evictions for arrears", "evictions", "{}"),
    ("staff hours", "staff_hours", "{:.1f}"),
)


def comparison_rows(kpis: Kpis) -> list[tuple[str, list[str]]]:
    return [
        (label, [fmt.format(doc["totals"].get(key, 0)) for doc in kpis.values()])
        for label, key, fmt in COMPARE
    ]


def comparison_text(kpis: Kpis) -> str:
    names = list(kpis)
    lines = ["side by side (whole run)", f"{'':38}" + "".join(n.rjust(12) for n in names)]
    for label, values in comparison_rows(kpis):
        lines.append(f"{label:38}" + "".join(v.rjust(12) for v in values))
    return "\n".join(lines)


YOY_LABELS = {
    "arrears_cents": ("arrears (EUR)", "stock"),
    "arrears_pct": ("arrears % of annual rent roll", "stock"),
    "tenancies_in_arrears": ("tenancies in arrears", "stock"),
    "former_tenant_debt_cents": ("former tenants' debt (EUR)", "stock"),
    "cases_opened": ("cases opened", "flow"),
    "robocalls": ("robocalls", "flow"),
    "reminders": ("reminder letters", "flow"),
    "fourteen_day_letters": ("14-day letters", "flow"),
    "referrals": ("referrals", "flow"),
    "bailiff_handovers": ("bailiff hand-overs", "flow"),
    "legal_actions": ("legal actions", "flow"),
    "evictions": ("evictions for arrears", "flow"),
    "staff_hours": ("staff hours", "flow"),
}
YOY_FIELDS = ("strategy", "kpi", "kind", "this_year", "last_year", "change", "change_pct")


def _yoy_value(key: str, v: Any) -> str:
    if key.endswith("_cents"):
        return format_cents(v)
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def yoy_rows(name: str, yoy: dict[str, Any]) -> list[list[str]]:
    rows = []
    for key, k in yoy["kpis"].items():
        label, kind = YOY_LABELS.get(key, (key, ""))
        pct = "-" if k["change_pct"] is None else f"{k['change_pct']:+.1f}%"
        rows.append([label, _yoy_value(key, k["this_year"]), _yoy_value(key, k["last_year"]),
                     _yoy_value(key, k["change"]), pct])
    return rows


def yoy_heading(name: str, yoy: dict[str, Any]) -> str:
    this, last = yoy["this_year"], yoy["last_year"]
    stocks = f"; stocks at {yoy['stocks_at'][0]} against {yoy['stocks_at'][1]}" if yoy.get("stocks_at") else ""
    return (f"{name}: year on year, flows {this[0]}..{this[1]} against {last[0]}..{last[1]}{stocks}")


def yoy_text(kpis: Kpis) -> str:
    """This year against last year per KPI, for each entry that has a year-earlier month."""
    out: list[str] = []
    for name, doc in kpis.items():
        yoy = doc.get("year_on_year")
        if not yoy:
            continue
        out.append(yoy_heading(name, yoy))
        out.append(f"{'':32}{'this year':>14}{'last year':>14}{'change':>14}{'%':>9}")
        for label, *vals in yoy_rows(name, yoy):
            out.append(f"{label:32}" + "".join(v.rjust(14) for v in vals[:3]) + vals[3].rjust(9))
        out.append("")
    return "\n".join(out)


def yoy_csv_text(kpis: Kpis) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(safe_row(list(YOY_FIELDS)))
    for name, doc in kpis.items():
        yoy = doc.get("year_on_year")
        for key, k in (yoy or {}).get("kpis", {}).items():
            w.writerow(safe_row([name, key, YOY_LABELS.get(key, (key, ""))[1], k["this_year"], k["last_year"],
                                 k["change"], "" if k["change_pct"] is None else k["change_pct"]]))
    return buf.getvalue()


def csv_text(kpis: Kpis) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(safe_row(["strategy", *CSV_FIELDS]))
    for name, doc in kpis.items():
        for row in doc["months"]:
            flat = {**row, **{f"referrals_{p}": n for p, n in row["referrals_by_partner"].items()}}
            w.writerow(safe_row([name, *(flat[f] for f in CSV_FIELDS)]))
    return buf.getvalue()


# ------------------------------------------------------------------ charts

CHARTS = ("arrears", "contacts", "staff_hours", "evictions")
# charts whose values are counts of things (contacts, evictions): integer ticks only
COUNT_CHARTS = frozenset({"contacts", "evictions"})


def _zero_based(ax: Any, *, counts: bool) -> None:
    """Amounts, shares and counts are read from zero: a truncated axis exaggerates a gap."""
    from matplotlib.ticker import MaxNLocator

    top = ax.get_ylim()[1]
    ax.set_ylim(bottom=0, top=max(top, 1 if counts else top))
    if counts:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _draw(ax: Any, kpis: Kpis, chart: str) -> None:
    names = list(kpis)
    months = [r["month"] for r in next(iter(kpis.values()))["months"]] if kpis else []
    x = list(range(len(months)))
    if chart == "arrears":
        for name in names:
            ax.plot(
                x,
                [r["arrears_pct"] for r in kpis[name]["months"]],
                marker="o",
                color=COLOURS.get(name),
                label=name,
            )
        ax.set_title("Arrears as % of the annual rent roll (month end)")
        ax.set_ylabel("% of the annual rent roll")
    elif chart == "contacts":
        channels = (
            ("robocalls", "robocalls"),
            ("sms", "SMS"),
            ("phone_contacts", "phone"),
            ("home_visits", "home visits"),
            ("reminders", "reminder letters"),
        )
        width = 0.8 / max(1, len(names))
        for i, name in enumerate(names):
            bottom = [0] * len(months)
            for j, (key, label) in enumerate(channels):
                vals = [r[key] for r in kpis[name]["months"]]
                ax.bar(
                    [v + i * width for v in x],
                    vals,
                    width,
                    bottom=bottom,
                    color=f"C{j}",
                    alpha=1.0 if i == 0 else 0.55,
                    label=label if i == 0 else None,
                    edgecolor=COLOURS.get(name),
                    linewidth=0.6,
                )
                bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
        title = "Contacts by channel"
        if len(names) > 1:
            title += (
                " ("
                + ", ".join(f"{'left' if i == 0 else 'right'}: {n}" for i, n in enumerate(names))
                + ")"
            )
        ax.set_title(title)
        ax.set_ylabel("contacts per month (count)")
    elif chart == "staff_hours":
        width = 0.8 / max(1, len(names))
        for i, name in enumerate(names):
            ax.bar(
                [v + i * width for v in x],
                [r["staff_hours"] for r in kpis[name]["months"]],
                width,
                color=COLOURS.get(name),
                label=name,
            )
        ax.set_title("Staff hours: every step (letters, robocalls, SMS, calls, visits,\n"
                     "referrals, signals, bailiff, legal/court work; policy minutes)", fontsize=9)
        ax.set_ylabel("staff hours per month")
    elif chart == "evictions":
        for name in names:
            rows = kpis[name]["months"]
            total, cum = 0, []
            for r in rows:
                total += r["evictions"]
                cum.append(total)
            ax.step(
                x,
                cum,
                where="mid",
                color=COLOURS.get(name),
                label=f"{name}: evictions (cumulative)",
            )
            legal, cum_l = 0, []
            for r in rows:
                legal += r["legal_actions"]
                cum_l.append(legal)
            ax.plot(
                x,
                cum_l,
                linestyle="--",
                color=COLOURS.get(name),
                alpha=0.6,
                label=f"{name}: legal actions (cumulative)",
            )
        ax.set_title("Evictions for arrears and legal actions")
        ax.set_ylabel("cumulative count")
    _zero_based(ax, counts=chart in COUNT_CHARTS)
    ax.set_xticks(x)
    ax.set_xticklabels(months, rotation=45, ha="right", fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)


def _caption(fig: Any, caption: str | None) -> None:
    """Units and the scenario under the chart, so a copied image keeps its context."""
    if caption:
        fig.text(0.01, 0.005, caption, fontsize=7, color="#555", ha="left", va="bottom", wrap=True)
        fig.tight_layout(rect=(0, 0.05, 1, 1))
    else:
        fig.tight_layout()


def chart_bytes(kpis: Kpis, chart: str, fmt: str = "png", caption: str | None = None) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4.2))
    try:
        _draw(ax, kpis, chart)
        _caption(fig, caption)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=110, metadata=_metadata(fmt))
        return buf.getvalue()
    finally:
        plt.close(fig)


def dashboard_bytes(kpis: Kpis, fmt: str = "png", caption: str | None = None) -> bytes:
    """All four charts in one figure (``vangnet report --chart``)."""
    plt = _plt()
    fig, axes = plt.subplots(2, 2, figsize=(14, 8.5))
    try:
        for ax, chart in zip(axes.flat, CHARTS, strict=True):
            _draw(ax, kpis, chart)
        _caption(fig, caption)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=100, metadata=_metadata(fmt))
        return buf.getvalue()
    finally:
        plt.close(fig)


def _metadata(fmt: str) -> dict[str, Any]:
    # no creation date in the files: the same figures give the same bytes
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return {}


def write_charts(
    kpis: Kpis,
    folder: Path,
    fmt: str = "png",
    caption: str | None = None,
    rendered: dict[str, bytes] | None = None,
) -> dict[str, Path]:
    """Write the four charts; ``rendered`` (chart -> bytes in ``fmt``) collects them
    for the HTML report, so each chart is drawn once."""
    out = {}
    for chart in CHARTS:
        p = folder / f"{chart}.{fmt}"
        data = chart_bytes(kpis, chart, fmt, caption)
        if rendered is not None:
            rendered[chart] = data
        p.write_bytes(data)
        out[chart] = p
    return out


# ------------------------------------------------------------------ HTML

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1200px;color:#222}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right} th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}
.note{color:#555;font-size:.9em}
"""


def _html_table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_report(
    kpis: Kpis,
    *,
    title: str,
    notes: list[str] | None = None,
    scenario_toml: str | None = None,
    caption: str | None = None,
    png: dict[str, bytes] | None = None,
) -> str:
    """``png``: charts already drawn as PNG (by ``write_charts``), reused as they are."""
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
    ]
    for n in notes or []:
        parts.append(f"<p class='note'>{html.escape(n)}</p>")
    if len(kpis) > 1:
        parts.append("<h2>Side by side</h2>")
        parts.append(
            _html_table(["", *kpis], [[label, *vals] for label, vals in comparison_rows(kpis)])
        )
    for chart in CHARTS:
        drawn = (png or {}).get(chart)
        data = base64.b64encode(drawn or chart_bytes(kpis, chart, "png", caption)).decode()
        parts.append(f"<img alt='{chart}' src='data:image/png;base64,{data}'>")
    for name, doc in kpis.items():
        if doc.get("year_on_year"):
            parts.append(f"<h2>{html.escape(yoy_heading(name, doc['year_on_year']))}</h2>")
            parts.append(_html_table(["", "this year", "last year", "change", "%"],
                                     yoy_rows(name, doc["year_on_year"])))
    for name, doc in kpis.items():
        parts.append(f"<h2>{html.escape(name)}: per month</h2>")
        rows = [[_cell(r, k) for _, k, _ in COLUMNS] for r in doc["months"]]
        parts.append(_html_table([h for h, _, _ in COLUMNS], rows))
        t = doc.get("totals") or {}
        if t:
            parts.append(
                "<p class='note'>Referrals by partner: "
                + html.escape(", ".join(f"{p} {n}" for p, n in t["referrals_by_partner"].items()))
                + "</p>"
            )
    parts.append(
        "<p class='note'>Definitions: arrears are positive balances of running tenancies at month end "
        "(rent due minus payments), as % of 12 x the monthly rent of those tenancies; flows count "
        "events by their business date; staff hours count every step of both strategies at the "
        "policy's minutes: phone contacts, home visits, robocalls, SMS, letters, referrals, "
        "municipal signals, bailiff hand-overs and legal actions with their court work.</p>"
    )
    if scenario_toml:
        parts.append("<h2>Scenario</h2><pre>" + html.escape(scenario_toml) + "</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


# ------------------------------------------------------------------ many runs: bands

BAND_CHARTS: dict[str, tuple[str, str, tuple[str, ...], bool]] = {
    # chart: title, y label, KPIs drawn (mean line, 95% band), counts
    "arrears": ("Arrears as % of the annual rent roll (month end)", "% of the annual rent roll",
                ("arrears_pct",), False),
    "cases": ("Cases opened per month", "cases per month (count)", ("cases_opened",), True),
    "staff_hours": ("Staff hours per month (every step at policy minutes)", "staff hours per month",
                    ("staff_hours",), False),
    "evictions": ("Evictions for arrears and legal actions (cumulative)", "cumulative count",
                  ("evictions_cumulative", "legal_actions_cumulative"), True),
}


def draw_bands(ax: Any, bands: dict[str, dict[str, list[dict[str, Any]]]], chart: str) -> None:
    """Each strategy's mean over the runs as a line and its 95% interval as a shaded band."""
    title, ylabel, keys, counts = BAND_CHARTS[chart]
    months: list[str] = []
    for name, per_key in bands.items():
        for j, key in enumerate(keys):
            series = per_key[key]
            months = [p["month"] for p in series]
            x = list(range(len(series)))
            label = f"{name}: {key.replace('_cumulative', '').replace('_', ' ')}" if len(keys) > 1 else name
            ax.plot(x, [p["mean"] for p in series], color=COLOURS.get(name), marker="o", markersize=3,
                    linestyle="--" if j else "-", label=f"{label} (mean)")
            ax.fill_between(x, [max(0.0, p["ci95"][0]) for p in series], [p["ci95"][1] for p in series],
                            color=COLOURS.get(name), alpha=0.18, linewidth=0, label=f"{label} (95% interval)")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    _zero_based(ax, counts=counts)
    ax.set_xticks(list(range(len(months))))
    ax.set_xticklabels(months, rotation=45, ha="right", fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=7)


def band_chart_bytes(bands: dict[str, Any], chart: str, fmt: str = "png", caption: str | None = None) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4.2))
    try:
        draw_bands(ax, bands, chart)
        _caption(fig, caption)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=110, metadata=_metadata(fmt))
        return buf.getvalue()
    finally:
        plt.close(fig)


def runs_html_report(doc: dict[str, Any], *, title: str, caption: str, table: str,
                     scenario_toml: str | None = None) -> str:
    """``simulate --runs N``: the charts with each strategy's 95% band over the runs, the
    intervals of every KPI total and of the paired difference (noise marked)."""
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
        "<p class='note'>Lines: the mean over the runs; shaded bands: the 95% interval of that mean "
        "(Student's t on the runs' spread). Where two strategies' bands overlap, the difference in "
        "that month may be run-to-run noise.</p>",
    ]
    for chart in BAND_CHARTS:
        data = base64.b64encode(band_chart_bytes(doc["bands"], chart, "png", caption)).decode()
        parts.append(f"<img alt='{chart} with 95% bands' src='data:image/png;base64,{data}'>")
    parts.append("<h2>KPI totals: mean and 95% interval over the runs</h2>")
    parts.append("<pre>" + html.escape(table) + "</pre>")
    if scenario_toml:
        parts.append("<h2>Scenario</h2><pre>" + html.escape(scenario_toml) + "</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)
