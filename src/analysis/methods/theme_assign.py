"""Guided theme assignment: keyword evidence decides the clear units, TF-IDF carries the weak ones.

:class:`ThemeAssigner` (scikit-learn style) learns a logistic regression on the
TF-IDF rows of the units whose lexicon hits point clearly to one theme, then scores
every unit by ``softmax(log P_tfidf + evidence_weight × hits)``: each seed-term hit
adds ``evidence_weight`` to the log-odds of its theme, and units without hits are
placed by their words alone. The highest probability is the unit's ``confidence``;
below ``threshold`` the unit goes to :data:`~analysis.methods.theme_lexicon.OTHER`.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from analysis.methods.theme_lexicon import SEED_RATIO, seed_labels

#: Below this probability a unit is not forced into a theme but goes to 其他（未归类）.
#: Threshold, evidence weight and C were chosen on the 198-item check set (docs/themes.md: in-sample and
#: leave-one-plan-out accuracy for thresholds 0 / 0.3 / 0.5, C 1 / 10 / 100, weights 1 / 2 / 4).
CONFIDENCE_THRESHOLD = 0.5
#: Log-odds added to a theme per seed-term hit.
EVIDENCE_WEIGHT = 4.0
#: A lexicon theme takes part when at least this many units are clearly keyed to it.
MIN_KEYED_UNITS = 2


class ThemeAssigner(ClassifierMixin, BaseEstimator):
    """Keyword evidence plus a TF-IDF logistic regression trained on the clearly keyed units.

    Parameters
    ----------
    ratio : a unit is keyed to a theme when its hits there are ≥ ``ratio`` × the runner-up's.
    min_keyed : themes with fewer keyed units are left out (their hits are ignored).
    evidence_weight : log-odds added per seed-term hit.
    C : inverse regularisation of the logistic regression.
    threshold : units whose best probability is below it are predicted -1 (其他).
    random_state : seed of the (saga) solver's sampling order.

    ``fit(X, evidence)`` takes feature rows and the ``(n_units, n_themes)`` hit counts of
    :func:`~analysis.methods.theme_lexicon.lexicon_scores`. Attributes: ``classes_``
    (lexicon theme indices taking part), ``keyed_`` (per fitted row, its keyed theme or -1),
    ``model_`` (the fitted :class:`LogisticRegression`).
    """

    def __init__(
        self,
        ratio: float = SEED_RATIO,
        min_keyed: int = MIN_KEYED_UNITS,
        evidence_weight: float = EVIDENCE_WEIGHT,
        C: float = 10.0,
        threshold: float = CONFIDENCE_THRESHOLD,
        random_state: int | None = 0,
    ):
        self.ratio = ratio
        self.min_keyed = min_keyed
        self.evidence_weight = evidence_weight
        self.C = C
        self.threshold = threshold
        self.random_state = random_state

    def fit(self, X, evidence: np.ndarray) -> ThemeAssigner:
        """Learn the TF-IDF side from the rows of ``X`` clearly keyed by ``evidence``."""
        keyed = seed_labels(np.asarray(evidence), self.ratio)
        groups, counts = np.unique(keyed[keyed >= 0], return_counts=True)
        self.classes_ = groups[counts >= self.min_keyed]
        if len(self.classes_) < 2:
            raise ValueError(f"guided mode needs at least two themes with {self.min_keyed}+ keyed units; use discovery mode")
        self.keyed_ = np.where(np.isin(keyed, self.classes_), keyed, -1)
        rows = self.keyed_ >= 0
        self.model_ = LogisticRegression(C=self.C, solver="saga", max_iter=5000, random_state=self.random_state).fit(X[rows], self.keyed_[rows])
        return self

    def predict_proba(self, X, evidence: np.ndarray) -> np.ndarray:
        """``(n_units, len(classes_))`` probabilities from TF-IDF log-probabilities plus keyword log-odds."""
        logits = self.model_.predict_log_proba(X) + self.evidence_weight * np.asarray(evidence)[:, self.classes_]
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X, evidence: np.ndarray) -> np.ndarray:
        """Lexicon theme index per unit, or -1 when the best probability is below ``threshold``."""
        p = self.predict_proba(X, evidence)
        best = p.argmax(axis=1)
        return np.where(p[np.arange(len(p)), best] >= self.threshold, self.classes_[best], -1)
