"""Token lists -> feature matrix for clustering: TF-IDF words, optional character n-grams and LSA.

:class:`TextFeatures` is a scikit-learn transformer whose input is a list of token
lists (from :class:`analysis.text.tokenize.Tokenizer`), so tokenization — the slow,
cacheable part — happens once, outside the estimator. Rows of the output are
L2-normalised, so Euclidean k-means on them is cosine (spherical) k-means.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize


def identity(tokens: Sequence[str]) -> Sequence[str]:
    """Analyzer for already tokenized documents (module level, so estimators pickle)."""
    return tokens


def joined(tokens: Sequence[str]) -> str:
    """Tokens joined by spaces, the input of the character n-gram analyzer."""
    return " ".join(tokens)


class TextFeatures(TransformerMixin, BaseEstimator):
    """TF-IDF features of token lists.

    Parameters
    ----------
    min_df, max_df : document-frequency limits of the word vocabulary (count or share).
    sublinear_tf : use 1 + log(tf), so a word repeated in a long item does not dominate.
    char_ngrams : also add character n-grams (``(2, 3)`` by default, within tokens),
        weighted ``char_weight`` relative to the word block; helps with compound terms.
    lsa_components : if set, reduce to this many LSA dimensions (TruncatedSVD) and
        re-normalise; output is then dense.
    random_state : seed of the SVD.

    Attributes after ``fit``: ``words_`` (the word :class:`TfidfVectorizer`),
    ``chars_`` (or None), ``svd_`` (or None), ``n_features_out_``.
    """

    def __init__(
        self,
        min_df: int | float = 2,
        max_df: int | float = 0.5,
        sublinear_tf: bool = True,
        char_ngrams: bool = False,
        char_ngram_range: tuple[int, int] = (2, 3),
        char_weight: float = 0.5,
        lsa_components: int | None = None,
        random_state: int | None = 0,
    ):
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf
        self.char_ngrams = char_ngrams
        self.char_ngram_range = char_ngram_range
        self.char_weight = char_weight
        self.lsa_components = lsa_components
        self.random_state = random_state

    def _word_vectorizer(self) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer=identity, min_df=self.min_df, max_df=self.max_df, sublinear_tf=self.sublinear_tf, dtype=np.float64
        )

    def _blocks(self, docs: Sequence[Sequence[str]], fit: bool) -> sp.csr_matrix:
        words = self.words_.fit_transform(docs) if fit else self.words_.transform(docs)
        if self.chars_ is None:
            return sp.csr_matrix(words)
        texts = [joined(d) for d in docs]
        chars = self.chars_.fit_transform(texts) if fit else self.chars_.transform(texts)
        return normalize(sp.hstack([normalize(words), self.char_weight * normalize(chars)]).tocsr())

    def fit(self, docs: Sequence[Sequence[str]], y=None) -> TextFeatures:
        """Learn the vocabulary (and the LSA basis) from token lists."""
        self.fit_transform(docs)
        return self

    def fit_transform(self, docs: Sequence[Sequence[str]], y=None):
        """Learn from ``docs`` and return their L2-normalised feature rows."""
        self.words_ = self._word_vectorizer()
        self.chars_ = (
            TfidfVectorizer(analyzer="char_wb", ngram_range=self.char_ngram_range, min_df=self.min_df,
                            max_df=self.max_df, sublinear_tf=self.sublinear_tf)
            if self.char_ngrams else None
        )  # fmt: skip
        X = self._blocks(docs, fit=True)
        self.svd_ = None
        if self.lsa_components:
            n_components = min(self.lsa_components, X.shape[1] - 1, X.shape[0] - 1)
            self.svd_ = TruncatedSVD(n_components, random_state=self.random_state)
            X = self.svd_.fit_transform(X)
        self.n_features_out_ = X.shape[1]
        return normalize(X)

    def transform(self, docs: Sequence[Sequence[str]]):
        """L2-normalised feature rows of ``docs`` in the fitted space."""
        X = self._blocks(docs, fit=False)
        if self.svd_ is not None:
            X = self.svd_.transform(X)
        return normalize(X)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output columns (words, then ``char:`` n-grams, or ``lsa0`` …)."""
        if self.svd_ is not None:
            return np.array([f"lsa{i}" for i in range(self.n_features_out_)], dtype=object)
        names = list(self.words_.get_feature_names_out())
        if self.chars_ is not None:
            names += [f"char:{c}" for c in self.chars_.get_feature_names_out()]
        return np.array(names, dtype=object)
