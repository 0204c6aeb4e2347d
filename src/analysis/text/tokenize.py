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
:attr:`Tokenizer.fingerprint` identifies everything that decides the output.

:meth:`Tokenizer.tokenize_many` is the fast path for a corpus: each distinct text
is tokenized once, texts already in the :class:`~analysis.text.cache.TokenCache`
(keyed by :attr:`Tokenizer.cache_key` + SHA-256 of the text) are not tokenized
again, and when the rest holds at least :data:`PARALLEL_MIN_CHARS` characters it
is spread over worker processes, each loading the jieba dictionary once. The
result is the same list, in the same order, whatever the cache and worker count.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib.resources import files
from pathlib import Path

import jieba
import pandas as pd
from tqdm import tqdm

from analysis.text.cache import TokenCache, text_digest

DATA_DIR = files("analysis") / "data"

#: Suffixes stripped from a place name to get its short form (青岛市 -> 青岛); longest first.
PLACE_SUFFIXES = (
    "特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "新区", "地区",
    "省", "市", "区", "县", "镇", "乡",
)  # fmt: skip

#: Token standing for 健康 + a removed place name (健康青岛 -> 健康城市).
HEALTHY_PLACE = "健康城市"

#: ``tokenize_many`` uses worker processes (``workers=None``) when the texts to tokenize hold at least
#: this many characters (about 0.5 s of jieba); below it starting the workers costs more than it saves.
PARALLEL_MIN_CHARS = 200_000
#: Texts per task sent to a worker process.
CHUNK_TEXTS = 250
#: How worker processes start: forked on Linux (they inherit the loaded dictionary; the workers only
#: tokenize, so the parent's threads are no hazard), spawned elsewhere (each loads the dictionary once).
START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"
#: Distinct raw jieba tokens remembered per tokenizer before the memo starts afresh.
MEMO_MAX = 1_000_000
_KEEP, _PLACE, _DROP = "keep", "place", "drop"

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

    @cached_property
    def cache_key(self) -> str:
        """Key of this tokenizer's rows in a :class:`TokenCache`: :attr:`fingerprint` plus this
        module's code and Python's Unicode version (NFKC), so any change that could alter tokens misses."""
        code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
        parts = f"{self.fingerprint}\n{code}\n{unicodedata.unidata_version}"
        return hashlib.sha256(parts.encode("utf-8")).hexdigest()[:16]

    @cached_property
    def _memo(self) -> dict[str, tuple[str, str]]:
        """Raw jieba token -> (canonical token, keep/place/drop); not pickled."""
        return {}

    def keep(self, token: str) -> bool:
        """Whether ``token`` (already canonical, not a removed place) is a content word."""
        if token in self.vocabulary.stopwords:
            return False
        if token in self.vocabulary.term_set:
            return True
        return len(token) >= 2 and not _DIGIT_RE.search(token) and bool(_CONTENT_RE.match(token))

    def _classify(self, raw: str) -> tuple[str, str]:
        """A raw jieba token's canonical form (upper-cased if ASCII, synonym mapped) and whether it is
        kept, a removed place name or dropped."""
        token = raw.strip()
        if token.isascii():
            token = token.upper()
        token = sys.intern(self.vocabulary.synonyms.get(token, token))
        if self.remove_places and token in self.places:
            return token, _PLACE
        return token, _KEEP if token and self.keep(token) else _DROP

    def tokenize(self, text: str) -> list[str]:
        """Content words of ``text`` in order of appearance (repeats kept).

        A removed place name right after 健康 (健康青岛行动, 健康池州建设) becomes
        :data:`HEALTHY_PLACE`, so a city's Healthy-City campaign keeps its meaning.
        """
        text = unicodedata.normalize("NFKC", text or "")
        memo = self._memo
        if len(memo) > MEMO_MAX:
            memo.clear()
        tokens: list[str] = []
        previous = ""
        for raw in self.segmenter.cut(text, HMM=True):
            entry = memo.get(raw)
            if entry is None:
                entry = memo[raw] = self._classify(raw)
            token, kind = entry
            if kind is _KEEP:
                tokens.append(token)
            elif kind is _PLACE and previous == "健康":
                tokens.append(HEALTHY_PLACE)
            previous = token
        return tokens

    def tokenize_many(
        self,
        texts: Sequence[str],
        *,
        progress: bool = False,
        workers: int | None = None,
        cache: TokenCache | bool | None = True,
    ) -> list[list[str]]:
        """:meth:`tokenize` for each text, in order; identical whatever ``workers`` and ``cache``.

        Each distinct text is tokenized once. ``cache``: ``True`` = the default
        :class:`TokenCache` (:meth:`TokenCache.default`, switched off by
        ``ANALYSIS_TOKEN_CACHE=off``), a :class:`TokenCache`, or ``False``/None for
        none. ``workers``: processes to tokenize the uncached texts in; None = one
        per CPU when they hold at least :data:`PARALLEL_MIN_CHARS` characters, else 1.
        """
        store = TokenCache.default() if cache is True else cache or None
        distinct = list(dict.fromkeys(texts))
        done: dict[str, list[str]] = {}
        if store is not None:
            digests = {t: text_digest(t or "") for t in distinct}
            hits = store.get_many(self.cache_key, list(digests.values()))
            done = {t: hits[d] for t, d in digests.items() if d in hits}
        todo = [t for t in distinct if t not in done]
        if workers is None:
            workers = available_cpus() if sum(len(t or "") for t in todo) >= PARALLEL_MIN_CHARS else 1
        with tqdm(total=len(todo), desc="tokenize", unit="text", disable=not progress or not todo) as bar:
            fresh = self._tokenize_parallel(todo, workers, bar) if workers > 1 and len(todo) > 1 else self._tokenize_serial(todo, bar)
        done.update(zip(todo, fresh))
        if store is not None and todo:
            store.put_many(self.cache_key, {digests[t]: tokens for t, tokens in zip(todo, fresh)})
        return [list(done[t]) for t in texts]

    def _tokenize_serial(self, texts: Sequence[str], bar: tqdm) -> list[list[str]]:
        out = []
        for text in texts:
            out.append(self.tokenize(text))
            bar.update()
        return out

    def _tokenize_parallel(self, texts: Sequence[str], workers: int, bar: tqdm) -> list[list[str]]:
        """Tokenize in ``workers`` processes, up to :data:`CHUNK_TEXTS` texts per task, results in order."""
        self.segmenter  # noqa: B018 — loaded before forking, so forked workers share it
        size = min(CHUNK_TEXTS, -(-len(texts) // workers))
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        out: list[list[str]] = []
        context = multiprocessing.get_context(START_METHOD)
        with context.Pool(min(workers, len(chunks)), initializer=_start_worker, initargs=(self,)) as pool:
            for part in pool.imap(_tokenize_chunk, chunks):
                out.extend([sys.intern(t) for t in tokens] for tokens in part)  # one string object per word
                bar.update(len(part))
        return out


def available_cpus() -> int:
    """CPUs this process may run on (respects affinity and container CPU sets)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_worker_tokenizer: Tokenizer | None = None


def _start_worker(tokenizer: Tokenizer) -> None:
    """Worker-process initializer: keep ``tokenizer`` and load its jieba dictionary once."""
    global _worker_tokenizer
    _worker_tokenizer = tokenizer
    tokenizer.segmenter  # noqa: B018 — builds the dictionary before the first task


def _tokenize_chunk(texts: Sequence[str]) -> list[list[str]]:
    return [_worker_tokenizer.tokenize(t) for t in texts]
