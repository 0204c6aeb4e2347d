"""Near-duplicate plans: the same plan saved twice (``.txt`` and ``.html``/``.pdf``) is found in linear-ish time.

A plan's *normalised text* is its text as read, NFKC-folded, keeping only
letters and digits (so punctuation widths, spaces and line breaks from the file
format do not count). :class:`NearDuplicateIndex` keeps a MinHash signature of
each document's set of normalised lines (:data:`N_HASHES` salted CRC32 minima) and
buckets it by bands (locality-sensitive hashing); only documents sharing a band
whose signatures agree on at least 30% of their values are compared exactly, by the Jaccard similarity of their character 5-gram sets.
Cost per document: one pass over its text plus the few exact comparisons.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np

#: Similarity (Jaccard of character 5-grams of the normalised text) at which two plans are the same plan.
NEAR_DUPLICATE_SIMILARITY = 0.95
N_HASHES, N_BANDS = 64, 8
#: Share of equal signature values (an estimate of the sentence-set Jaccard) below which a candidate is not compared exactly.
MIN_SIGNATURE_AGREEMENT = 0.3
SHINGLE = 5
_PRIME = (1 << 31) - 1  # hash × salt + salt stays below 2**63
_SALTS = np.random.default_rng(20240101).integers(1, _PRIME, size=(2, N_HASHES), dtype=np.int64)
NON_WORD_LINES_RE = re.compile(r"[^\w\n]+|_+")


def normalise_lines(lines: list[str]) -> list[str]:
    """Each line NFKC-folded with only its letters and digits kept, in one pass (NFKC only when needed)."""
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


def signature(lines: list[str]) -> np.ndarray:
    """MinHash signature (``N_HASHES`` values) of a document's set of normalised lines."""
    hashes = np.fromiter({zlib.crc32(s.encode("utf-8")) for s in lines if s} or {0}, dtype=np.int64)
    return ((hashes[:, None] * _SALTS[0] + _SALTS[1]) % _PRIME).min(axis=0)


@dataclass
class Fingerprint:
    """A document's normalised text, MinHash signature and band keys."""

    text: str
    signature: np.ndarray
    keys: list[tuple[int, bytes]]


def fingerprint(lines: list[str]) -> Fingerprint:
    """The :class:`Fingerprint` of a text given as its lines."""
    normalised = normalise_lines(lines)
    sig = signature(normalised)
    rows = sig.reshape(N_BANDS, -1)
    return Fingerprint("".join(normalised), sig, [(band, rows[band].tobytes()) for band in range(N_BANDS)])


class NearDuplicateIndex:
    """Fingerprints of the documents kept so far: :meth:`find` an earlier near-duplicate, :meth:`add` a kept one."""

    def __init__(self, threshold: float = NEAR_DUPLICATE_SIMILARITY):
        self.threshold = threshold
        self.kept: list[tuple[str, Fingerprint]] = []
        self.buckets: dict[tuple[int, bytes], list[int]] = {}

    def find(self, print_: Fingerprint) -> tuple[str, float] | None:
        """``(name, similarity)`` of the first kept document at least :attr:`threshold` similar, else ``None``."""
        candidates = sorted({doc for key in print_.keys for doc in self.buckets.get(key, ())})
        for doc in candidates:
            name, other = self.kept[doc]
            if (other.signature == print_.signature).mean() < MIN_SIGNATURE_AGREEMENT:
                continue
            score = similarity(print_.text, other.text)
            if score >= self.threshold:
                return name, score
        return None

    def add(self, name: str, print_: Fingerprint) -> None:
        """Keep document ``name`` for later :meth:`find` calls."""
        for key in print_.keys:
            self.buckets.setdefault(key, []).append(len(self.kept))
        self.kept.append((name, print_))
