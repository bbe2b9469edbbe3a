"""The playbook as named rules, composed by a strategy.

A **rule** (``Rule``) is a named unit: its id (recorded with every step it causes),
what triggers it, the inputs it records, the policy keys it reads and its legal
basis. ``RULES`` holds them all, by id: audit's dossier reads the legal basis from
here, nowhere else.

A **step** (``Step``) is the code of one or a few closely tied rules: a function of a
``Context`` (case, tenancy, day, policy) that adds actions and the days it must look
again, and either lets the next step run (``None``) or ends the evaluation with a
``Decision`` (a closed case, a pause, a promise that holds calls). Each step says
where it runs in each strategy it belongs to (``@step(..., preventive=70)``).

A **strategy** (``Strategy``) runs its steps in that order: ``PREVENTIVE`` (the
playbook) and ``CLASSIC`` (the dunning process it replaced, for comparison).

Adding a rule is one module in ``domain/rules/`` (found there by name, see
``domain.rules``) with its ``rule(...)`` and ``@step``, plus its tests; a rule that
needs a new kind of action adds the class to ``domain.actions`` and its handler to
``application.daily_run.HANDLERS``. Pure: no clock, no I/O.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, Protocol

import attrs

from domain.actions import Action, Decision, make
from domain.arrears_case import ArrearsCase
from domain.calendar import is_business_day, next_business_day
from domain.policy import Policy
from domain.tenancy import Tenancy

PREVENTIVE = "preventive"
CLASSIC = "classic"

# actions that post a letter or dial: on business days only (the preventive strategy)
POSTED_OR_DIALLED = frozenset({"robocall", "sms", "letter"})


# ------------------------------------------------------------------- rules


@attrs.frozen
class Rule:
    id: str
    trigger: str  # when it fires, in words
    inputs: tuple[str, ...] = ()  # what it records as the step's inputs (beyond the common ones)
    policy_keys: tuple[str, ...] = ()  # the ``[playbook]`` keys it reads
    legal_basis: str | None = None  # the law or covenant behind it (the court dossier shows it)


RULES: dict[str, Rule] = {}


def rule(
    id: str,
    trigger: str,
    *,
    inputs: tuple[str, ...] = (),
    policy_keys: tuple[str, ...] = (),
    legal_basis: str | None = None,
) -> str:
    """Register a rule; returns its id (what actions name)."""
    r = Rule(id, trigger, tuple(inputs), tuple(policy_keys), legal_basis)
    if RULES.get(id, r) != r:
        raise ValueError(f"rule {id!r} is registered twice with different facts")
    RULES[id] = r
    return id


def legal_basis(rule_id: str | None) -> str | None:
    """The legal basis of a rule id (``None`` for an unknown id or a rule without one)."""
    load_rules()
    r = RULES.get(rule_id or "")
    return r.legal_basis if r is not None else None


# Legal bases shared by several rules (the texts a court dossier shows).
BASIS_BGS = "Besluit gemeentelijke schuldhulpverlening art. 2 (vroegsignalering)"
BASIS_REMINDER = "Besluit gemeentelijke schuldhulpverlening art. 2 (herinnering met aanbod)"
BASIS_WIK = "art. 6:96 lid 6 BW; Besluit vergoeding buitengerechtelijke incassokosten"
BASIS_EVICT = "ontbinding alleen door de kantonrechter; convenant december 2022"
BASIS_BAILIFF = "beleid: overdracht aan de deurwaarder na goedkeuring"


# ----------------------------------------------------------------- context


_UNKNOWN: Any = object()


@attrs.define
class Context:
    """One evaluation: what the steps read, and the actions and future days they add."""

    case: ArrearsCase
    tenancy: Tenancy
    day: date
    policy: Policy
    strategy: str
    in_debt_counselling: bool = False
    business_days_only: bool = True  # letters and calls wait for a business day
    arrears: int = 0
    base: dict[str, Any] = attrs.Factory(dict)  # inputs every action records
    acts: list[Action] = attrs.Factory(list)
    later: list[date] = attrs.Factory(list)
    promise_pending: bool = False  # an open promise to pay holds calls and tasks
    # the latest household facts (unsealed by the application, only when legal action is in
    # question): {"children", "care", "social_services"}, or "erased"
    household: Any = None
    _cleared: Any = attrs.field(default=_UNKNOWN, init=False, repr=False)

    def cleared_on(self) -> date | None:
        """``late_facts.cleared_on`` for this case, tenancy and day, worked out once per
        evaluation (the closing and the late-compensation steps both ask)."""
        if self._cleared is _UNKNOWN:
            from domain import late_facts

            self._cleared = late_facts.cleared_on(self.case, self.tenancy, self.day, self.policy)
        return self._cleared  # type: ignore[no-any-return]

    def add(self, kind: str, rule: str, action_id: str, inputs: dict[str, Any] | None = None, **params: Any) -> None:
        """Add the action unless the case already did it (``action_id``); a letter or a
        call on a day that is not a business day is looked at again the next one."""
        if self.business_days_only and kind in POSTED_OR_DIALLED and not is_business_day(self.day):
            self.later.append(next_business_day(self.day))
            return
        if not self.case.has_done(action_id):
            self.acts.append(make(kind, rule, action_id, {**self.base, **(inputs or {})}, **params))

    def at(self, when: date) -> bool:
        """True when ``when`` has come; else remember it as a future check."""
        if self.day >= when:
            return True
        self.later.append(when)
        return False

    def decision(self) -> Decision:
        """The actions, and the next check: the earliest remembered day, at most
        ``max_days_between_checks`` ahead."""
        cap = self.day + timedelta(days=self.policy.max_days_between_checks)
        return Decision(self.acts, min([d for d in self.later if d > self.day] + [cap]))

    def done(self) -> Decision:
        """The actions, and no next check (the case closes)."""
        return Decision(self.acts, None)


StepFn = Callable[[Context], "Decision | None"]


@attrs.frozen
class Step:
    name: str
    rules: tuple[str, ...]
    fn: StepFn
    order: dict[str, int]  # strategy name -> position (lower runs first)


STEPS: list[Step] = []


def step(*rules: str, **order: int) -> Callable[[StepFn], StepFn]:
    """Register the decorated function as a step of the given rules, at the given
    position in each strategy it belongs to (``preventive=70, classic=70``)."""

    def register(fn: StepFn) -> StepFn:
        STEPS.append(Step(f"{fn.__module__}.{fn.__name__}", tuple(rules), fn, dict(order)))
        return fn

    return register


_loaded = False


def load_rules() -> None:
    """Import every module of ``domain.rules`` (each registers its rules and steps)."""
    global _loaded
    if not _loaded:
        importlib.import_module("domain.rules")
        for s in STEPS:
            unknown = [r for r in s.rules if r not in RULES]
            if unknown:
                raise ValueError(f"step {s.name}: rule(s) {', '.join(unknown)} not registered")
        _loaded = True


# ---------------------------------------------------------------- strategies


class Strategy(Protocol):
    """What the daily run needs of a strategy: the decision for a case on a day."""

    @property
    def name(self) -> str: ...

    def evaluate(
        self, case: ArrearsCase, tenancy: Tenancy, day: date, policy: Policy, *, in_debt_counselling: bool = False,
        household: Any = None,
    ) -> Decision: ...

    def rule_ids(self) -> list[str]: ...


_ORDERED: dict[str, tuple[int, list[Step]]] = {}  # strategy -> (steps registered, its steps in order)


@attrs.frozen
class StepStrategy:
    """A strategy: its steps (registered for ``name``) in order, and what every action
    records (``base_inputs``)."""

    name: str
    base_inputs: Callable[[ArrearsCase], dict[str, Any]]
    business_days_only: bool = True

    def steps(self) -> list[Step]:
        load_rules()
        known = _ORDERED.get(self.name)
        if known is None or known[0] != len(STEPS):  # ordered once per set of registered steps
            ordered = sorted((s for s in STEPS if self.name in s.order), key=lambda s: s.order[self.name])
            known = _ORDERED[self.name] = (len(STEPS), ordered)
        return list(known[1])

    def rule_ids(self) -> list[str]:
        return [r for s in self.steps() for r in s.rules]

    def evaluate(
        self, case: ArrearsCase, tenancy: Tenancy, day: date, policy: Policy, *, in_debt_counselling: bool = False,
        household: Any = None,
    ) -> Decision:
        arrears = tenancy.arrears_cents(as_of=day)
        ctx = Context(
            case, tenancy, day, policy, self.name, in_debt_counselling, self.business_days_only, arrears,
            {"arrears_cents": arrears, "days_late": (day - case.due_date).days, **self.base_inputs(case)},
        )
        ctx.household = household
        load_rules()
        known = _ORDERED.get(self.name)
        for s in known[1] if known is not None and known[0] == len(STEPS) else self.steps():
            decided = s.fn(ctx)
            if decided is not None:
                return decided
        return ctx.decision()


PREVENTIVE_STRATEGY = StepStrategy(PREVENTIVE, lambda case: {"track": case.track})
CLASSIC_STRATEGY = StepStrategy(CLASSIC, lambda case: {"strategy": CLASSIC}, business_days_only=False)
STRATEGIES: dict[str, Strategy] = {PREVENTIVE: PREVENTIVE_STRATEGY, CLASSIC: CLASSIC_STRATEGY}


def strategy_for(policy: Policy) -> Strategy:
    """The strategy the policy names (``[playbook] strategy``; anything but classic is
    the preventive playbook, as before)."""
    return STRATEGIES[CLASSIC] if policy.strategy == CLASSIC else STRATEGIES[PREVENTIVE]
