"""The risk score's evaluation for people: a text section and a calibration plot."""

from __future__ import annotations

import io
from typing import Any


def risk_text(ev: dict[str, Any]) -> str:
    if "error" in ev:
        return f"\nrisk score: not evaluated: {ev['error']}\n"
    lines = [
        "",
        "risk score: probability a tenancy is still unpaid on the robocall day",
        f"  trained on {ev['train_months'][0]}..{ev['train_months'][1]} ({ev['n_train']} tenancy-months), "
        f"held out {ev['test_months'][0]}..{ev['test_months'][1]} ({ev['n_test']}; {ev['base_rate']:.1%} unpaid)",
        f"  held-out AUC {ev['auc']:.3f} (95% bootstrap interval {ev['auc_low']:.3f}..{ev['auc_high']:.3f})"
        + ("" if ev["auc_low"] > 0.5 else "; not distinguishable from chance"),
        "  features (log-odds per standard deviation): "
        + ", ".join(f"{k} {v:+.2f}" for k, v in ev["coefficients"].items()),
        "  calibration (held-out, by predicted-probability bin):",
        f"    {'predicted':>9} {'observed':>9} {'n':>6}",
    ]
    for b in ev["calibration"]:
        lines.append(f"    {b['predicted']:>9.3f} {b['observed']:>9.3f} {b['n']:>6}")
    lines.append("  the score only breaks ties in the worklist's order; it never decides a step")
    return "\n".join(lines) + "\n"


def calibration_plot(ev: dict[str, Any], fmt: str = "png") -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    pred = [b["predicted"] for b in ev["calibration"]]
    obs = [b["observed"] for b in ev["calibration"]]
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfect calibration")
    ax.plot(pred, obs, marker="o", label="risk score (held-out months)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted probability unpaid on robocall day")
    ax.set_ylabel("observed share unpaid")
    ax.set_title(f"Risk score calibration; AUC {ev['auc']:.2f} ({ev['auc_low']:.2f}-{ev['auc_high']:.2f})")
    ax.legend(loc="upper left")
    fig.text(0.01, 0.01, f"held out {ev['test_months'][0]}..{ev['test_months'][1]}, n={ev['n_test']}",
             fontsize=7)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    return buf.getvalue()
