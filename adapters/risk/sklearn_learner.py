"""Logistic regression on standardised features (scikit-learn), its held-out AUC with a
percentile bootstrap interval, and a calibration table (quantile bins of the predicted probability)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from domain.risk import FEATURES


class SklearnRisk:
    def __init__(self) -> None:
        self.model: Any = None

    def fit(self, x: Sequence[Sequence[float]], y: Sequence[int]) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        self.model.fit(np.asarray(x, dtype=float), np.asarray(y, dtype=int))

    def predict(self, x: Sequence[Sequence[float]]) -> list[float]:
        return [float(p) for p in self.model.predict_proba(np.asarray(x, dtype=float))[:, 1]]

    def coefficients(self) -> dict[str, float]:
        """Per feature: the log-odds change per standard deviation."""
        coef = self.model[-1].coef_[0]
        return {f: round(float(c), 3) for f, c in zip(FEATURES, coef, strict=True)}

    def auc(self, y: Sequence[int], p: Sequence[float], *, resamples: int, seed: int) -> tuple[float, float, float]:
        from sklearn.metrics import roc_auc_score

        ya, pa = np.asarray(y), np.asarray(p)
        point = float(roc_auc_score(ya, pa))
        rng = np.random.default_rng(seed)
        draws = []
        for _ in range(resamples):
            i = rng.integers(0, len(ya), len(ya))
            if ya[i].min() != ya[i].max():
                draws.append(roc_auc_score(ya[i], pa[i]))
        low, high = np.percentile(draws, [2.5, 97.5])
        return round(point, 3), round(float(low), 3), round(float(high), 3)

    def calibration(self, y: Sequence[int], p: Sequence[float], bins: int) -> list[dict[str, float]]:
        """Per quantile bin of the predicted probability: mean predicted, observed share, n."""
        ya, pa = np.asarray(y), np.asarray(p)
        edges = np.unique(np.quantile(pa, np.linspace(0, 1, bins + 1)))
        idx = np.clip(np.searchsorted(edges, pa, side="right") - 1, 0, len(edges) - 2)
        out = []
        for b in range(len(edges) - 1):
            m = idx == b
            if m.any():
                out.append({"predicted": round(float(pa[m].mean()), 3), "observed": round(float(ya[m].mean()), 3),
                            "n": int(m.sum())})
        return out
