"""Attention profiles: the share of a plan's attention that goes to each theme.

Input is a *labelled items* frame: ``items.csv`` rows joined with their theme
from ``item_themes.csv`` (:func:`label_items`), i.e. at least ``doc_id``,
``item_id``, ``position``, ``n_chars``, ``theme_id`` and ``theme_label``.
Attention is counted by items (each item weighs 1) or by characters (each item
weighs its ``n_chars``). A group's share is the mean of its documents' shares,
so every plan counts equally however long it is. Profiles are compared by the
Jensen–Shannon distance (base-2 logs: 0 = identical, 1 = no theme in common).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon

from analysis.errors import InputError
from analysis.methods.intervals import effective_n

WEIGHTS = ("items", "chars")
PROFILE_COLUMNS = ["group", "theme_id", "theme_label", "share", "n_items", "n_chars", "first_position"]


def label_items(items: pd.DataFrame, item_themes: pd.DataFrame, source: str | Path | None = None) -> pd.DataFrame:
    """``items`` with ``theme_id`` and ``theme_label`` from ``item_themes``; every item must have a theme."""
    themes = item_themes[["item_id", "theme_id", "theme_label"]].drop_duplicates("item_id")
    labelled = items.merge(themes, on="item_id", how="left", validate="one_to_one")
    missing = labelled.loc[labelled["theme_id"].isna(), "item_id"]
    if len(missing):
        raise InputError(
            source,
            f"{len(missing)} of {len(items)} items have no theme (e.g. {missing.iloc[0]}); "
            "run `python -m analysis themes` again after ingest",
        )
    return labelled.astype({"theme_id": int})


def theme_table(labelled: pd.DataFrame) -> pd.DataFrame:
    """The themes present in ``labelled``: ``theme_id``, ``theme_label``, sorted by ``theme_id``."""
    return labelled[["theme_id", "theme_label"]].drop_duplicates("theme_id").sort_values("theme_id", ignore_index=True)


def item_weights(labelled: pd.DataFrame, weight: str) -> np.ndarray:
    """Per-item weight: 1 for ``weight="items"``, ``n_chars`` for ``"chars"``."""
    if weight not in WEIGHTS:
        raise ValueError(f"weight must be one of {WEIGHTS}, not {weight!r}")
    return np.ones(len(labelled)) if weight == "items" else labelled["n_chars"].to_numpy(dtype=float)


def document_shares(labelled: pd.DataFrame, weight: str = "items", themes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Share of each theme (columns, ``theme_id``) in each document (rows, ``doc_id``); rows sum to 1."""
    themes = theme_table(labelled) if themes is None else themes
    sums = (
        pd.DataFrame({"doc_id": labelled["doc_id"], "theme_id": labelled["theme_id"], "w": item_weights(labelled, weight)})
        .pivot_table(index="doc_id", columns="theme_id", values="w", aggfunc="sum", fill_value=0.0, sort=False)
        .reindex(columns=themes["theme_id"], fill_value=0.0)
    )
    return sums.div(sums.sum(axis=1), axis=0)


def attention_profiles(labelled: pd.DataFrame, groups: Mapping[str, Sequence[str]], weight: str = "items") -> pd.DataFrame:
    """One row per (group, theme): :data:`PROFILE_COLUMNS`.

    ``groups`` maps a group name to its ``doc_id`` values. ``share`` is the mean
    of the documents' shares; ``n_items``/``n_chars`` count the group's items of
    the theme; ``first_position`` is the earliest item position (1 = first item
    of a plan) at which the theme appears in any of the group's documents.
    """
    themes = theme_table(labelled)
    shares = document_shares(labelled, weight, themes)
    names, members = list(groups), [list(doc_ids) for doc_ids in groups.values()]
    group_shares = np.empty((len(names), len(themes)))
    single = [g for g, docs in enumerate(members) if len(docs) == 1]
    group_shares[single] = shares.loc[[members[g][0] for g in single]].to_numpy()  # the mean of one row is that row
    for g, docs in enumerate(members):
        if len(docs) != 1:
            group_shares[g] = shares.loc[docs].mean(axis=0).to_numpy()
    stats = labelled.groupby(["doc_id", "theme_id"], as_index=False).agg(
        n_items=("item_id", "size"), n_chars=("n_chars", "sum"), first=("position", "min")
    )
    membership = pd.DataFrame({"g": [g for g, docs in enumerate(members) for _ in docs], "doc_id": [d for docs in members for d in docs]})
    part = membership.merge(stats, on="doc_id").groupby(["g", "theme_id"], as_index=False).agg(
        n_items=("n_items", "sum"), n_chars=("n_chars", "sum"), first_position=("first", "min")
    )
    out = pd.DataFrame(
        {
            "g": np.repeat(np.arange(len(names)), len(themes)),
            "theme_id": np.tile(themes["theme_id"].to_numpy(), len(names)),
            "theme_label": np.tile(themes["theme_label"].to_numpy(), len(names)),
            "group": np.repeat(np.array(names, dtype=object), len(themes)),
            "share": group_shares.ravel(),
        }
    ).merge(part, on=["g", "theme_id"], how="left")
    out[["n_items", "n_chars"]] = out[["n_items", "n_chars"]].fillna(0).astype(int)
    out["first_position"] = out["first_position"].astype("Int64")
    return out[PROFILE_COLUMNS]


def js_distance(p: Sequence[float], q: Sequence[float]) -> float:
    """Jensen–Shannon distance (base 2) between two share vectors: 0 identical, 1 disjoint."""
    return float(jensenshannon(np.asarray(p, dtype=float), np.asarray(q, dtype=float), base=2))


def distance_matrix(shares: pd.DataFrame) -> pd.DataFrame:
    """Jensen–Shannon distances between all rows of a shares frame (e.g. :func:`document_shares`)."""
    values = shares.to_numpy(dtype=float)
    dist = jensenshannon(values[:, None, :], values[None, :, :], axis=2, base=2)
    np.fill_diagonal(dist, 0.0)
    return pd.DataFrame(dist, index=shares.index, columns=shares.index)


def effective_sizes(labelled: pd.DataFrame, weight: str = "items") -> pd.Series:
    """Effective n of each document's shares (index ``doc_id``): its item count by items, Kish's
    ``(Σ n_chars)² / Σ n_chars²`` by characters (:func:`analysis.methods.intervals.effective_n`)."""
    w = pd.Series(item_weights(labelled, weight), index=labelled.index)
    return w.groupby(labelled["doc_id"], sort=False).agg(effective_n).rename("n_eff")
