"""Trained mode: a classifier learnt from the researcher's own codes (``--mode trained --labels FILE``).

:func:`read_codes` reads a CSV or XLSX with columns ``item_id`` and ``code``.
:class:`CodedThemes` feeds TF-IDF rows plus lexicon evidence (hit counts scaled by
``evidence_weight``) to a logistic regression. :func:`cross_validate_by_plan` scores it
with one plan held out at a time and returns the out-of-fold probabilities.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression

from analysis.errors import InputError
from analysis.methods.theme_eval import label_agreement
from analysis.methods.validation import read_labels


def read_codes(path: str | Path, known_items: pd.Series) -> pd.DataFrame:
    """``item_id, code`` rows of a coding file (:func:`analysis.methods.validation.read_labels`), empty codes dropped.

    Raises :class:`InputError` naming the file for what ``read_labels`` rejects, when no
    item has a code, or when item ids are not in ``known_items``.
    """
    frame = read_labels(path)[["item_id", "code"]]
    frame = frame[frame.code != ""].reset_index(drop=True)
    if frame.empty:
        raise InputError(path, "has no coded items (the code column is empty)")
    unknown = sorted(set(frame.item_id) - set(known_items))
    if unknown:
        raise InputError(path, f"{len(unknown)} item ids not in the corpus, e.g. {', '.join(unknown[:5])}")
    return frame


class CodedThemes(ClassifierMixin, BaseEstimator):
    """Logistic regression on ``[TF-IDF rows | evidence_weight × lexicon hits]``.

    ``fit(X, evidence, y)`` with feature rows, ``(n, n_themes)`` hit counts and codes;
    ``predict_proba(X, evidence)`` gives ``(n, len(classes_))`` probabilities; ``random_state``
    seeds the (saga) solver's sampling order.
    """

    def __init__(self, evidence_weight: float = 0.5, C: float = 10.0, random_state: int | None = 0):
        self.evidence_weight = evidence_weight
        self.C = C
        self.random_state = random_state

    def _features(self, X, evidence: np.ndarray):
        return sp.hstack([sp.csr_matrix(X), sp.csr_matrix(self.evidence_weight * np.asarray(evidence))]).tocsr()

    def fit(self, X, evidence: np.ndarray, y) -> CodedThemes:
        """Learn the codes ``y`` of the rows of ``X``."""
        self.model_ = LogisticRegression(C=self.C, solver="saga", max_iter=5000, random_state=self.random_state).fit(self._features(X, evidence), np.asarray(y))
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X, evidence: np.ndarray) -> np.ndarray:
        """Probabilities of the codes in ``classes_`` order."""
        return self.model_.predict_proba(self._features(X, evidence))

    def predict(self, X, evidence: np.ndarray) -> np.ndarray:
        """The most probable code of each row."""
        return self.classes_[self.predict_proba(X, evidence).argmax(axis=1)]


def cross_validate_by_plan(model: CodedThemes, X, evidence: np.ndarray, y: np.ndarray, plans: np.ndarray) -> tuple[dict, pd.DataFrame]:
    """Leave-one-plan-out predictions of the coded rows: ``(agreement, out-of-fold frame)``.

    Each plan's rows are predicted by a clone of ``model`` fitted on the other plans;
    the frame has ``plan, code, predicted, probability`` per row (rows of plans with
    no other plan to learn from are skipped). Agreement (pooled over all held-out rows):
    ``n``, ``accuracy``, ``nmi``, ``ari``, ``kappa`` and ``n_plans``.
    """
    y, plans = np.asarray(y), np.asarray(plans)
    rows = []
    for plan in sorted(set(plans)):
        test, train = plans == plan, plans != plan
        if len(set(y[train])) < 2:
            continue
        fitted = clone(model).fit(X[train], evidence[train], y[train])
        p = fitted.predict_proba(X[test], evidence[test])
        rows.append(pd.DataFrame({"plan": plan, "code": y[test], "predicted": fitted.classes_[p.argmax(axis=1)],
                                  "probability": p.max(axis=1).round(4)}))  # fmt: skip
    folds = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["plan", "code", "predicted", "probability"])
    scores = label_agreement(folds.code, folds.predicted) if len(folds) else {"n": 0}
    return {**scores, "n_plans": len(rows)}, folds
