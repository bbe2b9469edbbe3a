"""The monthly rhythm (PLAYBOOK.md 2): no open case goes silent.

Every tenant still unpaid on a later month's robocall day gets that month's robocall
once, whatever the stage of the case (held by a pending promise; an honoured
arrangement or a pause ends the evaluation before this step); that new missed month
escalates again: an officer task when none is open, and a reminder of its own once the
case's first reminder was posted before it fell due; an open case with
nothing due, no open officer task and no step for ``contact_cadence_days`` gets an
officer task."""

from __future__ import annotations

from datetime import date, timedelta

from domain import late_facts
from domain.actions import Decision
from domain.arrears_case import MONTH_REMINDER, ArrearsCase
from domain.calendar import next_business_day, on_or_next_business_day, on_or_previous_business_day
from domain.rulebook import BASIS_REMINDER, Context, rule, step
from domain.rules.first_contact import robocall_day
from domain.rules.reminder import live_letter
from domain.values import LetterKind, Outcome, TaskKind

RHYTHM_ROBOCALL = rule(
    "RHYTHM-ROBOCALL", "a later month's rent still unpaid on that month's robocall day: that month's robocall, "
    "once, whatever the stage; 'press 1' sends the SMS", inputs=("robocall_day", "period"),
    policy_keys=("monthly_robocall", "robocall_day", "robocall_days_after_due_when_late"))
RHYTHM_NEW_MONTH = rule(
    "RHYTHM-NEW-MONTH", "a new missed month on an open case and no officer contact task open: a phone task",
    inputs=("period", "due_date"), policy_keys=("monthly_robocall",))
RHYTHM_CONTACT = rule(
    "RHYTHM-CONTACT", "nothing due, no open officer task and no step for contact_cadence_days: a phone task",
    inputs=("last_activity", "cadence_days"), policy_keys=("contact_cadence_days",))


@step(RHYTHM_ROBOCALL, RHYTHM_NEW_MONTH, preventive=75)
def monthly(ctx: Context) -> Decision | None:
    case, t, day, policy = ctx.case, ctx.tenancy, ctx.day, ctx.policy
    if ctx.promise_pending:
        return None
    later_months = [(t.charge_due[p], p) for p in t.charges if case.due_date < t.charge_due[p] <= day]
    if policy.monthly_robocall and later_months:
        due, period = max(later_months)
        when = robocall_day(due, policy)
        if ctx.at(when) and period in {p for p, _, _ in t.arrears_by_period(as_of=when)}:
            ctx.add("robocall", RHYTHM_ROBOCALL, f"robocall:m:{period}",
                    {"robocall_day": when, "period": period}, attempt=1)
            officer_task_open = any(x["kind"] in (TaskKind.PHONE.value, TaskKind.HOME_VISIT.value)
                                    for x in case.open_tasks())
            if not officer_task_open:  # an open contact task already covers the new month
                ctx.add("task", RHYTHM_NEW_MONTH, f"task:month:{period}", {"period": period, "due_date": due},
                        task_kind=TaskKind.PHONE.value, due_on=on_or_next_business_day(day))
    for attempt_id, attempt in case.robocalls.items():
        if attempt_id.startswith("robocall:m:") and attempt["outcome"] == Outcome.CHOSE_SMS.value:
            ctx.add("sms", RHYTHM_ROBOCALL, f"sms:{attempt_id}", {"robocall": attempt_id})
    return None


@step(RHYTHM_CONTACT, preventive=200)
def cadence(ctx: Context) -> Decision | None:
    case = ctx.case
    if ctx.promise_pending or ctx.acts or case.open_tasks():
        return None
    last = last_activity(case)
    if ctx.at(last + timedelta(days=ctx.policy.contact_cadence_days)):
        ctx.add("task", RHYTHM_CONTACT, f"task:cadence:{last}",
                {"last_activity": last, "cadence_days": ctx.policy.contact_cadence_days},
                task_kind=TaskKind.PHONE.value, due_on=on_or_next_business_day(ctx.day))
    return None


def last_activity(case: ArrearsCase) -> date:
    """The last automated step, contact or closed officer task of a case."""
    days = [case.opened_on]
    days += [s["on"] for s in case.steps]
    days += [c["on"] for c in case.contacts]
    days += [x["closed_on"] for x in case.tasks.values() if x.get("closed_on")]
    return max(days)


RHYTHM_NEW_MONTH_REMINDER = rule(
    "RHYTHM-NEW-MONTH-REMINDER", "a new missed month on an open case whose reminder was posted before that "
    "month fell due: on the business day on or before its D + reminder_days, that month's rent still unpaid as "
    "booked and the arrears at least min_reminder_cents, a reminder stating all arrears (with the offer of debt "
    "help), once per month; never on a day another letter of the case is posted. No new costs: the 14-day "
    "letter's costs are charged once per case",
    inputs=("period", "due_date", "reminder_due", "first_reminder_posted_on", "threshold_cents"),
    policy_keys=("reminder_days", "min_reminder_cents"), legal_basis=BASIS_REMINDER)


@step(RHYTHM_NEW_MONTH_REMINDER, preventive=105)
def new_month_reminder(ctx: Context) -> Decision | None:
    case, t, day, policy = ctx.case, ctx.tenancy, ctx.day, ctx.policy
    first = live_letter(case, LetterKind.REMINDER.value)
    if ctx.promise_pending or first is None:
        return None
    later_months = [(t.charge_due[p], p) for p in t.charges if first["posted_on"] < t.charge_due[p] <= day]
    if not later_months:
        return None
    due, period = max(later_months)
    key = f"{LetterKind.REMINDER.value}:{period}"
    on = max(on_or_previous_business_day(due + timedelta(days=policy.reminder_days)), case.opened_on)
    if live_letter(case, key) is not None or not ctx.at(on):
        return None
    if period not in {p for p, _, _ in t.arrears_by_period(as_of=day)}:
        return None  # that month is paid (as booked): nothing to remind of
    ok, why = late_facts.threshold("reminder", t, day, policy)
    letter_today = any(a.kind == "letter" for a in ctx.acts) or any(
        v["posted_on"] == day for v in case.letters.values())
    if not ok or letter_today:  # never two letters on one day: the next business day
        ctx.later.append(next_business_day(day))
        return None
    withdrawn = sum(1 for w in case.withdrawn_letters if w["kind"] == key)  # sent in error: sent again
    ctx.add("letter", RHYTHM_NEW_MONTH_REMINDER, f"{MONTH_REMINDER}{period}" + (f":{withdrawn + 1}" if withdrawn else ""),
            {"period": period, "due_date": due, "reminder_due": on, "first_reminder_posted_on": first["posted_on"],
             **why}, letter_kind=LetterKind.REMINDER.value)
    return None
