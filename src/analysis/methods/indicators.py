"""Indicator normalisation: line up the same measured thing across documents.

An extracted indicator (``每千人口3岁以下婴幼儿托位数``, ``全区每千人口托位数``)
is first reduced by :func:`normalize_indicator` (scope words such as 全市/全区,
action verbs such as 新增/建成/争创, quotation marks and spaces removed), then
looked up in the shipped, editable synonym table
``src/analysis/data/indicator_synonyms.csv`` (columns ``indicator_key, variant``;
every variant is normalised the same way). The ``indicator_key`` is a canonical
Chinese name, so it doubles as a chart label; an indicator the table does not know
keeps its normalised phrase as key, so identical wording still lines up.

:class:`IndicatorMatcher` (fit / predict, deterministic) does the lookup and, for
indicators the table does not map, :meth:`IndicatorMatcher.suggest` proposes the
most similar known key by TF-IDF cosine similarity over character 1–3-grams —
candidates for new rows of the synonym table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from analysis.errors import InputError

SYNONYM_COLUMNS = ["indicator_key", "variant"]

#: Words dropped from the start of an indicator (repeatedly) before lookup:
#: scope (全市, 各县区), modality (力争, 确保) and action verbs (新增, 建成).
LEADING_WORDS = sorted(
    """全市 全区 全县 我市 我区 各县区 各区市 每个区市 年内 力争 确保 推动 推进 实现 争取 积极 持续 继续 进一步 全面
    加快 其中 同时 并 按 新增 新建 新创建 再创建 创建 争创 建成 建设 打造 培育 遴选建设 遴选 引进 引培 增加 增设和更新
    组建 评选 培养 开展 汇集 完成 推选 柔性引进 在""".split(),
    key=len,
    reverse=True,
)
_LEADING_RE = re.compile(rf"^(?:\d{{4}}年|{'|'.join(map(re.escape, LEADING_WORDS))})")
_DROP_RE = re.compile(r"[\s“”‘’\"'《》「」]")
_BRACKETS = str.maketrans({"（": "(", "）": ")"})


def normalize_indicator(text: str) -> str:
    """``text`` without spaces, quotes and leading scope/action words; brackets half-width.

    >>> normalize_indicator("全区新增托位")
    '托位'
    """
    out = _DROP_RE.sub("", str(text)).translate(_BRACKETS)
    while True:
        stripped = _LEADING_RE.sub("", out, count=1)
        if stripped == out or not stripped:
            return out
        out = stripped


def default_synonyms_path() -> Path:
    """The synonym table shipped with the package."""
    return Path(str(files("analysis") / "data" / "indicator_synonyms.csv"))


def load_synonyms(path: str | Path | None = None) -> dict[str, str]:
    """``{normalised variant: indicator_key}`` from a synonym CSV (default: the shipped table).

    Each key is also a variant of itself. Raises :class:`InputError` when columns
    are missing or one normalised variant is claimed by two keys.
    """
    path = Path(path) if path else default_synonyms_path()
    if not path.is_file():
        raise InputError(path, "synonym table not found")
    table = pd.read_csv(path, dtype=str, encoding="utf-8").fillna("")
    missing = [c for c in SYNONYM_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}; expected {', '.join(SYNONYM_COLUMNS)}")
    mapping: dict[str, str] = {}
    for row, (key, variant) in enumerate(zip(table.indicator_key, table.variant), start=2):
        key = key.strip()
        if not key:
            raise InputError(path, "empty indicator_key", row=row)
        for name in (key, variant):
            norm = normalize_indicator(name)
            if not norm:
                continue
            if mapping.get(norm, key) != key:
                raise InputError(path, f"variant '{name}' maps to both '{mapping[norm]}' and '{key}'", row=row)
            mapping[norm] = key
    return mapping


class IndicatorMatcher:
    """Map indicators to ``indicator_key`` values and suggest synonyms for unmapped ones.

    ``synonyms`` is a ``{normalised variant: key}`` mapping (default: the shipped
    table). :meth:`fit` learns the character n-gram TF-IDF space from the table
    and the given indicators; :meth:`predict` needs no fitting.
    """

    def __init__(self, synonyms: dict[str, str] | None = None, ngram_range: tuple[int, int] = (1, 3)):
        self.synonyms = synonyms
        self.ngram_range = ngram_range

    def _mapping(self) -> dict[str, str]:
        return load_synonyms() if self.synonyms is None else self.synonyms

    def predict(self, indicators: Iterable[str]) -> list[str]:
        """The ``indicator_key`` of each indicator (table key, else its normalised phrase)."""
        mapping = self._mapping()
        return [mapping.get(norm, norm) for norm in map(normalize_indicator, indicators)]

    def fit(self, indicators: Iterable[str]) -> "IndicatorMatcher":
        """Fit the TF-IDF vocabulary on the table's keys and variants plus ``indicators``."""
        mapping = self._mapping()
        corpus = sorted(set(mapping) | set(mapping.values()) | {normalize_indicator(i) for i in indicators})
        self.vectorizer_ = TfidfVectorizer(analyzer="char", ngram_range=self.ngram_range).fit(corpus)
        return self

    def suggest(self, indicators: Iterable[str], threshold: float = 0.5) -> pd.DataFrame:
        """For each distinct unmapped indicator, its most similar other key (similarity ≥ ``threshold``).

        Candidates are the table's keys (reached through any of their variants) and
        the keys of the other given indicators. Returns ``indicator_key,
        suggested_key, matched_variant, similarity`` sorted by falling similarity.
        """
        mapping = self._mapping()
        keys = sorted(set(self.predict(indicators)))
        unmapped = [k for k in keys if k not in mapping.values()]
        columns = ["indicator_key", "suggested_key", "matched_variant", "similarity"]
        candidates = sorted({**{v: k for v, k in mapping.items()}, **{k: k for k in keys}}.items())
        if not unmapped or not candidates:
            return pd.DataFrame(columns=columns)
        names = [c for c, _ in candidates]
        sims = cosine_similarity(self.vectorizer_.transform(unmapped), self.vectorizer_.transform(names))
        rows = []
        for i, key in enumerate(unmapped):
            order = sorted(range(len(names)), key=lambda j: (-sims[i, j], names[j]))
            for j in order:
                if candidates[j][1] != key:
                    if sims[i, j] >= threshold:
                        rows.append((key, candidates[j][1], names[j], round(float(sims[i, j]), 3)))
                    break
        out = pd.DataFrame(rows, columns=columns)
        return out.sort_values(["similarity", "indicator_key"], ascending=[False, True], ignore_index=True)
