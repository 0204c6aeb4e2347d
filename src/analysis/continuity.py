"""Item continuity: which plan items carry over from a base plan to a compare plan.

Items are TF-IDF vectors of their tokens (sublinear tf, l2-normalised, IDF over
the items of both sides). Each compare item is matched to its most similar base
item (cosine similarity, found by sparse nearest-neighbour search in blocks of
at most :data:`WORKING_MEMORY_MB` MB, so no all-pairs matrix is held for large
inputs) and classified:

* ``continued`` — similarity ≥ :data:`CONTINUED` (0.5): the same commitment, largely in the same words;
* ``reworded``  — :data:`REWORDED` (0.15) ≤ similarity < 0.5: the same topic in substantially new wording;
* ``new``       — similarity < 0.15: nothing comparable in the base plan.

Base items whose most similar compare item is below 0.15 are ``dropped``.
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
from sklearn import config_context
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neighbors import NearestNeighbors

CONTINUED = 0.5
REWORDED = 0.15
WORKING_MEMORY_MB = 128  # largest block of similarities held at once
STATUSES = ("continued", "reworded", "new", "dropped")
CONTINUITY_COLUMNS = ["status", "similarity", "base_item_id", "compare_item_id", "base_text", "compare_text"]


def _nearest(queries, index) -> tuple[np.ndarray, np.ndarray]:
    """Row of ``index`` most similar to each row of ``queries`` and its cosine similarity."""
    if index.shape[0] == 0 or queries.shape[0] == 0:
        return np.zeros(queries.shape[0], dtype=int), np.zeros(queries.shape[0])
    search = NearestNeighbors(n_neighbors=1, metric="cosine", algorithm="brute").fit(index)
    with config_context(working_memory=WORKING_MEMORY_MB):
        dist, idx = search.kneighbors(queries)
    return idx[:, 0], np.clip(1.0 - dist[:, 0], 0.0, 1.0)


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
) -> pd.DataFrame:
    """Match ``compare`` items to ``base`` items; one row per compare item, then one per dropped base item.

    ``base``/``compare`` need ``item_id`` and ``text``; the token lists align with
    their rows. Returns :data:`CONTINUITY_COLUMNS` (``similarity`` rounded to 4
    places; for a dropped row it is the base item's best similarity to any compare item).
    """
    docs = [*base_tokens, *compare_tokens]
    if any(docs):
        matrix = TfidfVectorizer(analyzer=list, sublinear_tf=True).fit_transform(docs).tocsr()
    else:
        matrix = np.zeros((len(docs), 1))
    xb, xc = matrix[: len(base_tokens)], matrix[len(base_tokens) :]
    to_base, sim_c = _nearest(xc, xb)
    to_compare, sim_b = _nearest(xb, xc)
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
    return out.round({"similarity": 4})
