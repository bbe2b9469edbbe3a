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
LETTERS = (REMINDER, LetterKind.FOURTEEN_DAY_LETTER.value)
CHARGE_DELAY = 10  # days: a charge is known before the month's robocall (the 12th)
PAYMENT_DELAY = 30
# 40 examples keep this file under a minute on one core; more locally with
# VANGNET_HYPOTHESIS_EXAMPLES=300 (each example is two runs of five months, about 0.7 s)
EXAMPLES = int(os.environ.get("VANGNET_HYPOTHESIS_EXAMPLES", "40"))
# CI draws the same examples every run (a red build names a reproducible case); setting
# VANGNET_HYPOTHESIS_EXAMPLES explores new random ones
EXPLORE = "VANGNET_HYPOTHESIS_EXAMPLES" in os.environ

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
            open_on: dict[date, str] = {}  # the period of the case open after each day's run
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
                    open_on[day] = str(case.period)
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
                # the costs it claims, a live signal, bailiff and legal eligibility, the costs
                # charged (and not reversed)
                "cases": [
                    (str(c.period), c.closed_on, c.close_reason,
                     tuple(sorted((k, v["costs_cents"]) for k, v in c.letters.items()
                                  if v.get("withdrawn_on") is None and not k.startswith(REMINDER))),
                     c.signal is not None and c.signal.get("withdrawn_on") is None,
                     c.bailiff_eligible_on is not None, c.legal_eligible_on is not None,
                     c.costs_cents if c.costs_charged_on is not None and not c.costs_reversed else 0)
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
                "opened": {str(c.period): c.opened_on for c in cases},
                # the day each case's first reminder, 14-day letter and signal that stand went out
                "posted": {str(c.period): {**{k: v["posted_on"] for k, v in c.letters.items()
                                              if k in LETTERS and v.get("withdrawn_on") is None},
                                           **({"signal": c.signal["on"]} if c.signal is not None
                                              and c.signal.get("withdrawn_on") is None else {})}
                           for c in cases},
                "open_on": open_on,
            }
        finally:
            backend.close()


def standing(c: Any) -> bool:
    """A letter, a signal or an eligibility that was not withdrawn."""
    return (any(v.get("withdrawn_on") is None for v in c.letters.values())
            or (c.signal is not None and c.signal.get("withdrawn_on") is None)
            or c.bailiff_eligible_on is not None or c.legal_eligible_on is not None)


def exactly(o: dict[str, Any]) -> dict[str, Any]:
    """Every outcome, the reminders that stand included, but not the days on which a case
    opened or a letter was posted (neither is ever in the past)."""
    return {k: v for k, v in o.items() if k not in ("reminders_posted", "opened", "open_on", "posted")}


def known_arrears(fact_list: list[Fact], day: date) -> int:
    """The arrears as of ``day`` that the facts recorded by ``day`` show."""
    return sum((c if k == "charge" else -c) for k, on, rec, c in fact_list if on <= day and rec <= day)


def unknown_on(fact_list: list[Fact], day: date) -> bool:
    """Whether a fact booked by ``day`` was recorded after it."""
    return any(on <= day < rec for _, on, rec, _ in fact_list)


def not_known_as_a_case(period: str, first: date, until: date, late: list[Fact], when_late: dict[str, Any]) -> bool:
    """Recorded late, no run from ``first`` to the day before ``until`` could open the case
    of ``period``: each knew of no arrears, or had another case open that the debt sat in
    (one a payment recorded later showed cleared before)."""
    return all(known_arrears(late, d) <= 0 or when_late["open_on"].get(d, period) != period
               for d in (first + timedelta(days=n) for n in range((until - first).days)))


def assert_same_lawful_outcomes(late: list[Fact], when_late: dict[str, Any], in_time: dict[str, Any]) -> None:
    """Equal: the rent balance and each case (matched by period): how and when it closed,
    the 14-day letter that stands and the costs it claims, a live signal, bailiff and
    legal eligibility, the costs charged; and so the costs booked and the balance.

    A letter is never posted in the past and a case never opened in the past: a step can
    only be taken once its fact is known. This permits two differences, never more:

    - an informal reminder (REMINDER-D14, RHYTHM-NEW-MONTH-REMINDER) that stands in time
      may be missing when recorded late: as booked it was due on a day the run could not
      yet know the debt, and by the time the late fact was known no reminder was due any
      more: the arrears were paid, or a reminder posted later (sent again after one sent in
      error was withdrawn) already stated that month. Every reminder that stands when
      recorded late stands in time;
    - the steps of a case that waited for a fact recorded late (a letter or a signal is
      never sent in the past). A case opens later, or not
      at all, only when no run before could open it (``not_known_as_a_case``: its rent was
      recorded late, or its debt sat in an earlier case until a late payment showed that
      case cleared). Its first reminder or 14-day letter may then go out later than in time
      (or not at all), and so may one whose day in time came before the run knew the facts
      as booked (``unknown_on``): a rent charge recorded late, or a payment recorded late
      that showed the letter it had sent was sent in error, so it is sent again; the same
      for the signal, also when the fact was recorded the day before it went out in time
      (it follows the personal contact it asks for first). What counts from that letter comes later
      too (the 14-day letter after the reminder, the signal after the objection period,
      the costs and the bailiff after the deadline) and may fall after the day the debt
      was paid as booked, so it is not taken (or is withdrawn as sent in error). Such a
      case has, recorded late, a part of the outcomes it has in time (the same close; a
      letter, a signal, eligibility or costs only if in time too); a case that never
      opened has none, and the cases after it may be on another track (in time it counted
      as a recent case). Only the first of its steps that went out later than in time has
      to have waited so; a case with the same outcomes as in time passes whatever its days."""
    rent_balance = when_late["balance_cents"] - when_late["costs_cents"]
    assert rent_balance == in_time["balance_cents"] - in_time["costs_cents"]
    assert when_late["costs_cents"] == sum(c[-1] for c in when_late["cases"])
    late_cases = {c[0]: c for c in when_late["cases"]}
    reminders = dict(when_late["reminders"])
    assert len(late_cases) == len(when_late["cases"]) and set(late_cases) <= {c[0] for c in in_time["cases"]}
    opened_later = []
    for case, (_, reminders_in_time) in zip(in_time["cases"], in_time["reminders"], strict=True):
        period, cleared = case[0], case[1]
        opened, opened_in_time = when_late["opened"].get(period), in_time["opened"][period]
        if opened != opened_in_time:
            until = opened if opened is not None else cleared
            assert until is not None and not_known_as_a_case(period, opened_in_time, until, late,
                                                             when_late), (period, opened)
            opened_later.append(period)
        if opened is None:
            continue
        mine = late_cases[period]
        if mine != case:  # only a step that waited for its fact may make a difference
            waited = []
            for kind in (*LETTERS, "signal"):
                posted, posted_in_time = when_late["posted"][period].get(kind), in_time["posted"][period].get(kind)
                if posted_in_time is not None and (posted is None or posted > posted_in_time):
                    # the case was not open yet on its day in time, or a fact booked by then (or
                    # by the day before: the signal follows the personal contact it asks for
                    # first) was not yet recorded
                    waited.append(posted_in_time < opened or unknown_on(late, posted_in_time)
                                  or unknown_on(late, posted_in_time - timedelta(days=1)))
            assert waited and waited[0], (period, mine, case)  # the first step that moved waited
            assert mine[1:3] == case[1:3] and set(mine[3]) <= set(case[3]), (mine, case)
            assert all(a <= b for a, b in zip(mine[4:], case[4:], strict=True)), (mine, case)
        assert set(reminders.get(period, ())) <= set(reminders_in_time), (period, reminders, reminders_in_time)
    if not opened_later:
        assert when_late["tracks"] == in_time["tracks"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=not EXPLORE, database=None if not EXPLORE else settings.default.database)
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
        ("2026-02", None, None, (("fourteen_day_letter", 40_00),), True, False, False, 40_00)]


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
    assert when_in_time["cases"][0] == ("2026-02", date(2026, 2, 3), "paid", (), False, False, False, 0)
    assert when_late["cases"] == when_in_time["cases"][1:]
    assert (when_late["tracks"], when_in_time["tracks"]) == (
        [("2026-04", "standard")], [("2026-02", "standard"), ("2026-04", "worry")])


def test_a_case_whose_debt_sat_in_an_earlier_case_takes_its_steps_from_the_day_it_opens():
    """Hypothesis's counter-example, a permitted difference. February and March were paid
    on 23 March (recorded 22 April); April's rent was paid on 5 May. In time April's case
    opens on 2 April, its reminder goes out on 15 April and, the objection period over,
    the signal on 1 May (resolved on 5 May). Recorded late, April's debt sat in February's
    case until 22 April: April's case opens that day, its reminder goes out then, and the
    signal only after the objection period, on 6 May, after April was paid as booked: it is
    withdrawn when that payment is recorded. February's case is the same either way."""
    base = booked([(50, 160_00), (19, 40_00), (93, 160_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [4, 8, 8], [30, 27, 2, 2])
    when_late, when_in_time = outcome(late), outcome(in_time)
    assert_same_lawful_outcomes(late, when_late, when_in_time)
    assert (when_late["opened"]["2026-04"], when_in_time["opened"]["2026-04"]) == (date(2026, 4, 22),
                                                                                 date(2026, 4, 2))
    assert when_late["cases"][0] == when_in_time["cases"][0]
    april = ("2026-04", date(2026, 5, 5), "paid", (), False, False, False, 0)
    assert when_late["cases"][1] == april
    assert when_in_time["cases"][1] == april[:4] + (True,) + april[5:]
    assert when_late["costs_cents"] == when_in_time["costs_cents"] == 0  # February was paid by its deadline


def test_a_case_paid_before_the_earlier_case_its_debt_sat_in_was_known_cleared_never_opens():
    """Hypothesis's counter-example, a permitted difference. February and March were cleared
    on 28 March, but EUR 60 of it was recorded on 26 April; April's rent was paid on 12
    April. In time April's case opens on 2 April and closes as paid on 12 April, nothing
    done but officer calls; recorded late April's debt sat in February's case until 26
    April, when it was paid: no case of its own opens."""
    base = booked([(55, 80_00), (55, 60_00), (70, 80_00), (29, 60_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [0, 0, 0], [0, 29, 2, 13])
    when_late, when_in_time = outcome(late), outcome(in_time)
    assert_same_lawful_outcomes(late, when_late, when_in_time)
    assert when_in_time["cases"][1] == ("2026-04", date(2026, 4, 12), "paid", (), False, False, False, 0)
    assert when_late["cases"] == when_in_time["cases"][:1]


def test_a_reminder_that_waited_for_a_rent_recorded_late_moves_the_signal_after_it():
    """Hypothesis's counter-example, a permitted difference. February's EUR 20 left owed
    (under the reminder's EUR 25) grew with March's rent, booked 1 March (with EUR 60 paid
    that day) but recorded on 3 March. In time the reminder goes out on 2 March and the
    signal on 16 March, the objection period over (resolved the next day, when the arrears
    were paid). Recorded late the reminder could only go out on 3 March, so the objection
    period ran to 17 March, the day the arrears were paid: no signal. The same case, the
    same 14-day letter, no costs either way."""
    base = booked([(0, 60_00), (44, 40_00), (28, 60_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [0, 2, 0], [0, 0, 0, 0])
    when_late, when_in_time = outcome(late), outcome(in_time)
    assert_same_lawful_outcomes(late, when_late, when_in_time)
    assert (when_late["posted"]["2026-02"][REMINDER], when_in_time["posted"]["2026-02"][REMINDER]) == (
        date(2026, 3, 3), date(2026, 3, 2))
    february = ("2026-02", date(2026, 3, 17), "paid", (("fourteen_day_letter", 40_00),), False, False, False, 0)
    assert when_late["cases"][0] == february
    assert when_in_time["cases"][0] == february[:4] + (True,) + february[5:]
    assert when_late["cases"][1:] == when_in_time["cases"][1:]


def test_a_late_payment_redates_a_closed_case_though_a_void_case_closed_after_it():
    """Hypothesis's counter-example: February was cleared as booked on 16 February (EUR 20,
    recorded 4 March); recorded late it closed on 17 February, with the EUR 80 of that day.
    A March case opened on 2 March on facts since corrected (EUR 20 booked 18 February,
    recorded 3 March) closed, void, as of 1 March. The EUR 20 of 16 February then reached
    not the last closed case only: February's case is re-checked and closes as of 16
    February, as in time."""
    base = booked([(17, 20_00), (15, 20_00), (0, 60_00), (16, 80_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [0, 0, 0], [13, 16, 0, 0])
    when_late, when_in_time = outcome(late), outcome(in_time)
    assert exactly(when_late) == exactly(when_in_time)
    assert when_late["cases"][0][1] == date(2026, 2, 16)


def test_a_reminder_sent_in_error_is_sent_again_the_day_the_late_payment_is_known():
    """Hypothesis's counter-example (300 examples), the same outcomes on other days. EUR 60
    booked on 9 February and recorded on 3 March left February's EUR 20, under the
    reminder's EUR 25, until March's rent: in time the reminder goes out on 2 March.
    Recorded late it went out on 13 February (EUR 80 as known) and is withdrawn on 3 March
    with an apology, then sent again that day: a letter is never posted in the past. The
    14-day letter, its costs and the signal stand either way."""
    base = booked([(28, 20_00), (28, 20_00), (28, 20_00), (8, 60_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [0, 0, 0], [0, 0, 0, 22])
    when_late, when_in_time = outcome(late), outcome(in_time)
    assert_same_lawful_outcomes(late, when_late, when_in_time)
    assert exactly(when_late) == exactly(when_in_time)
    assert (when_late["posted"]["2026-02"][REMINDER], when_in_time["posted"]["2026-02"][REMINDER]) == (
        date(2026, 3, 3), date(2026, 3, 2))


def test_a_charge_recorded_after_a_close_it_undoes_moves_the_close_to_the_day_cleared():
    """Hypothesis's counter-example (300 examples). February was paid off on 1 March, the
    day March's rent fell due; EUR 160 booked on 2 March cleared both. In time February's
    case goes on with March and closes on 2 March. Recorded late (March's rent on 2
    March) the case closed on 1 March; as booked it was not cleared then, but on 2 March:
    the close date follows that booking date (LATE-CLOSE-REDATED), as in time."""
    base = booked([(9, 20_00), (28, 60_00), (29, 160_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [0, 1, 0], [0, 0, 0, 0])
    when_late, when_in_time = outcome(late), outcome(in_time)
    assert exactly(when_late) == exactly(when_in_time)
    assert when_late["cases"][0][1:3] == (date(2026, 3, 2), "paid")


def test_a_signal_that_waited_for_a_rent_recorded_late_falls_on_the_day_the_arrears_are_paid():
    """Hypothesis's counter-example (300 examples), a permitted difference. February's EUR
    60 left owed fell to EUR 20 on 1 March, when March's rent (recorded on 4 March) made it
    EUR 100; all was paid on 5 March. In time the signal, due on 3 March and over its
    threshold (EUR 40), first asks for a personal contact, and goes out on 4 March
    (resolved on 5 March). Recorded late the run knew of EUR 20 only until 4 March: the
    contact task came on 4 March, and the signal would have gone out on 5 March, the day
    the arrears were paid: none. The same close, no letter or costs either way."""
    base = booked([(0, 20_00), (28, 40_00), (32, 160_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [0, 3, 0], [0, 0, 0, 13])
    when_late, when_in_time = outcome(late), outcome(in_time)
    assert_same_lawful_outcomes(late, when_late, when_in_time)
    assert when_in_time["posted"]["2026-02"]["signal"] == date(2026, 3, 4)
    assert "signal" not in when_late["posted"]["2026-02"]
    assert when_late["cases"][0] == ("2026-02", date(2026, 3, 5), "paid", (), False, False, False, 0)
    assert when_in_time["cases"][0] == ("2026-02", date(2026, 3, 5), "paid", (), True, False, False, 0)


def test_a_reminder_withdrawn_on_a_late_payment_does_not_block_the_case():
    """Hypothesis's counter-example (500 examples). EUR 60 booked on 4 February, recorded
    on 4 March, shows the reminder of 13 February was sent under its threshold (EUR 20 as
    booked). That day the signal was due too: it was decided on the reminder the same
    evaluation withdrew, the case refused it, and so every day's changes to the case were
    dropped: no 14-day letter, signal or eligibility ever again. Now the case is evaluated
    again once compensated: the reminder goes out anew and the rest follows."""
    base = booked([(3, 60_00), (73, 60_00)])
    in_time = [(k, b, b, c) for k, b, c in base]
    late = recorded(base, [2, 2, 3], [28, 8, 16, 2])
    when_late, when_in_time = outcome(late), outcome(in_time)
    assert_same_lawful_outcomes(late, when_late, when_in_time)
    assert when_late["cases"] == when_in_time["cases"] == [
        ("2026-02", None, None, (("fourteen_day_letter", 40_00),), True, True, False, 40_00)]
