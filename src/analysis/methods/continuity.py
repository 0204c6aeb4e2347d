"""Item continuity: which plan items carry over from a base plan to a compare plan.

Items are TF-IDF vectors of their tokens (sublinear tf, l2-normalised, IDF over
the items of both sides). Each compare item is matched to its most similar base
item (cosine similarity, found by sparse nearest-neighbour search in blocks of
at most :data:`WORKING_MEMORY_MB` MB, so no all-pairs matrix is held for large
inputs; the same pass gives each base item's best match) and classified:

* ``continued`` — similarity ≥ :data:`CONTINUED` (0.5): the same commitment, largely in the same words;
* ``reworded``  — :data:`REWORDED` (0.15) ≤ similarity < 0.5: the same topic in substantially new wording;
* ``new``       — similarity < 0.15: nothing comparable in the base plan.

Base items whose most similar compare item is below 0.15 are ``dropped``.
Between different places (a cross-sectional comparison) the same statuses are
``shared`` / ``related`` / ``compare_only`` / ``base_only`` (共有 / 共有（措辞不同）/
仅见于比较组 / 仅见于基准组), see :mod:`analysis.methods.comparability`.
Matching is many-to-one: an item split in two, or two items merged, all count
as carried over. The thresholds come from reading the seed corpus' best-match
pairs: Qingdao 2021 → 2024 pairs at 0.15–0.35 are the same topic carried over
(疾控改革, 互联网+医疗健康, 妇幼, 中医药, 基层); below 0.15 most pairs share only
common policy words, although a few true carry-overs of Qingdao 2021's long
composite targets fall at 0.12–0.15 and are reported as new/dropped. Pairs of
near-identical items, as when a plan repeats last year's wording, score ≥ 0.5.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_distances

from analysis.methods.comparability import TEMPORAL, status_code

CONTINUED = 0.5
REWORDED = 0.15
WORKING_MEMORY_MB = 128  # largest block of similarities held at once
STATUSES = ("continued", "reworded", "new", "dropped")
CONTINUITY_COLUMNS = ["status", "similarity", "base_item_id", "compare_item_id", "base_text", "compare_text"]


def _nearest(compare, base) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Most similar base row of each compare row, its cosine similarity, and each base row's best similarity.

    One pass over blocks of compare rows (each block's distances to all base rows
    at most :data:`WORKING_MEMORY_MB` MB); the distances and the pick among ties
    are those of scikit-learn's brute-force ``NearestNeighbors(metric="cosine")``.
    """
    n_c, n_b = compare.shape[0], base.shape[0]
    if n_b == 0 or n_c == 0:
        return np.zeros(n_c, dtype=int), np.zeros(n_c), np.zeros(n_b)
    block = max(1, WORKING_MEMORY_MB * 2**20 // (8 * n_b))
    to_base, dist_c, dist_b = np.empty(n_c, dtype=int), np.empty(n_c), np.full(n_b, np.inf)
    for start in range(0, n_c, block):
        dist = cosine_distances(compare[start : start + block], base)
        best = np.argpartition(dist, 0, axis=1)[:, 0]
        to_base[start : start + block] = best
        dist_c[start : start + block] = dist[np.arange(len(dist)), best]
        np.minimum(dist_b, dist.min(axis=0), out=dist_b)
    return to_base, np.clip(1.0 - dist_c, 0.0, 1.0), np.clip(1.0 - dist_b, 0.0, 1.0)


def classify(similarity: np.ndarray, continued: float = CONTINUED, reworded: float = REWORDED) -> np.ndarray:
    """``continued`` / ``reworded`` / ``new`` for each best-match similarity."""
    if not 0 < reworded <= continued <= 1:
        raise ValueError(f"need 0 < reworded ({reworded}) <= continued ({continued}) <= 1")
    return np.select([similarity >= continued, similarity >= reworded], ["continued", "reworded"], "new")


def match_items(
    base: pd.DataFrame,
    compare: pd.DataFrame,
    base_tokens: Sequence[list[str]],
    compare_tokens: Sequence[list[str]],
    *,
    continued: float = CONTINUED,
    reworded: float = REWORDED,
    kind: str = TEMPORAL,
) -> pd.DataFrame:
    """Match ``compare`` items to ``base`` items; one row per compare item, then one per dropped base item.

    ``base``/``compare`` need ``item_id`` and ``text``; the token lists align with
    their rows. Returns :data:`CONTINUITY_COLUMNS` (``similarity`` rounded to 4
    places; for a dropped row it is the base item's best similarity to any compare item);
    ``status`` in the words of ``kind`` (temporal or cross-sectional).
    """
    docs = [*base_tokens, *compare_tokens]
    if any(docs):
        matrix = TfidfVectorizer(analyzer=list, sublinear_tf=True).fit_transform(docs).tocsr()
    else:
        matrix = np.zeros((len(docs), 1))
    xb, xc = matrix[: len(base_tokens)], matrix[len(base_tokens) :]
    to_base, sim_c, sim_b = _nearest(xc, xb)
    status = classify(sim_c, continued, reworded)
    b_ids, b_text = base["item_id"].to_numpy(), base["text"].to_numpy()
    matched = [j if s != "new" else None for j, s in zip(to_base, status)]
    rows = pd.DataFrame(
        {
            "status": status,
            "similarity": sim_c,
            "base_item_id": ["" if j is None else b_ids[j] for j in matched],
            "compare_item_id": compare["item_id"].to_numpy(),
            "base_text": ["" if j is None else b_text[j] for j in matched],
            "compare_text": compare["text"].to_numpy(),
        }
    )
    dropped = np.flatnonzero(sim_b < reworded)
    gone = pd.DataFrame(
        {
            "status": "dropped",
            "similarity": sim_b[dropped],
            "base_item_id": b_ids[dropped],
            "compare_item_id": "",
            "base_text": b_text[dropped],
            "compare_text": "",
        }
    )
    out = pd.concat([rows, gone], ignore_index=True)[CONTINUITY_COLUMNS]
    out["status"] = [status_code(code, kind) for code in out["status"]]
    return out.round({"similarity": 4})
