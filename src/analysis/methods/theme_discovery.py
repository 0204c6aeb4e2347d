"""Lexicon-free themes whose result does not hang on one random seed: consensus NMF.

:class:`ConsensusNMF` fits scikit-learn NMF ``n_runs`` times from different random
starts, counts how often each pair of units lands in the same component (the
co-association matrix) and cuts that matrix by average-linkage clustering. One NMF
run depends on its seed; the consensus of many barely does. ``n_clusters="auto"``
picks k in ``k_range`` by stability (mean ARI between single runs).

Also here: class-based TF-IDF top terms for naming clusters, the rule that gives a
cluster a lexicon name, and the silhouette used in diagnostics.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn import config_context
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import AgglomerativeClustering
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import adjusted_rand_score, silhouette_score

from analysis.text.features import identity

#: NMF runs behind one consensus (seed corpus, k=16: ARI between consensus runs from disjoint starts 0.84 with 30, 0.95 with 60).
N_RUNS = 60
#: ``--k auto`` takes the smallest k whose stability is within this of the most stable k (the curve is
#: flat within noise of about 0.03 from k=12 to 20 on the seed corpus; the smallest such k is seed-independent).
K_TOLERANCE = 0.03
#: A cluster takes a lexicon name only when at least this share of its units is clearly keyed to that theme.
DOMINANCE_SHARE = 0.5
N_TOP_TERMS = 8
#: The silhouette needs all n² distances: above this many units it is computed on a seeded sample of
#: this many (107,579 synthetic items: 0.0752 against 0.0757 from all of them, in 1 s instead of 100 s).
SILHOUETTE_MAX_UNITS = 10_000
#: Largest block of pairwise distances held at once (silhouette).
WORKING_MEMORY_MB = 128


def pairwise_ari(labelings: Sequence[np.ndarray]) -> float:
    """Mean adjusted Rand index over all pairs of labelings (1.0 for fewer than two)."""
    pairs = list(itertools.combinations(labelings, 2))
    return float(np.mean([adjusted_rand_score(a, b) for a, b in pairs])) if pairs else 1.0


def silhouette(X, labels: np.ndarray, seed: int | None = 0) -> float:
    """Cosine silhouette of ``labels``; above :data:`SILHOUETTE_MAX_UNITS` rows, of a sample drawn with ``seed``."""
    sample = SILHOUETTE_MAX_UNITS if X.shape[0] > SILHOUETTE_MAX_UNITS else None
    with config_context(working_memory=WORKING_MEMORY_MB):
        return float(silhouette_score(X, labels, metric="cosine", sample_size=sample, random_state=seed))


def nmf_labels(X, k: int, seed: int, max_iter: int = 400) -> np.ndarray:
    """Each row's strongest component in one NMF of ``X`` (random start ``seed``).

    Runs stopped by ``max_iter`` are used as they are (only the argmax is kept), without a warning.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        W = NMF(k, init="random", random_state=seed, max_iter=max_iter).fit_transform(X)
    return W.argmax(axis=1)


class ConsensusNMF(ClusterMixin, BaseEstimator):
    """Consensus clustering of non-negative feature rows over ``n_runs`` NMF random starts.

    Parameters
    ----------
    n_clusters : int or ``"auto"``: the smallest k in ``k_range`` (inclusive, step ``k_step``)
        whose stability (mean ARI between ``n_selection_runs`` single NMF runs) is within
        :data:`K_TOLERANCE` of the highest.
    n_runs : NMF runs behind the co-association matrix.
    random_state : seed of the first run; run ``r`` uses ``random_state + r``.

    Attributes: ``labels_`` (0..k-1, numbered by first appearance), ``n_clusters_``,
    ``coassociation_`` (``(n, n)`` share of runs putting two rows together),
    ``run_stability_`` (mean ARI between the single runs), ``k_selection_`` (auto only).
    """

    def __init__(
        self,
        n_clusters: int | str = "auto",
        k_range: tuple[int, int] = (8, 20),
        k_step: int = 2,
        n_runs: int = N_RUNS,
        n_selection_runs: int = 8,
        random_state: int = 0,
    ):
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.k_step = k_step
        self.n_runs = n_runs
        self.n_selection_runs = n_selection_runs
        self.random_state = random_state

    def _runs(self, X, k: int, n: int) -> list[np.ndarray]:
        return [nmf_labels(X, k, self.random_state + r) for r in range(n)]

    def _select_k(self, X) -> int:
        low, high = self.k_range
        rows = [
            {"k": k, "stability": round(pairwise_ari(self._runs(X, k, self.n_selection_runs)), 4)}
            for k in range(max(2, low), min(high, X.shape[0] - 1) + 1, self.k_step)
        ]
        if not rows:
            raise ValueError(f"too few rows ({X.shape[0]}) for k in {self.k_range}")
        self.k_selection_ = rows
        best = max(r["stability"] for r in rows)
        return min(r["k"] for r in rows if r["stability"] >= best - K_TOLERANCE)

    def fit(self, X, y=None) -> ConsensusNMF:
        """Cluster the rows of ``X`` (non-negative, e.g. TF-IDF)."""
        self.k_selection_ = None
        k = self._select_k(X) if self.n_clusters == "auto" else int(self.n_clusters)
        runs = self._runs(X, k, self.n_runs)
        co = np.zeros((X.shape[0], X.shape[0]))
        for labels in runs:
            co += labels[:, None] == labels[None, :]
        self.coassociation_ = co / len(runs)
        self.run_stability_ = pairwise_ari(runs)
        raw = AgglomerativeClustering(k, metric="precomputed", linkage="average").fit_predict(1 - self.coassociation_)
        _, first = np.unique(raw, return_index=True)
        order = np.argsort(np.argsort(first))  # renumber clusters by first appearance: 0, 1, …
        self.labels_ = order[raw]
        self.n_clusters_ = int(len(first))
        return self


# --------------------------------------------------------------------------- naming


def class_tfidf(
    token_lists: Sequence[Sequence[str]], labels: np.ndarray, n_classes: int, min_df: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Class-based TF-IDF: ``(terms, weights)`` with weights of shape ``(n_classes, n_terms)``.

    tf = a term's share of its class's tokens; idf = log(1 + A / f) with A the mean
    number of tokens per class and f the term's count over all classes, so terms
    frequent in one class and rare elsewhere score highest. Rows labelled -1 count
    towards f but belong to no class.
    """
    vectorizer = CountVectorizer(analyzer=identity, min_df=min_df)
    counts = vectorizer.fit_transform(token_lists)
    rows = np.flatnonzero(labels >= 0)
    onehot = sp.csr_matrix((np.ones(len(rows)), (labels[rows], rows)), shape=(n_classes, len(labels)))
    per_class = np.asarray((onehot @ counts).todense(), dtype=float)
    totals = per_class.sum(axis=1, keepdims=True)
    tf = np.divide(per_class, totals, out=np.zeros_like(per_class), where=totals > 0)
    overall = np.asarray(counts.sum(axis=0)).ravel()
    idf = np.log1p(counts.sum() / max(n_classes, 1) / np.maximum(overall, 1))
    return vectorizer.get_feature_names_out(), tf * idf


def top_terms(terms: np.ndarray, weights: np.ndarray, n: int = N_TOP_TERMS) -> list[list[str]]:
    """The ``n`` highest-weighted terms of each class (ties broken by term, for determinism)."""
    out = []
    for row in weights:
        order = np.lexsort((terms, -row))
        out.append([str(terms[i]) for i in order[:n] if row[i] > 0])
    return out


def term_label(terms: Sequence[str], n: int = 3) -> str:
    """A name made of the top terms, e.g. ``安全生产·信访·风险``."""
    return "·".join(terms[:n]) if terms else "其他"


def dominant_lexicon(keyed: np.ndarray, labels: np.ndarray, n_clusters: int, min_share: float = DOMINANCE_SHARE) -> np.ndarray:
    """Lexicon theme index naming each cluster, or -1.

    ``keyed`` holds each unit's clearly keyed lexicon theme (-1 if none). A cluster's
    candidate is the theme most of its units are keyed to; it names the cluster when
    those units are at least ``min_share`` of the cluster (all its units, keyed or not).
    Each theme names at most one cluster: the higher share wins, then the larger cluster.
    """
    candidates = []
    for c in range(n_clusters):
        members = keyed[labels == c]
        hits = members[members >= 0]
        if not len(hits):
            continue
        values, counts = np.unique(hits, return_counts=True)
        theme, count = int(values[counts.argmax()]), int(counts.max())
        if count >= min_share * len(members):
            candidates.append((-count / len(members), -len(members), c, theme))
    names = np.full(n_clusters, -1)
    taken: set[int] = set()
    for _, _, c, theme in sorted(candidates):
        if theme not in taken:
            names[c], taken = theme, taken | {theme}
    return names
