"""Themes of plan items: stable, readable, named clusters (``python -m analysis themes``).

Pipeline (:func:`find_themes`): items (or sentences) -> :class:`~analysis.text.tokenize.Tokenizer`
tokens -> :class:`~analysis.text.features.TextFeatures` (TF-IDF) -> :class:`ThemeClusterer`
(k-means) -> names, top terms, representative items and diagnostics.

* **Guided mode** (default): the shipped lexicon ``data/themes.yml`` lists about 16
  health-policy themes with seed terms. Units whose seed-term hits point clearly to
  one theme initialise that theme's centroid (seeded k-means), so the same themes
  come back on every run and on every corpus. **Unsupervised mode** runs plain
  k-means with several initialisations, for discovery.
* Each cluster is named after the lexicon theme most of its units' seed hits point
  to (when that share is at least :data:`NAME_MIN_SHARE`), otherwise after its top
  terms. Top terms are class-based TF-IDF (frequent in the theme, rare elsewhere);
  representative items are those closest to the centroid.
* Diagnostics: silhouette, stability (mean adjusted Rand index between runs with
  different seeds, and between the full run and refits on 80% subsamples), and how
  much of each theme comes from one document.

Outputs (columns in the README): ``item_themes.csv``, ``themes.csv``,
``theme_diagnostics.json`` and, with ``--unit sentence``, ``sentence_themes.csv``.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn import config_context
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.cluster import kmeans_plusplus
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.manifold import TSNE
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score
from sklearn.preprocessing import normalize
from sklearn.utils import check_random_state
from tqdm import tqdm

from analysis.errors import InputError
from analysis.text.features import TextFeatures, identity
from analysis.paths import processed_dir
from analysis.store import read_table, read_yaml, write_json_atomic, write_tables
from analysis.text.tokenize import DATA_DIR, Tokenizer

LEXICON_FILE = DATA_DIR / "themes.yml"
UNITS = ("item", "sentence")
MODES = ("guided", "unsupervised")

ITEM_THEME_COLUMNS = ["doc_id", "item_id", "theme_id", "theme_label", "distance"]
SENTENCE_THEME_COLUMNS = ["doc_id", "item_id", "sentence_id", "theme_id", "theme_label", "distance"]
THEME_COLUMNS = [
    "theme_id", "theme_label", "size", "top_terms", "representative_item_ids",
    "lexicon_theme", "n_items", "n_docs", "top_doc", "top_doc_share",
]  # fmt: skip

#: Label of units without any content word (theme_id 0); they are not clustered.
UNASSIGNED = "未归类"
#: A cluster takes a lexicon name when at least this share of its units' seed hits point to it.
NAME_MIN_SHARE = 0.4
#: Seed-term hits of a unit point "clearly" to a theme when they beat the runner-up by this factor.
SEED_RATIO = 1.5
#: Guided mode keeps a lexicon theme when at least this many units seed it.
MIN_SEED_UNITS = 2
#: Document-concentration rule of the quality bar: themes of at least this size …
CONCENTRATION_MIN_SIZE = 5
#: … should draw no more than this share of their units from one document.
CONCENTRATION_MAX_SHARE = 0.8
N_TOP_TERMS = 8
N_REPRESENTATIVE = 3
N_STABILITY_SEEDS = 5
RESAMPLE_FRACTION = 0.8
#: The silhouette needs all n² distances: above this many units it is computed on a seeded sample of
#: this many (107,579 synthetic items: 0.0752 against 0.0757 from all of them, in 1 s instead of 100 s).
SILHOUETTE_MAX_UNITS = 10_000
#: Largest block of pairwise distances held at once (silhouette).
WORKING_MEMORY_MB = 128
#: The 2-D map draws at most this many units (a seeded sample of larger corpora) …
MAP_MAX_UNITS = 2_000
#: … laid out by exact t-SNE up to this many (n² per iteration: 6 s at 1,000), Barnes–Hut above (2 s at 2,000).
MAP_EXACT_MAX = 1_000


# --------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class Theme:
    """One lexicon theme: Chinese name, English gloss and seed terms."""

    name: str
    en: str
    seeds: tuple[str, ...]


def load_lexicon(path: str | Path | None = None) -> list[Theme]:
    """Read a theme lexicon (default: the shipped ``data/themes.yml``).

    Raises :class:`InputError` if the file is missing or not YAML, a theme lacks a
    name or seeds, or two themes share a name.
    """
    path = Path(str(path or LEXICON_FILE))
    data = read_yaml(path, "theme lexicon")
    entries = data.get("themes") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputError(path, "expected a top-level 'themes:' list of {name, seeds}")
    lexicon: list[Theme] = []
    for i, entry in enumerate(entries, start=1):
        name = str(entry.get("name", "")).strip() if isinstance(entry, dict) else ""
        seeds = entry.get("seeds") if isinstance(entry, dict) else None
        if not name or not isinstance(seeds, list) or not seeds:
            raise InputError(path, f"theme {i} needs a 'name' and a non-empty 'seeds' list")
        if any(t.name == name for t in lexicon):
            raise InputError(path, f"theme name {name!r} appears twice")
        lexicon.append(Theme(name, str(entry.get("en", "")), tuple(dict.fromkeys(str(s).strip() for s in seeds))))
    return lexicon


def lexicon_scores(token_lists: Sequence[Sequence[str]], lexicon: Sequence[Theme]) -> np.ndarray:
    """Seed-term hits: ``(n_units, n_themes)`` counts of each theme's seed terms in each unit."""
    index: dict[str, list[int]] = {}
    for j, theme in enumerate(lexicon):
        for seed in theme.seeds:
            index.setdefault(seed, []).append(j)
    scores = np.zeros((len(token_lists), len(lexicon)))
    for i, tokens in enumerate(token_lists):
        for token in tokens:
            for j in index.get(token, ()):
                scores[i, j] += 1
    return scores


def seed_labels(scores: np.ndarray, ratio: float = SEED_RATIO) -> np.ndarray:
    """Per unit, the theme its seed hits clearly point to (best ≥ ``ratio`` × runner-up), else -1."""
    if scores.shape[1] == 0:
        return np.full(len(scores), -1)
    ordered = -np.sort(-scores, axis=1)
    best = ordered[:, 0]
    second = ordered[:, 1] if scores.shape[1] > 1 else np.zeros(len(scores))
    clear = (best > 0) & (best >= ratio * second)
    return np.where(clear, scores.argmax(axis=1), -1)


# --------------------------------------------------------------------------- clustering


def _cosine_distances(X, centers: np.ndarray) -> np.ndarray:
    sims = X @ centers.T
    return 1.0 - np.asarray(sims.todense() if sp.issparse(sims) else sims)


def _row_means(X, rows: np.ndarray) -> np.ndarray:
    return np.asarray(X[rows].mean(axis=0)).ravel()


def spherical_kmeans(X, centers: np.ndarray, max_iter: int = 300) -> tuple[np.ndarray, np.ndarray, float]:
    """Cosine k-means from the given centres: ``(labels, unit-length centres, inertia)``.

    Lloyd iterations on L2-normalised rows: assign each row to the most similar
    centre, re-centre on the normalised mean (an emptied cluster keeps its centre),
    stop when no row moves. Inertia is the sum of cosine distances to the centres.
    Unlike Euclidean k-means, a diffuse cluster does not swallow rows that resemble
    no centre, which matters for short units such as sentences.
    """
    centers = normalize(np.asarray(centers, dtype=float))
    k, n = len(centers), X.shape[0]
    labels = np.full(n, -1)
    for _ in range(max_iter):
        sims = _cosine_distances(X, centers)
        new = sims.argmin(axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        onehot = sp.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(k, n))
        sums = onehot @ X
        sums = np.asarray(sums.todense() if sp.issparse(sums) else sums)
        filled = np.linalg.norm(sums, axis=1) > 0
        centers = normalize(np.where(filled[:, None], sums, centers))
    distances = _cosine_distances(X, centers)
    labels = distances.argmin(axis=1)
    return labels, centers, float(distances[np.arange(n), labels].sum())


def silhouette(X, labels: np.ndarray, seed: int | None = 0) -> float:
    """Cosine silhouette of ``labels``; above :data:`SILHOUETTE_MAX_UNITS` rows, of a sample drawn with ``seed``."""
    sample = SILHOUETTE_MAX_UNITS if X.shape[0] > SILHOUETTE_MAX_UNITS else None
    with config_context(working_memory=WORKING_MEMORY_MB):
        return float(silhouette_score(X, labels, metric="cosine", sample_size=sample, random_state=seed))


def _pairwise_ari(labelings: Sequence[np.ndarray]) -> float:
    pairs = list(itertools.combinations(labelings, 2))
    return float(np.mean([adjusted_rand_score(a, b) for a, b in pairs])) if pairs else 1.0


class ThemeClusterer(ClusterMixin, BaseEstimator):
    """Spherical (cosine) k-means over L2-normalised rows, optionally seeded (guided mode).

    Parameters
    ----------
    n_clusters : int or ``"auto"``. Guided: ``"auto"`` = one cluster per seeded theme.
        Unsupervised: ``"auto"`` picks k in ``k_range`` (inclusive) maximising
        silhouette × stability (mean ARI between ``n_selection_seeds`` seeds).
    n_init : k-means++ initialisations in unsupervised mode (the lowest inertia wins).
    min_seed_units : guided mode uses a seed group only if it has this many units.
    random_state : seed; guided mode uses it only for centroids beyond the seeded ones.

    ``fit(X, seed_labels=...)`` with per-row theme indices (-1 = no seed) runs guided
    mode: each seed group's mean starts one centroid. Attributes: ``labels_``,
    ``cluster_centers_`` (unit length), ``n_clusters_``, ``seed_groups_`` (the seed
    theme index behind each cluster, -1 if none), ``inertia_``, ``k_selection_``
    (auto k only: rows of k, silhouette, stability, score).
    """

    def __init__(
        self,
        n_clusters: int | str = "auto",
        k_range: tuple[int, int] = (8, 16),
        n_init: int = 10,
        max_iter: int = 300,
        min_seed_units: int = MIN_SEED_UNITS,
        n_selection_seeds: int = 3,
        random_state: int | None = 0,
    ):
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.n_init = n_init
        self.max_iter = max_iter
        self.min_seed_units = min_seed_units
        self.n_selection_seeds = n_selection_seeds
        self.random_state = random_state

    def _kmeans(self, X, k: int, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray, float]:
        """Best of ``n_init`` spherical k-means runs from k-means++ starts."""
        best = None
        for _ in range(self.n_init):
            init, _ = kmeans_plusplus(X, k, random_state=rng.randint(2**31 - 1))
            run = spherical_kmeans(X, init, self.max_iter)
            if best is None or run[2] < best[2]:
                best = run
        return best

    def _select_k(self, X, rng: np.random.RandomState) -> int:
        low, high = self.k_range
        rows = []
        for k in range(max(2, low), min(high, X.shape[0] - 1) + 1):
            runs = [self._kmeans(X, k, rng)[0] for _ in range(self.n_selection_seeds)]
            fit = float(np.mean([silhouette(X, labels, self.random_state) for labels in runs]))
            stability = _pairwise_ari(runs)
            rows.append({"k": k, "silhouette": fit, "stability": stability, "score": fit * stability})
        if not rows:
            raise ValueError(f"too few rows ({X.shape[0]}) for k in {self.k_range}")
        self.k_selection_ = rows
        return max(rows, key=lambda r: (r["score"], -r["k"]))["k"]

    def _seeded_centers(self, X, seed_labels: np.ndarray, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
        groups, counts = np.unique(seed_labels[seed_labels >= 0], return_counts=True)
        keep = counts >= self.min_seed_units
        groups, counts = groups[keep], counts[keep]
        k = len(groups) if self.n_clusters == "auto" else int(self.n_clusters)
        if k < len(groups):  # keep the k largest seed groups, in lexicon order
            groups = np.sort(groups[np.argsort(-counts, kind="stable")[:k]])
        centers = [_row_means(X, seed_labels == g) for g in groups]
        while len(centers) < k:  # extra centroids: k-means++ sampling away from the existing ones
            p = None
            if centers:
                d2 = np.clip(_cosine_distances(X, normalize(np.vstack(centers))).min(axis=1), 0, None) ** 2
                p = d2 / d2.sum() if d2.sum() > 0 else None
            row = X[rng.choice(X.shape[0], p=p)]
            centers.append(np.asarray(row.todense() if sp.issparse(row) else row).ravel())
        seed_groups = np.concatenate([groups, np.full(k - len(groups), -1)]).astype(int)
        return normalize(np.vstack(centers)), seed_groups

    def fit(self, X, y=None, seed_labels: np.ndarray | None = None) -> ThemeClusterer:
        """Cluster the rows of ``X`` (guided when ``seed_labels`` is given)."""
        rng = check_random_state(self.random_state)
        self.k_selection_ = None
        if seed_labels is not None:
            init, self.seed_groups_ = self._seeded_centers(X, np.asarray(seed_labels), rng)
            if len(init) < 2:
                raise ValueError("guided mode needs at least two seeded themes; use unsupervised mode")
            labels, centers, inertia = spherical_kmeans(X, init, self.max_iter)
        else:
            k = self._select_k(X, rng) if self.n_clusters == "auto" else int(self.n_clusters)
            labels, centers, inertia = self._kmeans(X, k, rng)
            self.seed_groups_ = np.full(k, -1)
        present = np.unique(labels)  # drop clusters that ended up empty
        self.labels_ = np.searchsorted(present, labels).astype(int)
        self.seed_groups_ = self.seed_groups_[present]
        self.n_clusters_ = len(present)
        self.cluster_centers_ = centers[present]
        self.inertia_ = inertia
        return self

    def transform(self, X) -> np.ndarray:
        """Cosine distance of each row to each cluster centre."""
        return _cosine_distances(X, self.cluster_centers_)

    def predict(self, X) -> np.ndarray:
        """Index of the nearest (cosine) cluster centre for each row."""
        return self.transform(X).argmin(axis=1)


# --------------------------------------------------------------------------- naming


def class_tfidf(
    token_lists: Sequence[Sequence[str]], labels: np.ndarray, n_classes: int, min_df: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Class-based TF-IDF: ``(terms, weights)`` with weights of shape ``(n_classes, n_terms)``.

    Terms used by fewer than ``min_df`` units are left out (one item's quirks do not name a theme).
    tf = a term's share of its class's tokens; idf = log(1 + A / f) with A the mean
    number of tokens per class and f the term's count over all classes, so terms
    frequent in one class and rare elsewhere score highest.
    """
    vectorizer = CountVectorizer(analyzer=identity, min_df=min_df)
    counts = vectorizer.fit_transform(token_lists)
    onehot = sp.csr_matrix((np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(n_classes, len(labels)))
    per_class = np.asarray((onehot @ counts).todense(), dtype=float)
    totals = per_class.sum(axis=1, keepdims=True)
    tf = np.divide(per_class, totals, out=np.zeros_like(per_class), where=totals > 0)
    idf = np.log1p(per_class.sum(axis=1).mean() / per_class.sum(axis=0))
    return vectorizer.get_feature_names_out(), tf * idf


def top_terms(terms: np.ndarray, weights: np.ndarray, n: int = N_TOP_TERMS) -> list[list[str]]:
    """The ``n`` highest-weighted terms of each class (ties broken by term, for determinism)."""
    out = []
    for row in weights:
        order = np.lexsort((terms, -row))
        out.append([str(terms[i]) for i in order[:n] if row[i] > 0])
    return out


def match_lexicon(scores: np.ndarray, labels: np.ndarray, n_clusters: int, min_share: float = NAME_MIN_SHARE) -> np.ndarray:
    """Lexicon theme index naming each cluster, or -1.

    Every unit with seed hits casts one vote split over the themes in proportion to
    its hits; a cluster's candidate is the theme with most votes per unit, accepted
    when that share is at least ``min_share``. Each theme names at most one cluster
    (the one with the higher share wins; ties go to the larger cluster).
    """
    votes = normalize(scores, norm="l1")
    candidates = []
    for c in range(n_clusters):
        members = labels == c
        if not members.any() or scores.shape[1] == 0:
            continue
        share = votes[members].sum(axis=0) / members.sum()
        theme = int(share.argmax())
        if share[theme] >= min_share:
            candidates.append((-share[theme], -members.sum(), c, theme))
    names = np.full(n_clusters, -1)
    taken: set[int] = set()
    for _, _, c, theme in sorted(candidates):
        if theme not in taken:
            names[c], taken = theme, taken | {theme}
    return names


def term_label(terms: Sequence[str], n: int = 3) -> str:
    """A name made of the top terms, e.g. ``安全生产·信访·风险``."""
    return "·".join(terms[:n]) if terms else "其他"


# --------------------------------------------------------------------------- pipeline


@dataclass
class ThemeResult:
    """Everything one theme run produces (tables, features, model, diagnostics)."""

    units: pd.DataFrame  # doc_id, item_id, [sentence_id], text, tokens, n_chars, theme_id, theme_label, distance
    item_themes: pd.DataFrame
    themes: pd.DataFrame
    term_weights: pd.DataFrame  # theme_id, theme_label, rank, term, weight
    diagnostics: dict
    matrix: object = field(repr=False)  # feature rows of the clustered units (see ``units.theme_id > 0``)
    model: ThemeClusterer = field(repr=False)
    lexicon: list[Theme] = field(repr=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``{file stem: frame}`` as written to the processed folder."""
        tables = {"item_themes": self.item_themes[ITEM_THEME_COLUMNS], "themes": self.themes[THEME_COLUMNS]}
        if "sentence_id" in self.units.columns:
            tables["sentence_themes"] = self.units[SENTENCE_THEME_COLUMNS]
        return tables


def _units(items: pd.DataFrame, sentences: pd.DataFrame | None, unit: str) -> pd.DataFrame:
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")
    if unit == "sentence":
        if sentences is None:
            raise ValueError("unit='sentence' needs the sentences table")
        frame = sentences[["doc_id", "item_id", "sentence_id", "text"]]
    else:
        frame = items[["doc_id", "item_id", "text"]]
    frame = frame.reset_index(drop=True).copy()
    frame["n_chars"] = frame.text.str.replace(r"\s", "", regex=True).str.len()
    return frame


def _fit(tokens: list[list[str]], scores: np.ndarray, k, mode: str, seed: int, features: TextFeatures):
    """Features (a clone of ``features``) and fitted clusterer for one seed: ``(X, model)``."""
    X = clone(features).set_params(random_state=seed).fit_transform(tokens)
    model = ThemeClusterer(k, random_state=seed)
    model.fit(X, seed_labels=seed_labels(scores) if mode == "guided" else None)
    return X, model


def _has_features(tokens: list[list[str]], features: TextFeatures) -> np.ndarray:
    """Which token lists keep at least one word of the feature vocabulary."""
    X = clone(features).fit_transform(tokens)
    return np.asarray(abs(X).sum(axis=1)).ravel() > 0


def _concentration(frame: pd.DataFrame) -> pd.DataFrame:
    """Per theme: units, items, documents, the top document and its share of the units."""
    rows = []
    for theme_id, group in frame.groupby("theme_id", sort=True):
        by_doc = group.doc_id.value_counts()
        top = sorted(by_doc[by_doc == by_doc.max()].index)[0]
        rows.append(
            {"theme_id": theme_id, "size": len(group), "n_items": group.item_id.nunique(), "n_docs": len(by_doc),
             "top_doc": top, "top_doc_share": round(by_doc[top] / len(group), 4)}
        )  # fmt: skip
    return pd.DataFrame(rows)


def _item_themes(units: pd.DataFrame) -> pd.DataFrame:
    """One row per item: its theme (for sentences, the theme holding most of its characters)."""
    if "sentence_id" not in units.columns:
        return units[ITEM_THEME_COLUMNS].copy()
    clustered = units[units.theme_id > 0]
    weights = clustered.assign(w=clustered.n_chars, wd=clustered.n_chars * clustered.distance)
    per_theme = weights.groupby(["doc_id", "item_id", "theme_id", "theme_label"], sort=False, as_index=False)[["w", "wd"]].sum()
    per_theme["distance"] = (per_theme.wd / per_theme.w.where(per_theme.w > 0, 1)).round(6)
    best = per_theme.sort_values(["item_id", "w", "distance", "theme_id"], ascending=[True, False, True, True])
    best = best.drop_duplicates("item_id")
    items = units.drop_duplicates("item_id")[["doc_id", "item_id"]]
    out = items.merge(best[["item_id", "theme_id", "theme_label", "distance"]], on="item_id", how="left")
    out["theme_id"] = out.theme_id.fillna(0).astype(int)
    out["theme_label"] = out.theme_label.fillna(UNASSIGNED)
    out["distance"] = out.distance.fillna(1.0)
    return out[ITEM_THEME_COLUMNS]


def find_themes(
    items: pd.DataFrame,
    documents: pd.DataFrame | None = None,
    sentences: pd.DataFrame | None = None,
    *,
    unit: str = "item",
    k: int | str = "auto",
    mode: str = "guided",
    seed: int = 0,
    lexicon: Sequence[Theme] | None = None,
    tokenizer: Tokenizer | None = None,
    features: TextFeatures | None = None,
    stability_seeds: int = N_STABILITY_SEEDS,
    progress: bool = False,
) -> ThemeResult:
    """Cluster the items (or sentences) of a corpus into named themes.

    ``items``/``sentences`` are the ingest tables; ``documents`` (optional) supplies
    the place names removed from the features. ``k`` is an int or ``"auto"``; ``mode``
    is ``"guided"`` or ``"unsupervised"``; ``features`` is the (unfitted)
    :class:`TextFeatures` to use, e.g. ``TextFeatures(char_ngrams=True)``. Units
    without any content word get theme 0 (:data:`UNASSIGNED`). Returns a :class:`ThemeResult`.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    lexicon = list(lexicon) if lexicon is not None else load_lexicon()
    if tokenizer is None:
        tokenizer = Tokenizer.for_documents(documents) if documents is not None else Tokenizer()
    units = _units(items, sentences, unit)
    units["tokens"] = tokenizer.tokenize_many(units.text.tolist(), progress=progress)
    content = units[units.tokens.str.len() > 0].index.to_numpy()
    if len(content) < 3:
        raise ValueError(f"only {len(content)} {unit}s have content words; need at least 3 to cluster")
    features = features if features is not None else TextFeatures()
    content = content[_has_features(units.tokens[content].tolist(), features)]
    tokens = units.tokens[content].tolist()
    if isinstance(k, int | np.integer) and not 2 <= k < len(tokens):
        raise ValueError(f"k={k} must be between 2 and {len(tokens) - 1} for {len(tokens)} {unit}s")
    scores = lexicon_scores(tokens, lexicon)
    X, model = _fit(tokens, scores, k, mode, seed, features)

    # names: lexicon match first, else top terms; then order themes by size
    terms, weights = class_tfidf(tokens, model.labels_, model.n_clusters_)
    term_index = {t: i for i, t in enumerate(terms)}
    cluster_terms = top_terms(terms, weights)
    matched = match_lexicon(scores, model.labels_, model.n_clusters_)
    labels = [lexicon[m].name if m >= 0 else term_label(cluster_terms[c]) for c, m in enumerate(matched)]
    for c, label in enumerate(labels):  # unnamed clusters whose top terms collide get a number
        if labels.count(label) > 1:
            labels[c] = f"{label}（{labels[:c + 1].count(label)}）"
    sizes = np.bincount(model.labels_, minlength=model.n_clusters_)
    order = sorted(range(model.n_clusters_), key=lambda c: (-sizes[c], labels[c]))
    theme_of = {c: i + 1 for i, c in enumerate(order)}

    distances = model.transform(X)[np.arange(len(tokens)), model.labels_]
    units["theme_id"] = 0
    units["theme_label"] = UNASSIGNED
    units["distance"] = 1.0
    units.loc[content, "theme_id"] = [theme_of[c] for c in model.labels_]
    units.loc[content, "theme_label"] = [labels[c] for c in model.labels_]
    units.loc[content, "distance"] = np.round(np.clip(distances, 0.0, 2.0), 6)
    item_themes = _item_themes(units)

    clustered = units.loc[content]
    concentration = _concentration(clustered).set_index("theme_id")
    item_counts = item_themes.theme_id.value_counts()
    rows, term_rows = [], []
    for c in order:
        tid = theme_of[c]
        members = clustered[clustered.theme_id == tid].sort_values(["distance", "item_id"])
        representative = list(dict.fromkeys(members.item_id))[:N_REPRESENTATIVE]
        row = concentration.loc[tid].to_dict()
        row.update(
            theme_id=tid, theme_label=labels[c], top_terms=";".join(cluster_terms[c]),
            representative_item_ids=";".join(representative), lexicon_theme=lexicon[matched[c]].name if matched[c] >= 0 else "",
            n_items=int(item_counts.get(tid, 0)),
        )  # fmt: skip
        rows.append(row)
        term_rows += [
            {"theme_id": tid, "theme_label": labels[c], "rank": r, "term": t, "weight": float(weights[c, term_index[t]])}
            for r, t in enumerate(cluster_terms[c], start=1)
        ]
    themes = pd.DataFrame(rows)[THEME_COLUMNS].astype({"size": int, "n_items": int, "n_docs": int})

    result = ThemeResult(
        units=units, item_themes=item_themes, themes=themes, term_weights=pd.DataFrame(term_rows),
        diagnostics={}, matrix=X, model=model, lexicon=lexicon,
    )  # fmt: skip
    result.diagnostics = diagnose(
        result, tokens, scores, unit=unit, k=k, mode=mode, seed=seed, features=features,
        stability_seeds=stability_seeds, tokenizer=tokenizer, progress=progress,
    )  # fmt: skip
    return result


# --------------------------------------------------------------------------- diagnostics


def diagnose(result: ThemeResult, tokens, scores, *, unit, k, mode, seed, features, stability_seeds, tokenizer, progress) -> dict:
    """Diagnostics of a run: silhouette, seed and resample stability, document concentration."""
    model, X = result.model, result.matrix
    labels = model.labels_
    seeds = [seed + i for i in range(stability_seeds)]
    runs = [labels] + [
        _fit(tokens, scores, k, mode, s, features)[1].labels_
        for s in tqdm(seeds[1:], desc="stability", unit="seed", disable=not progress)
    ]
    rng = np.random.default_rng(seed)
    guided = seed_labels(scores) if mode == "guided" else None
    resample = []
    for _ in range(stability_seeds):
        rows = np.sort(rng.choice(len(labels), int(round(RESAMPLE_FRACTION * len(labels))), replace=False))
        refit = ThemeClusterer(model.n_clusters_, random_state=seed, min_seed_units=model.min_seed_units)
        refit.fit(X[rows], seed_labels=None if guided is None else guided[rows])
        resample.append(adjusted_rand_score(labels[rows], refit.labels_))
    themes = result.themes
    seeded = seed_labels(scores)
    covered = {result.lexicon[j].name: set() for j in range(len(result.lexicon))}
    clustered = result.units[result.units.theme_id > 0]
    for doc_id, j in zip(clustered.doc_id, seeded):
        if j >= 0:
            covered[result.lexicon[j].name].add(doc_id)
    concentrated = []
    for row in themes.itertuples():
        if row.size >= CONCENTRATION_MIN_SIZE and row.top_doc_share > CONCENTRATION_MAX_SHARE:
            sole = bool(row.lexicon_theme) and covered.get(row.lexicon_theme, set()) <= {row.top_doc}
            concentrated.append({"theme_id": row.theme_id, "theme_label": row.theme_label, "top_doc": row.top_doc,
                                 "top_doc_share": row.top_doc_share, "only_document_covering_topic": sole})  # fmt: skip
    fit = silhouette(X, labels, seed) if 1 < model.n_clusters_ < len(labels) else float("nan")
    return {
        "parameters": {"unit": unit, "k": k, "mode": mode, "seed": seed,
                       "features": {key: v for key, v in features.get_params().items() if key != "random_state"},
                       "n_init": model.n_init, "seed_ratio": SEED_RATIO, "min_seed_units": model.min_seed_units,
                       "name_min_share": NAME_MIN_SHARE},
        "tokenizer": tokenizer.fingerprint,
        "n_units": int(len(result.units)),
        "n_clustered_units": int(len(labels)),
        "n_unassigned_units": int(len(result.units) - len(labels)),
        "n_items": int(result.item_themes.item_id.nunique()),
        "n_documents": int(result.units.doc_id.nunique()),
        "n_features": int(X.shape[1]),
        "k": int(model.n_clusters_),
        "k_selection": [{key: round(v, 4) if isinstance(v, float) else v for key, v in r.items()} for r in model.k_selection_ or []],
        "seeded_units": int((seeded >= 0).sum()),
        "seeds_not_tokens": [s for t in result.lexicon for s in t.seeds if tokenizer.tokenize(s) != [s]],
        "named_themes": int((themes.lexicon_theme != "").sum()),
        "silhouette": round(fit, 4),
        **({"silhouette_sample": SILHOUETTE_MAX_UNITS} if len(labels) > SILHOUETTE_MAX_UNITS else {}),
        "stability": {"seeds": seeds, "mean_ari": round(_pairwise_ari(runs), 4)},
        "resample_stability": {"fraction": RESAMPLE_FRACTION, "repeats": stability_seeds,
                               "mean_ari": round(float(np.mean(resample)), 4)},
        "max_top_doc_share": round(float(themes.loc[themes["size"] >= CONCENTRATION_MIN_SIZE, "top_doc_share"].max()), 4),
        "concentrated_themes": concentrated,
    }  # fmt: skip


def agreement(item_themes: pd.DataFrame, reference: pd.DataFrame, column: str = "theme") -> dict:
    """NMI and ARI of ``item_themes`` against hand labels (``item_id`` + ``column``), on shared items."""
    merged = reference.merge(item_themes[["item_id", "theme_label"]], on="item_id")
    return {
        "n": int(len(merged)),
        "nmi": round(float(normalized_mutual_info_score(merged[column], merged.theme_label)), 4),
        "ari": round(float(adjusted_rand_score(merged[column], merged.theme_label)), 4),
    }


# --------------------------------------------------------------------------- report helpers


def document_theme_shares(result: ThemeResult) -> pd.DataFrame:
    """Documents × themes: share of each document's items in each theme (rows sum to 1)."""
    counts = pd.crosstab(result.item_themes.doc_id, result.item_themes.theme_label)
    ordered = [t for t in result.themes.theme_label if t in counts.columns]
    ordered += [c for c in counts.columns if c not in ordered]
    return counts[ordered].div(counts.sum(axis=1), axis=0)


def theme_map(result: ThemeResult, random_state: int = 0, components: int = 30) -> pd.DataFrame:
    """2-D coordinates of the clustered units, with doc, item and theme, for a map of the themes.

    The TF-IDF rows are reduced to ``components`` LSA dimensions and laid out by
    t-SNE (cosine), so nearby points use similar words; positions do not use the
    cluster assignment. Above :data:`MAP_MAX_UNITS` units the map shows a sample of
    that many drawn with ``random_state``; above :data:`MAP_EXACT_MAX` the layout is
    Barnes–Hut t-SNE instead of exact (which costs n² per iteration).
    """
    X = result.matrix
    frame = result.units[result.units.theme_id > 0][["doc_id", "item_id", "theme_id", "theme_label"]].reset_index(drop=True)
    if X.shape[0] > MAP_MAX_UNITS:
        rows = np.sort(np.random.default_rng(random_state).choice(X.shape[0], MAP_MAX_UNITS, replace=False))
        X, frame = X[rows], frame.iloc[rows].reset_index(drop=True)
    n_components = min(components, X.shape[1] - 1, X.shape[0] - 2)
    reduced = normalize(TruncatedSVD(n_components, random_state=random_state).fit_transform(X))
    perplexity = float(min(15, max(2, (len(reduced) - 1) // 3)))
    method = "exact" if len(reduced) <= MAP_EXACT_MAX else "barnes_hut"
    tsne = TSNE(2, metric="cosine", init="pca", perplexity=perplexity, method=method, max_iter=500, random_state=random_state)
    coords = tsne.fit_transform(reduced)
    return frame.assign(x=coords[:, 0], y=coords[:, 1])


def representative_items(result: ThemeResult, items: pd.DataFrame, n_chars: int = 80) -> pd.DataFrame:
    """Per theme its representative items: theme, item id, headline or opening text."""
    text = items.set_index("item_id")
    rows = []
    for theme in result.themes.itertuples():
        for item_id in filter(None, theme.representative_item_ids.split(";")):
            item = text.loc[item_id]
            excerpt = item.text if len(item.text) <= n_chars else item.text[:n_chars] + "…"
            rows.append({"主题 theme": theme.theme_label, "item_id": item_id, "事项 item": excerpt})
    return pd.DataFrame(rows)


def theme_table(result: ThemeResult) -> pd.DataFrame:
    """``themes.csv`` for reading: Chinese headers, terms joined by 、, top-document share in %."""
    t = result.themes
    return pd.DataFrame(
        {
            "编号": t.theme_id,
            "主题": t.theme_label,
            "单位数": t["size"],
            "事项数": t.n_items,
            "文件数": t.n_docs,
            "最大来源文件": [f"{d}（{s:.0%}）" for d, s in zip(t.top_doc, t.top_doc_share)],
            "主题词": t.top_terms.str.replace(";", "、"),
        }
    )


def diagnostics_table(result: ThemeResult) -> pd.DataFrame:
    """The run's quality figures as rows of 指标 / 数值 / 说明 (basis and rule)."""
    d = result.diagnostics
    unit = "句" if d["parameters"]["unit"] == "sentence" else "事项"
    rows = [
        ("主题数 k", d["k"], f"参数 k={d['parameters']['k']}，模式 {d['parameters']['mode']}"),
        (f"聚类{unit}数", d["n_clustered_units"], f"另有 {d['n_unassigned_units']} 个{unit}无内容词，记为「{UNASSIGNED}」"),
        ("有明确种子词的单位", d["seeded_units"], f"种子词命中数 ≥ 次多主题的 {SEED_RATIO} 倍"),
        ("以词表命名的主题", d["named_themes"], f"≥{NAME_MIN_SHARE:.0%} 的种子词命中指向同一词表主题"),
        ("轮廓系数", f"{d['silhouette']:.3f}", "余弦距离；短文本通常很低，仅供比较不同设置"),
        ("种子稳定性", f"{d['stability']['mean_ari']:.3f}",
         f"{len(d['stability']['seeds'])} 个随机种子两两调整兰德指数均值（目标 ≥ 0.8）"),
        ("抽样稳定性", f"{d['resample_stability']['mean_ari']:.3f}",
         f"{d['resample_stability']['repeats']} 次 {d['resample_stability']['fraction']:.0%} 抽样重聚类与全量结果的调整兰德指数均值"),
        ("单一文件最高占比", f"{d['max_top_doc_share']:.0%}", f"≥{CONCENTRATION_MIN_SIZE} 个单位的主题中，最大来源文件所占比例"),
        ("集中于单一文件的主题", len(d["concentrated_themes"]),
         f"≥{CONCENTRATION_MIN_SIZE} 个单位且 >{CONCENTRATION_MAX_SHARE:.0%} 来自同一文件（目标 0，除非仅该文件涉及此主题）"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["指标", "数值", "说明"]).astype({"数值": str})


def key_findings(result: ThemeResult) -> list[str]:
    """Two or three sentences summarising the run, computed from its tables."""
    themes, items = result.themes, result.item_themes
    n_items, n_docs = len(items), items.doc_id.nunique()
    top = themes.iloc[0]
    top_items = int((items.theme_id == top.theme_id).sum())
    first = (
        f"最大的主题是「{top.theme_label}」：{n_items} 条事项中有 {top_items} 条（{top_items / n_items:.0%}），"
        f"来自 {top.n_docs}/{n_docs} 份文件；共 {len(themes)} 个主题，其中 {(themes.lexicon_theme != '').sum()} 个与主题词表明确对应。"
    )
    shares = document_theme_shares(result)
    overall = items.theme_label.value_counts(normalize=True)
    lift = shares / overall.reindex(shares.columns)
    doc_sizes = items.doc_id.value_counts()
    best = max(
        ((d, t) for d in lift.index for t in lift.columns if shares.loc[d, t] * doc_sizes[d] >= 3),
        key=lambda dt: (lift.loc[dt], dt),
        default=None,
    )
    findings = [first]
    if best is not None:
        d, t = best
        findings.append(
            f"相对全部文件，{d} 最突出「{t}」：占其 {doc_sizes[d]} 条事项的 {shares.loc[d, t]:.0%}，"
            f"而全部事项中为 {overall[t]:.0%}（{lift.loc[d, t]:.1f} 倍）。"
        )
    diag = result.diagnostics
    units = "句" if diag["parameters"]["unit"] == "sentence" else "条事项"
    findings.append(
        f"主题稳定且不等于文件：{len(diag['stability']['seeds'])} 个随机种子间调整兰德指数均值 {diag['stability']['mean_ari']:.2f}，"
        f"80% 抽样重聚类 {diag['resample_stability']['mean_ari']:.2f}；≥{CONCENTRATION_MIN_SIZE} {units}的主题中单一文件占比最高为 "
        f"{diag['max_top_doc_share']:.0%}。"
    )
    return findings


def _feature_summary(params: dict) -> str:
    parts = [f"sublinear tf={params['sublinear_tf']}", f"min_df={params['min_df']}", f"max_df={params['max_df']}"]
    if params["char_ngrams"]:
        parts.append(f"字符 {params['char_ngram_range'][0]}–{params['char_ngram_range'][1]} 元组")
    if params["lsa_components"]:
        parts.append(f"LSA {params['lsa_components']} 维")
    return "，".join(parts)


def method_notes(result: ThemeResult) -> list[str]:
    """Plain-language notes on how the themes were made, for reportkit.method_notes."""
    diag = result.diagnostics
    mode = diag["parameters"]["mode"]
    return [
        "分词：jieba 精确模式 + 卫生健康领域词典；去除政策套话停用词、数字与量词、地名（清单 + 文件所在地）。",
        f"特征：TF-IDF（{_feature_summary(diag['parameters']['features'])}），{diag['n_features']} 维；单位：{diag['parameters']['unit']}。",
        (f"聚类：引导式球面 k-means，主题词表 {len(result.lexicon)} 个主题的种子词初始化质心（{diag['seeded_units']} 个单位有明确种子），k={diag['k']}。"
         if mode == "guided" else f"聚类：球面 k-means（{diag['parameters']['n_init']} 次 k-means++ 初始化），k={diag['k']}。"),
        f"命名：≥{NAME_MIN_SHARE:.0%} 的种子词命中指向同一词表主题时采用其名称，否则用类内 TF-IDF 前三词；代表事项为距质心最近者。",
        f"诊断：轮廓系数 {diag['silhouette']:.3f}（余弦）；稳定性为不同随机种子间调整兰德指数均值 {diag['stability']['mean_ari']:.2f}。",
    ]  # fmt: skip


# --------------------------------------------------------------------------- command


def analyse(processed: str | Path | None = None, **kwargs) -> ThemeResult:
    """Run :func:`find_themes` on the tables of a processed folder (default ``data/processed``)."""
    folder = processed_dir(processed)
    documents = read_table(folder, "documents")
    items = read_table(folder, "items")
    sentences = read_table(folder, "sentences") if kwargs.get("unit") == "sentence" else None
    if items.empty:
        raise InputError(folder / "items.csv", "has no items; nothing to cluster")
    try:
        return find_themes(items, documents, sentences, **kwargs)
    except ValueError as exc:
        raise InputError(folder / "items.csv", str(exc)) from exc


def write_outputs(result: ThemeResult, out_dir: str | Path) -> list[Path]:
    """Write the theme tables and ``theme_diagnostics.json`` to ``out_dir`` (atomically)."""
    paths = write_tables(result.tables(), out_dir)
    paths.append(write_json_atomic(Path(out_dir) / "theme_diagnostics.json", result.diagnostics))
    return paths


def _k_value(text: str) -> int | str:
    if text == "auto":
        return text
    if not text.isdigit() or int(text) < 2:
        raise argparse.ArgumentTypeError(f"k must be 'auto' or an integer ≥ 2, not {text!r}")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis themes``."""
    parser.add_argument("--processed", default="data/processed", help="folder with the ingest tables (default: data/processed)")
    parser.add_argument("--out", default=None, help="folder for the theme tables (default: the --processed folder)")
    parser.add_argument("--k", type=_k_value, default="auto", help="number of themes or 'auto' (default: auto)")
    parser.add_argument("--unit", choices=UNITS, default="item", help="unit of analysis (default: item)")
    parser.add_argument("--mode", choices=MODES, default="guided", help="guided by the theme lexicon, or unsupervised (default: guided)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--lexicon", default=None, help="theme lexicon YAML (default: the shipped themes.yml)")


def run(args: argparse.Namespace) -> int:
    """Run the themes step from parsed command-line arguments."""
    result = analyse(args.processed, unit=args.unit, k=args.k, mode=args.mode, seed=args.seed,
                     lexicon=load_lexicon(args.lexicon), progress=True)  # fmt: skip
    out = args.out or args.processed
    write_outputs(result, out)
    for row in result.themes.itertuples():
        print(f"{row.theme_id:>3} {row.theme_label:<14} {row.size:>4} {args.unit}s  {row.n_docs} docs  {row.top_terms.replace(';', ' ')[:60]}")
    diag = result.diagnostics
    print(f"k={diag['k']}  silhouette={diag['silhouette']:.3f}  stability(ARI, {len(diag['stability']['seeds'])} seeds)="
          f"{diag['stability']['mean_ari']:.3f}  resample={diag['resample_stability']['mean_ari']:.3f}")  # fmt: skip
    print(f"wrote {', '.join(f'{name}.csv' for name in result.tables())} and theme_diagnostics.json to {out}")
    return 0
