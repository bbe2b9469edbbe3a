"""The risk score: the probability that a tenancy is still unpaid on the robocall day.

Trained on the store's own history (``domain.risk`` features, one row per tenancy and
rent period), evaluated on held-out months (the last ``holdout`` labelled months are
never seen in training): AUC with a bootstrap 95% interval and a calibration table.

The learner is a port (``RiskLearner``); ``adapters.risk`` implements it with
scikit-learn. The score orders the worklist only as a tie-breaker (after track and
days late) and never creates, skips or changes a step. It is off until the policy
says ``risk_enabled = true`` and the store holds ``risk_min_months`` labelled months.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Protocol
from uuid import UUID

import attrs

from domain.policy import Policy
from domain.risk import FEATURES, History, features_on, period_rows

T = "domain.tenancy:Tenancy."
C = "domain.arrears_case:ArrearsCase."
TOPICS = (
    T + "Started", T + "IntakeAnswered", T + "DueDayAgreed", T + "RentCharged", T + "PaymentReceived",
    T + "PaymentReversed", T + "CreditPosted", T + "Ended",
    C + "Opened", C + "PromiseChecked", C + "ArrangementAgreed", C + "ArrangementBroken",
)


class RiskLearner(Protocol):
    """A probabilistic classifier and its held-out metrics."""

    def fit(self, x: Sequence[Sequence[float]], y: Sequence[int]) -> None: ...
    def predict(self, x: Sequence[Sequence[float]]) -> list[float]: ...
    def coefficients(self) -> dict[str, float]: ...
    def auc(self, y: Sequence[int], p: Sequence[float], *, resamples: int, seed: int) -> tuple[float, float, float]: ...
    def calibration(self, y: Sequence[int], p: Sequence[float], bins: int) -> list[dict[str, float]]: ...


class NotEnoughHistory(ValueError):
    """The store's history is too short (or one-sided) to train and evaluate the score."""


def histories(app: Any, until: date | None = None) -> dict[UUID, History]:
    """Each tenancy's history from the event notifications (business dates up to ``until``)."""
    hs: dict[UUID, History] = {}
    case_tenancy: dict[UUID, UUID] = {}
    start = 1
    while True:
        page = app.recorder.select_notifications(start, 2000, topics=TOPICS)
        if not page:
            break
        for n in page:
            e = app.mapper.to_domain_event(n)
            name = type(e).__qualname__
            oid = e.originator_id
            if name.startswith("Tenancy."):
                h = hs.setdefault(oid, History())
                if name == "Tenancy.Started":
                    h.due_day = e.due_day
                elif name == "Tenancy.IntakeAnswered":
                    h.proposed_due_day = e.proposed_due_day
                elif name == "Tenancy.DueDayAgreed":
                    h.due_day = e.day
                elif name == "Tenancy.RentCharged":
                    if until is None or e.due_date <= until:
                        h.charges.append((e.period, e.due_date, e.cents))
                elif name == "Tenancy.PaymentReceived" or name == "Tenancy.CreditPosted":
                    h.moves.append((e.booked_on, -e.cents))
                elif name == "Tenancy.PaymentReversed":
                    h.moves.append((e.booked_on, e.cents))
                elif name == "Tenancy.Ended":
                    h.ended_on = e.on
            else:
                if name == "ArrearsCase.Opened":
                    case_tenancy[oid] = e.tenancy_id
                    continue
                tid = case_tenancy.get(oid)
                if tid is None:
                    continue
                h = hs.setdefault(tid, History())
                if name == "ArrearsCase.PromiseChecked":
                    h.promises.append((e.on, bool(e.kept)))
                elif name == "ArrearsCase.ArrangementAgreed":
                    h.arrangements_agreed.append(e.on)
                elif name == "ArrearsCase.ArrangementBroken":
                    h.arrangements_broken.append(e.on)
        start = page[-1].id + 1
    if until is not None:
        for h in hs.values():
            h.moves = [(d, c) for d, c in h.moves if d <= until]
            h.promises = [(d, k) for d, k in h.promises if d <= until]
            h.arrangements_agreed = [d for d in h.arrangements_agreed if d <= until]
            h.arrangements_broken = [d for d in h.arrangements_broken if d <= until]
    return hs


def dataset(hs: dict[UUID, History], policy: Policy, until: date | None = None) -> list[tuple[str, list[float], int]]:
    """(period, feature vector in ``FEATURES`` order, label 0/1) of every labelled period."""
    rows = []
    for h in hs.values():
        for period, _due, feats, label in period_rows(
            h, robocall_day=policy.robocall_day, days_after_due_when_late=policy.robocall_days_after_due_when_late,
            tolerance_cents=policy.tolerance_cents, until=until,
        ):
            if label is not None:
                rows.append((period, [feats[f] for f in FEATURES], int(label)))
    return rows


@attrs.frozen
class Evaluation:
    features: tuple[str, ...]
    train_months: tuple[str, str]
    test_months: tuple[str, str]
    n_train: int
    n_test: int
    base_rate: float
    auc: float
    auc_low: float
    auc_high: float
    calibration: list[dict[str, float]]
    coefficients: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def evaluate(app: Any, learner: RiskLearner, *, holdout: int = 3, resamples: int = 500, bins: int = 5,
             until: date | None = None) -> Evaluation:
    """Train on all but the last ``holdout`` labelled months, score those months."""
    policy: Policy = app.policy
    rows = dataset(histories(app, until), policy, until)
    months = sorted({p for p, _, _ in rows})
    if len(months) < max(policy.risk_min_months, holdout + 2):
        raise NotEnoughHistory(f"risk: the store has {len(months)} labelled months; "
                               f"the score needs {max(policy.risk_min_months, holdout + 2)} (playbook.risk_min_months)")
    test_set = set(months[-holdout:])
    train = [(x, y) for p, x, y in rows if p not in test_set]
    test = [(x, y) for p, x, y in rows if p in test_set]
    for part, label in ((train, "training"), (test, "held-out")):
        if len({y for _, y in part}) < 2:
            raise NotEnoughHistory(f"risk: the {label} months hold only one outcome; nothing to learn or test")
    learner.fit([x for x, _ in train], [y for _, y in train])
    p = learner.predict([x for x, _ in test])
    ys = [y for _, y in test]
    auc, low, high = learner.auc(ys, p, resamples=resamples, seed=0)
    return Evaluation(
        features=FEATURES, train_months=(months[0], months[-holdout - 1]), test_months=(months[-holdout], months[-1]),
        n_train=len(train), n_test=len(test), base_rate=sum(ys) / len(ys), auc=auc, auc_low=low, auc_high=high,
        calibration=learner.calibration(ys, p, bins), coefficients=learner.coefficients(),
    )


class RiskScorer:
    """The score with its trained model kept between calls: one fit per store position
    (the last event's notification id), day and the policy's score settings. Repeated
    worklist calls on an unchanged store reuse the model; any new event, another day
    or another policy trains it again. ``fits`` counts the trainings."""

    def __init__(self, learner: Callable[[], RiskLearner]):
        self.learner = learner
        self.fits = 0
        # (key, model) in one attribute: a request thread never sees one without the other
        self._cached: tuple[tuple[Any, ...], tuple[RiskLearner, dict[UUID, History]] | None] | None = None

    @staticmethod
    def _cache_key(app: Any, day: date) -> tuple[Any, ...]:
        p: Policy = app.policy
        return (id(app.recorder), int(app.recorder.max_notification_id() or 0), day, p.risk_enabled,
                p.risk_min_months, p.robocall_day, p.robocall_days_after_due_when_late, p.tolerance_cents)

    def _trained(self, app: Any, day: date) -> tuple[RiskLearner, dict[UUID, History]] | None:
        key = self._cache_key(app, day)
        cached = self._cached
        if cached is not None and cached[0] == key:
            return cached[1]
        policy: Policy = app.policy
        hs = histories(app, day)
        rows = dataset(hs, policy, day)
        model: tuple[RiskLearner, dict[UUID, History]] | None = None
        if len({p for p, _, _ in rows}) >= policy.risk_min_months and len({y for _, _, y in rows}) >= 2:
            learner = self.learner()
            learner.fit([x for _, x, _ in rows], [y for _, _, y in rows])
            self.fits += 1
            model = (learner, hs)
        self._cached = (key, model)
        return model

    def scores(self, app: Any, day: date, tenancy_ids: Sequence[str]) -> dict[str, float]:
        """Probability per tenancy id (text) of being unpaid on this month's robocall day,
        from a learner trained on every labelled month up to ``day``. Empty when the
        policy has the score off or the history is too short."""
        policy: Policy = app.policy
        if not policy.risk_enabled or not tenancy_ids:
            return {}
        model = self._trained(app, day)
        if model is None:
            return {}
        learner, hs = model
        wanted = [(t, hs[UUID(t)]) for t in dict.fromkeys(tenancy_ids) if UUID(t) in hs]
        if not wanted:
            return {}
        xs = [[f[k] for k in FEATURES] for f in (
            features_on(h, day, robocall_day=policy.robocall_day,
                        days_after_due_when_late=policy.robocall_days_after_due_when_late,
                        tolerance_cents=policy.tolerance_cents) for _, h in wanted)]
        return {t: round(p, 3) for (t, _), p in zip(wanted, learner.predict(xs), strict=True)}


def order_worklist(app: Any, scorer: RiskScorer, day: date, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The worklist rows with ``risk`` (None when the score is off) and, when on, the
    score as the last tie-breaker: track priority and days late still decide; among
    equals the likelier-unpaid tenancy comes first. No row is added or removed."""
    s = scorer.scores(app, day, [r["tenancy_id"] for r in rows if r.get("tenancy_id")])
    out = [{**r, "risk": s.get(r.get("tenancy_id") or "")} for r in rows]
    if not s:
        return out
    return sorted(out, key=lambda r: (r["priority"], -r["days_late"], -(r["risk"] or 0.0)))
