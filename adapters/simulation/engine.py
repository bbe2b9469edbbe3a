"""Drive a synthetic population day by day through the production application.

Everything goes through the same ``Vangnet`` commands, policy, daily run and
adapters as production: tenancies via ``start_tenancy`` (fake contact details go
to the contact directory), intake via ``record_intake``, agreed due days via
``agree_due_day``, rent charges by the daily run (``post_rent_charges``), payments
as one bank import per day (``import_ledger``), robocalls and SMS through the
simulated dialer whose facts the application records (``record_facts``), letters
through the configured letters port, officers' work from ``worklist`` then
``record_contact``/``promise_to_pay``/``agree_arrangement``/``refer``/
``accept_referral``, team leads' ``approve_bailiff``/``decide_legal_action``, and
evictions via ``end_tenancy(reason="eviction_arrears")``.

The behaviour models (tenants, officers, team leads, partners, court) react to
what happened: the events the store records each day, in the store's notification
order (taken as the recorder inserts them, like a downstream consumer reading the
notifications would see them, without reading them back). Their numbers come from
the scenario only.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import shutil
import time as _time
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs

from adapters.simulation import kpi as kpi_mod
from adapters.simulation.population import (
    CRISIS,
    OK,
    STRAINED,
    Household,
    household_ref,
    make_household,
    next_state,
    population,
    rng,
)
from adapters.simulation.scenario import Scenario, dialer_rates, miss_factor, season_calendar
from application import daily_run
from application.ledger_types import LedgerLine
from application.policy import PolicyFile, load_policy
from application.ports import Contact, Sms, Telephony, TelephonyFact
from application.service import CommandError, NewTenancy, NotFound
from domain.calendar import is_business_day, on_or_next_business_day
from domain.tenancy import tenancy_id_for
from domain.values import SYSTEM, Actor, Channel, LedgerKind, Outcome, Partner, Period, Role

LETTING = Actor(Role.LETTING, "sim-letting")
PARTNER_DESK = Actor(Role.OFFICER, "sim-partner-desk")
LEADS = (Actor(Role.TEAM_LEAD, "sim-lead-a"), Actor(Role.TEAM_LEAD, "sim-lead-b"))
PHONE_TASKS = ("phone", "promise_follow_up", "instalment_follow_up", "call_back")
C = "domain.arrears_case:ArrearsCase."
T = "domain.tenancy:Tenancy."
BEHAVIOUR_TOPICS = (
    C + "PromiseMade",
    C + "ArrangementAgreed",
    C + "ArrangementBroken",
    C + "ArrangementCompleted",
    C + "ReferralAccepted",
    T + "RentCharged",
)
TOPICS = tuple(dict.fromkeys(kpi_mod.TOPICS + BEHAVIOUR_TOPICS))


SQLITE_CACHE_KIB = 256 * 1024  # the simulation store's page cache (see Simulation._batch)


class SimulationError(ValueError):
    """The simulation cannot run as asked (store not empty, bad target)."""


class _LateSink:
    """The dialer's fact sink and contact directory: the application, bound after build."""

    app: Any = None

    def record_facts(self, facts: Sequence[TelephonyFact]) -> int:
        return int(self.app.record_facts(facts))

    def get(self, tenancy_id: UUID) -> Contact | None:
        return self.app.store.contact(tenancy_id)


@attrs.define
class RunResult:
    strategy: str
    db: str
    months: list[dict[str, Any]]
    totals: dict[str, Any]
    seconds: float
    events: int

    def kpis(self) -> dict[str, Any]:
        out: dict[str, Any] = {"months": self.months, "totals": self.totals}
        yoy = kpi_mod.year_on_year(self.months)
        if yoy is not None:  # 13 months or more: this year against last year
            out["year_on_year"] = yoy
        return out


def months_of(start: str, months: int) -> list[str]:
    p = Period.parse(start)
    out = []
    for _ in range(months):
        out.append(str(p))
        p = p.next()
    return out


class Simulation:
    """One strategy on one store."""

    def __init__(
        self,
        sc: Scenario,
        strategy: str,
        *,
        settings: Any,
        policy_file: PolicyFile | None = None,
        on_day: Callable[[date], None] | None = None,
        letters: Any = None,
    ):
        from adapters.bootstrap import build
        from adapters.memory import FixedClock
        from adapters.telephony.simulated import SimulatedDialer

        self.sc = sc
        self.strategy = strategy
        self.seed = int(sc.run.seed)
        self.n = int(sc.run.tenancies)
        self.start = Period.parse(sc.run.start).first_day()
        self.month_list = months_of(sc.run.start, int(sc.run.months))
        self.end = Period.parse(self.month_list[-1]).last_day()
        self.on_day = on_day
        pf = policy_file or load_policy(None)
        pol = attrs.evolve(
            pf.policy, **{**sc.values["policy"], "post_rent_charges": True, "strategy": strategy}
        )
        self.policy = pol
        self.pf = attrs.evolve(pf, policy=pol)
        self.clock = FixedClock(self.start)
        self.sink = _LateSink()
        self.dialer = SimulatedDialer(
            self.sink,
            self.sink,
            rates=dialer_rates(sc.values["telephony"]),
            seed=self.seed,
            deliver="batch",
        )
        cache = max(4096, 6 * self.n)
        # the simulation is its store's only writer and can re-run: WAL with
        # synchronous=NORMAL, one transaction per simulated week (see _batch), cached
        # aggregates trusted, and its signal files written without fsync
        self.settings = attrs.evolve(
            settings, cache_size=cache, sqlite_synchronous="NORMAL", cache_fastforward=False,
            durable_files=False
        )
        kwargs: dict[str, Any] = {}
        if letters is not None:
            kwargs["letters"] = letters
        elif not self.pf.sections.get("letters"):  # no landlord details: letters are recorded, not rendered
            from adapters.memory import RecordingLetters

            kwargs["letters"] = RecordingLetters()
        tel: Telephony = self.dialer
        sms: Sms = self.dialer
        self.app = build(
            self.settings, clock=self.clock, telephony=tel, sms=sms, policy=self.pf, **kwargs
        )
        self.sink.app = self.app
        # The simulation is its store's only writer, and the application clears the cache
        # whenever a command fails: cached aggregates need no defensive copy on every load.
        self.app.repository.deepcopy_from_cache = False
        # Snapshots only speed up loading from the store, and the run loads its aggregates
        # from the cache: none are taken (3-4 % of a run's CPU, 13 % of rent posting, each
        # one re-encoding a whole tenancy). Reading the store later replays the events.
        self.app.snapshotting_intervals = {}  # type: ignore[misc]  # this application only
        if self.app.store.count_events():
            raise SimulationError(
                f"db: the store {self.settings.db!r} is not empty; simulate into a new store"
            )
        self.kpis = kpi_mod.Kpis(pol)
        self._new: list[tuple[int, Any]] | None = self._watch_inserts()
        # behaviour state
        self.households: dict[str, Household] = {}
        self.by_tid: dict[UUID, str] = {}
        self.case_ref: dict[UUID, str] = {}
        self.open_case: dict[str, UUID] = {}
        self.charges: dict[str, list[tuple[date, int]]] = {}
        self.paid: dict[str, int] = {}
        self.paid_today: dict[str, int] = {}
        self.rent_today: dict[str, int] = {}
        self.agenda: dict[date, list[tuple[Any, ...]]] = {}
        self.arrangements: dict[tuple[UUID, int], str] = {}  # (case, index) -> ref, while active
        self.in_arrangement: dict[str, int] = {}
        self.nudge_month: dict[str, str] = {}
        self.sms_rule: dict[tuple[UUID, str], str] = {}
        self.deciders: dict[UUID, set[str]] = {}
        self.filed: dict[str, UUID] = {}  # ref -> the case whose legal action was filed
        self.stock: dict[str, int] = {}  # ref -> months of arrears at the run's start ([stock])
        self.tx = 0
        self.last_id = 0
        self.minutes_left = 0
        self.officers = max(1, round(self.n * sc.officers.officers_per_1000_tenancies / 1000.0))
        self.inbound_today: list[str] = []

    # ================================================================== driver
    def run(self) -> RunResult:
        t0 = _time.perf_counter()
        self.app.store.apply([_meta("simulation", f"strategy={self.strategy};seed={self.seed}")])
        day = self.start
        for h in population(self.sc, self.seed, self.n, self.start):
            self._arrears_stock(h)
            self._schedule(h.start_date, ("start", h))
            day = min(day, h.start_date)
        with self._batch() as commit, _young_gc_only() as full_gc:
            while day <= self.end:
                self._day(day)
                if day.weekday() == 6:  # a week per transaction (see _batch)
                    commit()
                if self.on_day:
                    self.on_day(day)
                day += timedelta(days=1)
                full_gc() if day.day == 1 else gc.collect(1)
        rows = self.kpis.table(self.month_list[0], self.month_list[-1])
        return RunResult(
            self.strategy,
            self.settings.db,
            rows,
            kpi_mod.totals(rows),
            _time.perf_counter() - t0,
            self.kpis.last_id,
        )

    @contextlib.contextmanager
    def _batch(self) -> Iterator[Callable[[], None]]:
        """One write transaction per simulated week where the store offers it (SQLite);
        commands inside it roll back alone when they fail (see adapters.store.batching).

        A week rather than a day, with a page cache of up to ``SQLITE_CACHE_KIB``: the
        day's inserts touch pages all over the random-keyed indexes, and each commit
        wrote every page it touched again to the WAL and then to the database (a
        5000 x 12 run wrote 1.9 GB for a 183 MB store, 4 s of kernel time; a week per
        commit half of that). A crash loses at most the week, and a simulation is run
        again from the start anyway."""
        ds = getattr(self.app.recorder, "datastore", None)
        if ds is None or not hasattr(ds, "batch"):
            yield lambda: None
            return
        with ds.batch():
            conn = getattr(getattr(ds, "_batch", None), "_sqlite_conn", None)
            if conn is not None:
                conn.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            yield ds.commit

    def _arrears_stock(self, h: Household) -> None:
        """A household of the existing arrears stock ([stock]): its tenancy starts as many
        months before the run as its arrears are old and it pays nothing until the run
        starts, so the production playbook has taken its case as far as it goes by then
        (reminders, letters, a bailiff or legal action). Its KPIs count from the run's
        first month; the months before are the case history, not the run."""
        st = self.sc.stock
        if st.share_in_arrears <= 0:
            return
        r = rng(self.seed, "stock", h.home)
        if r.random() >= st.share_in_arrears:
            return
        ages = list(range(1, len(st.age_months_weights) + 1))
        age = r.choices(ages, weights=st.age_months_weights)[0]
        p = Period.of(self.start)
        for _ in range(age):
            p = p.previous()
        h.start_date = p.first_day()
        h.state = CRISIS if r.random() < st.crisis_share else STRAINED
        self.stock[h.ref] = age

    def _before_run(self, ref: str, d: date) -> bool:
        """A stock household before the run starts: it pays nothing and does not drift."""
        return d < self.start and ref in self.stock

    def _day(self, d: date) -> None:
        self.clock.day = d
        self.paid_today = {}
        self.rent_today = {}
        items = self.agenda.pop(d, [])
        starts = [it[1] for it in items if it[0] == "start"]
        self._start_tenancies(d, starts)
        if d.day == 1:
            self._plan_month(d)
            items += self.agenda.pop(d, [])
        with self.app.deferred_saves():  # the day's commands in one write (Vangnet.deferred_saves)
            self._do_agenda(d, [it for it in items if it[0] != "start"])
        # the daily run, posting rent only on days a charge can be due (see the package docstring)
        post = d.day == 1 or bool(starts)
        self.app.policy = attrs.evolve(self.policy, post_rent_charges=post)
        try:
            daily_run.run_one_day(self.app, d)
        finally:
            self.app.policy = self.policy
        self.dialer.flush()
        business = is_business_day(d)
        self.minutes_left = (
            (self.officers * self.sc.officers.minutes_per_officer_day) if business else 0
        )
        self._observe(d)
        if business:
            with self.app.deferred_saves():
                self._inbound_calls(d)
                self._work(d)
        self._observe(d)

    def _schedule(self, d: date, item: tuple[Any, ...]) -> None:
        self.agenda.setdefault(d, []).append(item)

    # ============================================================ tenancies
    def _start_tenancies(self, d: date, households: list[Household]) -> None:
        """The day's new tenancies, with their intake and any due day agreed at it, in one
        command (``start_tenancies``: the checks and events of ``start_tenancy``,
        ``record_intake`` and ``agree_due_day`` one by one, saved together)."""
        if not households:
            return
        o = self.sc.officers
        starts: list[NewTenancy] = []
        agreed: dict[str, int] = {}
        for h in households:
            contact = Contact(tenancy_id=None, name=h.name, phone=h.phone, municipality="Emmen")  # type: ignore[arg-type]
            intake = None
            due = None
            if self.strategy == "preventive":
                r = rng(self.seed, "intake", h.ref)
                if r.random() < o.intake_share:
                    intake = h.intake()
                    proposed = intake.proposed_due_day(self.policy.default_due_day)
                    late_income = self.sc.population.late_income_until_day
                    if proposed and proposed <= late_income and r.random() < o.agree_due_day_share:
                        due = (proposed, f"benefit paid on day {proposed}")
                        agreed[h.ref] = proposed
            starts.append(NewTenancy(h.ref, h.rent_cents, d, contact=contact, intake=intake, agreed_due_day=due))
        self.app.start_tenancies(LETTING, starts)
        for h in households:
            self.households[h.ref] = h
            self.by_tid[tenancy_id_for(h.ref)] = h.ref
            self.charges[h.ref] = []
            self.paid[h.ref] = 0
            if h.ref in agreed:
                h.due_day = agreed[h.ref]

    # ============================================================ months
    def _pay_day(self, h: Household, period: Period) -> date:
        due = period.due_date(h.due_day)
        b = h.benefit_pay_day
        if b is not None and h.due_day < b <= self.sc.population.late_income_until_day:
            return period.due_date(b)
        return due

    def _plan_month(self, d: date) -> None:
        f = self.sc.finances
        period = Period.of(d)
        slip, strained_pays, crisis_pays = f.ok_slip, f.strained_pays_rent, f.crisis_pays_part
        m = miss_factor(self.sc, d.month)
        if m != 1.0:  # the Dutch year ([season]): more or fewer households miss the due date
            slip = min(1.0, slip * m)
            strained_pays = 1.0 - min(1.0, (1.0 - strained_pays) * m)
            crisis_pays = 1.0 - min(1.0, (1.0 - crisis_pays) * m)
        for h in self.households.values():
            if not h.active or self._before_run(h.ref, d):
                continue
            r = rng(self.seed, "month", h.ref, period)
            if d > h.start_date:
                new = next_state(self.sc, h, r)
                if not (h.managed(d) and new != OK and _worse(new, h.state)):
                    h.state = new
            pay_day = self._pay_day(h, period)
            due = period.due_date(h.due_day)
            if h.managed(d):
                self._schedule(pay_day, ("pay", h.ref, "managed", 0))
            elif self.in_arrangement.get(h.ref):
                if r.random() < self._kept(h, "instalment"):
                    self._schedule(pay_day, ("pay", h.ref, "rent", h.rent_cents))
            elif h.state == OK:
                if r.random() < slip:
                    if r.random() < f.ok_self_cure:
                        late = due + timedelta(
                            days=r.randint(f.self_cure_days_min, f.self_cure_days_max)
                        )
                        self._schedule(max(late, pay_day), ("pay", h.ref, "arrears", 0))
                else:
                    self._schedule(pay_day, ("pay", h.ref, "rent", h.rent_cents))
                    if r.random() < f.ok_repays_arrears:
                        self._schedule(pay_day, ("pay", h.ref, "old_arrears", 0))
            elif h.state == STRAINED:
                if r.random() < strained_pays:
                    late = due + timedelta(
                        days=r.randint(f.self_cure_days_min, f.self_cure_days_max)
                    )
                    self._schedule(max(late, pay_day), ("pay", h.ref, "arrears", h.rent_cents))
            elif r.random() < crisis_pays:
                late = due + timedelta(days=r.randint(f.self_cure_days_min, f.self_cure_days_max))
                part = max(1, int(h.rent_cents * f.crisis_nudge_payment_months))
                self._schedule(max(late, pay_day), ("pay", h.ref, "arrears", part))

    def _kept(self, h: Household, what: str) -> float:
        c = self.sc.conversation
        state = OK if h.managed(self.clock.day) else h.state
        return float(getattr(c, f"{what}_kept_{state}"))

    # ============================================================ agenda
    def _arrears(self, ref: str, d: date) -> int:
        due = sum(c for when, c in self.charges.get(ref, ()) if when <= d)
        return due - self.paid.get(ref, 0) - self.paid_today.get(ref, 0)

    def _do_agenda(self, d: date, items: list[tuple[Any, ...]]) -> None:
        lines: list[LedgerLine] = []
        for it in items:
            kind = it[0]
            if kind == "pay":
                _, ref, mode, cents = it
                self._payment(d, ref, mode, cents, lines)
            elif kind == "instalment":
                _, ref, key, cents = it
                h = self.households[ref]
                if self.arrangements.get(key) == ref and h.active:
                    r = rng(self.seed, "instalment", ref, key[0], key[1], d)
                    if r.random() < self._kept(h, "instalment"):
                        self._payment(d, ref, "fixed", cents, lines)
            elif kind == "nudge":
                self._nudge(d, it[1], it[2])
            elif kind == "summons":  # served the day after filing; the tenant may pay
                cid = self.filed.get(it[1])
                if cid is not None:
                    self._court(cid)("summons", d)
                self._nudge(d, it[1], "summons")
            elif kind == "promise":
                _, ref, cap = it
                self._payment(d, ref, "arrears", cap, lines)
        if lines:
            self.app.import_ledger(SYSTEM, lines, source="bank")
        for it in items:
            kind = it[0]
            if kind == "partner":
                self._partner_answers(d, *it[1:])
            elif kind == "help":
                self._help_works(d, it[1], it[2])
            elif kind == "hearing":
                self._hearing(d, it[1])
            elif kind == "evict":
                self._evict(d, it[1])
            elif kind == "inbound":
                self.inbound_today.append(it[1])

    def _payment(self, d: date, ref: str, mode: str, cents: int, lines: list[LedgerLine]) -> None:
        h = self.households.get(ref)
        if h is None or not h.active or self._before_run(ref, d):
            return
        if mode == "rent":
            amount = cents
            self.rent_today[ref] = amount
        elif mode == "managed":
            extra = int(h.rent_cents * self.sc.finances.managed_repayment_months)
            arrears_before = self._arrears(ref, d - timedelta(days=1))
            amount = h.rent_cents + max(0, min(extra, arrears_before))
        elif mode == "old_arrears":  # what earlier months left unpaid, beside this month's rent
            start = d.replace(day=1)
            due = sum(c for when, c in self.charges.get(ref, ()) if when < start)
            already = (
                self.paid.get(ref, 0) + self.paid_today.get(ref, 0) - self.rent_today.get(ref, 0)
            )
            amount = due - already
        elif mode == "fixed":
            amount = cents
        else:  # arrears, capped when cents > 0
            amount = self._arrears(ref, d)
            if cents:
                amount = min(amount, cents)
        if amount <= 0:
            return
        self.tx += 1
        self.paid_today[ref] = self.paid_today.get(ref, 0) + amount
        lines.append(
            LedgerLine(
                line=len(lines) + 1,
                transaction_id=f"SIM-{self.tx:08d}",
                tenancy_ref=ref,
                booking_date=d,
                kind=LedgerKind.PAYMENT,
                cents=amount,
                description="simulated bank transfer",
            )
        )

    # ---------------------------------------------------------------- nudges
    def _cap(self, h: Household) -> int:
        f = self.sc.finances
        if h.state == OK or h.managed(self.clock.day):
            return 0  # all arrears
        months = (
            f.strained_nudge_payment_months
            if h.state == STRAINED
            else f.crisis_nudge_payment_months
        )
        return max(1, int(h.rent_cents * months))

    def _nudge(self, d: date, ref: str, kind: str) -> None:
        """A household with arrears reacts to a contact: it may pay after a few days."""
        h = self.households.get(ref)
        if h is None or not h.active or self._arrears(ref, d) <= 0:
            return
        resp = self.sc.responses
        p = float(getattr(resp, f"after_{kind}"))
        if h.state == STRAINED and not h.managed(d):
            p *= resp.strained_factor
        elif h.state == CRISIS and not h.managed(d):
            p *= resp.crisis_factor
        r = rng(self.seed, "nudge", ref, kind, d)
        if r.random() >= p:
            return
        month = f"{d.year}-{d.month}"
        if h.state != OK and self.nudge_month.get(ref) == month:
            return  # a household short of money pays after a reminder at most once a month
        self.nudge_month[ref] = month
        lag = r.randint(resp.payment_lag_days_min, resp.payment_lag_days_max)
        self._schedule(d + timedelta(days=lag), ("pay", ref, "arrears", self._cap(h)))

    # ============================================================ observing
    def _watch_inserts(self) -> list[tuple[int, Any]] | None:
        """The (notification id, stored event) of every event of ``TOPICS`` the store
        records, taken as the recorder inserts them (in notification order): the day's
        new events are observed from memory instead of read back from the store. None
        when the recorder does not report the notification ids it gave (then they are
        read back)."""
        rec = self.app.recorder
        insert = rec.insert_events
        wanted = frozenset(TOPICS)
        new: list[tuple[int, Any]] = []

        def insert_events(stored_events: Sequence[Any], **kwargs: Any) -> Any:
            ids = insert(stored_events, **kwargs)
            if self._new is not None:
                if ids is None or len(ids) != len(stored_events):
                    self._new = None  # from now on read back from the store
                else:
                    new.extend((i, s) for i, s in zip(ids, stored_events, strict=True) if s.topic in wanted)
            return ids

        rec.insert_events = insert_events  # type: ignore[method-assign]  # this recorder only
        return new

    def _new_events(self) -> Iterator[tuple[int, Any]]:
        """(notification id, domain event) of the events of ``TOPICS`` recorded since the
        last call, in the store's order."""
        new = self._new
        if new is None:
            yield from kpi_mod.stream(self.app, self.last_id, TOPICS)
            return
        taken = new[:]
        new.clear()
        to_domain_event = self.app.mapper.to_domain_event
        for nid, s in taken:
            if nid > self.last_id:
                yield nid, to_domain_event(s)

    def _observe(self, d: date) -> None:
        """The store's new events: KPIs and every model's reactions."""
        for nid, e in self._new_events():
            self.last_id = nid
            self.kpis.last_id = nid
            name = type(e).__qualname__
            self.kpis.feed(e)
            if name.startswith("Tenancy."):
                self._tenancy_event(name, e)
            else:
                self._case_event(d, name, e)

    def _tenancy_event(self, name: str, e: Any) -> None:
        ref = self.by_tid.get(e.originator_id)
        if ref is None:
            return
        if name == "Tenancy.RentCharged":
            self.charges[ref].append((e.due_date, e.cents))
        elif name in ("Tenancy.PaymentReceived", "Tenancy.CreditPosted"):
            self.paid[ref] += e.cents
        elif name == "Tenancy.PaymentReversed":
            self.paid[ref] -= e.cents

    def _case_event(self, d: date, name: str, e: Any) -> None:  # noqa: C901 - runs for every event of a simulation: one dispatch frame, kept for simulation speed
        cid = e.originator_id
        if name == "ArrearsCase.Opened":
            ref = self.by_tid.get(e.tenancy_id)
            if ref is not None:
                self.case_ref[cid] = ref
                self.open_case[ref] = cid
            return
        ref = self.case_ref.get(cid)
        if ref is None:
            return
        resp, help_ = self.sc.responses, self.sc.help
        if name == "ArrearsCase.Closed":
            if self.open_case.get(ref) == cid:
                del self.open_case[ref]
            for key in [k for k in self.arrangements if k[0] == cid]:
                self._end_arrangement(key)
        elif name == "ArrearsCase.SmsRequested":
            self.sms_rule[(cid, e.message_id)] = e.rule
        elif name == "ArrearsCase.ContactAttempted":
            self._contact_event(d, ref, cid, e)
        elif name == "ArrearsCase.LetterSent" and e.kind in ("reminder", "fourteen_day_letter"):
            receipt = e.posted_on + timedelta(days=self.policy.wik_receipt_days)
            kind = "fourteen_day_letter" if e.kind == "fourteen_day_letter" else "reminder"
            self._schedule(max(receipt, d + timedelta(days=1)), ("nudge", ref, kind))
            r = rng(self.seed, "inbound", ref, e.letter_id)
            if r.random() < resp.inbound_call_after_letter:
                when = on_or_next_business_day(
                    receipt + timedelta(days=r.randint(0, resp.inbound_call_days_max))
                )
                self._schedule(max(when, d + timedelta(days=1)), ("inbound", ref))
        elif name == "ArrearsCase.PromiseMade":
            h = self.households[ref]
            r = rng(self.seed, "promise", ref, e.on, e.pay_by)
            if r.random() < self._kept(h, "promise"):
                span = max(0, (e.pay_by - e.on).days - 1)
                self._schedule(
                    e.on + timedelta(days=1 + r.randint(0, span)), ("promise", ref, self._cap(h))
                )
        elif name == "ArrearsCase.ArrangementAgreed":
            key = (cid, e.index)
            self.arrangements[key] = ref
            self.in_arrangement[ref] = self.in_arrangement.get(ref, 0) + 1
            for inst in e.instalments:
                self._schedule(
                    max(inst["due_on"], d + timedelta(days=1)),
                    ("instalment", ref, key, inst["cents"]),
                )
        elif name in ("ArrearsCase.ArrangementBroken", "ArrearsCase.ArrangementCompleted"):
            self._end_arrangement((cid, self._arrangement_index(cid)))
        elif name == "ArrearsCase.ReferralMade":
            self._schedule(
                e.on + timedelta(days=help_.partner_response_days), ("partner", ref, cid, e.partner)
            )
        elif name == "ArrearsCase.ReferralAccepted":
            r = rng(self.seed, "help-delay", ref, cid, e.partner)
            delay = r.randint(help_.help_delay_days_min, help_.help_delay_days_max)
            self._schedule(e.on + timedelta(days=delay), ("help", ref, e.partner))
        elif name == "ArrearsCase.MunicipalSignalSent":
            r = rng(self.seed, "signal-help", ref, cid)
            if r.random() < help_.signal_help_accepted:
                delay = r.randint(help_.help_delay_days_min, help_.help_delay_days_max)
                self._schedule(e.on + timedelta(days=delay), ("help", ref, "municipality"))
        elif name == "ArrearsCase.BailiffHandedOver":
            self._schedule(e.on + timedelta(days=1), ("nudge", ref, "bailiff"))
        elif name == "ArrearsCase.LegalActionDecided":
            who = self.deciders.setdefault(cid, set())
            before = len(who)
            who.add(e.by)
            if before < 2 <= len(who):  # filed: summons, then the hearing
                self.filed[ref] = cid
                self._schedule(e.on + timedelta(days=1), ("summons", ref))
                c = self.sc.court
                r = rng(self.seed, "hearing", ref, cid)
                self._schedule(
                    e.on + timedelta(days=r.randint(c.hearing_days_min, c.hearing_days_max)),
                    ("hearing", ref),
                )

    def _arrangement_index(self, cid: UUID) -> int:
        idx = [k[1] for k in self.arrangements if k[0] == cid]
        return max(idx) if idx else -1

    def _end_arrangement(self, key: tuple[UUID, int]) -> None:
        ref = self.arrangements.pop(key, None)
        if ref is not None:
            self.in_arrangement[ref] = max(0, self.in_arrangement.get(ref, 0) - 1)

    def _contact_event(self, d: date, ref: str, cid: UUID, e: Any) -> None:
        if e.channel == Channel.ROBOCALL.value and e.outcome == Outcome.NO_INPUT.value:
            self._nudge(d, ref, "robocall_no_input")
        elif e.channel == Channel.SMS.value and e.outcome == Outcome.DELIVERED.value:
            rule = self.sms_rule.get((cid, e.attempt_id), "")
            self._nudge(d, ref, "robocall_sms" if rule == "STD-SMS-CHOSEN" else "sms")
        elif (
            e.channel == Channel.PHONE.value
            and e.by == "officer-line"
            and e.outcome == Outcome.REACHED.value
        ):
            # a robocall transfer: an officer talks to the tenant now
            self.minutes_left -= self.policy.minutes_phone
            self._converse(
                d, ref, cid, Actor(Role.OFFICER, "sim-officer-line"), f"transfer:{e.attempt_id}"
            )

    # ============================================================ officers
    def _officer(self, k: int) -> Actor:
        return Actor(Role.OFFICER, f"sim-officer-{k % self.officers + 1}")

    def _inbound_calls(self, d: date) -> None:
        calls, self.inbound_today = self.inbound_today, []
        for k, ref in enumerate(calls):
            cid = self.open_case.get(ref)
            h = self.households.get(ref)
            if cid is None or h is None or not h.active:
                continue
            officer = self._officer(k)
            self.minutes_left -= self.policy.minutes_phone
            try:
                self.app.record_contact(
                    officer, cid, channel=Channel.PHONE, outcome=Outcome.REACHED, on=d
                )
            except (CommandError, NotFound):
                continue
            self._converse(d, ref, cid, officer, "inbound")

    def _work(self, d: date) -> None:
        """Officers and team leads work the day's worklist, by priority, within capacity."""
        o, tl = self.sc.officers, self.sc.team_leads
        rows = self.app.worklist(self._officer(0), d)
        for k, row in enumerate(rows):
            kind, cid, ref = row["kind"], UUID(row["case_id"]), row["ref"]
            local = row["task_id"].split(".", 1)[-1]
            r = rng(self.seed, "task", row["task_id"], d)
            h = self.households.get(ref)
            try:
                if kind == "approve_bailiff":
                    lead = LEADS[0]
                    if r.random() < tl.approve_bailiff:
                        self.app.approve_bailiff(lead, cid, on=d)
                        self.app.close_task(lead, cid, local, outcome="approved", on=d)
                    else:
                        self.app.close_task(lead, cid, local, outcome="declined", on=d)
                    continue
                if kind == "review_legal_action":
                    a, b = r.random() < tl.decide_legal_action, r.random() < tl.decide_legal_action
                    if a:
                        self.app.decide_legal_action(
                            LEADS[0], cid, reason="arrears of three months' rent", on=d
                        )
                        if b:
                            self.app.decide_legal_action(LEADS[1], cid, reason="agree: file", on=d)
                    self.app.close_task(
                        LEADS[0], cid, local, outcome="filed" if a and b else "not_filed", on=d
                    )
                    continue
                if h is None:
                    continue
                officer = self._officer(k)
                if kind in ("record_household", "involve_social_services"):
                    if self.minutes_left < self.policy.minutes_phone:
                        continue
                    self.minutes_left -= self.policy.minutes_phone
                    children = rng(self.seed, "children", ref).random() < o.household_children
                    self.app.record_household(officer, cid, children=children, care=False,
                                              social_services=kind == "involve_social_services", on=d)
                    continue
                if kind in PHONE_TASKS or kind == "home_visit":
                    visit = kind == "home_visit"
                    cost = self.policy.minutes_home_visit if visit else self.policy.minutes_phone
                    if self.minutes_left < cost:
                        continue
                    self.minutes_left -= cost
                    if visit:
                        reached = r.random() < o.home_visit_reach
                        channel, miss = Channel.HOME_VISIT, Outcome.NOT_HOME
                    else:
                        reach = {"mobile": o.phone_reach_mobile, "landline": o.phone_reach_landline}
                        reached = r.random() < reach.get(h.phone_kind, 0.0)
                        channel, miss = Channel.PHONE, Outcome.NO_ANSWER
                    self.app.record_contact(
                        officer,
                        cid,
                        channel=channel,
                        outcome=Outcome.REACHED if reached else miss,
                        on=d,
                        task_id=local,
                    )
                    if reached:
                        self._converse(d, ref, cid, officer, f"{kind}:{local}")
                elif kind == "fix_contact_details":
                    if self.minutes_left < o.minutes_fix_contact:
                        continue
                    self.minutes_left -= o.minutes_fix_contact
                    if r.random() < o.fix_contact_success:
                        h.phone, h.phone_kind = f"06{r.randrange(10**8):08d}", "mobile"
                        self.app.update_contact(
                            officer,
                            ref,
                            Contact(
                                tenancy_id=None,  # type: ignore[arg-type]
                                name=h.name,
                                phone=h.phone,
                                municipality="Emmen",
                            ),
                        )
                        self.app.close_task(officer, cid, local, outcome="fixed", on=d)
                    else:
                        self.app.close_task(officer, cid, local, outcome="not_found", on=d)
            except (CommandError, NotFound):
                continue

    def _converse(self, d: date, ref: str, cid: UUID, officer: Actor, key: str) -> None:
        """What comes of a personal contact: a promise, an arrangement, a referral."""
        h = self.households.get(ref)
        arrears = self._arrears(ref, d)
        if h is None or arrears <= 0:
            return
        c = self.sc.conversation
        r = rng(self.seed, "talk", ref, cid, key, d)
        state = OK if h.managed(d) else h.state
        try:
            if state != OK and r.random() < (
                c.referral_crisis if state == CRISIS else c.referral_strained
            ):
                if h.consent_partners or r.random() < c.consent_at_contact:
                    partners = list(c.partner_weights)
                    partner = r.choices(partners, weights=[c.partner_weights[p] for p in partners])[
                        0
                    ]
                    self.app.refer(officer, cid, partner=Partner(partner), consent=True, on=d)
            arrange = (
                (c.arrangement_crisis if state == CRISIS else c.arrangement_strained)
                if state != OK
                else 0.0
            )
            if r.random() < arrange and not self.in_arrangement.get(ref):
                n = max(
                    1,
                    min(
                        12, math.ceil(arrears / max(1, h.rent_cents * c.instalment_months_of_rent))
                    ),
                )
                self.app.agree_arrangement(
                    officer, cid, instalments=n, first_date=d + timedelta(days=14), on=d
                )
            else:
                self.app.promise_to_pay(
                    officer, cid, pay_by=d + timedelta(days=c.promise_days), on=d
                )
        except (CommandError, NotFound):
            return

    # ============================================================ partners, court
    def _partner_answers(self, d: date, ref: str, cid: UUID, partner: str) -> None:
        r = rng(self.seed, "partner", ref, cid, partner)
        try:
            if r.random() < self.sc.help.partner_accepts[partner]:
                self.app.accept_referral(PARTNER_DESK, cid, partner=Partner(partner), on=d)
            else:
                self.app.decline_referral(PARTNER_DESK, cid, partner=Partner(partner), on=d)
        except (CommandError, NotFound):
            return

    def _help_works(self, d: date, ref: str, source: str) -> None:
        h = self.households.get(ref)
        if h is None or not h.active:
            return
        hp = self.sc.help
        r = rng(self.seed, "help", ref, source, d)
        if r.random() >= hp.help_success:
            return
        h.state = OK
        if source == Partner.GKB.value and r.random() < hp.gkb_manages_income:
            months = self.sc.finances.managed_months
            h.managed_until = d + timedelta(days=int(30.4 * months))

    def _hearing(self, d: date, ref: str) -> None:
        h = self.households.get(ref)
        if h is None or not h.active:
            return
        c = self.sc.court
        enough = self._arrears(ref, d) >= self.policy.legal_months_of_rent * h.rent_cents
        p = c.evict_if_arrears if enough and not self.in_arrangement.get(ref) else c.evict_otherwise
        dissolved = rng(self.seed, "judgment", ref, d).random() < p
        cid = self.filed.get(ref)
        if cid is None:
            return
        # the road after the decision, as case events: the eviction follows only from them
        court = self._court(cid)
        court("hearing", d)
        court("judgment", d, outcome="dissolved" if dissolved else "refused")
        if dissolved:
            when = d + timedelta(days=c.eviction_days_after_judgment)
            if court("eviction_scheduled", d, scheduled_on=when):
                self._schedule(when, ("evict", ref))

    def _court(self, cid: UUID) -> Callable[..., bool]:
        """Record a court event on the case; False when the legal road refuses it."""

        def record(kind: str, d: date, **kw: Any) -> bool:
            try:
                self.app.record_court_event(LEADS[0], cid, kind=kind, on=d, **kw)
            except (CommandError, NotFound):
                return False
            return True

        return record

    def _evict(self, d: date, ref: str) -> None:
        h = self.households.get(ref)
        if h is None or not h.active:
            return
        cid = self.filed.get(ref)
        if cid is None:
            return
        court = self._court(cid)
        if self._arrears(ref, d) <= self.policy.tolerance_cents:
            court("eviction_prevented", d, outcome="paid")  # paid in full before the date
            return
        if not court("evicted", d):  # no eviction the legal road does not record
            return
        self.app.end_tenancy(LETTING, ref, on=d, reason="eviction_arrears")
        h.active = False
        relet = (Period.of(d + timedelta(days=self.sc.court.relet_days))).next().first_day()
        new = make_household(self.sc, self.seed, h.home, h.generation + 1, relet)
        assert new.ref == household_ref(h.home, h.generation + 1)
        self._schedule(relet, ("start", new))


@contextlib.contextmanager
def _young_gc_only() -> Iterator[Callable[[], None]]:
    """Python's automatic collector off for the run: a simulation holds a large, long-lived
    heap (cached aggregates, households), and every automatic full collection walks all of
    it (about 15 % of a 5,000 x 12 run). Young objects are collected at the end of each
    day, the whole heap once a simulated month (the callable given); the previous setting
    comes back afterwards. Nothing the simulation computes depends on it."""
    def full() -> None:
        gc.collect()

    was = gc.isenabled()
    gc.disable()
    try:
        yield full
    finally:
        if was:
            gc.enable()


def _worse(new: str, old: str) -> bool:
    order = {OK: 0, STRAINED: 1, CRISIS: 2}
    return order[new] > order[old]


def _meta(key: str, value: str) -> Any:
    from application.store import Upsert

    return Upsert("meta", ("key",), {"key": key, "value": value})


# ================================================================== entry


def store_target(strategy: str, db: str | None, out: Path, both: bool) -> str:
    """Where a strategy's store goes: ``--db`` (suffixed per strategy for ``both``) or OUT/<strategy>.db."""
    if db is None:
        return str(out / f"{strategy}.db")
    if db.startswith(("postgresql://", "postgres://")):
        if both:
            raise SimulationError(
                "db: --strategy both needs two stores; give a file path or use --out"
            )
        return db
    if db == ":memory:":
        return db
    if not both:
        return db
    p = Path(db)
    return str(p.with_name(f"{p.stem}-{strategy}{p.suffix or '.db'}"))


def fresh_file(target: str) -> None:
    """Remove a previous simulation's SQLite file at ``target`` (only one the simulation wrote)."""
    if target == ":memory:" or "://" in target:
        return
    p = Path(target)
    if not p.exists():
        return
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT value FROM meta WHERE key = 'simulation'").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        row = None
    if row is None:
        raise SimulationError(
            f"db: {target!r} exists and is not a simulation store; choose another --db or --out"
        )
    for suffix in ("", "-wal", "-shm", "-journal"):
        q = Path(str(p) + suffix)
        if q.exists():
            os.remove(q)


def simulate(
    sc: Scenario,
    *,
    settings: Any,
    out: Path,
    db: str | None = None,
    policy_file: PolicyFile | None = None,
    on_day: Callable[[str, date], None] | None = None,
    parallel: bool = True,
) -> dict[str, RunResult]:
    """Run the scenario's strategy (or both). ``both`` runs the two strategies in two
    processes when the machine has two cores or more and ``parallel`` is on; each
    strategy has its own store, so the results are the same as one after the other."""
    strategy = sc.run.strategy
    names = ["preventive", "classic"] if strategy == "both" else [strategy]
    out.mkdir(parents=True, exist_ok=True)
    jobs: list[tuple[str, Any]] = []
    for name in names:
        target = store_target(name, db, out, strategy == "both")
        fresh_file(target)
        for folder in ("letters", "signals"):  # a previous run's outbox of this strategy
            shutil.rmtree(out / name / folder, ignore_errors=True)
        jobs.append((name, attrs.evolve(settings, db=target, out_dir=str(out / name))))
    workers = min(len(jobs), os.cpu_count() or 1) if parallel else 1
    if workers > 1 and all(s.db != ":memory:" for _, s in jobs):
        return _simulate_in_processes(sc, jobs, policy_file, on_day, workers)
    results: dict[str, RunResult] = {}
    for name, s in jobs:
        cb = (lambda day, _n=name: on_day(_n, day)) if on_day else None
        results[name] = Simulation(sc, name, settings=s, policy_file=policy_file, on_day=cb).run()
    return results


_progress: Any = None  # a worker process's progress queue (set by its initializer)


def _init_worker(queue: Any) -> None:
    global _progress
    _progress = queue


def _run_strategy(sc: Scenario, name: str, settings: Any, policy_file: PolicyFile | None) -> RunResult:
    q = _progress
    cb = (lambda day: q.put((name, day))) if q is not None else None
    return Simulation(sc, name, settings=settings, policy_file=policy_file, on_day=cb).run()


def _simulate_in_processes(
    sc: Scenario,
    jobs: list[tuple[str, Any]],
    policy_file: PolicyFile | None,
    on_day: Callable[[str, date], None] | None,
    workers: int,
) -> dict[str, RunResult]:
    import multiprocessing as mp
    import queue as queue_mod
    from concurrent.futures import ProcessPoolExecutor, wait

    methods = mp.get_all_start_methods()
    ctx = mp.get_context("fork" if "fork" in methods else "spawn")
    q = ctx.Queue() if on_day else None
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(q,)
    ) as pool:
        futures = {name: pool.submit(_run_strategy, sc, name, s, policy_file) for name, s in jobs}
        pending = set(futures.values())
        while pending:
            if q is None:
                _, pending = wait(pending)
                continue
            try:
                name, day = q.get(timeout=0.2)
            except queue_mod.Empty:
                _, pending = wait(pending, timeout=0)
                continue
            on_day(name, day)  # type: ignore[misc]
        while q is not None:
            try:
                name, day = q.get(timeout=0.05)
            except queue_mod.Empty:
                break
            on_day(name, day)  # type: ignore[misc]
        return {name: f.result() for name, f in futures.items()}


def kpi_document(sc: Scenario, results: dict[str, RunResult]) -> dict[str, Any]:
    """The KPI JSON of a run: the same seed and scenario give the same bytes."""
    doc: dict[str, Any] = {
        "run": {
            k: sc.values["run"][k] for k in ("tenancies", "months", "start", "seed", "strategy")
        },
        "scenario": sc.as_dict(),
        "strategies": {name: r.kpis() for name, r in results.items()},
    }
    season = season_calendar(sc, months_of(sc.run.start, int(sc.run.months)))
    if season:  # the months the Dutch year moved (scenario [season])
        doc["season"] = season
    return doc
