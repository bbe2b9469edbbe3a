"""Simulation scenario: every parameter, its default, and the source or assumption behind it.

A scenario is a TOML file with the sections below; any key left out keeps its
default. ``vangnet simulate --print-scenario`` prints this table as TOML with a
comment per key. No behaviour assumption of the simulation lives anywhere else:
the population, tenant, officer, team-lead, partner, court and dialer models read
their numbers from here only.

Calibration targets (PLAYBOOK.md section 6 and the Woonconcept article): about 6%
of tenants late each month; robocalls to about 5-6% of tenants a month (700 of
about 12,500 homes); sector arrears about 1.1% of rent income (2022).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import attrs

PARTNERS = ("welfare", "gkb", "budget_coach", "schuldhulpmaatje")
STRATEGIES = ("preventive", "classic", "both")


class ScenarioError(ValueError):
    """An invalid scenario file or value; the message names the key."""


@attrs.frozen
class Param:
    key: str
    default: Any
    kind: str  # int | float | p (probability) | bool | str | days | weights | table | policy
    note: str


def _p(key: str, default: Any, kind: str, note: str) -> Param:
    return Param(key, default, kind, note)


A = "assumption: "
S = "source: "

SECTIONS: dict[str, tuple[str, list[Param]]] = {
    "run": (
        "What to simulate (command-line options override these).",
        [
            _p(
                "tenancies",
                1000,
                "int",
                S
                + "PLAYBOOK.md: Woonconcept has about 12,500 homes; default smaller for a quick run",
            ),
            _p("months", 12, "int", A + "one year, as the article compares 2016 with 2015"),
            _p(
                "start",
                "2026-01",
                "str",
                A + "first simulated month (yyyy-mm); every tenancy starts on its first day",
            ),
            _p(
                "seed",
                1,
                "int",
                A + "random seed; the same seed and scenario give the same figures",
            ),
            _p(
                "strategy",
                "both",
                "str",
                "preventive (PLAYBOOK.md), classic (domain/classic.py) or both on the same population",
            ),
        ],
    ),
    "population": (
        "The synthetic households (one per home).",
        [
            _p("rent_min_cents", 45000, "int", A + "lowest monthly rent of a social home, EUR 450"),
            _p(
                "rent_mode_cents",
                60000,
                "int",
                A + "most common monthly rent, EUR 600 (typical corporation rent)",
            ),
            _p(
                "rent_max_cents",
                85000,
                "int",
                A + "highest monthly rent, EUR 850 (below the social-rent limit)",
            ),
            _p(
                "benefit_share",
                0.35,
                "p",
                A + "share of households whose main income is a benefit (intake question)",
            ),
            _p(
                "benefit_pay_days",
                [5, 10, 15, 20, 23, 27],
                "days",
                A
                + "days of the month benefits are paid (state pension about the 23rd, most others before the due day of the next month)",
            ),
            _p(
                "benefit_pay_day_weights",
                [0.15, 0.08, 0.05, 0.04, 0.40, 0.28],
                "weights",
                A
                + "relative frequency of each benefit pay day (about a third of benefit households paid between the 2nd and the 20th)",
            ),
            _p(
                "late_income_until_day",
                20,
                "int",
                A
                + "income paid after the due day and on or before this day pays that month's rent on the pay day; later income already covered rent on the due day",
            ),
            _p(
                "debt_counselling_share",
                0.03,
                "p",
                A
                + "share answering yes to 'in debt counselling?' at intake (article: signal question)",
            ),
            _p(
                "garnishment_share",
                0.04,
                "p",
                A
                + "share answering yes to 'garnishment on income or goods?' (article: signal question)",
            ),
            _p(
                "financial_administration_share",
                0.02,
                "p",
                A + "share answering yes to 'court-ordered financial administration?'",
            ),
            _p(
                "consent_partners_share",
                0.6,
                "p",
                A + "share consenting at intake to involve welfare partners",
            ),
            _p(
                "phone_mobile_share",
                0.80,
                "p",
                A + "households with a valid mobile number in the contact directory",
            ),
            _p(
                "phone_landline_share",
                0.10,
                "p",
                A + "households with a landline only (calls work, SMS does not)",
            ),
            _p("phone_missing_share", 0.04, "p", A + "households with no number on file"),
            _p(
                "phone_invalid_share",
                0.06,
                "p",
                A + "households with an outdated or malformed number (rest of the shares)",
            ),
            _p(
                "initial_strained_share",
                0.03,
                "p",
                A + "households without a prevention profile already short of money at the start",
            ),
            _p(
                "initial_crisis_share",
                0.005,
                "p",
                A + "households without a profile already unable to pay at the start",
            ),
            _p(
                "profile_initial_strained_share",
                0.25,
                "p",
                A + "the same for households with a prevention profile",
            ),
            _p(
                "profile_initial_crisis_share",
                0.05,
                "p",
                A + "the same for households with a prevention profile",
            ),
        ],
    ),
    "finances": (
        "Households drift into and out of trouble (monthly Markov chain: ok, strained, crisis).",
        [
            _p(
                "ok_to_strained",
                0.006,
                "p",
                A
                + "monthly chance of an income shock (job loss, illness, separation); with the rates below about 6% of households are in trouble (PLAYBOOK.md 6: about 6% of tenants in arrears)",
            ),
            _p(
                "profile_shock_multiplier",
                3.0,
                "float",
                A + "households with a prevention profile meet shocks this many times as often",
            ),
            _p(
                "strained_to_crisis",
                0.02,
                "p",
                A + "monthly chance that a strained household can no longer pay at all",
            ),
            _p(
                "strained_to_ok",
                0.2,
                "p",
                A + "monthly chance that a strained household recovers by itself",
            ),
            _p(
                "crisis_to_strained",
                0.15,
                "p",
                A + "monthly chance that a household in crisis partly recovers by itself",
            ),
            _p(
                "ok_slip",
                0.06,
                "p",
                A
                + "monthly chance that a household with money misses the due date (forgotten, timing)",
            ),
            _p(
                "ok_repays_arrears",
                0.25,
                "p",
                A
                + "monthly chance that a household with money pays off older arrears by itself, with its rent (no reminder needed)",
            ),
            _p(
                "ok_self_cure",
                0.6,
                "p",
                A + "chance that a household that slipped pays by itself, without any reminder",
            ),
            _p(
                "self_cure_days_min",
                8,
                "int",
                A + "earliest day after the due date a slipped household pays by itself",
            ),
            _p(
                "self_cure_days_max",
                25,
                "int",
                A + "latest day after the due date a slipped household pays by itself",
            ),
            _p(
                "strained_pays_rent",
                0.55,
                "p",
                A
                + "monthly chance that a strained household pays the month's rent (late) on its own",
            ),
            _p(
                "crisis_pays_part",
                0.3,
                "p",
                A
                + "monthly chance that a household in crisis pays part of the rent on its own (crisis_nudge_payment_months)",
            ),
            _p(
                "strained_nudge_payment_months",
                1.0,
                "float",
                A
                + "most a strained household pays after a reminder of any kind, in months of rent (ok households pay all arrears)",
            ),
            _p(
                "crisis_nudge_payment_months",
                0.3,
                "float",
                A + "most a household in crisis pays after a reminder, in months of rent",
            ),
            _p(
                "managed_repayment_months",
                0.25,
                "float",
                A
                + "monthly repayment towards arrears of a household whose income is managed after debt help, in months of rent",
            ),
            _p(
                "managed_months",
                12,
                "int",
                A + "months a household stays under budget management after help",
            ),
        ],
    ),
    "responses": (
        "What a household that can pay does after each contact (probability it pays its arrears).",
        [
            _p(
                "after_robocall_sms",
                0.55,
                "p",
                A
                + "robocall answered, chose the SMS with payment details (PLAYBOOK.md 2: press 1)",
            ),
            _p("after_robocall_no_input", 0.20, "p", A + "robocall answered but no key pressed"),
            _p("after_sms", 0.35, "p", A + "SMS with payment details delivered"),
            _p("after_reminder", 0.30, "p", A + "reminder letter received (posted + 2 days)"),
            _p(
                "after_fourteen_day_letter",
                0.40,
                "p",
                A + "WIK 14-day letter received, with the cost amount",
            ),
            _p("after_bailiff", 0.40, "p", A + "bailiff hand-over"),
            _p("after_summons", 0.30, "p", A + "summons for dissolution and eviction"),
            _p(
                "strained_factor",
                0.6,
                "float",
                A + "strained households respond this much as often",
            ),
            _p(
                "crisis_factor",
                0.15,
                "float",
                A + "households in crisis respond this much as often",
            ),
            _p(
                "payment_lag_days_min",
                1,
                "int",
                A + "earliest day after the contact the payment is booked",
            ),
            _p(
                "payment_lag_days_max",
                5,
                "int",
                A + "latest day after the contact the payment is booked",
            ),
            _p(
                "inbound_call_after_letter",
                0.06,
                "p",
                A + "chance that a tenant calls the landlord after a letter (a live phone contact)",
            ),
            _p(
                "inbound_call_days_max",
                5,
                "int",
                A + "the call comes within this many days after receipt",
            ),
        ],
    ),
    "conversation": (
        "What comes of a personal contact (phone, home visit, robocall transfer, inbound call).",
        [
            _p(
                "promise_days",
                7,
                "int",
                A + "a promise to pay is for this many days ahead (PLAYBOOK.md 3a)",
            ),
            _p("promise_kept_ok", 0.85, "p", A + "chance a household with money keeps its promise"),
            _p(
                "promise_kept_strained",
                0.45,
                "p",
                A + "chance a strained household keeps its promise (paying up to its limit)",
            ),
            _p(
                "promise_kept_crisis",
                0.10,
                "p",
                A + "chance a household in crisis keeps its promise (paying up to its limit)",
            ),
            _p(
                "arrangement_strained",
                0.6,
                "p",
                A + "chance a strained household agrees a payment arrangement (PLAYBOOK.md 3b)",
            ),
            _p(
                "arrangement_crisis",
                0.3,
                "p",
                A + "chance a household in crisis agrees a payment arrangement",
            ),
            _p(
                "instalment_months_of_rent",
                0.33,
                "float",
                A + "an instalment is about this share of a month's rent (at most 12 instalments)",
            ),
            _p(
                "instalment_kept_ok",
                0.95,
                "p",
                A + "chance each instalment (and that month's rent) is paid, household with money",
            ),
            _p("instalment_kept_strained", 0.75, "p", A + "the same for a strained household"),
            _p("instalment_kept_crisis", 0.35, "p", A + "the same for a household in crisis"),
            _p(
                "referral_strained",
                0.3,
                "p",
                A + "chance an officer refers a strained household to a partner (PLAYBOOK.md 3c)",
            ),
            _p(
                "referral_crisis",
                0.8,
                "p",
                A + "chance an officer refers a household in crisis to a partner",
            ),
            _p(
                "consent_at_contact",
                0.7,
                "p",
                A + "chance the tenant consents at the contact when not at intake",
            ),
            _p(
                "partner_weights",
                {"welfare": 0.25, "gkb": 0.35, "budget_coach": 0.2, "schuldhulpmaatje": 0.2},
                "table",
                A
                + "which partner a referral goes to (article: welfare, GKB, budget coach, Schuldhulpmaatje)",
            ),
        ],
    ),
    "help": (
        "Referrals and the municipal signal help after a delay.",
        [
            _p(
                "partner_response_days", 10, "int", A + "days until the partner accepts or declines"
            ),
            _p(
                "partner_accepts",
                {"welfare": 0.8, "gkb": 0.6, "budget_coach": 0.8, "schuldhulpmaatje": 0.75},
                "table",
                A + "chance each partner accepts the household",
            ),
            _p(
                "signal_help_accepted",
                0.25,
                "p",
                A
                + "chance a household accepts the municipality's help after an early-warning signal (LEGAL.md BGS)",
            ),
            _p(
                "help_delay_days_min",
                20,
                "int",
                A + "earliest day after acceptance the help changes the household's finances",
            ),
            _p(
                "help_delay_days_max",
                60,
                "int",
                A + "latest day after acceptance the help changes the household's finances",
            ),
            _p(
                "help_success",
                0.7,
                "p",
                A + "chance the help works: the household can pay its rent again (state ok)",
            ),
            _p(
                "gkb_manages_income",
                0.7,
                "p",
                A
                + "chance successful GKB help includes budget management (rent paid on time, arrears repaid monthly)",
            ),
        ],
    ),
    "officers": (
        "The collection team (daily capacity, reach).",
        [
            _p(
                "officers_per_1000_tenancies",
                0.5,
                "float",
                A
                + "collection officers per 1,000 homes (at least one); the article gives no team size",
            ),
            _p(
                "minutes_per_officer_day",
                300,
                "int",
                A + "minutes per officer per business day for collection tasks",
            ),
            _p(
                "minutes_fix_contact",
                5,
                "int",
                A + "minutes to look up missing or wrong contact details",
            ),
            _p(
                "phone_reach_mobile",
                0.55,
                "p",
                A + "chance an officer's call reaches a tenant with a mobile number",
            ),
            _p(
                "phone_reach_landline",
                0.45,
                "p",
                A + "chance an officer's call reaches a tenant with a landline",
            ),
            _p("home_visit_reach", 0.6, "p", A + "chance a home visit finds the tenant at home"),
            _p(
                "household_children",
                0.35,
                "p",
                A + "chance a household facing legal action has children (restraint: social services first)",
            ),
            _p(
                "fix_contact_success",
                0.5,
                "p",
                A + "chance an officer finds a working mobile number",
            ),
            _p(
                "intake_share",
                1.0,
                "p",
                A
                + "share of tenancies with an intake (1.0: every household counts as a new tenant; preventive only)",
            ),
            _p(
                "agree_due_day_share",
                0.85,
                "p",
                A
                + "chance a proposed due day is agreed when the benefit arrives after the due day but on or before population.late_income_until_day (article: benefit on the 5th, rent due on the 5th); a later benefit already paid the rent on the 1st and the household keeps the 1st",
            ),
        ],
    ),
    "team_leads": (
        "Team leads approve bailiff hand-overs and decide legal action (two of them).",
        [
            _p(
                "approve_bailiff",
                0.9,
                "p",
                A + "chance a team lead approves an eligible bailiff hand-over",
            ),
            _p(
                "decide_legal_action",
                0.7,
                "p",
                A
                + "chance each of two team leads decides for legal action on an eligible case (LEGAL.md EVICT, four eyes)",
            ),
        ],
    ),
    "court": (
        "The district judge and the eviction.",
        [
            _p("hearing_days_min", 42, "int", A + "earliest hearing after filing (summons)"),
            _p("hearing_days_max", 90, "int", A + "latest hearing after filing"),
            _p(
                "evict_if_arrears",
                0.3,
                "p",
                A
                + "chance the judge dissolves the lease with 3+ months' arrears at the hearing and the eviction is carried out (LEGAL.md EVICT: sufficient in principle, not automatically; many tenants pay after the judgment)",
            ),
            _p(
                "evict_otherwise",
                0.05,
                "p",
                A
                + "chance of dissolution when arrears fell below 3 months' rent or an arrangement runs",
            ),
            _p("eviction_days_after_judgment", 30, "int", A + "days from judgment to eviction"),
            _p(
                "relet_days",
                45,
                "int",
                A
                + "vacancy after an eviction; the home is relet on the first day of the next month",
            ),
        ],
    ),
    "telephony": (
        "The simulated dialer (adapters/telephony/simulated.py DialerRates).",
        [
            _p("answered", 0.55, "p", A + "robocall answered by a person (dialer default)"),
            _p("voicemail", 0.15, "p", A + "robocall reached voicemail (dialer default)"),
            _p("no_answer", 0.20, "p", A + "robocall not answered (dialer default)"),
            _p("busy", 0.05, "p", A + "line busy (dialer default)"),
            _p(
                "invalid_number",
                0.05,
                "p",
                A + "number not in service (dialer default); the five above sum to 1",
            ),
            _p("press_1", 0.50, "p", A + "answered: pressed 1 for an SMS (dialer default)"),
            _p(
                "press_2",
                0.20,
                "p",
                A + "answered: pressed 2 to speak to an officer (dialer default)",
            ),
            _p(
                "no_input",
                0.30,
                "p",
                A + "answered: pressed nothing (dialer default); the three sum to 1",
            ),
            _p(
                "transfer_connected",
                0.90,
                "p",
                A + "an officer picks up after press 2 (dialer default)",
            ),
            _p("sms_failure", 0.02, "p", A + "SMS not delivered (dialer default)"),
            _p("sms_stop", 0.0, "p", A + "SMS answered with STOP (dialer default)"),
        ],
    ),
    "stock": (
        "An existing arrears stock: tenancies that start the run already in arrears, their "
        "cases at the stage the playbook has reached by then (off by default).",
        [
            _p(
                "share_in_arrears",
                0.0,
                "p",
                S
                + "PLAYBOOK.md 7 and the Woonconcept article: about 6% of tenants are in arrears at any time (0.06); 0 starts every tenancy without arrears",
            ),
            _p(
                "age_months_weights",
                [0.55, 0.25, 0.12, 0.08],
                "weights",
                A
                + "how old those arrears are: relative frequency of 1, 2, 3, 4, ... months unpaid (most arrears are young; a few have passed three months, the legal road's threshold)",
            ),
            _p(
                "crisis_share",
                0.3,
                "p",
                A
                + "share of those households unable to pay at all at the start (the rest are short of money: strained)",
            ),
        ],
    ),
    "season": (
        "The Dutch year: months in which more or fewer households miss the due date "
        "(a factor on the chance of missing it; 1.0 is no effect, the default).",
        [
            _p(
                "may_miss_factor",
                1.0,
                "float",
                S
                + "holiday allowance (vakantiegeld, at least 8% of the year's wage, Wet minimumloon en minimumvakantiebijslag) is paid with May's wages and benefits (UWV, SVB); below 1: fewer missed payments in May, e.g. 0.7 (assumption)",
            ),
            _p(
                "july_miss_factor",
                1.0,
                "float",
                S
                + "the annual rent increase takes effect on 1 July (huurverhoging, Uitvoeringswet huurprijzen woonruimte); standing orders still paying the old rent fall short; above 1: more missed or short payments in July, e.g. 1.3 (assumption)",
            ),
            _p(
                "december_miss_factor",
                1.0,
                "float",
                S
                + "December costs (holidays, gifts, year-end energy bills; Nibud: household spending peaks in December); above 1: more missed payments in December, e.g. 1.2 (assumption)",
            ),
        ],
    ),
    "policy": (
        "Overrides of the playbook policy (any [playbook] key of a policy file). The simulation always sets post_rent_charges = true and strategy.",
        [],
    ),
}

INTEGER_KINDS = ("int",)
FLOAT_KINDS = ("float", "p")


def _spec(section: str, key: str) -> Param | None:
    for p in SECTIONS[section][1]:
        if p.key == key:
            return p
    return None


@attrs.frozen
class Scenario:
    values: dict[str, dict[str, Any]]
    path: str | None = None

    def __getattr__(self, name: str) -> SimpleNamespace:
        values = object.__getattribute__(self, "values")
        if name in values:
            return SimpleNamespace(**values[name])
        raise AttributeError(name)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {s: dict(v) for s, v in self.values.items()}

    def with_run(self, **run: Any) -> Scenario:
        """The scenario with [run] values replaced (None keeps the scenario's)."""
        values = self.as_dict()
        for k, v in run.items():
            if v is not None:
                values["run"][k] = v
        return from_mapping(values, self.path)


def defaults() -> Scenario:
    return Scenario(
        {s: {p.key: _copy(p.default) for p in params} for s, (_, params) in SECTIONS.items()}
    )


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return dict(v)
    if isinstance(v, list):
        return list(v)
    return v


def _check(section: str, p: Param, v: Any) -> Any:
    name = f"{section}.{p.key}"
    if p.kind == "int":
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ScenarioError(f"{name}: {v!r} must be a whole number >= 0")
    elif p.kind in FLOAT_KINDS:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
            raise ScenarioError(f"{name}: {v!r} must be a number >= 0")
        v = float(v)
        if p.kind == "p" and v > 1:
            raise ScenarioError(f"{name}: {v!r} is a probability and must be between 0 and 1")
    elif p.kind == "bool":
        if not isinstance(v, bool):
            raise ScenarioError(f"{name}: {v!r} must be true or false")
    elif p.kind == "str":
        if not isinstance(v, str):
            raise ScenarioError(f"{name}: {v!r} must be text")
    elif p.kind == "days":
        if (
            not isinstance(v, list)
            or not v
            or any(isinstance(x, bool) or not isinstance(x, int) or not 1 <= x <= 28 for x in v)
        ):
            raise ScenarioError(f"{name}: {v!r} must be a list of days 1-28")
    elif p.kind == "weights":
        if (
            not isinstance(v, list)
            or not v
            or any(isinstance(x, bool) or not isinstance(x, int | float) or x < 0 for x in v)
        ):
            raise ScenarioError(f"{name}: {v!r} must be a list of weights >= 0")
        v = [float(x) for x in v]
    elif p.kind == "table":
        if not isinstance(v, dict) or set(v) != set(p.default):
            raise ScenarioError(
                f"{name}: must be a table with exactly the keys {', '.join(p.default)}"
            )
        out = {}
        for k in p.default:
            x = v[k]
            if isinstance(x, bool) or not isinstance(x, int | float) or not 0 <= x <= 1:
                raise ScenarioError(f"{name}.{k}: {x!r} must be a number between 0 and 1")
            out[k] = float(x)
        v = out
    return v


def from_mapping(data: dict[str, Any], path: str | None = None) -> Scenario:
    values = defaults().as_dict()
    for section, table in data.items():
        if section not in SECTIONS:
            raise ScenarioError(f"{section}: unknown section (known: {', '.join(SECTIONS)})")
        if not isinstance(table, dict):
            raise ScenarioError(f"{section}: must be a table")
        if section == "policy":
            values["policy"] = _check_policy(table)
            continue
        for key, v in table.items():
            p = _spec(section, key)
            if p is None:
                raise ScenarioError(f"{section}.{key}: unknown key")
            values[section][key] = _check(section, p, v)
    _check_whole(values)
    return Scenario(values, path)


def _check_policy(table: dict[str, Any]) -> dict[str, Any]:
    from application.policy import PolicyError, policy_from_mapping

    try:
        policy_from_mapping({"playbook": dict(table)})
    except PolicyError as e:
        raise ScenarioError(str(e).replace("playbook.", "policy.", 1)) from None
    return dict(table)


def _check_whole(v: dict[str, dict[str, Any]]) -> None:
    run = v["run"]
    if run["strategy"] not in STRATEGIES:
        raise ScenarioError(
            f"run.strategy: {run['strategy']!r} must be one of {', '.join(STRATEGIES)}"
        )
    if run["tenancies"] < 1:
        raise ScenarioError("run.tenancies: must be at least 1")
    if run["months"] < 1:
        raise ScenarioError("run.months: must be at least 1")
    from domain.values import InvalidValue, Period

    try:
        Period.parse(run["start"], field="run.start")
    except InvalidValue as e:
        raise ScenarioError(str(e)) from None
    pop = v["population"]
    if (
        len(pop["benefit_pay_days"]) != len(pop["benefit_pay_day_weights"])
        or sum(pop["benefit_pay_day_weights"]) <= 0
    ):
        raise ScenarioError(
            "population.benefit_pay_day_weights: one positive weight per benefit pay day"
        )
    if (
        not pop["rent_min_cents"] <= pop["rent_mode_cents"] <= pop["rent_max_cents"]
        or pop["rent_min_cents"] < 1
    ):
        raise ScenarioError("population.rent_mode_cents: rents need 0 < min <= mode <= max")
    phones = sum(pop[f"phone_{k}_share"] for k in ("mobile", "landline", "missing", "invalid"))
    if abs(phones - 1) > 1e-9:
        raise ScenarioError(
            f"population.phone_invalid_share: the four phone shares must sum to 1, not {phones:.4f}"
        )
    for a, b in (
        ("initial_strained_share", "initial_crisis_share"),
        ("profile_initial_strained_share", "profile_initial_crisis_share"),
    ):
        if pop[a] + pop[b] > 1:
            raise ScenarioError(f"population.{b}: {a} + {b} must not exceed 1")
    if sum(v["stock"]["age_months_weights"]) <= 0:
        raise ScenarioError("stock.age_months_weights: at least one weight must be positive")
    for section, lo, hi in (
        ("finances", "self_cure_days_min", "self_cure_days_max"),
        ("responses", "payment_lag_days_min", "payment_lag_days_max"),
        ("help", "help_delay_days_min", "help_delay_days_max"),
        ("court", "hearing_days_min", "hearing_days_max"),
    ):
        if v[section][lo] > v[section][hi]:
            raise ScenarioError(f"{section}.{hi}: must not be below {section}.{lo}")
    if v["finances"]["strained_to_crisis"] + v["finances"]["strained_to_ok"] > 1:
        raise ScenarioError(
            "finances.strained_to_ok: strained_to_crisis + strained_to_ok must not exceed 1"
        )
    if sum(v["conversation"]["partner_weights"].values()) <= 0:
        raise ScenarioError("conversation.partner_weights: at least one weight must be positive")
    t = v["telephony"]
    try:
        dialer_rates(t)
    except (ValueError, TypeError) as e:
        raise ScenarioError(f"telephony: {e}") from None


SEASON_MONTHS = {5: ("may_miss_factor", "holiday allowance"), 7: ("july_miss_factor", "rent increase"),
                 12: ("december_miss_factor", "December costs")}


def miss_factor(sc: Scenario, month: int) -> float:
    """The season's factor on the chance of missing the due date in this calendar month."""
    key = SEASON_MONTHS.get(month)
    return float(sc.values["season"][key[0]]) if key else 1.0


def season_calendar(sc: Scenario, months: list[str]) -> dict[str, dict[str, Any]]:
    """Per simulated month with a seasonal effect (factor not 1): the factor and why."""
    out: dict[str, dict[str, Any]] = {}
    for m in months:
        month = int(m[5:7])
        f = miss_factor(sc, month)
        if f != 1.0:
            out[m] = {"miss_factor": f, "why": SEASON_MONTHS[month][1]}
    return out


def dialer_rates(t: dict[str, Any]) -> Any:
    from adapters.telephony.simulated import DialerRates

    return DialerRates(**{p.key: t[p.key] for p in SECTIONS["telephony"][1]})


def load(path: str | Path | None) -> Scenario:
    if path is None:
        return defaults()
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise ScenarioError(f"scenario file {str(p)!r}: {e.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ScenarioError(f"scenario file {str(p)!r}: {e}") from None
    return from_mapping(data, str(p))


# ------------------------------------------------------------------ TOML out


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {v!r} as TOML")


def to_toml(scenario: Scenario | None = None) -> str:
    """The scenario as TOML, with each key's source or assumption as a comment."""
    sc = scenario or defaults()
    lines = [
        "# Vangnet simulation scenario: every parameter with its default and the source or",
        "# assumption behind it. Calibration (PLAYBOOK.md section 6): about 6% of tenants late",
        "# each month; robocalls to about 5-6% of tenants a month (about 700 of 12,500 homes).",
        "# Use: vangnet simulate --scenario THIS_FILE.toml",
        "",
    ]
    for section, (doc, params) in SECTIONS.items():
        lines.append(f"# {doc}")
        lines.append(f"[{section}]")
        if section == "policy":
            lines.append(
                "# e.g. robocall_day = 12, minutes_home_visit = 60 (see `vangnet policy show`)"
            )
            for k, v in sc.values["policy"].items():
                lines.append(f"{k} = {_toml_value(v)}")
        for p in params:
            lines.append(f"# {p.note}")
            lines.append(f"{p.key} = {_toml_value(sc.values[section][p.key])}")
        lines.append("")
    return "\n".join(lines)


def iter_params() -> Iterator[tuple[str, Param]]:
    for section, (_, params) in SECTIONS.items():
        for p in params:
            yield section, p
