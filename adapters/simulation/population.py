"""The synthetic population: one household per home, drawn from the scenario.

Every draw comes from a ``random.Random`` keyed by (seed, what, who), never from
global random state, so a household is the same whatever the strategy, the order
of events or the size of the run, and two strategies meet the same households.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date

import attrs

from adapters.simulation.scenario import Scenario
from domain.values import IntakeAnswers

OK, STRAINED, CRISIS = "ok", "strained", "crisis"
STATES = (OK, STRAINED, CRISIS)


def rng(seed: int, *keys: object) -> random.Random:
    """A reproducible random stream for one purpose (never the global one)."""
    text = "\x1f".join([str(seed), *(str(k) for k in keys)])
    digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
    return random.Random(int.from_bytes(digest, "big"))


@attrs.define
class Household:
    home: int
    generation: int
    ref: str
    rent_cents: int
    start_date: date
    benefit_pay_day: int | None  # None: salary or other income that covers the due day
    debt_counselling: bool
    garnishment: bool
    financial_administration: bool
    consent_partners: bool
    phone_kind: str  # mobile | landline | missing | invalid
    phone: str | None
    name: str
    state: str = OK
    managed_until: date | None = None  # budget management after debt help
    due_day: int = 1  # as agreed with the landlord (the model's view of the tenancy)
    active: bool = True

    @property
    def profile(self) -> bool:
        return self.debt_counselling or self.garnishment or self.financial_administration

    def intake(self) -> IntakeAnswers:
        return IntakeAnswers(
            debt_counselling=self.debt_counselling,
            garnishment=self.garnishment,
            financial_administration=self.financial_administration,
            benefit_pay_day=self.benefit_pay_day,
            consent_partners=self.consent_partners,
        )

    def managed(self, day: date) -> bool:
        return self.managed_until is not None and day <= self.managed_until


FIRST = (
    "Anna",
    "Bram",
    "Citlali",
    "Daan",
    "Emma",
    "Fatima",
    "Gerrit",
    "Hanna",
    "Ilse",
    "Jan",
    "Kees",
    "Lotte",
    "Mohamed",
    "Noor",
    "Otto",
    "Priya",
    "Ruben",
    "Sanne",
    "Tijn",
    "Yara",
)
LAST = (
    "Bakker",
    "de Boer",
    "Dijkstra",
    "Hoekstra",
    "Jansen",
    "de Jong",
    "Kok",
    "Meijer",
    "Mulder",
    "Postma",
    "Smit",
    "Visser",
    "de Vries",
    "Wolters",
    "Yilmaz",
    "Zwiers",
)


def household_ref(home: int, generation: int) -> str:
    return f"H{home:05d}" if generation == 0 else f"H{home:05d}-{generation}"


def make_household(sc: Scenario, seed: int, home: int, generation: int, start: date) -> Household:
    p = sc.population
    r = rng(seed, "household", home, generation)
    rent = (
        int(round(r.triangular(p.rent_min_cents, p.rent_max_cents, p.rent_mode_cents) / 100.0))
        * 100
    )
    benefit = r.random() < p.benefit_share
    pay_day = (
        r.choices(p.benefit_pay_days, weights=p.benefit_pay_day_weights)[0] if benefit else None
    )
    dc = r.random() < p.debt_counselling_share
    gar = r.random() < p.garnishment_share
    fa = r.random() < p.financial_administration_share
    consent = r.random() < p.consent_partners_share
    x = r.random()
    if x < p.phone_mobile_share:
        kind, phone = "mobile", f"06{r.randrange(10**8):08d}"
    elif x < p.phone_mobile_share + p.phone_landline_share:
        kind, phone = "landline", f"0591{r.randrange(10**6):06d}"
    elif x < p.phone_mobile_share + p.phone_landline_share + p.phone_missing_share:
        kind, phone = "missing", None
    else:
        kind, phone = "invalid", f"06{r.randrange(10**4):04d}"
    name = f"{r.choice(FIRST)} {r.choice(LAST)}"
    profile = dc or gar or fa
    strained = p.profile_initial_strained_share if profile else p.initial_strained_share
    crisis = p.profile_initial_crisis_share if profile else p.initial_crisis_share
    y = r.random()
    state = CRISIS if y < crisis else STRAINED if y < crisis + strained else OK
    return Household(
        home=home,
        generation=generation,
        ref=household_ref(home, generation),
        rent_cents=rent,
        start_date=start,
        benefit_pay_day=pay_day,
        debt_counselling=dc,
        garnishment=gar,
        financial_administration=fa,
        consent_partners=consent,
        phone_kind=kind,
        phone=phone,
        name=name,
        state=state,
    )


def population(sc: Scenario, seed: int, n: int, start: date) -> list[Household]:
    return [make_household(sc, seed, home, 0, start) for home in range(1, n + 1)]


def next_state(sc: Scenario, h: Household, r: random.Random) -> str:
    """One month of drift (the Markov chain of [finances])."""
    f = sc.finances
    x = r.random()
    if h.state == OK:
        shock = min(1.0, f.ok_to_strained * (f.profile_shock_multiplier if h.profile else 1.0))
        return STRAINED if x < shock else OK
    if h.state == STRAINED:
        if x < f.strained_to_crisis:
            return CRISIS
        if x < f.strained_to_crisis + f.strained_to_ok:
            return OK
        return STRAINED
    return STRAINED if x < f.crisis_to_strained else CRISIS
