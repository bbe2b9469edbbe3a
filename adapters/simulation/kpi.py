"""The corporation's KPIs per month (PLAYBOOK.md section 6), for any store.

Computed by streaming the store's event notifications in order
(``recorder.select_notifications`` + ``mapper.to_domain_event``), so it works for
a simulated store and a real one alike, encrypted or not, and never needs the read
models. Months come from the events' business dates (``on``, ``booked_on``,
``opened_on``, ``posted_on``, ``due_date``, ``start_date``), never from the
wall-clock timestamps of the events.

Definitions (per calendar month, at month end for stocks):

- ``arrears_cents``: sum of positive balances of the tenancies running at month end
  (rent charges due on or before month end, minus payments and credits booked on or
  before it, plus reversals); collection costs are not rent and are left out;
- ``arrears_pct``: that as % of the annual rent roll (12 x monthly rent of the
  tenancies running at month end);
- ``tenancies_in_arrears``: running tenancies whose balance exceeds the tolerance;
- ``former_tenant_debt_cents``: positive balances of tenancies ended by month end;
- flows in the month: cases opened and closed, robocalls and SMS requested, officer
  phone contacts (including robocall transfers) and home visits, reminder and 14-day
  letters, referrals by partner, municipal signals, bailiff hand-overs, legal actions
  (the month the second staff member's decision made a filing approved), evictions
  for arrears (tenancy ended with reason ``eviction_arrears``);
- ``staff_minutes``/``staff_hours``: every step of either strategy at the policy's
  minutes: phone contacts (``minutes_phone``), home visits (``minutes_home_visit``),
  robocalls (``minutes_robocall``), SMS (``minutes_sms``), reminder and 14-day letters
  (``minutes_letter``), referrals (``minutes_referral``), municipal signals
  (``minutes_signal``), bailiff hand-overs (``minutes_bailiff_handover``) and legal
  actions with their court work (``minutes_legal_action``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

from domain.policy import Policy
from domain.values import Partner, Period

T = "domain.tenancy:Tenancy."
C = "domain.arrears_case:ArrearsCase."
TOPICS = (
    T + "Started",
    T + "RentCharged",
    T + "PaymentReceived",
    T + "PaymentReversed",
    T + "CreditPosted",
    T + "Ended",
    C + "Opened",
    C + "Closed",
    C + "RobocallRequested",
    C + "SmsRequested",
    C + "ContactAttempted",
    C + "LetterSent",
    C + "ReferralMade",
    C + "MunicipalSignalSent",
    C + "BailiffHandedOver",
    C + "LegalActionDecided",
    C + "CourtEventRecorded",
)
EVICTION_REASON = "eviction_arrears"
PARTNERS = tuple(p.value for p in Partner)
FLOW_KEYS = (
    "cases_opened",
    "cases_closed",
    "robocalls",
    "sms",
    "phone_contacts",
    "home_visits",
    "reminders",
    "fourteen_day_letters",
    "referrals",
    "signals",
    "bailiff_handovers",
    "legal_actions",
    "evictions",
    "evictions_prevented",
    "staff_minutes",
)
PAGE = 2000


def stream(app: Any, after: int = 0, topics: tuple[str, ...] = TOPICS) -> Iterator[tuple[int, Any]]:
    """(notification id, domain event) of every event after ``after``, in order."""
    start = after + 1
    while True:
        page = app.recorder.select_notifications(start, PAGE, topics=topics)
        if not page:
            return
        for n in page:
            yield n.id, app.mapper.to_domain_event(n)
        start = page[-1].id + 1


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


class Kpis:
    """Feed events in store order; ask for the monthly table."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.rent: dict[UUID, int] = {}
        self.started: dict[UUID, str] = {}
        self.ended: dict[UUID, str] = {}
        self.ledger: dict[UUID, dict[str, int]] = {}  # tenancy -> month -> balance change
        self.flows: dict[str, dict[str, int]] = {}
        self.deciders: dict[UUID, set[str]] = {}
        self.first: str | None = None
        self.last: str | None = None
        self.last_id = 0

    def _seen(self, m: str) -> None:
        if self.first is None or m < self.first:
            self.first = m
        if self.last is None or m > self.last:
            self.last = m

    def _flow(self, d: date, key: str, n: int = 1) -> None:
        m = _month(d)
        self._seen(m)
        row = self.flows.setdefault(m, {})
        row[key] = row.get(key, 0) + n

    def _ledger(self, tid: UUID, d: date, cents: int) -> None:
        m = _month(d)
        self._seen(m)
        row = self.ledger.setdefault(tid, {})
        row[m] = row.get(m, 0) + cents

    def feed(self, event: Any) -> None:
        name = type(event).__qualname__
        oid = event.originator_id
        p = self.policy
        if name == "Tenancy.Started":
            self.rent[oid] = event.rent_cents
            self.started[oid] = _month(event.start_date)
            self._seen(self.started[oid])
        elif name == "Tenancy.RentCharged":
            self._ledger(oid, event.due_date, event.cents)
        elif name == "Tenancy.PaymentReceived" or name == "Tenancy.CreditPosted":
            self._ledger(oid, event.booked_on, -event.cents)
        elif name == "Tenancy.PaymentReversed":
            self._ledger(oid, event.booked_on, event.cents)
        elif name == "Tenancy.Ended":
            self.ended[oid] = _month(event.on)
            # evictions are counted from the court events (CourtEventRecorded), not assumed from
            # the reason a tenancy ended
        elif name == "ArrearsCase.CourtEventRecorded":
            if event.kind == "evicted":
                self._flow(event.on, "evictions")
            elif event.kind == "eviction_prevented":
                self._flow(event.on, "evictions_prevented")
        elif name == "ArrearsCase.Opened":
            self._flow(event.opened_on, "cases_opened")
        elif name == "ArrearsCase.Closed":
            self._flow(event.on, "cases_closed")
        elif name == "ArrearsCase.RobocallRequested":
            self._flow(event.on, "robocalls")
            self._flow(event.on, "staff_minutes", p.minutes_robocall)
        elif name == "ArrearsCase.SmsRequested":
            self._flow(event.on, "sms")
            self._flow(event.on, "staff_minutes", p.minutes_sms)
        elif name == "ArrearsCase.ContactAttempted":
            if event.channel == "phone":
                self._flow(event.on, "phone_contacts")
                self._flow(event.on, "staff_minutes", p.minutes_phone)
            elif event.channel == "home_visit":
                self._flow(event.on, "home_visits")
                self._flow(event.on, "staff_minutes", p.minutes_home_visit)
        elif name == "ArrearsCase.LetterSent" and event.kind in ("reminder", "fourteen_day_letter"):
            self._flow(
                event.posted_on,
                "fourteen_day_letters" if event.kind == "fourteen_day_letter" else "reminders",
            )
            self._flow(event.posted_on, "staff_minutes", p.minutes_letter)
        elif name == "ArrearsCase.ReferralMade":
            self._flow(event.on, "referrals")
            self._flow(event.on, f"referrals_{event.partner}")
            self._flow(event.on, "staff_minutes", p.minutes_referral)
        elif name == "ArrearsCase.MunicipalSignalSent":
            self._flow(event.on, "signals")
            self._flow(event.on, "staff_minutes", p.minutes_signal)
        elif name == "ArrearsCase.BailiffHandedOver":
            self._flow(event.on, "bailiff_handovers")
            self._flow(event.on, "staff_minutes", p.minutes_bailiff_handover)
        elif name == "ArrearsCase.LegalActionDecided":
            who = self.deciders.setdefault(oid, set())
            before = len(who)
            who.add(event.by)
            if before < 2 <= len(who):
                self._flow(event.on, "legal_actions")
                self._flow(event.on, "staff_minutes", p.minutes_legal_action)

    def feed_store(self, app: Any) -> Kpis:
        for nid, event in stream(app, self.last_id):
            self.feed(event)
            self.last_id = nid
        return self

    # ------------------------------------------------------------------ table
    def months(self, first: str | None = None, last: str | None = None) -> list[str]:
        lo, hi = first or self.first, last or self.last
        if lo is None or hi is None:
            return []
        out = []
        p = Period.parse(lo)
        while str(p) <= hi:
            out.append(str(p))
            p = p.next()
        return out

    def table(self, first: str | None = None, last: str | None = None) -> list[dict[str, Any]]:
        months = self.months(first, last)
        if not months:
            return []
        tol = self.policy.tolerance_cents
        # balances at the end of each month, in one pass per tenancy
        stock = {
            m: {"arrears": 0, "in_arrears": 0, "running": 0, "roll": 0, "former": 0} for m in months
        }
        for tid, rent in self.rent.items():
            changes = self.ledger.get(tid, {})
            balance = sum(c for m, c in changes.items() if m < months[0])
            start, end = self.started[tid], self.ended.get(tid)
            for m in months:
                balance += changes.get(m, 0)
                if start > m:
                    continue
                row = stock[m]
                if end is not None and end <= m:
                    row["former"] += max(balance, 0)
                    continue
                row["running"] += 1
                row["roll"] += 12 * rent
                row["arrears"] += max(balance, 0)
                row["in_arrears"] += balance > tol
        rows = []
        for m in months:
            s, f = stock[m], self.flows.get(m, {})
            row: dict[str, Any] = {
                "month": m,
                "arrears_cents": s["arrears"],
                "arrears_pct": round(100.0 * s["arrears"] / s["roll"], 4) if s["roll"] else 0.0,
                "annual_rent_roll_cents": s["roll"],
                "tenancies": s["running"],
                "tenancies_in_arrears": s["in_arrears"],
                "former_tenant_debt_cents": s["former"],
            }
            for k in FLOW_KEYS:
                row[k] = f.get(k, 0)
            row["referrals_by_partner"] = {p: f.get(f"referrals_{p}", 0) for p in PARTNERS}
            row["staff_hours"] = round(row["staff_minutes"] / 60.0, 2)
            rows.append(row)
        return rows


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Flows summed over the months; stocks at the last month; mean arrears %."""
    if not rows:
        return {}
    out: dict[str, Any] = {k: sum(r[k] for r in rows) for k in FLOW_KEYS}
    out["referrals_by_partner"] = {
        p: sum(r["referrals_by_partner"][p] for r in rows) for p in PARTNERS
    }
    out["staff_hours"] = round(out["staff_minutes"] / 60.0, 2)
    last = rows[-1]
    for k in (
        "arrears_cents",
        "arrears_pct",
        "tenancies",
        "tenancies_in_arrears",
        "former_tenant_debt_cents",
    ):
        out[f"{k}_at_end"] = last[k]
    out["arrears_pct_mean"] = round(sum(r["arrears_pct"] for r in rows) / len(rows), 4)
    return out


def compute(
    app: Any, policy: Policy | None = None, first: str | None = None, last: str | None = None
) -> dict[str, Any]:
    """The monthly table and its totals; with 13 months or more also ``year_on_year``."""
    k = Kpis(policy or app.policy).feed_store(app)
    rows = k.table(first, last)
    out: dict[str, Any] = {"months": rows, "totals": totals(rows)}
    yoy = year_on_year(rows)
    if yoy is not None:
        out["year_on_year"] = yoy
    return out


# ------------------------------------------------------------------ year on year

YOY_STOCKS = ("arrears_cents", "arrears_pct", "tenancies_in_arrears", "former_tenant_debt_cents")
YOY_FLOWS = (
    "cases_opened", "robocalls", "reminders", "fourteen_day_letters", "referrals", "bailiff_handovers",
    "legal_actions", "evictions", "staff_hours",
)


def _year_before(month: str) -> str:
    return f"{int(month[:4]) - 1:04d}{month[4:]}"


def year_on_year(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """This year against last year, as a landlord reports it: stocks (arrears, tenancies in
    arrears) at the last month against the same month a year before; flows (cases opened,
    letters, legal actions, evictions, staff hours) summed over this year's months (the
    last 12, or fewer when the table is shorter than two years) against the same calendar
    months a year before. ``None`` when no month has its month of last year in the table."""
    by_month = {r["month"]: r for r in rows}
    this = [r["month"] for r in rows[-12:] if _year_before(r["month"]) in by_month]
    if not this:
        return None
    last = [_year_before(m) for m in this]
    end, end_before = rows[-1]["month"], _year_before(rows[-1]["month"])
    kpis: dict[str, dict[str, Any]] = {}
    for key in (*YOY_STOCKS, *YOY_FLOWS):
        if key in YOY_STOCKS:
            if end_before not in by_month:
                continue
            a, b = by_month[end][key], by_month[end_before][key]
        else:
            a = sum(by_month[m][key] for m in this)
            b = sum(by_month[m][key] for m in last)
            if key == "staff_hours":
                a, b = round(a, 2), round(b, 2)
        change = round(a - b, 4) if isinstance(a, float) or isinstance(b, float) else a - b
        kpis[key] = {"this_year": a, "last_year": b, "change": change,
                     "change_pct": round(100.0 * (a - b) / b, 1) if b else None}
    return {"this_year": [this[0], this[-1]], "last_year": [last[0], last[-1]],
            "stocks_at": [end, end_before] if end_before in by_month else None, "kpis": kpis}
