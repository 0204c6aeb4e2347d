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
from collections.abc import Iterable, Sequence
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

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


#: added to the similarity when one normalised name contains the other (孕产妇死亡 / 孕产妇死亡率)
CONTAINMENT_BONUS = 0.2
SUGGEST_THRESHOLD = 0.5

#: Named things that make two indicators different measures when one names a term the other does not.
QUALIFIERS = {
    "disease": """乳腺癌 宫颈癌 肺癌 结直肠癌 胃癌 肝癌 癌症 结核病 艾滋病 梅毒 乙肝 丙肝 高血压 糖尿病 心脑血管 脑卒中 卒中
        胸痛 创伤 严重精神障碍 精神障碍 心理 慢阻肺 肺功能 传染病 血吸虫 职业病 出生缺陷 龋齿 近视 肥胖 尘肺 狂犬病""",
    "population": """孕产妇 产妇 孕妇 新生儿 婴儿 婴幼儿 儿童 青少年 学生 妇女 老年人 老年 失能 残疾人 重点人群 全人群 农村 城市
        城乡 门诊 住院 个人 单位 劳动者 医师 护士 全科医生 村医 乡村医生 家庭医生 博士 博士后 人才 专家 流动人口 计划生育特殊家庭""",
    "facility": """社区卫生服务中心 社区卫生服务站 乡镇卫生院 卫生院 村卫生室 社区医院 妇幼保健院 妇幼保健机构 中医医院 中医馆 中医阁
        综合医院 公立医院 民营医院 医院 疾控 托育 养老机构 医养中心 护理院 企业 食堂 学校 机关 乡镇 镇街 家庭 实验室 工作室
        公办 民办 普惠 示范 独立 互联网医院 急救""",
    "level": "国家级 国家 省级 省 市级 区级 县级 县域 基层 一级 二级 三级 甲级 乙级 五星级 四星级 三甲 基本标准 推荐标准 提升标准",
}
_QUALIFIER_RES = {kind: re.compile("|".join(sorted(terms.split(), key=len, reverse=True))) for kind, terms in QUALIFIERS.items()}


def pairing_conflict(a: str, b: str) -> str:
    """Why normalised names ``a`` and ``b`` may not be proposed as one indicator, or ``""``.

    They conflict when they name different terms of one :data:`QUALIFIERS`
    category (乳腺癌早诊率 / 宫颈癌早诊率: ``disease``); when neither contains
    the other and they end in different characters (a different counted thing or
    measure: 健康科普专家 / 健康科普资料: ``head``); and when the shorter is under
    four characters or opens the longer, which adds more than one character
    (三级医院 / 三级医院预约诊疗率: ``head``; 孕产妇死亡 / 孕产妇死亡率 may pair).
    """
    for kind, pattern in _QUALIFIER_RES.items():
        if set(pattern.findall(a)) != set(pattern.findall(b)):
            return kind
    short, long = sorted((a, b), key=len)
    if short and short not in long and a[-1] != b[-1]:
        return "head"
    if short and short in long and (len(short) < 4 or len(long) - len(short) > 1 and long.startswith(short)):
        return "head"  # 三级医院 / 三级医院预约诊疗率: the longer name measures something of the shorter one
    return ""


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
        from sklearn.feature_extraction.text import TfidfVectorizer

        mapping = self._mapping()
        corpus = sorted(set(mapping) | set(mapping.values()) | {normalize_indicator(i) for i in indicators})
        self.vectorizer_ = TfidfVectorizer(analyzer="char", ngram_range=self.ngram_range).fit(corpus)
        return self

    def pair_scores(self, a: Sequence[str], b: Sequence[str]) -> pd.DataFrame:
        """Score each pair ``(a[i], b[i])``: ``similarity`` (TF-IDF cosine), ``score`` and ``blocked``.

        ``score`` is the similarity plus :data:`CONTAINMENT_BONUS` when one
        normalised name contains the other; ``blocked`` names the reason two
        names may not be paired (:func:`pairing_conflict`), else is empty.
        """
        from sklearn.metrics.pairwise import paired_cosine_distances

        na, nb = [normalize_indicator(x) for x in a], [normalize_indicator(x) for x in b]
        if not na:
            return pd.DataFrame(columns=["similarity", "score", "blocked"])
        sim = 1.0 - paired_cosine_distances(self.vectorizer_.transform(na), self.vectorizer_.transform(nb))
        contained = np.array([bool(x and y) and (x in y or y in x) for x, y in zip(na, nb)])
        score = np.minimum(sim + CONTAINMENT_BONUS * contained, 1.0)
        return pd.DataFrame(
            {"similarity": sim.round(3), "score": score.round(3), "blocked": [pairing_conflict(x, y) for x, y in zip(na, nb)]}
        )

    def suggest(self, indicators: Iterable[str], threshold: float = SUGGEST_THRESHOLD) -> pd.DataFrame:
        """For each distinct unmapped indicator, its best-scoring other key that may be paired with it.

        Candidates are the table's keys (reached through any of their variants) and
        the keys of the other given indicators; pairs with a :func:`pairing_conflict`
        are never proposed, and each pair appears once. Returns ``indicator_key,
        suggested_key, matched_variant, similarity, score`` with ``score ≥ threshold``,
        best first.
        """
        mapping = self._mapping()
        keys = sorted(set(self.predict(indicators)))
        unmapped = [k for k in keys if k not in mapping.values()]
        columns = ["indicator_key", "suggested_key", "matched_variant", "similarity", "score"]
        candidates = sorted({**{v: k for v, k in mapping.items()}, **{k: k for k in keys}}.items())
        pairs = [(key, name, target) for key in unmapped for name, target in candidates if target != key]
        if not pairs:
            return pd.DataFrame(columns=columns)
        scored = pd.DataFrame(pairs, columns=["indicator_key", "matched_variant", "suggested_key"])
        scored = pd.concat([scored, self.pair_scores(scored.indicator_key.tolist(), scored.matched_variant.tolist())], axis=1)
        scored = scored[(scored.blocked == "") & (scored.score >= threshold)]
        best = scored.sort_values(["score", "similarity", "matched_variant"], ascending=[False, False, True], kind="stable")
        best = best.drop_duplicates("indicator_key")
        unordered = best.apply(lambda r: tuple(sorted((r.indicator_key, r.suggested_key))), axis=1)
        best = best[~unordered.duplicated()] if len(best) else best
        return best[columns].sort_values(["score", "indicator_key"], ascending=[False, True], ignore_index=True)
