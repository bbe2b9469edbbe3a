"""Fit what a store can show and write it as a simulation scenario.

The simulation's tenants are latent household states (ok / strained / crisis) with
per-state probabilities; a store never records those states, so most of them cannot
be fitted from a ledger and a contact log. This module is honest about it:

- **direct parameters** have the same meaning in the store as in the scenario and are
  fitted and written as values: the robocall key choices among answered calls
  (``telephony.press_1``, ``press_2``, ``no_input``);
- **observables** have no one-to-one scenario key (they mix the latent states); they
  are fitted and written as comments next to the scenario keys they inform, so an
  analyst can compare a simulated store with a real one on the same footing:
  on-time payment share and days late by due-day group, cure within 14 days after
  each kind of contact, promise keep rate, arrangement keep rate, return rate per
  reason code, evictions per legal action, and the arrears stock at the end of the window
  (share of tenancies in arrears and months owed: the ``[stock]`` a run starting from
  this store would begin with);
- everything else keeps its default and is listed as not fitted.

Proportions: Wilson 95% intervals (``statsmodels.stats.proportion.proportion_confint``);
means: t intervals (``statsmodels.stats.weightstats.DescrStatsW``); multinomial shares:
Goodman simultaneous intervals (``multinomial_proportions_confint``).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from adapters.simulation import scenario as scenario_mod
from application.risk import histories
from domain.risk import History

CURE_DAYS = 14
CONTACTS = ("robocall", "sms", "reminder", "fourteen_day_letter", "phone", "home_visit")
DIRECT = ("press_1", "press_2", "no_input")
ROBO_KEYS = {"chose_sms": "press_1", "chose_transfer": "press_2", "no_input": "no_input"}


def _prop(k: int, n: int) -> dict[str, Any]:
    from statsmodels.stats.proportion import proportion_confint

    if n == 0:
        return {"value": None, "low": None, "high": None, "n": 0}
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return {"value": round(k / n, 4), "low": round(float(low), 4), "high": round(float(high), 4), "n": n}


def _mean(xs: list[float]) -> dict[str, Any]:
    from statsmodels.stats.weightstats import DescrStatsW

    if len(xs) < 2:
        return {"value": None, "low": None, "high": None, "n": len(xs)}
    d = DescrStatsW(xs)
    low, high = d.tconfint_mean(alpha=0.05)
    return {"value": round(float(d.mean), 2), "low": round(float(low), 2), "high": round(float(high), 2), "n": len(xs)}


def _in(d: date, first: date | None, last: date | None) -> bool:
    return (first is None or d >= first) and (last is None or d <= last)


def _cleared_within(h: History, on: date, days: int, tol: int) -> bool:
    end = on + timedelta(days=days)
    return any(h.balance(d) <= tol for d in {on + timedelta(days=i) for i in range(days + 1)} if d <= end)


def observe(app: Any, first: date | None = None, last: date | None = None) -> dict[str, Any]:
    """Counts and fitted values of every observable, between ``first`` and ``last``."""
    tol = app.policy.tolerance_cents
    hs = histories(app)
    contacts: list[tuple[UUID, str, date]] = []
    robo = Counter[str]()
    promise = Counter[bool]()
    arrangements = Counter[str]()
    returns = Counter[str]()
    payments = 0
    legal = 0
    evictions = 0
    case_tenancy: dict[UUID, UUID] = {}
    start = 1
    while True:
        page = app.recorder.select_notifications(start, 2000)
        if not page:
            break
        for n in page:
            topic = n.topic.rsplit(".", 1)[-1]
            if topic not in ("Opened", "RobocallRequested", "SmsRequested", "LetterSent", "ContactAttempted",
                             "PromiseChecked", "ArrangementCompleted", "ArrangementBroken", "LegalActionDecided",
                             "PaymentReceived", "PaymentReversed", "Ended"):
                continue
            e = app.mapper.to_domain_event(n)
            name = type(e).__qualname__
            on = getattr(e, "on", None) or getattr(e, "booked_on", None) or getattr(e, "posted_on", None)
            if name == "ArrearsCase.Opened":
                case_tenancy[e.originator_id] = e.tenancy_id
                continue
            if on is None or not _in(on, first, last):
                continue
            tid = case_tenancy.get(e.originator_id)
            if name == "ArrearsCase.RobocallRequested" and tid:
                contacts.append((tid, "robocall", on))
            elif name == "ArrearsCase.SmsRequested" and tid:
                contacts.append((tid, "sms", on))
            elif name == "ArrearsCase.LetterSent" and tid and e.kind in ("reminder", "fourteen_day_letter"):
                contacts.append((tid, e.kind, on))
            elif name == "ArrearsCase.ContactAttempted":
                if e.channel in ("phone", "home_visit") and e.outcome == "reached" and tid:
                    contacts.append((tid, e.channel, on))
                elif e.channel == "robocall":
                    robo[e.outcome] += 1
            elif name == "ArrearsCase.PromiseChecked":
                promise[bool(e.kept)] += 1
            elif name == "ArrearsCase.ArrangementCompleted":
                arrangements["kept"] += 1
            elif name == "ArrearsCase.ArrangementBroken":
                arrangements["broken"] += 1
            elif name == "ArrearsCase.LegalActionDecided":
                legal += 1
            elif name == "Tenancy.PaymentReceived":
                payments += 1
            elif name == "Tenancy.PaymentReversed":
                returns[e.reason_code or "none"] += 1
            elif name == "Tenancy.Ended" and e.reason == "eviction_arrears":
                evictions += 1
        start = page[-1].id + 1

    obs: dict[str, Any] = {}
    # days to payment after the due day, by due-day group
    groups: dict[str, tuple[list[int], list[float]]] = {}
    for h in hs.values():
        g = "due_day_1" if h.due_day == 1 else "due_day_2_28"
        on_time, late = groups.setdefault(g, ([], []))
        for _p, due, _c in h.charges:
            if not _in(due, first, last) or (last is not None and due + timedelta(days=31) > last):
                continue
            days = _days_to_clear(h, due, tol)
            if days is None:
                continue
            on_time.append(1 if days == 0 else 0)
            if days > 0:
                late.append(float(days))
    for g, (on_time, late) in sorted(groups.items()):
        obs[f"paid_by_due_date.{g}"] = _prop(sum(on_time), len(on_time))
        obs[f"days_late_when_late.{g}"] = _mean(late)
    cured = Counter[str]()
    seen = Counter[str]()
    for tid, kind, on in contacts:
        ht = hs.get(tid)
        if ht is None or (last is not None and on + timedelta(days=CURE_DAYS) > last):
            continue
        seen[kind] += 1
        cured[kind] += _cleared_within(ht, on, CURE_DAYS, tol)
    for kind in CONTACTS:
        obs[f"cured_within_{CURE_DAYS}_days_after.{kind}"] = _prop(cured[kind], seen[kind])
    obs["promise_kept"] = _prop(promise[True], promise[True] + promise[False])
    obs["arrangement_kept"] = _prop(arrangements["kept"], arrangements["kept"] + arrangements["broken"])
    for code, k in sorted(returns.items()):
        obs[f"payments_returned.{code}"] = _prop(k, payments)
    obs["evictions_per_legal_action"] = _prop(min(evictions, legal), legal)
    obs.update(_arrears_stock(hs, last, tol))
    answered = sum(robo[k] for k in ROBO_KEYS)
    obs["robocall_answered_choices"] = _multinomial({ROBO_KEYS[k]: robo[k] for k in ROBO_KEYS}, answered)
    return obs


STOCK_AGES = 4  # months of arrears 1, 2, 3, 4 or more (scenario stock.age_months_weights)


def _arrears_stock(hs: dict[UUID, History], last: date | None, tol: int) -> dict[str, Any]:
    """The arrears stock at the end of the window (the day ``last``, or the last due date):
    the share of running tenancies owing more than the tolerance, and how many months of
    rent they owe (1, 2, 3, 4 or more): what a run starting from this store would begin with."""
    dues = [due for h in hs.values() for _, due, _ in h.charges]
    if not dues:
        return {}
    on = last or max(dues)
    running = in_arrears = 0
    ages = Counter[int]()
    for h in hs.values():
        charged = [c for _, due, c in h.charges if due <= on]
        if not charged or (h.ended_on is not None and h.ended_on <= on):
            continue
        running += 1
        owed = h.balance(on)
        if owed > tol:
            in_arrears += 1
            ages[min(STOCK_AGES, max(1, -(-owed // charged[-1])))] += 1
    out: dict[str, Any] = {"arrears_stock.share_in_arrears": _prop(in_arrears, running)}
    for k, v in _multinomial({str(a): ages[a] for a in range(1, STOCK_AGES + 1)}, in_arrears)["shares"].items():
        out[f"arrears_stock.age_months.{k}{'+' if int(k) == STOCK_AGES else ''}"] = v
    return out


def _days_to_clear(h: History, due: date, tol: int) -> int | None:
    for i in range(0, 62):
        if h.balance(due + timedelta(days=i)) <= tol:
            return i
    return None


def _multinomial(counts: dict[str, int], n: int) -> dict[str, Any]:
    from statsmodels.stats.proportion import multinomial_proportions_confint

    if n == 0 or sum(1 for v in counts.values() if v) < 2:
        return {"n": n, "shares": {}}
    ci = multinomial_proportions_confint([counts[k] for k in counts], alpha=0.05, method="goodman")
    return {"n": n, "shares": {k: {"value": round(counts[k] / n, 4), "low": round(float(lo), 4),
                                   "high": round(float(hi), 4), "n": n}
                               for k, (lo, hi) in zip(counts, ci, strict=True)}}


# the scenario keys an observable informs (written beside them as comments)
INFORMS = {
    "paid_by_due_date": ("finances", "ok_slip"),
    "days_late_when_late": ("finances", "self_cure_days_max"),
    "cured_within_14_days_after.robocall": ("responses", "after_robocall_sms"),
    "cured_within_14_days_after.sms": ("responses", "after_sms"),
    "cured_within_14_days_after.reminder": ("responses", "after_reminder"),
    "cured_within_14_days_after.fourteen_day_letter": ("responses", "after_fourteen_day_letter"),
    "cured_within_14_days_after.phone": ("conversation", "promise_kept_ok"),
    "cured_within_14_days_after.home_visit": ("officers", "home_visit_reach"),
    "promise_kept": ("conversation", "promise_kept_strained"),
    "arrangement_kept": ("conversation", "instalment_kept_strained"),
    "evictions_per_legal_action": ("court", "evict_if_arrears"),
    "arrears_stock.share_in_arrears": ("stock", "share_in_arrears"),
    "arrears_stock.age_months": ("stock", "age_months_weights"),
}


def _informs(name: str) -> tuple[str, str] | None:
    for prefix, target in INFORMS.items():
        if name == prefix or name.startswith(prefix + "."):
            return target
    return None


def _fmt(v: dict[str, Any]) -> str:
    if v["value"] is None:
        return f"not fitted (n={v['n']})"
    return f"{v['value']} (95% CI {v['low']}-{v['high']}, n={v['n']})"


def calibrate(app: Any, first: date | None = None, last: date | None = None,
              min_n: int = 30) -> tuple[str, dict[str, Any]]:
    """(scenario TOML, summary): direct parameters fitted where ``min_n`` observations
    allow, observables as comments, the rest kept from the defaults and listed."""
    obs = observe(app, first, last)
    values = scenario_mod.defaults().as_dict()
    fitted: dict[str, dict[str, Any]] = {}
    choices = obs["robocall_answered_choices"]
    if choices["n"] >= min_n and choices["shares"]:
        shares = {k: choices["shares"][k]["value"] for k in DIRECT}
        shares["no_input"] = round(1 - shares["press_1"] - shares["press_2"], 4)  # the three sum to 1
        for k in DIRECT:
            values["telephony"][k] = shares[k]
            fitted[f"telephony.{k}"] = {**choices["shares"][k], "value": shares[k]}
    sc = scenario_mod.from_mapping(values)
    notes: dict[tuple[str, str], list[str]] = {}
    for name, v in obs.items():
        target = _informs(name)
        if target and isinstance(v, dict) and "value" in v:
            notes.setdefault(target, []).append(f"observed {name}: {_fmt(v)}")
    for key, v in fitted.items():
        section, k = key.split(".")
        notes.setdefault((section, k), []).insert(0, f"FITTED from the store: {_fmt(v)}")
    not_fitted = [f"{s}.{p.key}" for s, p in scenario_mod.iter_params()
                  if s != "run" and f"{s}.{p.key}" not in fitted]
    lines = [
        "# Vangnet scenario calibrated from a store (vangnet calibrate).",
        f"# Window: {first or 'first event'} .. {last or 'last event'}.",
        "# FITTED keys were estimated from the store (value, 95% interval, observations).",
        "# 'observed' comments are fitted observables with no one-to-one scenario key: the",
        "# simulation's latent household states (ok/strained/crisis) are not recorded in a",
        "# store, so the key below such a comment keeps its default; compare the observable",
        "# with the same figure from `vangnet calibrate` on a simulated store to tune it.",
        f"# Not fitted, kept from the defaults: {len(not_fitted)} keys (see the end of this file).",
        "",
    ]
    for line in scenario_mod.to_toml(sc).splitlines()[5:]:
        m = line.split(" = ", 1)
        if len(m) == 2 and not line.startswith("#"):
            section = _section_of(lines)
            for note in notes.get((section, m[0]), []):
                lines.append(f"# {note}")
        lines.append(line)
    lines.append("# Not fitted, kept from the defaults:")
    for k in not_fitted:
        lines.append(f"#   {k}")
    lines.append("")
    return "\n".join(lines), {"fitted": fitted, "observed": obs, "not_fitted": not_fitted}


def _section_of(lines: list[str]) -> str:
    for line in reversed(lines):
        if line.startswith("[") and line.endswith("]"):
            return line[1:-1]
    return ""
