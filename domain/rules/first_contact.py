"""First contact per track (PLAYBOOK.md 3): officers phone and visit tenants of the
prevention and worry tracks; the standard track gets the robocall on the 12th, then an
SMS or a task to fix the contact details."""

from __future__ import annotations

from datetime import date, timedelta

from domain import late_facts
from domain.actions import Decision
from domain.arrears_case import ArrearsCase
from domain.calendar import add_business_days, next_business_day, on_or_next_business_day
from domain.policy import Policy
from domain.rulebook import Context, rule, step
from domain.values import Channel, Outcome, TaskKind, Track

PERSONAL = ("prevention_phone_attempts", "home_visit_within_business_days")


def personal_rules(track: str, prefix: str, first_id: str, first: str, first_key: str) -> tuple[str, str, str]:
    """The three rules of a personal track: the first phone task, a retry after a failed
    call, a home visit after every call failed."""
    return (
        rule(first_id, f"{track} track: {first}", inputs=("first_contact_due",), policy_keys=(first_key,)),
        rule(f"{prefix}-PHONE-RETRY", f"{track} track: the officer's call failed; again the next business day",
             inputs=("failed_attempt_days",), policy_keys=PERSONAL),
        rule(f"{prefix}-VISIT", f"{track} track: every phone attempt failed; a home visit",
             inputs=("failed_attempt_days",), policy_keys=PERSONAL),
    )


PREV_PHONE_D1, PREV_PHONE_RETRY, PREV_VISIT = personal_rules(
    "prevention", "PREV", "PREV-PHONE-D1", "a phone task N business days after the due date",
    "prevention_first_contact_business_days")
WORRY_CONTACT_D3, WORRY_PHONE_RETRY, WORRY_VISIT = personal_rules(
    "worry", "WORRY", "WORRY-CONTACT-D3", "a phone task N days after the due date", "worry_first_contact_days")
STD_ROBOCALL_12 = rule("STD-ROBOCALL-12", "standard track: the robocall on the 12th (or days after a late due date)",
                       inputs=("robocall_day",), policy_keys=("robocall_day", "robocall_days_after_due_when_late"))
STD_ROBOCALL_RETRY = rule("STD-ROBOCALL-RETRY", "the robocall was not answered; again the next business day",
                          inputs=("previous", "outcome"), policy_keys=("robocall_retries",))
STD_SMS_CHOSEN = rule("STD-SMS-CHOSEN", "the tenant pressed 1 for an SMS", inputs=("robocall",))
STD_SMS_FALLBACK = rule("STD-SMS-FALLBACK", "the robocalls were not answered (or opted out): an SMS",
                        inputs=("previous", "outcome"), policy_keys=("robocall_retries",))
STD_SMS_NO_RESULT = rule("STD-SMS-NO-RESULT", "no robocall result two business days after the request: an SMS",
                         inputs=("robocall", "requested_on"))
STD_FIX_CONTACT = rule("STD-FIX-CONTACT", "the number is invalid or was not dialled: fix the contact details",
                       inputs=("robocall", "outcome"))

RETRY_OUTCOMES = frozenset(
    {Outcome.NO_ANSWER, Outcome.BUSY, Outcome.VOICEMAIL, Outcome.NO_INPUT, Outcome.FAILED}
)
FIX_CONTACT_OUTCOMES = frozenset({Outcome.INVALID_NUMBER, Outcome.NOT_DIALLED})


def robocall_day(due: date, policy: Policy) -> date:
    if due.day < policy.robocall_day:
        target = due.replace(day=policy.robocall_day)
    else:
        target = due + timedelta(days=policy.robocall_days_after_due_when_late)
    return on_or_next_business_day(target)


def officer_phone_days(case: ArrearsCase) -> tuple[bool, list[date]]:
    """(an officer reached the tenant by phone or visit, days of failed officer calls)."""
    reached = False
    days: set[date] = set()
    for c in case.contacts:
        if c["channel"] in (Channel.PHONE.value, Channel.HOME_VISIT.value) and c["outcome"] == Outcome.REACHED.value:
            reached = True
        if c["channel"] == Channel.PHONE.value and c["outcome"] != Outcome.REACHED.value and c["by"] != "system":
            days.add(c["on"])
    return reached, sorted(days)


LATE_PATTERN_DUE_DAY = rule(
    "LATE-PATTERN-DUE-DAY", "paid late by the same few days in 3 of the last 4 months: one officer task "
    "proposing a new due day instead of a contact task every month",
    inputs=("days_late", "periods", "proposed_due_day"),
    policy_keys=("late_pattern_months", "late_pattern_window_months", "late_pattern_max_days_late",
                 "late_pattern_spread_days"))


@step(PREV_PHONE_D1, PREV_PHONE_RETRY, PREV_VISIT, WORRY_CONTACT_D3, WORRY_PHONE_RETRY, WORRY_VISIT,
      LATE_PATTERN_DUE_DAY,
      STD_ROBOCALL_12, STD_ROBOCALL_RETRY, STD_SMS_CHOSEN, STD_SMS_FALLBACK, STD_SMS_NO_RESULT,
      STD_FIX_CONTACT, preventive=70)
def first_contact(ctx: Context) -> Decision | None:
    if ctx.promise_pending:
        return None  # the tenant promised: no calls or tasks until the promise is checked
    track = Track(ctx.case.track)
    if track in (Track.PREVENTION, Track.WORRY):
        personal_track(ctx, track)
    else:
        standard_track(ctx)
    return None


def personal_track(ctx: Context, track: Track) -> None:
    case, day, policy = ctx.case, ctx.day, ctx.policy
    D = case.due_date
    pattern = late_facts.late_pattern(ctx.tenancy, D, policy)
    if pattern is not None and not case.contacts:
        # pays late by the same few days every month: one task proposing a due day,
        # instead of a phone task every month; contact follows only past the usual day
        if not ctx.tenancy.due_day_proposed():
            ctx.add("task", LATE_PATTERN_DUE_DAY, "task:propose_due_day", pattern,
                    task_kind=TaskKind.PROPOSE_DUE_DAY.value, due_on=on_or_next_business_day(day),
                    proposed_due_day=pattern["proposed_due_day"])
        if not ctx.at(D + timedelta(days=max(pattern["days_late"]) + 1)):
            return
    if track == Track.PREVENTION:
        first_due = add_business_days(D, policy.prevention_first_contact_business_days)
        first_rule, retry_rule, visit_rule = PREV_PHONE_D1, PREV_PHONE_RETRY, PREV_VISIT
    else:
        first_due = on_or_next_business_day(D + timedelta(days=policy.worry_first_contact_days))
        first_rule, retry_rule, visit_rule = WORRY_CONTACT_D3, WORRY_PHONE_RETRY, WORRY_VISIT
    if ctx.at(min(first_due, max(day, case.opened_on))):
        ctx.add("task", first_rule, "task:phone:1", {"first_contact_due": first_due},
                task_kind=TaskKind.PHONE.value, due_on=max(first_due, case.track_changed_on or case.opened_on))
    reached, failed_days = officer_phone_days(case)
    if reached:
        return
    if 0 < len(failed_days) < policy.prevention_phone_attempts:
        retry_due = next_business_day(failed_days[-1])
        ctx.add("task", retry_rule, f"task:phone:{len(failed_days) + 1}",
                {"failed_attempt_days": failed_days}, task_kind=TaskKind.PHONE.value, due_on=retry_due)
    elif len(failed_days) >= policy.prevention_phone_attempts:
        visit_due = add_business_days(failed_days[-1], policy.home_visit_within_business_days)
        ctx.add("task", visit_rule, "task:home_visit:1", {"failed_attempt_days": failed_days},
                task_kind=TaskKind.HOME_VISIT.value, due_on=visit_due)


def standard_track(ctx: Context) -> None:
    case, day, policy, add, at = ctx.case, ctx.day, ctx.policy, ctx.add, ctx.at
    when = robocall_day(case.due_date, policy)
    if not at(when):
        return
    add("robocall", STD_ROBOCALL_12, "robocall:1", {"robocall_day": when}, attempt=1)
    attempts = sorted(((k, v) for k, v in case.robocalls.items() if not k.startswith("robocall:m:")),
                      key=lambda kv: kv[0])
    if not attempts:
        return
    last_id, last = attempts[-1]
    outcome = last["outcome"]
    if outcome is None:
        # the provider never reported a result: after two business days, the SMS instead
        if at(add_business_days(last["on"], 2)):
            add("sms", STD_SMS_NO_RESULT, "sms:fallback", {"robocall": last_id, "requested_on": last["on"]})
        return
    n = len(attempts)
    try:
        o = Outcome(outcome)
    except ValueError:
        return
    result_day = max((c["on"] for c in case.contacts if c["attempt_id"] == last_id), default=day)
    if o == Outcome.CHOSE_SMS:
        add("sms", STD_SMS_CHOSEN, f"sms:chosen:{n}", {"robocall": last_id})
    elif o in FIX_CONTACT_OUTCOMES:
        add("task", STD_FIX_CONTACT, "task:fix_contact", {"robocall": last_id, "outcome": outcome},
            task_kind=TaskKind.FIX_CONTACT_DETAILS.value, due_on=on_or_next_business_day(day))
    elif o in RETRY_OUTCOMES or o == Outcome.OPTED_OUT:
        if o != Outcome.OPTED_OUT and n <= policy.robocall_retries:
            retry_on = next_business_day(result_day)
            if at(retry_on):
                add("robocall", STD_ROBOCALL_RETRY, f"robocall:{n + 1}", {"previous": last_id, "outcome": outcome},
                    attempt=n + 1)
        else:
            add("sms", STD_SMS_FALLBACK, "sms:fallback", {"previous": last_id, "outcome": outcome})
