"""Chinese word tokens for policy text: jieba precise mode with a health-policy vocabulary.

:class:`Tokenizer` turns a text into a list of content words. It segments with
jieba (precise mode) extended by the shipped user dictionary
(``data/health_terms.txt``: 医共体, 紧密型县域医共体, 家庭医生签约, 两癌筛查 …),
maps variants to one canonical term (``data/synonyms.txt``: 慢病 -> 慢性病) and
drops policy boilerplate (``data/stopwords.txt``: 加强, 推进, 全市 …), tokens
with digits (quantities, years), single characters, punctuation and — unless
``remove_places=False`` — place names (``data/places.txt`` plus any names given,
e.g. the cities and provinces of the corpus via :func:`corpus_places`).

The jieba dictionary is built once per process and per vocabulary (a cached,
read-only ``jieba.Tokenizer``; jieba's global default instance is never touched),
so a :class:`Tokenizer` is cheap to create and to pickle to worker processes.
:attr:`Tokenizer.fingerprint` identifies everything that decides the output, as
a key for caching token lists by content hash.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib.resources import files
from pathlib import Path

import jieba
import pandas as pd
from tqdm import tqdm

DATA_DIR = files("analysis") / "data"

#: Suffixes stripped from a place name to get its short form (青岛市 -> 青岛); longest first.
PLACE_SUFFIXES = (
    "特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "新区", "地区",
    "省", "市", "区", "县", "镇", "乡",
)  # fmt: skip

#: Token standing for 健康 + a removed place name (健康青岛 -> 健康城市).
HEALTHY_PLACE = "健康城市"

_CONTENT_RE = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z+]*$")
_DIGIT_RE = re.compile(r"\d")


def _data_lines(path: str | Path) -> list[str]:
    """Non-empty, non-comment lines of a UTF-8 data file, stripped."""
    text = Path(str(path)).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _words(path: str | Path) -> list[str]:
    """Every whitespace-separated word of a data file (comments skipped)."""
    return [word for line in _data_lines(path) for word in line.split()]


def short_place_name(name: str) -> str:
    """``name`` without its administrative suffix (青岛市 -> 青岛, 西海岸新区 -> 西海岸).

    Names whose stem would be shorter than two characters are returned unchanged.
    """
    for suffix in PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def expand_places(names: Iterable[str]) -> frozenset[str]:
    """Each place name in its full and its short form."""
    out: set[str] = set()
    for name in names:
        name = unicodedata.normalize("NFKC", str(name)).strip()
        if name:
            out |= {name, short_place_name(name)}
    return frozenset(out)


def corpus_places(documents: pd.DataFrame) -> frozenset[str]:
    """Place names of the corpus documents: their ``city`` and ``province`` (full and short)."""
    columns = [c for c in ("city", "province") if c in documents.columns]
    return expand_places(documents[columns].astype(str).to_numpy().ravel()) if columns else frozenset()


@dataclass(frozen=True)
class Vocabulary:
    """The word lists a :class:`Tokenizer` uses, read from the package data (or given files)."""

    terms: tuple[tuple[str, int | None, str | None], ...]
    stopwords: frozenset[str]
    synonyms: dict[str, str]
    places: frozenset[str]

    @classmethod
    def load(
        cls,
        terms: str | Path | None = None,
        stopwords: str | Path | None = None,
        synonyms: str | Path | None = None,
        places: str | Path | None = None,
    ) -> Vocabulary:
        """Read the four word lists; ``None`` means the shipped file."""
        return _load_vocabulary(
            str(terms or DATA_DIR / "health_terms.txt"),
            str(stopwords or DATA_DIR / "stopwords.txt"),
            str(synonyms or DATA_DIR / "synonyms.txt"),
            str(places or DATA_DIR / "places.txt"),
        )

    @cached_property
    def term_set(self) -> frozenset[str]:
        """The domain terms (always kept, even with digits, unless a stop word)."""
        return frozenset(word for word, _, _ in self.terms) | frozenset(self.synonyms.values())


@cache
def _load_vocabulary(terms: str, stopwords: str, synonyms: str, places: str) -> Vocabulary:
    entries = []
    for line in _data_lines(terms):
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        entries.append((parts[0], freq, tag))
    pairs = [line.split()[:2] for line in _data_lines(synonyms)]
    return Vocabulary(
        terms=tuple(entries),
        stopwords=frozenset(_words(stopwords)),
        synonyms={variant: canonical for variant, canonical in pairs},
        places=expand_places(_words(places)),
    )


@lru_cache(maxsize=8)
def _segmenter(terms: tuple[tuple[str, int | None, str | None], ...], places: frozenset[str]) -> jieba.Tokenizer:
    """A jieba tokenizer with the default dictionary plus ``terms`` and ``places``; built once per vocabulary."""
    jieba.setLogLevel(logging.WARNING)
    segmenter = jieba.Tokenizer()
    segmenter.initialize()
    for word, freq, tag in terms:
        segmenter.add_word(word, freq, tag)
    for place in sorted(places):
        segmenter.add_word(place, None, "ns")
    return segmenter


class Tokenizer:
    """Content-word tokenizer for Chinese health-policy text.

    ``Tokenizer(places=corpus_places(documents))`` removes the shipped place names
    and the corpus' own; ``remove_places=False`` keeps every place name. The word
    lists default to the shipped files (see :class:`Vocabulary`).
    """

    def __init__(self, places: Iterable[str] = (), *, remove_places: bool = True, vocabulary: Vocabulary | None = None):
        self.vocabulary = vocabulary or Vocabulary.load()
        self.remove_places = remove_places
        self.places = self.vocabulary.places | expand_places(places)

    @classmethod
    def for_documents(cls, documents: pd.DataFrame, **kwargs) -> Tokenizer:
        """A tokenizer that also removes the cities and provinces of ``documents``."""
        return cls(corpus_places(documents), **kwargs)

    def __getstate__(self) -> dict:
        return {"vocabulary": self.vocabulary, "remove_places": self.remove_places, "places": self.places}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    @cached_property
    def segmenter(self) -> jieba.Tokenizer:
        """The cached jieba tokenizer for this vocabulary (loaded on first use)."""
        return _segmenter(self.vocabulary.terms, self.places)

    @cached_property
    def fingerprint(self) -> str:
        """Short hash of everything that decides the tokens (word lists, places, jieba version)."""
        vocab = self.vocabulary
        parts = [
            jieba.__version__,
            repr(vocab.terms),
            repr(sorted(vocab.stopwords)),
            repr(sorted(vocab.synonyms.items())),
            repr(sorted(self.places)),
            str(self.remove_places),
        ]
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]

    def keep(self, token: str) -> bool:
        """Whether ``token`` (already canonical, not a removed place) is a content word."""
        if token in self.vocabulary.stopwords:
            return False
        if token in self.vocabulary.term_set:
            return True
        return len(token) >= 2 and not _DIGIT_RE.search(token) and bool(_CONTENT_RE.match(token))

    def tokenize(self, text: str) -> list[str]:
        """Content words of ``text`` in order of appearance (repeats kept).

        A removed place name right after 健康 (健康青岛行动, 健康池州建设) becomes
        :data:`HEALTHY_PLACE`, so a city's Healthy-City campaign keeps its meaning.
        """
        text = unicodedata.normalize("NFKC", text or "")
        synonyms = self.vocabulary.synonyms
        tokens: list[str] = []
        previous = ""
        for raw in self.segmenter.cut(text, HMM=True):
            token = raw.strip()
            if token.isascii():
                token = token.upper()
            token = synonyms.get(token, token)
            if self.remove_places and token in self.places:
                if previous == "健康":
                    tokens.append(HEALTHY_PLACE)
            elif token and self.keep(token):
                tokens.append(token)
            previous = token
        return tokens

    def tokenize_many(self, texts: Sequence[str], *, progress: bool = False) -> list[list[str]]:
        """:meth:`tokenize` for each text, in order (the unit to parallelise or cache later)."""
        return [self.tokenize(t) for t in tqdm(texts, desc="tokenize", unit="text", disable=not progress)]
