"""Outcomes follow booking dates (PLAYBOOK 5), as a property: the same rent charges and
payments recorded in any order and with any delay, with the daily run going on day by
day in between and an officer working the phone tasks, end with the same lawful
outcomes as when every fact was recorded on its booking day: the collection costs, the
letters that stand and what they claim in costs, the municipal signals, bailiff and
legal eligibility, and how and when each case closed. On SQLite files.

Payments arrive up to 30 days late (bank statements, manual entry). Rent charges
arrive up to 10 days late, before the month's robocall day: a letter is never posted
in the past, so a charge recorded after a step on it was due moves that step (and the
outcomes that count from it) to the day the charge became known."""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory import FixedClock
from application import daily_run
from domain import late_facts
from domain.calendar import next_business_day
from domain.values import Channel, LetterKind, Outcome, Period, TaskKind
from tests.conftest import Backend
from tests.story import OFFICER, SYSTEM, tenant

RENT = 80_00  # costs stay at the legal minimum of EUR 40 for up to three months' arrears
FIRST, LAST = date(2026, 2, 1), date(2026, 6, 30)
PERIODS = ["2026-02", "2026-03", "2026-04"]
REMINDER = LetterKind.REMINDER.value
CHARGE_DELAY = 10  # days: a charge is known before the month's robocall (the 12th)
PAYMENT_DELAY = 30
# more examples locally: VANGNET_HYPOTHESIS_EXAMPLES=300 (each costs two runs of five months)
EXAMPLES = int(os.environ.get("VANGNET_HYPOTHESIS_EXAMPLES", "8"))

Fact = tuple[str, date, date, int]  # kind, booked on, recorded on, cents

# amounts around the thresholds: EUR 20 left is under the reminder's EUR 25, EUR 40 (half
# a month's rent) is the signal's and the 14-day letter's minimum
payment = st.tuples(st.integers(min_value=0, max_value=110), st.sampled_from([20_00, 40_00, 60_00, 80_00, 160_00]))
facts = st.tuples(
    st.lists(payment, min_size=0, max_size=4),
    st.lists(st.integers(min_value=0, max_value=CHARGE_DELAY), min_size=3, max_size=3),
    st.lists(st.integers(min_value=0, max_value=PAYMENT_DELAY), min_size=4, max_size=4),
)


def booked(payments: list[tuple[int, int]]) -> list[tuple[str, date, int]]:
    out = [("charge", Period.parse(p).first_day(), RENT) for p in PERIODS]
    return out + [("payment", FIRST + timedelta(days=day), cents) for day, cents in payments]


def recorded(base: list[tuple[str, date, int]], charge_delays: list[int], payment_delays: list[int]) -> list[Fact]:
    out: list[Fact] = []
    n = 0
    for kind, on, cents in base:
        if kind == "charge":
            delay = charge_delays[PERIODS.index(str(Period.of(on)))]
        else:
            delay = payment_delays[n % len(payment_delays)]
            n += 1
        out.append((kind, on, on + timedelta(days=delay), cents))
    return out


def outcome(fact_list: list[Fact]) -> dict[str, Any]:
    """Record each fact on its recording day, before that day's run; an officer calls
    (not reached) on every open phone task the day it is created. The outcomes at the end."""
    with tempfile.TemporaryDirectory() as tmp:
        backend = Backend("sqlite", str(Path(tmp) / "v.db"), FixedClock(date(2026, 1, 1)), Path(tmp) / "out")
        try:
            app = backend.build()
            tenant(app, "P1", rent=RENT)
            day = FIRST
            while day <= LAST:
                for n, (kind, on, rec, cents) in enumerate(fact_list):
                    if rec != day:
                        continue
                    if kind == "charge":
                        app.charge_rent(SYSTEM, "P1", period=Period.of(on), cents=cents, booked_on=on)
                    else:
                        app.pay(SYSTEM, "P1", cents=cents, booked_on=on, tx_id=f"pay-{n}-{on}")
                daily_run.run(app, day)
                t = app.get_tenancy("P1")
                if t.open_case_id is not None:
                    case = app.get_case(t.open_case_id)
                    if any(x["kind"] == TaskKind.PHONE.value for x in case.open_tasks()):
                        app.record_contact(OFFICER, case.id, channel=Channel.PHONE, outcome=Outcome.NO_ANSWER,
                                           on=day)
                day += timedelta(days=1)
            t = app.get_tenancy("P1")
            cases = [app.get_case(c) for c in t.case_ids]
            # a case opened on facts since corrected: cleared as booked by the first day it could
            # open (the business day after its due date), so that, recorded in time, no case
            # would have opened. It is no case: it must have nothing standing, and is left out
            void = [c for c in cases if c.closed_on is not None and c.closed_on <= next_business_day(c.due_date)]
            assert [c.period for c in void if standing(c)] == []
            assert [c.period for c in cases if late_facts.void_case(c, app.policy)] == [c.period for c in void]
            cases = [c for c in cases if c not in void]
            return {
                "costs_cents": t.costs_booked,
                "balance_cents": t.balance_cents,
                # each case: its period, how and when it closed, the 14-day letter that stands with
                # the costs it claims, a live signal, bailiff and legal eligibility
                "cases": [
                    (str(c.period), c.closed_on, c.close_reason,
                     tuple(sorted((k, v["costs_cents"]) for k, v in c.letters.items()
                                  if v.get("withdrawn_on") is None and not k.startswith(REMINDER))),
                     c.signal is not None and c.signal.get("withdrawn_on") is None,
                     c.bailiff_eligible_on is not None, c.legal_eligible_on is not None)
                    for c in cases
                ],
                # each case: the informal reminders that stand (the first, "reminder", and a later
                # month's, "reminder:PERIOD") with the day each was posted, and the track it was on
                "reminders": [(str(c.period), tuple(sorted(k for k, v in c.letters.items()
                                                           if v.get("withdrawn_on") is None
                                                           and k.startswith(REMINDER))))
                              for c in cases],
                "reminders_posted": [(str(c.period), tuple(sorted((k, v["posted_on"]) for k, v in c.letters.items()
                                                                  if k.startswith(REMINDER))))
                                     for c in cases],
                "tracks": [(str(c.period), c.track) for c in cases],
            }
        finally:
            backend.close()


def standing(c: Any) -> bool:
    """A letter, a signal or an eligibility that was not withdrawn."""
    return (any(v.get("withdrawn_on") is None for v in c.letters.values())
            or (c.signal is not None and c.signal.get("withdrawn_on") is None)
            or c.bailiff_eligible_on is not None or c.legal_eligible_on is not None)


def exactly(o: dict[str, Any]) -> dict[str, Any]:
    """Every outcome, the reminders that stand included, but not the day each letter was
    posted (a letter is never posted in the past)."""
    return {k: v for k, v in o.items() if k != "reminders_posted"}


def known_arrears(fact_list: list[Fact], day: date) -> int:
    """The arrears as of ``day`` that the facts recorded by ``day`` show."""
    return sum((c if k == "charge" else -c) for k, on, rec, c in fact_list if on <= day and rec <= day)


def never_known_while_owed(case: tuple[Any, ...], late: list[Fact]) -> bool:
    """Recorded late, no run from the day the case could open (the business day after its
    period's due date) to the day it was cleared as booked knew of any arrears: the rent
    was recorded when the money that cleared it was known too."""
    first, cleared = next_business_day(Period.parse(case[0]).first_day()), case[1]
    if cleared is None:
        return False
    return all(known_arrears(late, first + timedelta(days=n)) <= 0 for n in range((cleared - first).days + 1))


def assert_same_lawful_outcomes(late: list[Fact], when_late: dict[str, Any], in_time: dict[str, Any]) -> None:
    """Equal: the costs booked, the balance, and each case: how and when it closed, the
    14-day letter that stands and the costs it claims, a live signal, bailiff and legal
    eligibility. Two differences are permitted, both of a step that can only be taken
    once its fact is known (a letter is never posted in the past, a case never opened in
    the past):

    - a case that, recorded in time, opened and was paid with nothing standing but an
      informal reminder may be missing when recorded late, if no run before it was paid
      (as booked) knew of any arrears (``never_known_while_owed``); the cases after it may
      then be on another track (that case counted as a recent one);
    - an informal reminder (REMINDER-D14, RHYTHM-NEW-MONTH-REMINDER) that stands in time
      may be missing when recorded late: as booked it was due on a day the run could not
      yet know the debt, and by the time the late fact was known no reminder was due any
      more: the arrears were paid, or a reminder posted later (one sent again after a
      reminder sent in error was withdrawn) already stated that month. Never the other
      way round: every reminder that stands when recorded late stands in time."""
    assert when_late["costs_cents"] == in_time["costs_cents"]
    assert when_late["balance_cents"] == in_time["balance_cents"]
    missing = [n for n, c in enumerate(in_time["cases"])
               if c not in when_late["cases"] and c[2] == "paid" and c[3:] == ((), False, False, False)
               and never_known_while_owed(c, late)]
    kept = [n for n in range(len(in_time["cases"])) if n not in missing]
    assert when_late["cases"] == [in_time["cases"][n] for n in kept]
    if not missing:
        assert when_late["tracks"] == in_time["tracks"]
    for (period, reminders), (period_in_time, reminders_in_time) in zip(
            when_late["reminders"], [in_time["reminders"][n] for n in kept], strict=True):
        assert period == period_in_time and set(reminders) <= set(reminders_in_time), (period, reminders,
                                                                                       reminders_in_time)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(facts)
def test_any_recording_order_ends_with_the_same_lawful_outcomes(data):
    payments, charge_delays, payment_delays = data
    base = booked(payments)
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, charge_delays, payment_delays)
    assert_same_lawful_outcomes(late, outcome(late), outcome(in_time))


def test_a_charge_recorded_a_day_late_does_not_charge_costs_twice():
    base = booked([(59, 160_00)])  # 160.00 booked on 1 April clears February and March
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [0, 0, 1], [0])  # April's charge is recorded on 2 April
    assert exactly(outcome(late)) == exactly(outcome(in_time))



def test_bailiff_eligibility_follows_the_booked_arrears_whenever_payments_are_recorded():
    """Hypothesis's counter-example: eligibility withdrawn on a late payment came back only on
    the arrears of the recording day (now: as of 1 April, when the booked arrears reached it)."""
    base = booked([(59, 20_00), (41, 20_00), (91, 60_00), (65, 80_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [3, 0, 10], [9, 30, 1, 29])
    assert exactly(outcome(late)) == exactly(outcome(in_time))


def test_a_late_payment_re_checks_the_closed_case_while_a_newer_case_is_open():
    """Hypothesis's counter-example: March's reminder, not due as booked, stood."""
    base = booked([(36, 20_00), (11, 80_00), (49, 80_00), (12, 40_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [0, 0, 2], [26, 3, 6, 23])
    assert exactly(outcome(late)) == exactly(outcome(in_time))


def test_rent_paid_the_day_after_the_deadline_gives_the_same_costs_in_any_order():
    """Hypothesis's counter-example: paid the day after the deadline and recorded that day,
    the case closed before WIK-COSTS looked (no costs); recorded later, the costs stood."""
    base = booked([(57, 80_00), (50, 60_00), (54, 80_00), (23, 20_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [6, 2, 5], [12, 6, 16, 7])
    assert exactly(outcome(late)) == exactly(outcome(in_time))


def test_a_reminder_withdrawn_as_sent_in_error_does_not_offer_a_signal():
    """Hypothesis's counter-example: April's reminder went out on arrears a late payment
    put under its threshold and was withdrawn; months later the signal still counted it as
    the reminder offering the signal and went out, where recorded in time there was none."""
    base = booked([(30, 160_00), (4, 20_00), (70, 40_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [0, 3, 0], [3, 17, 6, 16])
    assert exactly(outcome(late)) == exactly(outcome(in_time))


def test_a_month_whose_debt_sat_in_a_case_a_late_payment_closed_gets_its_reminder_on_time():
    """Hypothesis's counter-example: February was paid on 25 February (recorded 13 March),
    March on 14 March (recorded 27 March). Recorded late, the March debt sat in February's
    open case until 13 March; that case then closed as of 25 February and March's case has
    to open that same day, so that its reminder goes out on 13 March as it did in time."""
    base = booked([(24, 40_00), (41, 80_00), (0, 40_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [0, 0, 5], [16, 13, 28, 30])
    assert exactly(outcome(late)) == exactly(outcome(in_time))


def test_a_case_cleared_as_booked_on_the_day_it_opened_is_void():
    """Hypothesis's counter-example: February's rent was paid on 2 February, the day its
    case opened, but recorded on 6 February. Recorded in time no case opens; recorded late
    the case opened on 2 February closes as of that day: it is void (nothing stands) and
    must not count as a recent case that puts March's case on the worry track."""
    base = booked([(46, 20_00), (1, 80_00), (55, 20_00), (80, 20_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [0, 0, 0], [1, 4, 11, 17])
    assert exactly(outcome(late)) == exactly(outcome(in_time))


def test_a_14_day_letter_withdrawn_on_the_day_its_case_closes_charges_no_costs():
    """Hypothesis's counter-example: March's case posted a 14-day letter on 7 April (the
    April rent it stated was known, the March payment booked on 26 March was not); on 25
    April, the day after its deadline, that payment was recorded: the letter was withdrawn
    as sent after the case was cleared, yet the close charged its costs, and April's own
    case charged them again: EUR 80 where recorded in time it is EUR 40."""
    base = booked([(21, 60_00), (21, 60_00), (53, 60_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [8, 0, 5], [13, 8, 30, 29])
    assert exactly(outcome(late)) == exactly(outcome(in_time))


def test_a_charge_recorded_after_the_case_closed_shows_the_bailiff_eligibility_it_had():
    """Hypothesis's counter-example: with April's rent (booked 1 April) the arrears reached
    two months' rent after the 14-day deadline, until the case was paid on 7 April. In time
    the case is eligible for the bailiff as of 1 April; recorded on 10 April, after the
    case closed, the charge re-checks the closed case, which is eligible as of 1 April too
    (without an approval task: nothing is handed over)."""
    base = booked([(2, 40_00), (65, 160_00), (68, 160_00), (65, 160_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [2, 8, 9], [7, 2, 19, 0])
    assert exactly(outcome(late)) == exactly(outcome(in_time))


def test_a_month_reminder_not_due_when_a_reminder_sent_again_already_stated_that_month():
    """Hypothesis's counter-example, a permitted difference. March's rent (booked 1 March)
    was recorded on 11 March; the money booked on 9 March that brought the arrears to
    EUR 20, under the reminder's EUR 25, was recorded on 4 and 8 April. In time the first
    reminder goes out on 2 March (EUR 100 owed) and April gets a reminder of its own on 15
    April. Recorded late the first reminder went out on 11 March, when the run first knew
    of the arrears, on a day they were EUR 20 as booked: on 8 April it is withdrawn with an
    apology and sent again, stating April's rent too, so no reminder of April's own is due
    any more. The 14-day letter, its costs and the signal are the same."""
    base = booked([(62, 20_00), (36, 60_00), (0, 60_00), (36, 20_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [0, 10, 0], [14, 26, 10, 30])
    when_late, when_in_time = outcome(late), outcome(in_time)
    assert_same_lawful_outcomes(late, when_late, when_in_time)
    assert when_in_time["reminders_posted"] == [
        ("2026-02", (("reminder", date(2026, 3, 2)), ("reminder:2026-04", date(2026, 4, 15))))]
    assert when_late["reminders_posted"] == [("2026-02", (("reminder", date(2026, 4, 8)),))]
    assert when_late["cases"] == when_in_time["cases"] == [
        ("2026-02", None, None, (("fourteen_day_letter", 40_00),), True, False, False)]


def test_a_case_paid_before_its_rent_was_recorded_never_opens():
    """A permitted difference: February's rent, booked 1 February, was recorded on 8
    February, with the EUR 160 booked on 3 February. In time a case opens on 2 February
    and closes as paid on 3 February with nothing done; recorded late no run ever knew of
    any arrears, so no case opens, and April's case is on the standard track (in time the
    February case counts as a recent case: the worry track). Costs, letters, signal and
    eligibility are the same."""
    base = booked([(2, 160_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [7, 0, 0], [5])
    when_late, when_in_time = outcome(late), outcome(in_time)
    assert_same_lawful_outcomes(late, when_late, when_in_time)
    assert when_in_time["cases"][0] == ("2026-02", date(2026, 2, 3), "paid", (), False, False, False)
    assert when_late["cases"] == when_in_time["cases"][1:]
    assert (when_late["tracks"], when_in_time["tracks"]) == (
        [("2026-04", "standard")], [("2026-02", "standard"), ("2026-04", "worry")])
