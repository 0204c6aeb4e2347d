"""What kind of comparison two groups of plans make, the words that fit it, and what makes them hard to compare.

A comparison is *temporal* when both groups cover the same places and every
compare plan is later than every base plan (Qingdao 2021 → 2024): then themes and
items are 新增 / 消失 / 延续 and shares 上升 / 下降. Otherwise it is
*cross-sectional* (different places, e.g. Xi'an vs the other 2024 plans): themes
and items are 仅见于比较组 / 仅见于基准组 / 共有, shares 较高 / 较低, and no
word implies that time has passed.

:func:`comparability_warnings` lists, in plain Chinese, what else differs
between the groups and may explain a difference better than a change of priorities.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.methods.corpus import ADMIN_LEVELS, DOC_TYPES

TEMPORAL, CROSS_SECTIONAL = "temporal", "cross_sectional"
KINDS = (TEMPORAL, CROSS_SECTIONAL)
#: Status codes by kind of comparison, keyed by the temporal code.
STATUS_CODES = {
    TEMPORAL: {"new": "new", "dropped": "dropped", "up": "up", "down": "down", "continued": "continued", "reworded": "reworded"},
    CROSS_SECTIONAL: {"new": "compare_only", "dropped": "base_only", "up": "higher", "down": "lower",
                      "continued": "shared", "reworded": "related"},
}  # fmt: skip
#: Chinese names of every status code (and of the ``side`` values of keyness tables).
STATUS_LABELS = {
    "new": "新增", "dropped": "消失", "up": "上升", "down": "下降", "continued": "延续", "reworded": "改写延续",
    "compare_only": "仅见于比较组", "base_only": "仅见于基准组", "higher": "比较组较高", "lower": "比较组较低",
    "shared": "共有", "related": "共有（措辞不同）", "similar": "差异未超出抽样误差", "base": "基准", "compare": "比较",
}  # fmt: skip
#: More items per plan on one side than this many times the other triggers a warning.
ITEM_RATIO = 1.5


def comparison_kind(documents: pd.DataFrame, base_ids: Sequence[str], compare_ids: Sequence[str]) -> str:
    """``temporal`` when both groups have the same places and the compare plans are all later, else ``cross_sectional``."""
    docs = documents.set_index("doc_id")
    base, comp = docs.loc[list(base_ids)], docs.loc[list(compare_ids)]
    same_places = set(base["city"].astype(str)) == set(comp["city"].astype(str))
    later = pd.to_numeric(comp["year"]).min() > pd.to_numeric(base["year"]).max()
    return TEMPORAL if same_places and later else CROSS_SECTIONAL


def status_code(code: str, kind: str) -> str:
    """The status code for ``kind`` of a temporal ``code`` (``new`` → ``compare_only`` when cross-sectional)."""
    return STATUS_CODES[kind].get(code, code)


def _values(frame: pd.DataFrame, field: str, names: dict[str, str] | None = None) -> str:
    values = list(dict.fromkeys(frame[field].astype(str)))
    return "、".join((names or {}).get(v, v) for v in values)


def comparability_warnings(
    documents: pd.DataFrame, base_ids: Sequence[str], compare_ids: Sequence[str], items_per_doc: pd.Series
) -> list[str]:
    """Plain-Chinese warnings: different document types, item counts per plan differing by more than
    :data:`ITEM_RATIO`, different admin levels, different years within one group, plans in both groups.

    ``items_per_doc`` maps ``doc_id`` to its number of items.
    """
    docs = documents.set_index("doc_id")
    base, comp = docs.loc[list(base_ids)], docs.loc[list(compare_ids)]
    out = []
    for field, what, names in (("doc_type", "文件类型", DOC_TYPES), ("admin_level", "行政级别", ADMIN_LEVELS)):
        if field in docs and set(base[field].astype(str)) != set(comp[field].astype(str)):
            out.append(
                f"两组{what}不同（基准：{_values(base, field, names)}；比较：{_values(comp, field, names)}），"
                "差异可能部分来自文件本身的差别，而非工作重点的变化"
            )
    mean_b, mean_c = items_per_doc.loc[list(base_ids)].mean(), items_per_doc.loc[list(compare_ids)].mean()
    if max(mean_b, mean_c) > ITEM_RATIO * min(mean_b, mean_c):
        out.append(
            f"两组每份文件的事项数相差超过 {ITEM_RATIO} 倍（基准平均 {mean_b:.0f} 条，比较平均 {mean_c:.0f} 条），"
            "条目划分粗细不同会改变按条目计的占比"
        )
    for role, group in (("基准组", base), ("比较组", comp)):
        if group["year"].astype(str).nunique() > 1:
            out.append(f"{role}包含不同年份的文件（{_values(group, 'year')}），组内差异混入了时间变化")
    both = [d for d in base_ids if d in set(compare_ids)]
    if both:
        out.append(f"有 {len(both)} 份文件同时属于两组，两组不独立，区间偏宽、差异偏小")
    return out
