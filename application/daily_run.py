"""The time-driven policy runner: read models -> due actions -> events and port calls.

``run(app, day)`` runs every day from the day after the last completed run up to
``day`` (a skipped weekend or failed night is caught up, each day once), then
dispatches the outbox (robocall campaign of the day, SMS, municipal signals).
Everything a day decides is saved in one transaction per batch of cases with the
read-model rows and outbox items, so an interrupted run re-run completes without
duplicates: actions carry deterministic ids the case refuses to repeat.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

import attrs

from application import sealing
from application.conflicts import retry_on_conflict
from application.ports import (
    CallRequest,
    ContactAttemptSummary,
    LetterRefused,
    LetterRequest,
    PeriodAmount,
    SignalRequest,
    SignalUpdate,
    SmsRequest,
)
from application.service import Vangnet, attempt_id, gc_paused
from application.store import SideOp, Upsert
from application.views import jsonable
from domain import actions, wik
from domain.actions import Action
from domain.addressees import LETTER_ADDRESSEE, TENANT, addressees
from domain.arrears_case import ArrearsCase, CaseError, carried_over
from domain.calendar import on_or_next_business_day
from domain.late_facts import void_case
from domain.playbook import case_opening_day, choose_track, evaluate
from domain.rules.late_compensation import LATE_CLOSE_REDATED, review_closed
from domain.rules.opening import LATE_CLOSE_REOPENED, close_undone
from domain.tenancy import Tenancy, TenancyError
from domain.values import SYSTEM, Actor, LetterKind, Period

log = logging.getLogger(__name__)

ROBOCALL_SCRIPT = "robocall-nl-v1"
# aggregates saved per write (and bulk-loaded per query): each write is a commit, which a
# production store makes durable (fsync); at 100,000 tenancies with about 6,000 cases,
# 500 per write spent more than a second of the day's run waiting for 24 commits
BATCH = 2000


@attrs.define
class DayReport:
    day: date
    charges_posted: int = 0
    cases_opened: int = 0
    cases_evaluated: int = 0
    actions: dict[str, int] = attrs.Factory(dict)  # rule -> count
    robocalls: int = 0
    sms: int = 0
    letters: int = 0
    signals: int = 0
    errors: list[str] = attrs.Factory(list)
    actor: str = str(SYSTEM)  # who ran the day (recorded in the store's run record)

    def as_dict(self) -> dict[str, Any]:
        d = attrs.asdict(self)
        d["day"] = self.day.isoformat()
        d["actions"] = dict(sorted(self.actions.items()))
        return d


def costs_tx_id(case: ArrearsCase, action_id: str = "costs:wik") -> str:
    """The ledger line of a case's WIK costs (charged once per 14-day letter)."""
    return f"costs/{case.id}" if action_id == "costs:wik" else f"costs/{case.id}/{action_id}"


COMPENSATING = frozenset({"letter_withdrawn", "costs_reversed", "signal_withdrawn", "signal_resolved",
                          "eligibility_withdrawn"})


def _compensate(case: ArrearsCase, t: Tenancy, a: Action, day: date, inputs: dict[str, Any],
                outbox: list[SideOp]) -> None:
    """Compensating steps (PLAYBOOK 5): a late fact shows a step should not have been taken."""
    from domain.values import TaskKind

    p = a.params
    if a.kind == "letter_withdrawn":
        case.withdraw_letter(kind=p["letter_kind"], on=day, rule=a.rule, inputs=inputs, action_id=a.action_id)
        case.create_task(task_id=f"task:apologise:{p['letter_id']}", kind=TaskKind.APOLOGISE_LETTER.value,
                         due_on=on_or_next_business_day(day), rule=a.rule, inputs=inputs, on=day)
    elif a.kind == "costs_reversed":
        booked = [s["action_id"] for s in case.steps if s["rule"] == "WIK-COSTS"]
        line = costs_tx_id(case, booked[-1] if booked else "costs:wik")
        case.reverse_costs(on=day, rule=a.rule, inputs=inputs, action_id=a.action_id)
        t.reverse_costs(cents=p["cents"], case_id=str(case.id), tx_id=f"{line}/reversal", reverses=line,
                        booked_on=day, rule=a.rule, reason="a payment booked in time arrived late")
    elif a.kind in ("signal_withdrawn", "signal_resolved"):
        status = "withdrawn" if a.kind == "signal_withdrawn" else "resolved"
        if status == "withdrawn":
            case.withdraw_signal(on=day, rule=a.rule, inputs=inputs, action_id=a.action_id)
        else:
            case.resolve_signal(on=day, rule=a.rule, inputs=inputs, action_id=a.action_id)
        uid = attempt_id(case.id, a.action_id)
        outbox.append(_outbox("signal_update", uid, day, {
            "update_id": uid, "signal_id": p["signal_id"], "status": status, "case_id": str(case.id),
            "tenancy_id": str(t.id), "ref": t.ref, "on": day, "rule": a.rule,
            "amount_cents": t.arrears_cents(as_of=day),
        }))
    elif a.kind == "eligibility_withdrawn":
        case.withdraw_eligibility(which=p["which"], on=day, rule=a.rule, inputs=inputs, action_id=a.action_id)


def payment_reference(tenancy: Tenancy) -> str:
    return f"HUUR {tenancy.ref}"


def run(app: Vangnet, day: date, *, through: date | None = None,
        progress: Callable[[date], None] | None = None, actor: Actor = SYSTEM) -> list[DayReport]:
    """Run the days up to ``day`` as ``actor`` (``run_day`` permission: the system's
    scheduler, a team lead, or the single-user administrator)."""
    app.access.check(actor, "run_day")
    _refuse_half_written_imports(app)
    last = app.store.get_meta("last_run_day")
    start = day
    if last is not None:
        last_day = date.fromisoformat(last)
        if last_day < day:
            start = last_day + timedelta(days=1)
    end = through or day
    reports = []
    d = start
    while d <= end:
        # a day caught up after a gap posts its letters on the day actually run (``day``),
        # so a stated deadline is never shorter than the tenant really gets
        reports.append(run_one_day(app, d, post_on=max(d, day), actor=actor))
        if progress:
            progress(d)
        d += timedelta(days=1)
    return reports


def run_requested(app: Vangnet, actor: Actor, day: date, *, through: date | None = None,
                  allow_future: bool = False) -> list[DayReport]:
    """A run asked for by a person or a scheduler (``vangnet day run``): the actor's
    ``run_day`` right first, then days after today refused unless ``allow_future``
    (simulations and tests), then :func:`run`."""
    from domain.validation import check_run_day

    app.access.check(actor, "run_day")
    today = app.today()
    check_run_day(day, today, allow_future=allow_future, field="date")
    if through is not None:
        check_run_day(through, today, allow_future=allow_future, field="through")
    return run(app, day, through=through, actor=actor)


def _refuse_half_written_imports(app: Vangnet) -> None:
    """An import cut off between its chunks is not there for the playbook until it is
    complete: the run waits for the import to be run again (application.bulk)."""
    from application.service import CommandError

    half = app.store.incomplete_imports()
    if half:
        i = half[0]
        raise CommandError(f"import {i['import_id']} (source {i['source']!r}) stopped after {i['written']} of "
                           f"{i['total']} chunks: run the same import again to complete it, then the daily run")


@gc_paused  # thousands of aggregates loaded and saved: collections would walk them again and again
def run_one_day(app: Vangnet, day: date, *, post_on: date | None = None, actor: Actor = SYSTEM) -> DayReport:
    """Run the policies for ``day``. Letters are posted on ``post_on`` (default ``day``).

    The run's record (``meta`` row ``run:DAY``) names the actor who ran it."""
    app.access.check(actor, "run_day")
    report = DayReport(day, actor=str(actor))
    if app.policy.post_rent_charges:
        _retry_conflicts(app, lambda: _post_rent(app, day, report))
    _retry_conflicts(app, lambda: _recheck_closed(app, day, report))
    fresh: dict[Any, Any] = {}  # cases opened today and their tenancies, as saved: not reloaded
    _retry_conflicts(app, lambda: _open_cases(app, day, report, fresh))
    owing: list[Any] = []  # tenancies whose case closed today with a later month's rent still owed
    _retry_conflicts(app, lambda: _evaluate_cases(app, day, report, post_on or day, fresh, owing))
    if owing:
        # a late payment closed a case as of an earlier booking date while a later month's
        # rent, which sat in that case, is still owed: its own case opens today, not
        # tomorrow, so that its steps fall on the days they fall when recorded in time
        opened: list[Any] = []
        fresh = {}
        _retry_conflicts(app, lambda: _open_cases(app, day, report, fresh, opened))
        if opened:
            _retry_conflicts(app, lambda: _evaluate_cases(app, day, report, post_on or day, fresh, only=opened))
    last = app.store.get_meta("last_run_day")
    record = Upsert("meta", ("key",), {"key": f"run:{day.isoformat()}", "value": str(actor)})
    if last is None or date.fromisoformat(last) < day:
        app.store.apply([Upsert("meta", ("key",), {"key": "last_run_day", "value": day.isoformat()}), record])
    else:
        app.store.apply([record])
    dispatch_outbox(app, day, report)
    return report


def _retry_conflicts(app: Vangnet, step: Callable[[], None]) -> None:
    """Another writer (an officer, an import) saved one of the aggregates of a batch
    between its read and its write: nothing of that batch was saved, so the step is
    run again on fresh copies; steps are idempotent (deterministic action ids)."""
    retry_on_conflict(app, step, "the daily run kept conflicting with other writers; nothing of the last "
                                 "batch was saved, run the day again")


# ------------------------------------------------------------------ rent


def _post_rent(app: Vangnet, day: date, report: DayReport) -> None:
    period = Period.of(day)
    tx_id = f"rent-{period}"
    batch: list[Tenancy] = []
    ids = app.store.tenancies_without_rent(day, str(period))  # an index lookup, not every tenancy
    loaded: dict[Any, Any] = {}
    for n, tid in enumerate(ids):
        if n % 2000 == 0:
            loaded = app.load_many(ids[n : n + 2000])
        t = loaded.get(tid) or app.get_tenancy_by_id(tid)
        ended = t.ended_on is not None and t.ended_on <= day  # an end date ahead (notice given) still pays
        if t.start_date > day or ended or t.has_transaction("vangnet", tx_id):
            continue
        t.charge_rent(period=period, cents=t.rent_cents, source="vangnet", tx_id=tx_id, booked_on=day)
        batch.append(t)
        if len(batch) >= 2000:
            _save_charges(app, batch, tx_id, day)
            report.charges_posted += len(batch)
            batch = []
    if batch:
        _save_charges(app, batch, tx_id, day)
        report.charges_posted += len(batch)


def _save_charges(app: Vangnet, batch: list[Tenancy], tx_id: str, day: date) -> None:
    extra: list[SideOp] = [
        Upsert("ledger_tx", ("source", "tx_id"), {
            "source": "vangnet", "tx_id": f"{t.ref}/{tx_id}", "tenancy_id": str(t.id), "kind": "CHARGE",
            "cents": t.rent_cents, "booked_on": day.isoformat(), "content_hash": "",
        })
        for t in batch
    ]
    app.save_all(batch, extra=extra, on=day)


# ---------------------------------------------------------- closed cases


def _recheck_closed(app: Vangnet, day: date, report: DayReport) -> None:
    """Closed cases a late fact reached (booked before the close, recorded after): the
    compensating steps the facts as booked call for, and a close date that follows the
    booking date of the money that cleared the case (PLAYBOOK 5)."""
    for cid in app.store.closed_cases_due(day):
        case = app.get_case(cid)
        t = app.get_tenancy_by_id(case.tenancy_id)
        outbox: list[SideOp] = []
        if case.closed_on is not None:
            comps, redated = review_closed(case, t, day, app.policy)
            for c in comps:
                action = actions.make(c.kind, c.rule, c.action_id, c.inputs, **c.params)
                _perform(app, case, t, action, day, outbox, report)
                report.actions[c.rule] = report.actions.get(c.rule, 0) + 1
            if redated is not None:
                case.correct_close(closed_on=redated, on=day, rule=LATE_CLOSE_REDATED,
                                   inputs={"cleared_on": redated})
                report.actions[LATE_CLOSE_REDATED] = report.actions.get(LATE_CLOSE_REDATED, 0) + 1
        app.save_all([t] if t.pending_events else [], [(case, None, True)], extra=outbox, on=day)


# ------------------------------------------------------------ open cases


def _open_cases(app: Vangnet, day: date, report: DayReport, fresh: dict[Any, Any],
                opened: list[Any] | None = None) -> None:
    pending: list[tuple[Tenancy, ArrearsCase]] = []
    due = [tid for tid, unpaid_since in app.store.unpaid_without_case(day) if case_opening_day(unpaid_since, app.policy.grace_days) <= day]
    loaded = app.load_many(due)
    for tid in due:
        t = loaded.get(tid) or app.get_tenancy_by_id(tid)
        if t.open_case_id is not None or (t.ended_on is not None and t.ended_on <= day):
            continue
        since = t.unpaid_since(app.policy.tolerance_cents, as_of=day)
        if since is None or case_opening_day(since, app.policy.grace_days) > day:
            continue
        arrears = t.arrears_cents(as_of=day)
        period = t.arrears_by_period(as_of=day)[0][0]
        reopens = t.case_ids[-1] if t.case_ids else None
        carried: dict[str, Any] = {}
        earlier: list[ArrearsCase] = []
        if reopens is not None:
            previous = app.get_case(reopens)
            earlier = [previous]
            if void_case(previous, app.policy):  # no case: the last one that was a case decides the track
                earlier = [app.get_case(c) for c in t.case_ids]
        track, inputs = choose_track(t, day, app.policy, earlier)
        if reopens is not None:
            undone = close_undone(previous, t, app.policy)
            if undone is not None:
                # the facts as booked never cleared it: the same case goes on (LATE-CLOSE-REOPENED)
                previous.reopen(on=day, rule=LATE_CLOSE_REOPENED, inputs=undone)
                t.link_case(previous.id, on=day)
                pending.append((t, previous))
                report.actions[LATE_CLOSE_REOPENED] = report.actions.get(LATE_CLOSE_REOPENED, 0) + 1
                if len(pending) >= BATCH:
                    _save_opened(app, pending, day, fresh, opened)
                    pending = []
                continue
            if previous.closed_on is not None and since < previous.closed_on:
                # the oldest unpaid rent fell due while that case was open: the same debt,
                # re-opened (a storno); its reminder, 14-day letter, signal and costs stand
                carried = {"carried_over": _plain(carried_over(previous))}
        case = ArrearsCase.open(
            tenancy_id=t.id, period=period, seq=len(t.case_ids), due_date=since, opened_on=day,
            amount_cents=arrears, track=track, reopens=reopens, rule="OPEN-CASE",
            inputs={**inputs, "arrears_cents": arrears, "unpaid_since": since.isoformat(),
                    "tolerance_cents": app.policy.tolerance_cents, **carried},
        )
        t.link_case(case.id, on=day)
        pending.append((t, case))
        report.cases_opened += 1
        if len(pending) >= BATCH:
            _save_opened(app, pending, day, fresh, opened)
            pending = []
    if pending:
        _save_opened(app, pending, day, fresh, opened)


def _save_opened(app: Vangnet, pending: list[tuple[Tenancy, ArrearsCase]], day: date, fresh: dict[Any, Any],
                 opened: list[Any] | None = None) -> None:
    app.save_all([p[0] for p in pending], [(p[1], day, True) for p in pending], on=day)
    for t, case in pending:
        fresh[t.id] = t
        fresh[case.id] = case
        if opened is not None:
            opened.append(case.id)


# ------------------------------------------------------- evaluate cases


def _evaluate_cases(app: Vangnet, day: date, report: DayReport, post_on: date,
                    fresh: dict[Any, Any] | None = None, owing: list[Any] | None = None,
                    only: list[Any] | None = None) -> None:
    """Evaluate the cases due on ``day`` (or ``only`` those). A case that closes while
    rent is still owed as of ``day`` adds its tenancy to ``owing``."""
    fresh = fresh if fresh is not None else {}
    ids = sorted(set(only)) if only is not None else app.store.cases_due(day)
    tenancies: list[Tenancy] = []
    cases: list[tuple[ArrearsCase, date | None, bool]] = []
    outbox: list[SideOp] = []
    loaded_cases: dict[Any, Any] = {}
    loaded_tenancies: dict[Any, Any] = {}
    for n, cid in enumerate(ids):
        if n % BATCH == 0:  # bulk-load the next batch: one query for cases, one for tenancies
            chunk = ids[n : n + BATCH]
            # popped: a retry after a conflict reloads from the store
            loaded_cases = {i: fresh.pop(i) for i in chunk if i in fresh}
            loaded_cases.update(app.load_many(i for i in chunk if i not in loaded_cases))
            wanted = [c.tenancy_id for c in loaded_cases.values()]
            loaded_tenancies = {i: fresh.pop(i) for i in wanted if i in fresh}
            loaded_tenancies.update(app.load_many(i for i in wanted if i not in loaded_tenancies))
        case = loaded_cases.get(cid) or app.get_case(cid)
        if not case.is_open:
            continue
        t = loaded_tenancies.get(case.tenancy_id) or app.get_tenancy_by_id(case.tenancy_id)
        report.cases_evaluated += 1
        next_check: date | None = None
        case_outbox: list[SideOp] = []
        refused: set[str] = set()  # a refused letter is reported once a day and tried again tomorrow
        unsealed: dict[Any, Any] = {}  # sealed answers of this case's tenancy, opened once a day
        try:
            for _ in range(4):  # actions may enable others the same day
                decision = evaluate(case, t, day, app.policy,
                                    in_debt_counselling=_in_counselling(app, case, t, unsealed),
                                    household=_household(app, case, t, unsealed))
                actions = [a for a in decision.actions if a.action_id not in refused]
                if not actions:
                    next_check = day + timedelta(days=1) if refused else decision.next_check
                    break
                for action in actions:
                    try:
                        _perform(app, case, t, action, day, case_outbox, report, post_on)
                    except LetterRefused as e:
                        refused.add(action.action_id)
                        report.errors.append(f"case {case.id}: {action.rule}: {e}")
                        continue
                    report.actions[action.rule] = report.actions.get(action.rule, 0) + 1
                if not case.is_open:
                    break
        except (CaseError, TenancyError) as e:
            # one broken case never stops the day: its changes are dropped, it is retried tomorrow
            report.errors.append(f"case {case.id}: {e}")
            app.forget(case.id, t.id)  # only these two hold the dropped changes
            continue
        if owing is not None and not case.is_open and t.arrears_cents(as_of=day) > app.policy.tolerance_cents:
            owing.append(t.id)
        outbox.extend(case_outbox)
        cases.append((case, next_check, True))
        if t.pending_events:
            tenancies.append(t)
        if len(cases) >= BATCH:
            app.save_all(tenancies, cases, extra=outbox, on=day)
            tenancies, cases, outbox = [], [], []
    if cases:
        app.save_all(tenancies, cases, extra=outbox, on=day)


def _unseal(app: Vangnet, t: Tenancy, sealed: Any, memo: dict[Any, Any] | None) -> Any:
    """Sealed answers of ``t`` opened with its key (``memo``: the same sealed text opened
    once, within one case's evaluation of the day)."""
    if memo is None:
        return sealing.unseal(app.store.key(t.id), t.id, sealed)
    key = (t.id, sealed)
    if key not in memo:
        memo[key] = sealing.unseal(app.store.key(t.id), t.id, sealed)
    return memo[key]


def _household(app: Vangnet, case: ArrearsCase, t: Tenancy, memo: dict[Any, Any] | None = None) -> Any:
    """The latest household facts, unsealed only while legal-action eligibility is in
    question; ``"erased"`` when they can no longer be read (restraint then applies)."""
    if case.signal is None or case.legal_eligible_on is not None or not case.household:
        return None
    return _unseal(app, t, case.household[-1]["sealed"], memo)


def _in_counselling(app: Vangnet, case: ArrearsCase, t: Tenancy, memo: dict[Any, Any] | None = None) -> bool:
    """Whether the sealed intake says the tenant is in debt counselling; only unsealed
    when legal-action eligibility is in question. Erased answers count as yes: no
    eviction eligibility on data that can no longer be read."""
    if case.signal is None or case.legal_eligible_on is not None or t.intake_sealed is None:
        return False
    answers = _unseal(app, t, t.intake_sealed, memo)
    if answers == sealing.ERASED:
        return True
    return bool(answers.get("debt_counselling"))


def _outbox(kind: str, item_id: str, day: date, payload: dict[str, Any]) -> Upsert:
    return Upsert("outbox", ("item_id",), {
        "item_id": item_id, "kind": kind, "created_on": day.isoformat(),
        "payload": json.dumps(payload, sort_keys=True, default=str), "sent_on": None,
    })


@attrs.frozen
class Performance:
    """What a handler works with: the case and tenancy being changed, the day, the
    rule's inputs as plain values, the outbox items and the day's report."""

    app: Vangnet
    case: ArrearsCase
    tenancy: Tenancy
    day: date
    inputs: dict[str, Any]
    outbox: list[SideOp]
    report: DayReport
    post_on: date


def _close(x: Performance, a: actions.Close) -> None:
    closed_on = a.closed_on or x.day  # a case cleared in time closes with the booking date
    x.case.close(on=closed_on, reason=a.reason, rule=a.rule, inputs=x.inputs)
    x.tenancy.unlink_case(x.case.id, on=closed_on)


def _resume(x: Performance, a: actions.Resume) -> None:
    x.case.resume(on=x.day, reason=a.reason, rule=a.rule, action_id=a.action_id)


def _task(x: Performance, a: actions.CreateTask) -> None:
    x.case.create_task(task_id=a.action_id, kind=a.task_kind, due_on=a.due_on, rule=a.rule, inputs=x.inputs,
                       on=x.day)
    if a.proposed_due_day:
        x.tenancy.propose_due_day(day=a.proposed_due_day, on=x.day, rule=a.rule, inputs=x.inputs)


def _robocall(x: Performance, a: actions.Robocall) -> None:
    case, t, day = x.case, x.tenancy, x.day
    case.request_robocall(attempt_id=a.action_id, on=day, rule=a.rule, inputs=x.inputs)
    gid = attempt_id(case.id, a.action_id)
    x.outbox.append(_outbox("robocall", gid, day, {"case_id": str(case.id), "tenancy_id": str(t.id), "on": day}))
    x.report.robocalls += 1


def _sms(x: Performance, a: actions.Sms) -> None:
    case, t, day = x.case, x.tenancy, x.day
    case.request_sms(message_id=a.action_id, on=day, rule=a.rule, inputs=x.inputs)
    gid = attempt_id(case.id, a.action_id)
    x.outbox.append(_outbox("sms", gid, day, {
        "case_id": str(case.id), "tenancy_id": str(t.id), "on": day,
        "amount_cents": t.arrears_cents(as_of=day), "reference": payment_reference(t),
    }))
    x.report.sms += 1


def _letter(x: Performance, a: actions.SendLetter) -> None:
    _send_letter(x.app, x.case, x.tenancy, a, x.day, x.inputs, x.post_on)
    x.report.letters += 1


def _signal(x: Performance, a: actions.SendSignal) -> None:
    case, t, day = x.case, x.tenancy, x.day
    sid = attempt_id(case.id, a.action_id)
    amount = t.arrears_cents(as_of=day)
    case.send_signal(signal_id=sid, on=day, amount_cents=amount, rule=a.rule, inputs=x.inputs)
    x.outbox.append(_outbox("signal", sid, day, {
        "case_id": str(case.id), "tenancy_id": str(t.id), "ref": t.ref, "amount_cents": amount,
        "origin_date": case.due_date, "signal_date": day,
        "attempts": [{"channel": c["channel"], "reached": c["outcome"] == "reached", "on": c["on"]}
                     for c in case.personal_attempts()],
    }))
    x.report.signals += 1


def _costs(x: Performance, a: actions.ChargeCosts) -> None:
    x.case.charge_costs(cents=a.cents, on=x.day, rule=a.rule, inputs=x.inputs, action_id=a.action_id)
    x.tenancy.book_costs(cents=a.cents, case_id=str(x.case.id), tx_id=costs_tx_id(x.case, a.action_id),
                         booked_on=x.day, rule=a.rule)


def _bailiff_eligible(x: Performance, a: actions.MarkBailiffEligible) -> None:
    x.case.mark_bailiff_eligible(on=a.on or x.day, rule=a.rule, inputs=x.inputs, action_id=a.action_id)


def _legal_eligible(x: Performance, a: actions.MarkLegalEligible) -> None:
    x.case.mark_legal_eligible(on=a.on or x.day, rule=a.rule, inputs=x.inputs, action_id=a.action_id)


def _promise_check(x: Performance, a: actions.SettlePromise) -> None:
    x.case.settle_promise(kept=a.kept, on=x.day, rule=a.rule, inputs=x.inputs, action_id=a.action_id)


def _instalment_missed(x: Performance, a: actions.MissInstalment) -> None:
    x.case.miss_instalment(number=a.number, on=x.day, rule=a.rule, inputs=x.inputs, action_id=a.action_id)


def _arrangement_broken(x: Performance, a: actions.BreakArrangement) -> None:
    x.case.break_arrangement(on=x.day, rule=a.rule, inputs=x.inputs, action_id=a.action_id)
    x.tenancy.raise_worry(reason=a.worry_reason, on=x.day, by="system", rule=a.rule)  # escalation resumes on worry


def _arrangement_completed(x: Performance, a: actions.CompleteArrangement) -> None:
    x.case.complete_arrangement(on=x.day, rule=a.rule, inputs=x.inputs, action_id=a.action_id)


def _track(x: Performance, a: actions.ChangeTrack) -> None:
    x.case.change_track(track=a.track, on=x.day, rule=a.rule, inputs=x.inputs, action_id=a.action_id)


def _programme(x: Performance, a: actions.ChangeProgramme) -> None:
    x.case.change_programme(state=a.state, on=x.day, by="system", rule=a.rule, action_id=a.action_id)


# One handler per kind of action (``domain.actions``): a new kind adds its line here.
HANDLERS: dict[type[Action], Callable[[Performance, Any], None]] = {
    actions.Close: _close,
    actions.Resume: _resume,
    actions.CreateTask: _task,
    actions.Robocall: _robocall,
    actions.Sms: _sms,
    actions.SendLetter: _letter,
    actions.SendSignal: _signal,
    actions.ChargeCosts: _costs,
    actions.MarkBailiffEligible: _bailiff_eligible,
    actions.MarkLegalEligible: _legal_eligible,
    actions.SettlePromise: _promise_check,
    actions.MissInstalment: _instalment_missed,
    actions.BreakArrangement: _arrangement_broken,
    actions.CompleteArrangement: _arrangement_completed,
    actions.ChangeProgramme: _programme,
    actions.WithdrawLetter: lambda x, a: _compensate(x.case, x.tenancy, a, x.day, x.inputs, x.outbox),
    actions.ReverseCosts: lambda x, a: _compensate(x.case, x.tenancy, a, x.day, x.inputs, x.outbox),
    actions.WithdrawSignal: lambda x, a: _compensate(x.case, x.tenancy, a, x.day, x.inputs, x.outbox),
    actions.ResolveSignal: lambda x, a: _compensate(x.case, x.tenancy, a, x.day, x.inputs, x.outbox),
    actions.WithdrawEligibility: lambda x, a: _compensate(x.case, x.tenancy, a, x.day, x.inputs, x.outbox),
    actions.ChangeTrack: _track,
}


def _perform(app: Vangnet, case: ArrearsCase, t: Tenancy, a: Action, day: date,
             outbox: list[SideOp], report: DayReport, post_on: date | None = None) -> None:
    handler = HANDLERS.get(type(a))
    if handler is None:
        raise ValueError(f"no handler for the action {type(a).__name__} (application.daily_run.HANDLERS)")
    handler(Performance(app, case, t, day, _plain(a.inputs), outbox, report, post_on or day), a)


def _send_letter(app: Vangnet, case: ArrearsCase, t: Tenancy, a: actions.SendLetter, day: date,
                 inputs: dict[str, Any], posted_on: date) -> None:
    kind = LetterKind(a.letter_kind)
    deadline = a.deadline
    if posted_on != day:  # caught up: posted on the day actually run; a term runs from that day
        inputs = {**inputs, "posted_on": posted_on, "caught_up_from": day}
        if deadline is not None:
            deadline = wik.letter_deadline(posted_on, app.policy)
            inputs["deadline"] = deadline
    letter_id = attempt_id(case.id, a.action_id)
    to, copies = addressees(t)
    if to != TENANT:  # the roles it went to, for the dossier (names stay in the contact directory)
        inputs = {**inputs, "addressed_to": to, "copies": list(copies), "addressee_rule": LETTER_ADDRESSEE}
    rows = t.arrears_by_period(as_of=day)
    total = sum(c for _, c, _ in rows)
    request = LetterRequest(
        letter_id=letter_id, kind=kind.value, case_id=case.id, tenancy_id=t.id, tenancy_ref=t.ref,
        posted_on=posted_on, arrears=tuple(PeriodAmount(p, c) for p, c, _ in rows), total_cents=total,
        payment_reference=payment_reference(t), costs_cents=a.costs_cents,
        deadline=deadline, instalments=tuple(a.instalments),
        # a later month's reminder offers the signal only while it can still be objected to
        offers_signal=kind == LetterKind.REMINDER and case.objected_on is None
        and (case.signal is None or case.signal.get("withdrawn_on") is not None),
        reminder_posted_on=(case.letters[LetterKind.REMINDER.value]["posted_on"]
                            if kind == LetterKind.FOURTEEN_DAY_LETTER and LetterKind.REMINDER.value in case.letters
                            else None),
        addressee=to, copies=copies,
    )
    assert app.ports is not None
    if app.ports.letters is None:
        raise LetterRefused("no letters adapter is configured")
    receipt = app.ports.letters.send(request)
    case.record_letter(kind=kind, letter_id=a.action_id, posted_on=posted_on, amount_cents=total,
                       checksum=receipt.checksum, rule=a.rule, inputs={**inputs, "letter_ref": letter_id},
                       costs_cents=a.costs_cents, deadline=deadline)


def _plain(v: Any) -> Any:
    """A copy fit for an event payload (dates stay dates: the transcoder stores them)."""
    return jsonable(v, dates=False)


# ----------------------------------------------------------------- outbox


def dispatch_outbox(app: Vangnet, day: date, report: DayReport | None = None) -> int:
    """Deliver pending robocalls (one campaign per day), SMS and signals, each item once.

    Items are claimed first (``Store.claim_outbox``): a second process running at the
    same time gets none of them. An item is marked sent only after its port accepted
    it; an item no port accepts (none configured, or the port refused) stays pending
    with the reason and is offered again on the next run. A claim left by a process
    that died is offered again once it expires (``Vangnet.outbox_lease_s``); the
    adapters deduplicate by the item's deterministic id."""
    assert app.ports is not None
    store = app.store
    now = app.ports.clock.now()
    owner = claim_owner()
    claimed = store.claim_outbox(owner, now, getattr(app, "outbox_lease_s", DEFAULT_LEASE_S))
    if not claimed:
        return 0
    policy = app.policy
    ws = time.fromisoformat(policy.calling_window_start)
    we = time.fromisoformat(policy.calling_window_end)
    calls: dict[str, list[CallRequest]] = {}
    sent = 0

    def refused(item_id: str, why: str) -> None:
        log.warning("outbox item %s stays pending: %s", item_id, why)
        store.release_claim(owner, item_id, why, now)

    for item in claimed:
        payload = json.loads(item["payload"])
        kind = item["kind"]
        item_id = item["item_id"]
        on = date.fromisoformat(payload["on"] if "on" in payload else payload["signal_date"])
        port: Any = {"robocall": app.ports.telephony, "sms": app.ports.sms, "signal": app.ports.signals,
                     "signal_update": app.ports.signals}.get(kind)
        if port is None:
            refused(item_id, f"no adapter for {kind} is configured")
            continue
        if kind == "robocall":
            calls.setdefault(on.isoformat(), []).append(CallRequest(
                attempt_id=item_id, case_id=uuid.UUID(payload["case_id"]),
                tenancy_id=uuid.UUID(payload["tenancy_id"]), script=ROBOCALL_SCRIPT, on=on,
                window_start=ws, window_end=we))
            continue
        try:
            if kind == "sms":
                port.send(SmsRequest(
                    message_id=item_id, case_id=uuid.UUID(payload["case_id"]),
                    tenancy_id=uuid.UUID(payload["tenancy_id"]), amount_cents=payload["amount_cents"],
                    payment_reference=payload["reference"], on=on))
            elif kind == "signal_update":
                if not hasattr(port, "update"):
                    raise ValueError("the signals adapter cannot send signal updates")
                port.update(SignalUpdate(
                    update_id=item_id, signal_id=payload["signal_id"], case_id=uuid.UUID(payload["case_id"]),
                    tenancy_id=uuid.UUID(payload["tenancy_id"]), tenancy_ref=payload["ref"],
                    status=payload["status"], on=on, rule=payload["rule"], amount_cents=payload["amount_cents"]))
            else:
                port.send(SignalRequest(
                    signal_id=item_id, case_id=uuid.UUID(payload["case_id"]),
                    tenancy_id=uuid.UUID(payload["tenancy_id"]), tenancy_ref=payload["ref"],
                    amount_cents=payload["amount_cents"], origin_date=date.fromisoformat(payload["origin_date"]),
                    signal_date=date.fromisoformat(payload["signal_date"]),
                    contact_attempts=tuple(ContactAttemptSummary(a["channel"], a["reached"],
                                                                 date.fromisoformat(a["on"]))
                                           for a in payload["attempts"])))
        except Exception as e:  # noqa: BLE001 - any refusal leaves the item pending with its reason
            refused(item_id, f"{type(e).__name__}: {e}")
            continue
        sent += store.mark_sent(owner, [item_id], day, now)
    for on_iso, reqs in sorted(calls.items()):
        assert app.ports.telephony is not None
        digest = hashlib.sha256("\n".join(sorted(r.attempt_id for r in reqs)).encode()).hexdigest()[:10]
        try:
            app.ports.telephony.place_campaign(f"campaign-{on_iso}-{digest}", reqs)
        except Exception as e:  # noqa: BLE001
            for r in reqs:
                refused(r.attempt_id, f"{type(e).__name__}: {e}")
            continue
        sent += store.mark_sent(owner, [r.attempt_id for r in reqs], day, now)
    return sent


DEFAULT_LEASE_S = 900.0  # a claim left by a process that died is offered again after 15 minutes


def claim_owner() -> str:
    """Who holds a claim: host, process and a random part (one per dispatch)."""
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
