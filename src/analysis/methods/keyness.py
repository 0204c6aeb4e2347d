"""Distinctive terms of two groups: weighted log-odds with an informative Dirichlet prior.

Monroe, Colaresi & Quinn (2008), "Fightin' Words", section 3.5: for term ``w``
with counts ``y_b`` (base) and ``y_c`` (compare) out of ``n_b`` and ``n_c`` tokens,
and prior pseudo-counts ``a_w`` summing to ``a0``::

    log_odds = log((y_c + a_w) / (n_c + a0 - y_c - a_w)) - log((y_b + a_w) / (n_b + a0 - y_b - a_w))
    z        = log_odds / sqrt(1 / (y_c + a_w) + 1 / (y_b + a_w))

The prior is informative: ``a_w = a0 * p_w`` with ``p_w`` the term's share of
all tokens in the corpus (both groups plus any background texts) and ``a0`` =
:data:`PRIOR_WEIGHT` (0.1) × the tokens of the two groups — a prior worth a
tenth of the data, enough that a term seen once or twice cannot reach a large
``z`` (rare terms are not over-ranked as they are by raw ratios) yet weak
enough that the seed plans' few hundred tokens still speak. Positive ``z``
marks the compare side, negative the base side; ``|z| > 1.96`` is a
conventional (uncorrected) threshold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer

PRIOR_WEIGHT = 0.1
KEYNESS_COLUMNS = ["side", "rank", "term", "z", "log_odds", "n_base", "n_compare", "items_base", "items_compare"]


def weighted_log_odds(base: np.ndarray, compare: np.ndarray, prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(log_odds, z)`` per term from count vectors ``base``, ``compare`` and prior pseudo-counts ``prior`` (> 0)."""
    base, compare, prior = (np.asarray(a, dtype=float) for a in (base, compare, prior))
    a0, n_b, n_c = prior.sum(), base.sum(), compare.sum()
    log_odds = np.log((compare + prior) / (n_c + a0 - compare - prior)) - np.log((base + prior) / (n_b + a0 - base - prior))
    z = log_odds / np.sqrt(1.0 / (compare + prior) + 1.0 / (base + prior))
    return log_odds, z


def keyness(
    base_tokens: Sequence[list[str]],
    compare_tokens: Sequence[list[str]],
    background_tokens: Sequence[list[str]] = (),
    top: int = 30,
    prior_weight: float = PRIOR_WEIGHT,
) -> pd.DataFrame:
    """Top ``top`` distinctive terms of each side, from token lists (one list per item).

    ``background_tokens`` are other texts of the corpus that only inform the
    prior; ``prior_weight`` sizes the prior relative to the groups' tokens
    (items are already token lists, so the vectorizer's analyzer is ``list``).
    Returns :data:`KEYNESS_COLUMNS`: ``side`` (``compare`` terms, z > 0, then
    ``base`` terms, z < 0), ``rank`` within the side (1 = most distinctive), the
    term, ``z``, ``log_odds``, token counts ``n_base``/``n_compare`` and the
    number of items containing the term ``items_base``/``items_compare``.
    """
    if not any([*base_tokens, *compare_tokens]):
        return pd.DataFrame(columns=KEYNESS_COLUMNS)
    docs = [*base_tokens, *compare_tokens, *background_tokens]
    vectorizer = CountVectorizer(analyzer=list)
    counts = vectorizer.fit_transform(docs).tocsr()
    nb, nc = len(base_tokens), len(compare_tokens)
    base, compare = counts[:nb], counts[nb : nb + nc]
    y_b, y_c = np.asarray(base.sum(axis=0)).ravel(), np.asarray(compare.sum(axis=0)).ravel()
    corpus = np.asarray(counts.sum(axis=0)).ravel()
    log_odds, z = weighted_log_odds(y_b, y_c, corpus / corpus.sum() * prior_weight * (y_b.sum() + y_c.sum()))
    table = pd.DataFrame(
        {
            "term": vectorizer.get_feature_names_out(),
            "z": z,
            "log_odds": log_odds,
            "n_base": y_b.astype(int),
            "n_compare": y_c.astype(int),
            "items_base": np.asarray((base > 0).sum(axis=0)).ravel(),
            "items_compare": np.asarray((compare > 0).sum(axis=0)).ravel(),
        }
    )
    table = table[(table.n_base + table.n_compare) > 0]
    sides = []
    for side, ascending, keep in (("compare", False, table.z > 0), ("base", True, table.z < 0)):
        part = table[keep].sort_values(["z", "term"], ascending=[ascending, True]).head(top)
        sides.append(part.assign(side=side, rank=np.arange(1, len(part) + 1)))
    out = pd.concat(sides, ignore_index=True)[KEYNESS_COLUMNS]
    return out.round({"z": 4, "log_odds": 4})
