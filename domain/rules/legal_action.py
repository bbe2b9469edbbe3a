"""Eligibility for legal action (eviction: only the district court dissolves a lease;
covenant of December 2022): the playbook asks for the documented steps, months after
the signal, and no debt-help programme (nor debt counselling by the intake); two staff
members still decide (four eyes).

Before a case is eligible the household is known (sector agreement of December 2022):
a home visit attempted (EVICT-HOME-VISIT), household facts recorded (EVICT-HOUSEHOLD:
children, known care, social-services involvement; sealed), and, with children in the
household, social services involved first (EVICT-CHILDREN: restraint with children).
No eviction while a debt-help programme runs (EVICT-DEBT-PROGRAMME). An eligibility
recorded before a programme is looked at again when the programme ended, failed or
lapsed and the playbook resumes (EVICT-AFTER-PROGRAMME): the review task is offered
again while the arrears stay at the threshold, else the eligibility is withdrawn."""

from __future__ import annotations

from typing import Any

from domain import late_facts
from domain.actions import Decision
from domain.calendar import add_months, on_or_next_business_day
from domain.programmes import ended_since
from domain.rulebook import BASIS_EVICT, Context, rule, step
from domain.values import Channel, LetterKind, TaskKind

BASIS_SECTOR = "convenant woningcorporaties december 2022: terughoudendheid bij huishoudens met kinderen"

EVICT_ELIGIBLE = rule("EVICT-ELIGIBLE", "legal_months_after_signal after the signal, arrears of "
                      "legal_months_of_rent or more, every step documented, not in debt counselling, "
                      "a home visit attempted and the household known",
                      inputs=("documented", "signal_on", "rent_cents", "months", "in_debt_counselling"),
                      policy_keys=("legal_months_of_rent", "legal_months_after_signal"), legal_basis=BASIS_EVICT)
EVICT_HOME_VISIT = rule("EVICT-HOME-VISIT", "otherwise eligible, but no home visit attempted: a home-visit task first",
                        inputs=("signal_on",), legal_basis=BASIS_SECTOR)
EVICT_HOUSEHOLD = rule("EVICT-HOUSEHOLD", "otherwise eligible, but no household facts recorded: a task to record "
                       "them first", inputs=("signal_on",), legal_basis=BASIS_SECTOR)
EVICT_CHILDREN = rule("EVICT-CHILDREN", "children in the household and social services not involved: "
                      "involve them before legal action", inputs=("household_records",), legal_basis=BASIS_SECTOR)
EVICT_DEBT_PROGRAMME = rule("EVICT-DEBT-PROGRAMME", "no eligibility, bailiff or decision while a debt-help "
                            "programme runs", legal_basis="convenant woningcorporaties december 2022")
EVICT_AFTER_PROGRAMME = rule(
    "EVICT-AFTER-PROGRAMME", "eligible before a debt-help programme that ended, failed or lapsed, not yet decided "
    "by two staff members, once the playbook resumes: arrears of legal_months_of_rent or more offer the review "
    "task again, less withdraw the eligibility", inputs=("eligible_on", "programme", "state", "rent_cents", "months"),
    policy_keys=("legal_months_of_rent", "programme_resume_days"), legal_basis=BASIS_EVICT)


def household_blocks(ctx: Context) -> bool:
    """Add the household steps still missing; True while legal action must wait for them."""
    case = ctx.case
    assert case.signal is not None
    waiting = False
    if not any(c["channel"] == Channel.HOME_VISIT.value for c in case.contacts):
        ctx.add("task", EVICT_HOME_VISIT, "task:legal:home_visit", {"signal_on": case.signal["on"]},
                task_kind=TaskKind.HOME_VISIT.value, due_on=on_or_next_business_day(ctx.day))
        waiting = True
    if not case.household:
        ctx.add("task", EVICT_HOUSEHOLD, "task:legal:household", {"signal_on": case.signal["on"]},
                task_kind=TaskKind.RECORD_HOUSEHOLD.value, due_on=on_or_next_business_day(ctx.day))
        return True
    facts: Any = ctx.household
    erased = not isinstance(facts, dict)
    if erased or (facts.get("children") and not facts.get("social_services")):
        n = len(case.household)
        ctx.add("task", EVICT_CHILDREN, f"task:legal:social_services:{n}", {"household_records": n},
                task_kind=TaskKind.INVOLVE_SOCIAL_SERVICES.value, due_on=on_or_next_business_day(ctx.day))
        return True
    return waiting


def after_programme(ctx: Context) -> None:
    """Eligibility recorded before a programme that has ended: offer the review again or withdraw it."""
    case, t, policy = ctx.case, ctx.tenancy, ctx.policy
    assert case.legal_eligible_on is not None
    p = ended_since(case, case.legal_eligible_on)
    if p is None or case.legal_action_approved:
        return
    inputs = {"eligible_on": case.legal_eligible_on, "programme": p["number"], "state": p["state"],
              "rent_cents": t.rent_cents, "months": policy.legal_months_of_rent}
    if ctx.arrears >= policy.legal_months_of_rent * t.rent_cents:
        ctx.add("task", EVICT_AFTER_PROGRAMME, f"task:legal:review:programme:{p['number']}", inputs,
                task_kind=TaskKind.REVIEW_LEGAL_ACTION.value, due_on=on_or_next_business_day(ctx.day))
    else:
        ctx.add("eligibility_withdrawn", EVICT_AFTER_PROGRAMME, f"legal:withdrawn:programme:{p['number']}", inputs,
                which="legal")


@step(EVICT_HOME_VISIT, EVICT_HOUSEHOLD, EVICT_CHILDREN, EVICT_DEBT_PROGRAMME, EVICT_AFTER_PROGRAMME, EVICT_ELIGIBLE,
      preventive=130)
def legal_action(ctx: Context) -> Decision | None:
    case, t, policy = ctx.case, ctx.tenancy, ctx.policy
    if case.legal_eligible_on is not None:
        after_programme(ctx)
        return None
    if case.legal_eligible_on is not None or case.signal is None or case.signal.get("withdrawn_on") is not None:
        return None
    documented = {
        "reminder": LetterKind.REMINDER.value in case.letters,
        "fourteen_day_letter": LetterKind.FOURTEEN_DAY_LETTER.value in case.letters,
        "signal": True,
        "personal_contact": bool(case.personal_attempts()),
    }
    not_in_counselling = not case.in_programme() and not ctx.in_debt_counselling
    if all(documented.values()) and not_in_counselling:
        if ctx.at(add_months(case.signal["on"], policy.legal_months_after_signal)):
            # from the booked facts: the first day from then on which the arrears as booked
            # reached the threshold, whenever those facts were recorded (PLAYBOOK 5)
            start = late_facts.eligibility_start(
                case, "legal", add_months(case.signal["on"], policy.legal_months_after_signal), ctx.day)
            on = late_facts.first_day_reached(case, t, start, ctx.day, policy.legal_months_of_rent * t.rent_cents,
                                              policy)
            if on is None or household_blocks(ctx):
                return None
            # the arrears follow the booking dates; the household record is a step of its own:
            # eligibility never predates the record that cleared it
            on = max(on, case.household[-1]["on"])
            withdrawn = sum(1 for w in case.eligibility_withdrawals if w["which"] == "legal")
            ctx.add("legal_eligible", EVICT_ELIGIBLE, "legal:eligible" if not withdrawn else f"legal:eligible:{withdrawn + 1}",
                    {"documented": documented, "signal_on": case.signal["on"], "rent_cents": t.rent_cents,
                     "months": policy.legal_months_of_rent, "in_debt_counselling": ctx.in_debt_counselling,
                     "home_visit_attempted": True, "household_recorded_on": case.household[-1]["on"],
                     "reached_on": on, "arrears_reached_cents": t.arrears_cents(as_of=on)}, on=on)
            ctx.add("task", EVICT_ELIGIBLE, "task:legal:review" if not withdrawn else f"task:legal:review:{withdrawn + 1}", {},
                    task_kind=TaskKind.REVIEW_LEGAL_ACTION.value, due_on=on_or_next_business_day(ctx.day))
    return None
