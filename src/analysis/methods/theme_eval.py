"""Agreement between theme labels and a reference coding (hand labels or a check set).

:func:`label_agreement` compares two label sequences; :func:`agreement` joins a
run's ``item_themes`` to reference labels by ``item_id`` first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, cohen_kappa_score, normalized_mutual_info_score


def label_agreement(reference: Sequence[str], predicted: Sequence[str]) -> dict:
    """``n``, ``accuracy`` (same label), ``nmi``, ``ari`` and Cohen's ``kappa``, rounded to 4 places."""
    reference, predicted = np.asarray(reference, dtype=object), np.asarray(predicted, dtype=object)
    if not len(reference):
        return {"n": 0, "accuracy": float("nan"), "nmi": float("nan"), "ari": float("nan"), "kappa": float("nan")}
    same = bool((reference == reference[0]).all() and (predicted == predicted[0]).all())
    kappa = 1.0 if same and reference[0] == predicted[0] else cohen_kappa_score(reference, predicted)
    return {
        "n": int(len(reference)),
        "accuracy": round(float(np.mean(reference == predicted)), 4),
        "nmi": round(float(normalized_mutual_info_score(reference, predicted)), 4),
        "ari": round(float(adjusted_rand_score(reference, predicted)), 4),
        "kappa": round(float(kappa), 4),
    }


def agreement(item_themes: pd.DataFrame, reference: pd.DataFrame, column: str = "theme") -> dict:
    """:func:`label_agreement` of ``item_themes.theme_label`` against ``reference[column]``, on shared item ids."""
    merged = reference.merge(item_themes[["item_id", "theme_label"]], on="item_id")
    return label_agreement(merged[column], merged.theme_label)
