"""Near-duplicate plans: the same plan saved twice (``.txt`` and ``.html``/``.pdf``) is found in linear-ish time.

A plan's *normalised text* is its item texts joined, NFKC-folded, keeping only
letters and digits (so punctuation widths, spaces and line breaks from the file
format do not count). :class:`NearDuplicateIndex` keeps a MinHash signature of
each document's normalised sentences (:data:`N_HASHES` salted CRC32 minima) and
buckets it by bands (locality-sensitive hashing); only documents sharing a band
whose signatures agree on at least half their values are compared exactly, by the Jaccard similarity of their character 5-gram sets.
Cost per document: one pass over its text plus the few exact comparisons.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

import numpy as np

#: Similarity (Jaccard of character 5-grams of the normalised text) at which two plans are the same plan.
NEAR_DUPLICATE_SIMILARITY = 0.95
N_HASHES, N_BANDS = 64, 8
#: Share of equal signature values (an estimate of the sentence-set Jaccard) below which a candidate is not compared exactly.
MIN_SIGNATURE_AGREEMENT = 0.5
SHINGLE = 5
_PRIME = (1 << 31) - 1  # hash × salt + salt stays below 2**63
_SALTS = np.random.default_rng(20240101).integers(1, _PRIME, size=(2, N_HASHES), dtype=np.int64)
NON_WORD_RE = re.compile(r"[\W_]+")
NON_WORD_LINES_RE = re.compile(r"[^\w\n]+|_+")


def normalise(text: str) -> str:
    """NFKC-folded ``text`` with only letters and digits."""
    return NON_WORD_RE.sub("", unicodedata.normalize("NFKC", text))


def normalise_lines(lines: list[str]) -> list[str]:
    """:func:`normalise` of each line, in one pass over all of them (NFKC only when some character needs it)."""
    text = NON_WORD_LINES_RE.sub("", "\n".join(lines))
    if not unicodedata.is_normalized("NFKC", text):
        text = NON_WORD_LINES_RE.sub("", unicodedata.normalize("NFKC", text))
    return text.split("\n")


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the character 5-gram sets of two normalised texts (1.0 for two equal texts)."""
    if a == b:
        return 1.0
    grams_a = {a[k : k + SHINGLE] for k in range(max(1, len(a) - SHINGLE + 1))}
    grams_b = {b[k : k + SHINGLE] for k in range(max(1, len(b) - SHINGLE + 1))}
    return len(grams_a & grams_b) / len(grams_a | grams_b)


def signature(sentences: list[str]) -> np.ndarray:
    """MinHash signature (``N_HASHES`` values) of a document's set of normalised sentences."""
    hashes = np.fromiter({zlib.crc32(s.encode("utf-8")) for s in sentences if s} or {0}, dtype=np.int64)
    return ((hashes[:, None] * _SALTS[0] + _SALTS[1]) % _PRIME).min(axis=0)


class NearDuplicateIndex:
    """Documents seen so far; :meth:`add` returns the earlier near-duplicate of a new one, if any."""

    def __init__(self, threshold: float = NEAR_DUPLICATE_SIMILARITY):
        self.threshold = threshold
        self.texts: list[str] = []
        self.signatures: list[np.ndarray] = []
        self.names: list[str] = []
        self.buckets: dict[tuple[int, bytes], list[int]] = {}

    def add(self, name: str, sentences: list[str]) -> tuple[str, float] | None:
        """Register ``name`` (its item sentences) unless it is a near-duplicate: then ``(earlier name, similarity)``."""
        normalised = normalise_lines(sentences)
        text = "".join(normalised)
        sig = signature(normalised)
        rows = sig.reshape(N_BANDS, -1)
        keys = [(band, rows[band].tobytes()) for band in range(N_BANDS)]
        candidates = sorted({doc for key in keys for doc in self.buckets.get(key, ())})
        for doc in candidates:
            if (self.signatures[doc] == sig).mean() < MIN_SIGNATURE_AGREEMENT:
                continue
            score = similarity(text, self.texts[doc])
            if score >= self.threshold:
                return self.names[doc], score
        doc = len(self.texts)
        self.texts.append(text)
        self.signatures.append(sig)
        self.names.append(name)
        for key in keys:
            self.buckets.setdefault(key, []).append(doc)
        return None
