"""The risk score's learner (``application.risk.RiskLearner``) with scikit-learn."""

from adapters.risk.sklearn_learner import SklearnRisk

__all__ = ["SklearnRisk"]
